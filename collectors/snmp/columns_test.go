package snmp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// bulkWalkClient is a walkClient that also answers single GETBULKs as an
// agent does: row by row, each repeater's next varbind, endOfMibView past
// the end, cut short at maxVarbinds. It counts the GETBULKs.
type bulkWalkClient struct {
	*walkClient
	maxVarbinds int
	bulks       int
}

func (b *bulkWalkClient) GetBulk(_ context.Context, oids []string, reps uint32) ([]gosnmp.SnmpPDU, error) {
	b.bulks++
	last := slices.Clone(oids)
	var out []gosnmp.SnmpPDU
	for range reps {
		for j := range last {
			if b.maxVarbinds > 0 && len(out) == b.maxVarbinds {
				return out, nil
			}
			next := gosnmp.SnmpPDU{Name: "." + strings.TrimPrefix(last[j], "."), Type: gosnmp.EndOfMibView}
			i := sort.Search(len(b.pdus), func(i int) bool {
				return oidAfter(strings.TrimPrefix(b.pdus[i].Name, "."), strings.TrimPrefix(last[j], "."))
			})
			if i < len(b.pdus) {
				next = b.pdus[i]
			}
			out = append(out, next)
			last[j] = next.Name
		}
	}
	return out, nil
}

// TestColumnWalkReadsWhatEntryWalkReads polls every recording of the fleet
// both ways, its profile's whole table entries one subtree at a time and
// its columns in lockstep, and wants the same readings from each, with
// fewer varbinds and fewer requests from the column walk where the profile
// leaves columns out.
func TestColumnWalkReadsWhatEntryWalkReads(t *testing.T) {
	fewer := 0
	for _, fc := range fleet {
		if fc.profile == "" {
			continue
		}
		t.Run(fc.file, func(t *testing.T) {
			d := lookupDef(fc.profile)
			w := loadWalk(t, fc.file)
			entries, err := walkRoots(t.Context(), w, d.Roots())
			if err != nil {
				t.Fatal(err)
			}
			want, err := d.Parse(entries, 0)
			if err != nil {
				t.Fatal(err)
			}
			bw := &bulkWalkClient{walkClient: w, maxVarbinds: 40}
			cols, err := walkColumns(t.Context(), bw, d.columnRoots(), DefaultMaxRepetitions)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Parse(cols, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("readings:\n got %v\nwant %v", got, want)
			}
			if len(cols) > len(entries) {
				t.Errorf("varbinds: got %d from the columns, want at most the entries' %d", len(cols), len(entries))
			}
			// The request count an entry walk costs at best: one GETBULK
			// per root, plus one per DefaultMaxRepetitions varbinds.
			entryRequests := len(d.Roots()) + len(entries)/DefaultMaxRepetitions
			if bw.bulks > entryRequests+1 {
				t.Errorf("requests: got %d GETBULKs, want at most %d", bw.bulks, entryRequests+1)
			}
			if len(cols) < len(entries) {
				fewer++
			}
		})
	}
	if fewer == 0 {
		t.Errorf("no profile read fewer varbinds by columns than by entries")
	}
}

// TestColumnRootsRPDU2 names the columns the rPDU2 profile reads: its
// required device table whole, the others by the columns read.
func TestColumnRootsRPDU2(t *testing.T) {
	roots := rpdu2Profile.columnRoots()
	const status = "1.3.6.1.4.1.318.1.1.26.4.3.1"
	if !slices.Contains(roots, status) {
		t.Errorf("roots %v: want the required device status entry %s whole", roots, status)
	}
	for _, r := range roots {
		under := slices.ContainsFunc(rpdu2Profile.Roots(), func(e string) bool { return r == e || strings.HasPrefix(r, e+".") })
		if !under {
			t.Errorf("root %s is under none of the profile's entries", r)
		}
		if r != status && strings.HasPrefix(r, status+".") {
			t.Errorf("root %s is walked twice: it is under the whole entry %s", r, status)
		}
	}
	if len(roots) <= len(rpdu2Profile.Roots()) {
		t.Errorf("got %d roots, want columns: more than the %d entries", len(roots), len(rpdu2Profile.Roots()))
	}
}

// scriptedBulk answers each GETBULK with the next of its answers.
type scriptedBulk struct {
	answers [][]gosnmp.SnmpPDU
	asked   [][]string
	reps    []uint32
}

func (s *scriptedBulk) GetBulk(_ context.Context, oids []string, reps uint32) ([]gosnmp.SnmpPDU, error) {
	s.asked = append(s.asked, slices.Clone(oids))
	s.reps = append(s.reps, reps)
	if len(s.answers) == 0 {
		return nil, errors.New("no more answers")
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a, nil
}

func vb(name string, v int) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: "." + name, Type: gosnmp.Integer, Value: v}
}

