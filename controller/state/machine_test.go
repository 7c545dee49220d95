package state

import (
	"bytes"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
)

// The racks of inventory.Reference(4).
const (
	rackA = "H1-R01-K01"
	rackB = "H2-R01-K02"
)

func invalidSite() *inventory.Site {
	s := inventory.Reference(4)
	s.Halls[0].Rows[0].Racks[0].PDUs = nil
	return s
}

// siteWithout returns the reference site without the rack id.
func siteWithout(id string) *inventory.Site {
	s := inventory.Reference(4)
	for hi := range s.Halls {
		for ri := range s.Halls[hi].Rows {
			r := &s.Halls[hi].Rows[ri]
			for ki := range r.Racks {
				if r.Racks[ki].ID == id {
					r.Racks = append(r.Racks[:ki], r.Racks[ki+1:]...)
					return s
				}
			}
		}
	}
	return s
}

// mustApply applies commands at indexes 1, 2, … and fails on any error.
func mustApply(t *testing.T, m *Machine, cmds ...Command) {
	t.Helper()
	for _, c := range cmds {
		if _, err := m.Apply(m.View().Index()+1, c); err != nil {
			t.Fatalf("apply %T: got %v, want nil", c, err)
		}
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		before  []Command
		cmd     Command
		wantErr error
		rack    string  // checked with RackBudgetWatts after cmd, when set
		want    float64 // its budget
	}{
		{"put site", nil, PutSite{Site: inventory.Reference(4), At: at}, nil, rackA, 15000},
		{"put invalid site", nil, PutSite{Site: invalidSite(), At: at}, inventory.ErrInvalid, "", 0},
		{"put no site", nil, PutSite{At: at}, ErrMalformedCommand, "", 0},
		{"put site without time", nil, PutSite{Site: inventory.Reference(4)}, ErrMalformedCommand, "", 0},
		{"budget before any site", nil, SetRackBudget{Rack: rackA, Watts: 1, At: at}, ErrUnknownRack, "", 0},
		{"budget", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			SetRackBudget{Rack: rackA, Watts: 12000, At: at}, nil, rackA, 12000},
		{"budget leaves other racks", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			SetRackBudget{Rack: rackA, Watts: 12000, At: at}, nil, rackB, 15000},
		{"budget of unknown rack", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			SetRackBudget{Rack: "nope", Watts: 1, At: at}, ErrUnknownRack, rackA, 15000},
		{"zero budget", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			SetRackBudget{Rack: rackA, Watts: 0, At: at}, ErrInvalidBudget, rackA, 15000},
		{"negative budget", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			SetRackBudget{Rack: rackA, Watts: -5, At: at}, ErrInvalidBudget, rackA, 15000},
		{"NaN budget", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			SetRackBudget{Rack: rackA, Watts: math.NaN(), At: at}, ErrInvalidBudget, rackA, 15000},
		{"infinite budget", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			SetRackBudget{Rack: rackA, Watts: math.Inf(1), At: at}, ErrInvalidBudget, rackA, 15000},
		{"budget without time", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			SetRackBudget{Rack: rackA, Watts: 1}, ErrMalformedCommand, rackA, 15000},
		{"new site keeps the override of a rack it still has", []Command{
			PutSite{Site: inventory.Reference(4), At: at},
			SetRackBudget{Rack: rackA, Watts: 9000, At: at},
		}, PutSite{Site: siteWithout(rackB), At: at}, nil, rackA, 9000},
		{"new site drops the override of a rack it lost", []Command{
			PutSite{Site: inventory.Reference(4), At: at},
			SetRackBudget{Rack: rackB, Watts: 9000, At: at},
		}, PutSite{Site: siteWithout(rackB), At: at}, nil, "", 0},
		{"invalid site keeps the old one", []Command{PutSite{Site: inventory.Reference(4), At: at}},
			PutSite{Site: invalidSite(), At: at}, inventory.ErrInvalid, rackA, 15000},
		{"ignored", nil, Ignored{Raw: 0xfe}, nil, "", 0},
		{"nil", nil, nil, ErrMalformedCommand, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			mustApply(t, m, tt.before...)
			index := uint64(len(tt.before) + 1)
			v, err := m.Apply(index, tt.cmd)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err: got %v, want %v", err, tt.wantErr)
			}
			if v != m.View() || v.Index() != index {
				t.Errorf("index: got %d (published %v), want %d", v.Index(), v == m.View(), index)
			}
			if tt.rack == "" {
				return
			}
			got, err := v.RackBudgetWatts(tt.rack)
			if err != nil || got != tt.want {
				t.Errorf("RackBudgetWatts(%s): got %v, %v, want %v, nil", tt.rack, got, err, tt.want)
			}
		})
	}
}

func TestApplyDroppedOverride(t *testing.T) {
	m := New()
	mustApply(t, m,
		PutSite{Site: inventory.Reference(4), At: at},
		SetRackBudget{Rack: rackB, Watts: 9000, At: at},
		PutSite{Site: siteWithout(rackB), At: at},
		PutSite{Site: inventory.Reference(4), At: at.Add(time.Hour)},
	)
	// The rack is back, its override is not.
	if got, _ := m.View().RackBudgetWatts(rackB); got != 15000 {
		t.Errorf("got %v, want 15000", got)
	}
	if got := m.View().Updated(); !got.Equal(at.Add(time.Hour)) {
		t.Errorf("Updated: got %v, want %v", got, at.Add(time.Hour))
	}
}

