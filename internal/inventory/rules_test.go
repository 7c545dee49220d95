package inventory_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// The tests of this file build sites in code and check each rule of
// Validate on both sides of its limit: the value that just passes and the
// one that just fails. A problem is found by its field and a word of its
// message, so that other problems of the same site do not matter.

// rulesSite returns a valid site of one rack, H1-R01-K01, with PDUs PA (feed
// A) and PB (feed B).
func rulesSite(t *testing.T) *inventory.Site {
	t.Helper()
	s := inventory.Reference(1)
	if err := s.Validate(); err != nil {
		t.Fatalf("the base site does not validate: %v", err)
	}
	return s
}

func rulesRack(s *inventory.Site) *inventory.Rack { return &s.Halls[0].Rows[0].Racks[0] }

const (
	rackPath = "halls[0].rows[0].racks[0]"
	pdu0Path = rackPath + ".pdus[0]"
)

// problemsOf returns what Validate finds wrong with s.
func problemsOf(t *testing.T, s *inventory.Site) []*inventory.FieldError {
	t.Helper()
	err := s.Validate()
	if err == nil {
		return nil
	}
	var ve *inventory.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, inventory.ErrInvalid) {
		t.Fatalf("got %T %v, want a *ValidationError wrapping ErrInvalid", err, err)
	}
	return ve.Problems
}

// checkProblem checks whether s has a problem at field whose message
// contains msg.
func checkProblem(t *testing.T, s *inventory.Site, field, msg string, want bool) {
	t.Helper()
	probs := problemsOf(t, s)
	got := false
	for _, p := range probs {
		got = got || (p.Field == field && strings.Contains(p.Msg, msg))
	}
	if got != want {
		t.Errorf("got problem %q at %s: %v, want %v; all problems: %v", msg, field, got, want, probs)
	}
}

func TestPDURules(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(p *inventory.PDU)
		field string
		msg   string
		want  bool
	}{
		{"1 phase", func(p *inventory.PDU) { p.Phases = 1 }, ".phases", "must be 1 or 3", false},
		{"3 phases", func(p *inventory.PDU) { p.Phases = 3 }, ".phases", "must be 1 or 3", false},
		{"0 phases", func(p *inventory.PDU) { p.Phases = 0 }, ".phases", "must be 1 or 3, got 0", true},
		{"2 phases", func(p *inventory.PDU) { p.Phases = 2 }, ".phases", "must be 1 or 3, got 2", true},
		{"4 phases", func(p *inventory.PDU) { p.Phases = 4 }, ".phases", "must be 1 or 3, got 4", true},
		{"-3 phases", func(p *inventory.PDU) { p.Phases = -3 }, ".phases", "must be 1 or 3", true},
		{"100 V", func(p *inventory.PDU) { p.VoltageV = 100 }, ".voltage_v", "between 100 and 480", false},
		{"480 V", func(p *inventory.PDU) { p.VoltageV = 480 }, ".voltage_v", "between 100 and 480", false},
		{"99.9 V", func(p *inventory.PDU) { p.VoltageV = 99.9 }, ".voltage_v", "between 100 and 480", true},
		{"480.1 V", func(p *inventory.PDU) { p.VoltageV = 480.1 }, ".voltage_v", "between 100 and 480", true},
		{"1000 A breaker", func(p *inventory.PDU) { p.BreakerA = 1000 }, ".breaker_a", "must be", false},
		{"1000.5 A breaker", func(p *inventory.PDU) { p.BreakerA = 1000.5 }, ".breaker_a", "must be at most 1000", true},
		{"0 A breaker", func(p *inventory.PDU) { p.BreakerA = 0 }, ".breaker_a", "must be greater than 0", true},
		{"negative breaker", func(p *inventory.PDU) { p.BreakerA = -32 }, ".breaker_a", "must be greater than 0", true},
		{"feed the rack has", func(p *inventory.PDU) { p.Feed = "B" }, ".feed", "is not one of the rack's feeds", false},
		{"feed the rack lacks", func(p *inventory.PDU) { p.Feed = "C" }, ".feed", "is not one of the rack's feeds", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rulesSite(t)
			tt.edit(&rulesRack(s).PDUs[0])
			checkProblem(t, s, pdu0Path+tt.field, tt.msg, tt.want)
		})
	}
}

