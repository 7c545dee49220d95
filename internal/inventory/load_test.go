package inventory_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

func TestLoadFileDefaults(t *testing.T) {
	s, err := inventory.LoadFile("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k := s.Halls[0].Rows[0].Racks[0]
	if k.BudgetWatts() != 15000 {
		t.Errorf("got budget %v W, want the default 15000", k.BudgetWatts())
	}
	if got := strings.Join(k.Feeds, ","); got != "A,B" {
		t.Errorf("got feeds %v, want A,B", got)
	}
	p := k.PDUs[0]
	if p.Phases != 3 || p.VoltageV != 230 {
		t.Errorf("got %d phases at %v V, want the defaults 3 at 230 V", p.Phases, p.VoltageV)
	}
	if got, want := p.CapacityWatts(), 3*230*32*0.8; got != want {
		t.Errorf("got capacity %v W, want %v", got, want)
	}
}

// TestParseErrors feeds broken inventories and checks that each problem names
// the file, the line and the field.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string // each must appear in the error
	}{
		{"negative budget", insertAfter("          - id: H1-R01-K01\n", "            budget_kw: -3\n"),
			[]string{"site.yaml:8: halls[0].rows[0].racks[0].budget_kw: must be greater than 0"}},
		{"unknown field", insertAfter("                feed: A\n", "                breakr_a: 32\n"),
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].breakr_a: unknown field; did you mean breaker_a?"}},
		{"unknown field does not hide other problems", func(s string) string {
			return insertAfter("                feed: A\n", "                breakr_a: 32\n")(strings.Replace(s, "capacity_kw: 60", "capacity_kw: -5", 1))
		}, []string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].breakr_a: unknown field; did you mean breaker_a?",
			"site.yaml:20: halls[0].rows[0].cooling[0].capacity_kw: must be greater than 0"}},
		{"unknown field far from any", insertAfter("          - id: H1-R01-K01\n", "            colour: red\n"),
			[]string{"site.yaml:8: halls[0].rows[0].racks[0].colour: unknown field; known here: id, budget_kw, feeds, labels, pdus, servers"}},
		{"wrong type", strings.NewReplacer("breaker_a: 32\n                snmp: {address: \"127.0.0.1:16100\"", "breaker_a: lots\n                snmp: {address: \"127.0.0.1:16100\"").Replace,
			[]string{"site.yaml:11:", "lots"}},
		{"feed not on rack", strings.NewReplacer("feed: B", "feed: C").Replace,
			[]string{"site.yaml:14: halls[0].rows[0].racks[0].pdus[1].feed: \"C\" is not one of the rack's feeds"}},
		{"duplicate id", strings.NewReplacer("id: H1-R01-K01-PB", "id: H1-R01-K01-PA").Replace,
			[]string{"site.yaml:13: halls[0].rows[0].racks[0].pdus[1].id: \"H1-R01-K01-PA\" is already used at halls[0].rows[0].racks[0].pdus[0] (line 9)"}},
		{"bad address", strings.NewReplacer(`"127.0.0.1:16101"`, `"pdu-b"`).Replace,
			[]string{"site.yaml:16: halls[0].rows[0].racks[0].pdus[1].snmp.address: must be host:port, got \"pdu-b\""}},
		{"missing credentials", strings.NewReplacer(", credentials: snmp-ro}\n        cooling", "}\n        cooling").Replace,
			[]string{"site.yaml:16: halls[0].rows[0].racks[0].pdus[1].snmp.credentials: is required"}},
		{"breaker too small for 2N", strings.NewReplacer("breaker_a: 32\n                snmp: {address: \"127.0.0.1:16101\"", "breaker_a: 16\n                snmp: {address: \"127.0.0.1:16101\"").Replace,
			[]string{"site.yaml:7: halls[0].rows[0].racks[0].budget_kw: feed B can carry only 8.8 kW"}},
		{"bad yaml", insertAfter("site: test-dpc\n", "halls: [\n"),
			[]string{"site.yaml:"}},
		{"two problems", func(s string) string {
			return strings.NewReplacer("capacity_kw: 60", "capacity_kw: 0", "feed: B", "feed: C").Replace(s)
		}, []string{"site.yaml:14:", "site.yaml:19: halls[0].rows[0].cooling[0].capacity_kw: must be greater than 0"}},
		{"NaN voltage", insertAfter("                feed: A\n", "                voltage_v: .nan\n"),
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].voltage_v: must be between 100 and 480 V, got NaN"}},
		{"infinite breaker", strings.NewReplacer("breaker_a: 32\n                snmp: {address: \"127.0.0.1:16100\"", "breaker_a: .inf\n                snmp: {address: \"127.0.0.1:16100\"").Replace,
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].breaker_a: must be at most 1000, got +Inf"}},
		{"absurd budget", insertAfter("          - id: H1-R01-K01\n", "            budget_kw: 1e306\n"),
			[]string{"site.yaml:8: halls[0].rows[0].racks[0].budget_kw: must be at most 200, got 1e+306"}},
		{"explicit zero budget is not defaulted", insertAfter("          - id: H1-R01-K01\n", "            budget_kw: 0\n"),
			[]string{"site.yaml:8: halls[0].rows[0].racks[0].budget_kw: must be greater than 0, got 0"}},
		{"feed listed twice", insertAfter("          - id: H1-R01-K01\n", "            feeds: [A, A]\n"),
			[]string{"site.yaml:8: halls[0].rows[0].racks[0].feeds[1]: feed \"A\" is listed twice"}},
		{"single feed rack over its PDUs", func(s string) string {
			s = insertAfter("          - id: H1-R01-K01\n", "            feeds: [A]\n")(s)
			return strings.Replace(strings.Replace(s, "feed: B", "feed: A", 1), "breaker_a: 32", "breaker_a: 10", 2)
		}, []string{"site.yaml:7: halls[0].rows[0].racks[0].budget_kw: the rack's PDUs can carry only 11.0 kW (80 % of their breakers), less than its 15.0 kW budget"}},
		{"NaN hall budget", insertAfter("  - id: H1\n", "    budget_kw: .nan\n"),
			[]string{"site.yaml:4: halls[0].budget_kw: must be greater than 0, got NaN"}},
		{"missing breaker", strings.NewReplacer("                breaker_a: 32\n                snmp: {address: \"127.0.0.1:16101\"", "                snmp: {address: \"127.0.0.1:16101\"").Replace,
			[]string{"site.yaml:13: halls[0].rows[0].racks[0].pdus[1].breaker_a: is required"}},
	}
	base := readFile(t, "testdata/small.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.Parse("site.yaml", []byte(tt.edit(base)))
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if !errors.Is(err, inventory.ErrInvalid) {
				t.Errorf("got %T, want an error that wraps ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error\n%v\nwant it to contain\n%s", err, w)
				}
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	_, err := inventory.Parse("empty.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "empty.yaml: the file is empty") {
		t.Errorf("got %v, want an error naming the empty file", err)
	}
}

func insertAfter(anchor, text string) func(string) string {
	return func(s string) string { return strings.Replace(s, anchor, anchor+text, 1) }
}

// TestParseCapsProblems breaks every PDU of a reference site of 46 racks: the
// report stops at 50 problems, in line order, and says how many more there
// are.
func TestParseCapsProblems(t *testing.T) {
	b, err := inventory.Marshal(inventory.Reference(46))
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.NewReplacer("breaker_a: 32", "braker_a: 32", "breaker_a: 63", "braker_a: 63").Replace(string(b))
	_, err = inventory.Parse("ref.yaml", []byte(doc))
	var ve *inventory.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a *ValidationError", err)
	}
	if got := len(ve.Problems); got != 51 {
		t.Fatalf("got %d lines, want 50 problems and a note", got)
	}
	for i := 1; i < 50; i++ {
		if ve.Problems[i].Line < ve.Problems[i-1].Line {
			t.Fatalf("got problem %d at line %d after line %d, want line order", i, ve.Problems[i].Line, ve.Problems[i-1].Line)
		}
	}
	if last := ve.Problems[50].Error(); !strings.HasPrefix(last, "ref.yaml: … and ") {
		t.Errorf("got last line %q, want a count of the problems left out", last)
	}
}