func TestWalkColumns(t *testing.T) {
	t.Run("lockstep, cut short, columns ending apart", func(t *testing.T) {
		s := &scriptedBulk{answers: [][]gosnmp.SnmpPDU{
			// two rows of both columns, then cut short after a's third row
			{vb("1.1.1", 1), vb("1.2.1", 10), vb("1.1.2", 2), vb("1.2.2", 20), vb("1.1.3", 3)},
			// a ends (next column), b's third row, then b ends
			{vb("1.2.1", 10), vb("1.2.3", 30), vb("1.3.1", 0), vb("1.3.1", 0)},
		}}
		got, err := walkColumns(t.Context(), s, []string{"1.1", "1.2"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range got {
			names = append(names, p.Name)
		}
		want := []string{".1.1.1", ".1.2.1", ".1.1.2", ".1.2.2", ".1.1.3", ".1.2.3"}
		if !slices.Equal(names, want) {
			t.Errorf("varbinds: got %v, want %v", names, want)
		}
		wantAsked := [][]string{{"1.1", "1.2"}, {"1.1.3", "1.2.2"}}
		if len(s.asked) != 2 || !slices.Equal(s.asked[0], wantAsked[0]) || !slices.Equal(s.asked[1], wantAsked[1]) {
			t.Errorf("requests: got %v, want %v", s.asked, wantAsked)
		}
		if !slices.Equal(s.reps, []uint32{5, 5}) {
			t.Errorf("max-repetitions: got %v, want 10 shared by 2 columns: [5 5]", s.reps)
		}
	})
	t.Run("a finished column leaves the request", func(t *testing.T) {
		// endOfMibView names the OID asked for: inside the column.
		s := &scriptedBulk{answers: [][]gosnmp.SnmpPDU{
			{vb("1.1.1", 1), {Name: ".1.2", Type: gosnmp.EndOfMibView}},
			{vb("1.1.2", 2), {Name: ".1.1.2", Type: gosnmp.EndOfMibView}},
		}}
		if _, err := walkColumns(t.Context(), s, []string{"1.1", "1.2"}, 2); err != nil {
			t.Fatal(err)
		}
		if len(s.asked) != 2 || !slices.Equal(s.asked[1], []string{"1.1.1"}) || s.reps[1] != 2 {
			t.Errorf("requests: got %v reps %v, want the second for 1.1.1 alone with 2 repetitions", s.asked, s.reps)
		}
	})
	t.Run("at least one repetition", func(t *testing.T) {
		s := &scriptedBulk{answers: [][]gosnmp.SnmpPDU{{vb("2", 0), vb("2", 0), vb("2", 0)}}}
		if _, err := walkColumns(t.Context(), s, []string{"1.1", "1.2", "1.3"}, 2); err != nil {
			t.Fatal(err)
		}
		if s.reps[0] != 1 {
			t.Errorf("max-repetitions: got %d, want 1", s.reps[0])
		}
	})
	for _, tt := range []struct {
		name    string
		answers [][]gosnmp.SnmpPDU
		want    string
	}{
		{name: "repeating OID", answers: [][]gosnmp.SnmpPDU{{vb("1.1.1", 1), vb("1.1.1", 1)}}, want: "must increase"},
		{name: "decreasing OID", answers: [][]gosnmp.SnmpPDU{{vb("1.1.5", 1)}, {vb("1.1.2", 1)}}, want: "must increase"},
		{name: "empty answer", answers: [][]gosnmp.SnmpPDU{{}}, want: "no varbinds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := walkColumns(t.Context(), &scriptedBulk{answers: tt.answers}, []string{"1.1"}, 5)
			if !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrDecode saying %q", err, tt.want)
			}
		})
	}
	t.Run("endless table", func(t *testing.T) {
		n := 0
		endless := bulkFunc(func(oids []string, reps uint32) []gosnmp.SnmpPDU {
			out := make([]gosnmp.SnmpPDU, reps)
			for i := range out {
				n++
				out[i] = vb(fmt.Sprintf("1.1.%d", n), n)
			}
			return out
		})
		_, err := walkColumns(t.Context(), endless, []string{"1.1"}, 25)
		if !errors.Is(err, ErrDecode) || n > MaxWalkVarbinds+25 {
			t.Errorf("got %v after %d varbinds, want ErrDecode within %d", err, n, MaxWalkVarbinds+25)
		}
	})
	t.Run("more columns than a request carries", func(t *testing.T) {
		var roots []string
		for i := range maxColumnsPerRequest + 3 {
			roots = append(roots, fmt.Sprintf("1.%d", i+1))
		}
		var widest int
		asked := map[string]bool{}
		ends := bulkFunc(func(oids []string, _ uint32) []gosnmp.SnmpPDU {
			widest = max(widest, len(oids))
			for _, o := range oids {
				asked[o] = true
			}
			out := make([]gosnmp.SnmpPDU, len(oids))
			for i := range out {
				out[i] = gosnmp.SnmpPDU{Name: ".9", Type: gosnmp.EndOfMibView}
			}
			return out
		})
		if _, err := walkColumns(t.Context(), ends, roots, 25); err != nil || widest != maxColumnsPerRequest || len(asked) != len(roots) {
			t.Errorf("got %v, widest request %d, %d columns asked, want nil, %d and all %d", err, widest, len(asked), maxColumnsPerRequest, len(roots))
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := walkColumns(ctx, &scriptedBulk{}, []string{"1.1"}, 5); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want %v", err, context.Canceled)
		}
	})
}