func TestEndpointRules(t *testing.T) {
	tests := []struct {
		address string
		msg     string // "" when valid
	}{
		{"pdu.example:1", ""},
		{"pdu.example:161", ""},
		{"pdu.example:65535", ""},
		{"127.0.0.1:16100", ""},
		{"[::1]:161", ""},
		{"pdu.example:0", "port must be 1-65535"},
		{"pdu.example:65536", "port must be 1-65535"},
		{"pdu.example:-1", "port must be 1-65535"},
		{"pdu.example:snmp", "port must be 1-65535"},
		{"pdu.example", "must be host:port"},
		{":161", "must be host:port"},
		{"", "is required"},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			s := rulesSite(t)
			rulesRack(s).PDUs[0].SNMP.Address = tt.address
			field := pdu0Path + ".snmp.address"
			if tt.msg == "" {
				for _, p := range problemsOf(t, s) {
					if p.Field == field {
						t.Errorf("got %v, want the address valid", p)
					}
				}
				return
			}
			checkProblem(t, s, field, tt.msg, true)
		})
	}
	t.Run("profile and credentials are required", func(t *testing.T) {
		s := rulesSite(t)
		rulesRack(s).PDUs[0].SNMP.Profile = ""
		s.Halls[0].Rows[0].Cooling[0].SNMP.Credentials = ""
		checkProblem(t, s, pdu0Path+".snmp.profile", "is required", true)
		checkProblem(t, s, "halls[0].rows[0].cooling[0].snmp.credentials", "is required", true)
	})
}

// TestUpperBounds checks each size's upper bound: the bound passes, a
// little more fails.
func TestUpperBounds(t *testing.T) {
	tests := []struct {
		name  string
		field string
		set   func(s *inventory.Site, v float64)
		max   float64
	}{
		{"rack budget", rackPath + ".budget_kw", func(s *inventory.Site, v float64) { rulesRack(s).BudgetKW = v }, 200},
		{"hall budget", "halls[0].budget_kw", func(s *inventory.Site, v float64) { s.Halls[0].BudgetKW = v }, 200_000},
		{"cooling capacity", "halls[0].rows[0].cooling[0].capacity_kw", func(s *inventory.Site, v float64) {
			s.Halls[0].Rows[0].Cooling[0].CapacityKW = v
		}, 5000},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			v    float64
			want bool
		}{{tt.max, false}, {tt.max * 1.001, true}} {
			t.Run(fmt.Sprintf("%s %v", tt.name, c.v), func(t *testing.T) {
				s := rulesSite(t)
				tt.set(s, c.v)
				checkProblem(t, s, tt.field, "must be at most", c.want)
			})
		}
	}
}

// pdu returns a valid PDU on feed whose capacity is phases × 250 V × amps
// × 0.8: 1 phase at 50 A carries 10 kW.
func pdu(id, feed string, phases int, amps float64) inventory.PDU {
	return inventory.PDU{ID: id, Feed: feed, Phases: phases, VoltageV: 250, BreakerA: amps,
		SNMP: inventory.Endpoint{Address: strings.ToLower(id) + ".example:161", Profile: "apc-rpdu2", Credentials: "ro"}}
}

func TestCapacityWatts(t *testing.T) {
	tests := []struct {
		p    inventory.PDU
		want float64
	}{
		{pdu("P1", "A", 1, 50), 10_000},
		{pdu("P3", "A", 3, 50), 30_000},
		{inventory.PDU{Phases: 3, VoltageV: 230, BreakerA: 32}, 3 * 230 * 32 * 0.8},
		{inventory.PDU{Phases: 1, VoltageV: 230, BreakerA: 16}, 230 * 16 * 0.8},
	}
	for _, tt := range tests {
		if got := tt.p.CapacityWatts(); got != tt.want {
			t.Errorf("%d × %v V × %v A: got %v W, want %v", tt.p.Phases, tt.p.VoltageV, tt.p.BreakerA, got, tt.want)
		}
	}
}