func TestApplyStaleIndex(t *testing.T) {
	m := New()
	if _, err := m.Apply(5, PutSite{Site: inventory.Reference(4), At: at}); err != nil {
		t.Fatal(err)
	}
	before := m.View()
	for _, index := range []uint64{5, 4} {
		v, err := m.Apply(index, SetRackBudget{Rack: rackA, Watts: 1, At: at})
		if !errors.Is(err, ErrStaleIndex) {
			t.Errorf("index %d: got %v, want %v", index, err, ErrStaleIndex)
		}
		if v != before || m.View() != before {
			t.Errorf("index %d: got a new view, want the state unchanged", index)
		}
	}
}

func TestApplyKeepsInvalidSiteError(t *testing.T) {
	m := New()
	_, err := m.Apply(1, PutSite{Site: invalidSite(), At: at})
	var ve *inventory.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		t.Fatalf("got %v, want a *inventory.ValidationError", err)
	}
	if m.View().Site() != nil {
		t.Errorf("site: got %v, want nil", m.View().Site().Name)
	}
}

func TestViewsAreNotModified(t *testing.T) {
	m := New()
	site := inventory.Reference(4)
	mustApply(t, m, PutSite{Site: site, At: at})
	old := m.View()
	mustApply(t, m, SetRackBudget{Rack: rackA, Watts: 7000, At: at})

	if got, _ := old.RackBudgetWatts(rackA); got != 15000 {
		t.Errorf("old view: got %v, want 15000", got)
	}
	if got := old.BudgetOverrides(); len(got) != 0 {
		t.Errorf("old overrides: got %v, want none", got)
	}
	// The caller's site is not the state's.
	site.Halls[0].Rows[0].Racks[0].BudgetKW = 1
	if got := m.View().Site().Halls[0].Rows[0].Racks[0].BudgetKW; got != 15 {
		t.Errorf("state's site after the caller changed its own: got %v kW, want 15", got)
	}
	// Nor are the overrides a reader gets.
	m.View().BudgetOverrides()[rackA] = 1
	if got, _ := m.View().RackBudgetWatts(rackA); got != 7000 {
		t.Errorf("after a reader changed its copy: got %v, want 7000", got)
	}
}

func TestRackBudgetWattsUnknown(t *testing.T) {
	for _, v := range []*View{New().View(), func() *View {
		m := New()
		mustApply(t, m, PutSite{Site: inventory.Reference(4), At: at})
		return m.View()
	}()} {
		if _, err := v.RackBudgetWatts("nope"); !errors.Is(err, ErrUnknownRack) {
			t.Errorf("got %v, want %v", err, ErrUnknownRack)
		}
	}
}

// history is a run of commands with rejected ones among them.
func history() []Command {
	return []Command{
		PutSite{Site: inventory.Reference(4), At: at},
		SetRackBudget{Rack: rackA, Watts: 11000, At: at.Add(time.Minute)},
		SetRackBudget{Rack: "nope", Watts: 1, At: at},
		PutSite{Site: invalidSite(), At: at},
		Ignored{Raw: 0x90, Body: []byte(`{}`)},
		SetRackBudget{Rack: rackB, Watts: 14000, At: at.Add(2 * time.Minute).In(time.FixedZone("X", 3600))},
		PutSite{Site: siteWithout(rackB), At: at.Add(3 * time.Minute)},
	}
}

// run applies cmds at indexes 1, 2, … (through Encode and Decode when wire
// is set, as a replica would) and returns the snapshot bytes.
func run(t *testing.T, cmds []Command, wire bool) []byte {
	t.Helper()
	m := New()
	for i, c := range cmds {
		if wire {
			b, err := Encode(c)
			if err != nil {
				t.Fatal(err)
			}
			if c, err = Decode(b); err != nil {
				t.Fatal(err)
			}
		}
		m.Apply(uint64(i+1), c) //nolint:errcheck // rejections are part of the history
	}
	var buf bytes.Buffer
	if _, err := m.View().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestApplyIsDeterministic(t *testing.T) {
	first := run(t, history(), false)
	for _, wire := range []bool{false, true} {
		if got := run(t, history(), wire); !bytes.Equal(got, first) {
			t.Errorf("wire=%v: got snapshot\n%s\nwant\n%s", wire, got, first)
		}
	}
}

func TestConcurrentReaders(t *testing.T) {
	m := New()
	mustApply(t, m, PutSite{Site: inventory.Reference(4), At: at})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v := m.View()
				w, err := v.RackBudgetWatts(rackA)
				if err != nil || w != 15000 && w != float64(v.Index()) {
					t.Errorf("index %d: got %v, %v", v.Index(), w, err)
					return
				}
			}
		})
	}
	for i := 2; i < 200; i++ {
		mustApply(t, m, SetRackBudget{Rack: rackA, Watts: float64(i), At: at})
	}
	close(stop)
	wg.Wait()
}