type bulkFunc func(oids []string, reps uint32) []gosnmp.SnmpPDU

func (f bulkFunc) GetBulk(_ context.Context, oids []string, reps uint32) ([]gosnmp.SnmpPDU, error) {
	return f(oids, reps), nil
}

func TestOIDAfter(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"1.3.6.1.10", "1.3.6.1.9", true}, // numerically, not as text
		{"1.3.6.1.9", "1.3.6.1.10", false},
		{"1.3.6.1.9.1", "1.3.6.1.9", true},
		{"1.3.6.1.9", "1.3.6.1.9.1", false},
		{"1.3.6.1", "1.3.6.1", false},
		{"2", "1.9.9", true},
	} {
		if got := oidAfter(tt.a, tt.b); got != tt.want {
			t.Errorf("oidAfter(%s, %s): got %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestColumnRootsRules builds profiles by hand to name each rule of
// columnRoots: which tables are walked whole, which by the columns read.
func TestColumnRootsRules(t *testing.T) {
	tests := []struct {
		name  string
		table *table
		unit  bool
		want  []string
	}{
		{name: "required: whole", table: &table{entry: "1.9", required: true, cols: []*column{{col: 3}}}, want: []string{"1.9"}},
		{name: "ordinal: whole", table: &table{entry: "1.9", ordinal: true, cols: []*column{{col: 3}}}, want: []string{"1.9"}},
		{name: "unit table: whole", unit: true, table: &table{entry: "1.9", cols: []*column{{col: 3}}}, want: []string{"1.9"}},
		{name: "described: description, value, units, scale", table: &table{entry: "1.9",
			describe: &describe{col: 2, value: 5, unitsCol: 4, scaleCol: 3}}, want: []string{"1.9.2", "1.9.3", "1.9.4", "1.9.5"}},
		{name: "columns, their units, conditions, number and unit columns", table: &table{entry: "1.9", unitColumn: 7, numberColumn: 6,
			when: []condDef{{Col: 8}}, cols: []*column{{col: 3, unitsCol: 2, when: []condDef{{Col: 9}}}}},
			want: []string{"1.9.2", "1.9.3", "1.9.6", "1.9.7", "1.9.8", "1.9.9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Def{name: tt.name, unitTable: -1, tables: []*table{tt.table}}
			if tt.unit {
				d.unitTable = 0
			}
			if got := d.columnRoots(); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// recordingBulk is a Client that also sends GETBULKs, from a recorded walk,
// recording the max-repetitions asked for.
type recordingBulk struct {
	*bulkWalkClient
	reps []uint32
}

func (r *recordingBulk) GetBulk(ctx context.Context, oids []string, reps uint32) ([]gosnmp.SnmpPDU, error) {
	r.reps = append(r.reps, reps)
	return r.bulkWalkClient.GetBulk(ctx, oids, reps)
}

// TestPollMaxRepetitions polls a recording through the Collector with a
// profile that asks for small GETBULKs (as some Sentry3 firmware needs):
// no request asks for more, unless the target sets its own.
func TestPollMaxRepetitions(t *testing.T) {
	small := *lookupDef("sentry3")
	small.maxReps = 4
	for _, tt := range []struct {
		name    string
		target  uint32
		wantMax uint32
	}{
		{name: "the profile's", wantMax: 4},
		{name: "the target's", target: 40, wantMax: 40},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client := &recordingBulk{bulkWalkClient: &bulkWalkClient{walkClient: loadWalk(t, "sentry3_switched.snmprec")}}
			c := newCollector(nil, func(context.Context, Target) (Client, error) { return client, nil }, nil, false)
			st := c.Poll(t.Context(), Target{Address: "192.0.2.1:161", MaxRepetitions: tt.target}, &small)
			if !st.OK || len(client.reps) == 0 {
				t.Fatalf("poll: got OK=%v (%s) after %d GETBULKs", st.OK, st.Err, len(client.reps))
			}
			if got := slices.Max(client.reps); got != tt.wantMax {
				t.Errorf("largest max-repetitions: got %d (%v), want %d", got, client.reps, tt.wantMax)
			}
		})
	}
}