// TestFailover checks that each feed's PDUs alone carry the rack's budget,
// at the limit and just over it, with one feed or two.
func TestFailover(t *testing.T) {
	tests := []struct {
		name     string
		feeds    []string
		pdus     []inventory.PDU
		budgetKW float64
		msg      string // "" when the rack can fail over
	}{
		{"2N at the limit", []string{"A", "B"}, []inventory.PDU{pdu("PA", "A", 1, 50), pdu("PB", "B", 1, 50)}, 10, ""},
		{"2N just over", []string{"A", "B"}, []inventory.PDU{pdu("PA", "A", 1, 50), pdu("PB", "B", 1, 50)}, 10.01, "feed A can carry only 10.0 kW"},
		{"one feed short", []string{"A", "B"}, []inventory.PDU{pdu("PA", "A", 3, 50), pdu("PB", "B", 1, 50)}, 20, "feed B can carry only 10.0 kW"},
		{"two PDUs on a feed add up", []string{"A", "B"}, []inventory.PDU{pdu("PA1", "A", 1, 25), pdu("PA2", "A", 1, 25), pdu("PB", "B", 1, 50)}, 10, ""},
		{"the other feed's PDUs do not count", []string{"A", "B"}, []inventory.PDU{pdu("PA", "A", 1, 50), pdu("PB1", "B", 1, 25), pdu("PB2", "B", 1, 20)}, 10, "feed B can carry only 9.0 kW"},
		{"three phases carry three times one", []string{"A", "B"}, []inventory.PDU{pdu("PA", "A", 3, 50), pdu("PB", "B", 3, 50)}, 30, ""},
		{"a feed without PDUs", []string{"A", "B"}, []inventory.PDU{pdu("PA", "A", 3, 50)}, 10, "feed B can carry only 0.0 kW"},
		{"one feed at the limit", []string{"A"}, []inventory.PDU{pdu("PA", "A", 1, 50)}, 10, ""},
		{"one feed over", []string{"A"}, []inventory.PDU{pdu("PA", "A", 1, 50)}, 10.5, "the rack's PDUs can carry only 10.0 kW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rulesSite(t)
			k := rulesRack(s)
			k.Feeds, k.PDUs, k.BudgetKW = tt.feeds, tt.pdus, tt.budgetKW
			field := rackPath + ".budget_kw"
			if tt.msg == "" {
				for _, p := range problemsOf(t, s) {
					if p.Field == field {
						t.Errorf("got %v, want the rack able to fail over", p)
					}
				}
				return
			}
			checkProblem(t, s, field, tt.msg, true)
		})
	}
}

func TestRackAndIDRules(t *testing.T) {
	t.Run("a rack needs a PDU", func(t *testing.T) {
		s := rulesSite(t)
		rulesRack(s).PDUs = nil
		checkProblem(t, s, rackPath+".pdus", "at least one PDU", true)
	})
	t.Run("IDs are unique across the whole site", func(t *testing.T) {
		s := rulesSite(t)
		rulesRack(s).PDUs[1].ID = s.Halls[0].ID
		checkProblem(t, s, rackPath+".pdus[1].id", `"H1" is already used at halls[0]`, true)
	})
	t.Run("an ID is required", func(t *testing.T) {
		s := rulesSite(t)
		s.Halls[0].Rows[0].ID = ""
		checkProblem(t, s, "halls[0].rows[0].id", "is required", true)
	})
	t.Run("a hall budget is optional", func(t *testing.T) {
		s := rulesSite(t)
		s.Halls[0].BudgetKW = 0
		checkProblem(t, s, "halls[0].budget_kw", "", false)
	})
	t.Run("a negative hall budget is not", func(t *testing.T) {
		s := rulesSite(t)
		s.Halls[0].BudgetKW = -5
		checkProblem(t, s, "halls[0].budget_kw", "must be greater than 0", true)
	})
}
