package inventory

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/dcplane/dcplane/collectors/snmp/profiles"
)

// maxProblems bounds how many problems one validation reports, so that a
// badly broken file does not flood the terminal.
const maxProblems = 50

// checker gathers the problems of one validation.
type checker struct {
	s    *Site
	seen map[string]string // ID → path of its first use
	errs []*FieldError
}

func (c *checker) add(path, format string, args ...any) {
	c.errs = append(c.errs, &FieldError{File: c.s.file, Line: c.s.lineOf(path), Field: path, Msg: fmt.Sprintf(format, args...)})
}

// id checks that an ID is present and unique in the whole site.
func (c *checker) id(path, id string) {
	switch first, dup := c.seen[id]; {
	case id == "":
		c.add(path+".id", "is required")
	case dup:
		c.add(path+".id", "%q is already used at %s (line %d)", id, first, c.s.lineOf(first))
	default:
		c.seen[id] = path
	}
}

// Upper bounds that no real equipment reaches: a value above one is a typo
// (or a unit mistake), and would overflow the accounting.
const (
	maxRackKW    = 200
	maxHallKW    = 200_000
	maxBreakerA  = 1000
	maxCoolingKW = 5000
)

// positive checks that v is a number in (0, max], and says whether it is.
func (c *checker) positive(path string, v, max float64) bool {
	switch {
	case v > 0 && v <= max:
		return true
	case v == 0 && c.s.lines != nil && c.s.lines[path] == 0:
		c.add(path, "is required") // left out of the file, not written as 0
	case v > max:
		c.add(path, "must be at most %v, got %v", max, v)
	default: // 0, negative or NaN
		c.add(path, "must be greater than 0, got %v", v)
	}
	return false
}

// Validate checks the site against the format's rules and the domain's: IDs
// present and unique, sizes positive, PDUs on feeds their rack has, and a
// 2N rack able to run on one feed alone. It returns a *ValidationError.
func (s *Site) Validate() error {
	if p := s.problems(); len(p) > 0 {
		return &ValidationError{Problems: capped(s.file, p)}
	}
	return nil
}

// problems lists every rule the site breaks, in file order.
func (s *Site) problems() []*FieldError {
	c := &checker{s: s, seen: map[string]string{}}
	if s.Name == "" {
		c.add("site", "is required")
	}
	if len(s.Halls) == 0 {
		c.add("halls", "the site has no halls")
	}
	for hi := range s.Halls {
		h := &s.Halls[hi]
		hp := fmt.Sprintf("halls[%d]", hi)
		c.id(hp, h.ID)
		if h.BudgetKW != 0 || c.s.lines[hp+".budget_kw"] != 0 {
			c.positive(hp+".budget_kw", h.BudgetKW, maxHallKW)
		}
		for ri := range h.Rows {
			c.row(fmt.Sprintf("%s.rows[%d]", hp, ri), &h.Rows[ri])
		}
	}
	return c.errs
}

// capped keeps the first maxProblems problems and says how many it left out.
func capped(file string, errs []*FieldError) []*FieldError {
	if len(errs) <= maxProblems {
		return errs
	}
	n := len(errs) - maxProblems
	return append(errs[:maxProblems:maxProblems], &FieldError{File: file, Msg: fmt.Sprintf("… and %d more problems", n)})
}

func (c *checker) row(path string, r *Row) {
	c.id(path, r.ID)
	for i := range r.Racks {
		c.rack(fmt.Sprintf("%s.racks[%d]", path, i), &r.Racks[i])
	}
	for i := range r.Cooling {
		u := &r.Cooling[i]
		p := fmt.Sprintf("%s.cooling[%d]", path, i)
		c.id(p, u.ID)
		c.positive(p+".capacity_kw", u.CapacityKW, maxCoolingKW)
		c.endpoint(p+".snmp", u.SNMP, kindCooling)
	}
}

func (c *checker) rack(path string, k *Rack) {
	c.id(path, k.ID)
	sized := c.positive(path+".budget_kw", k.BudgetKW, maxRackKW)
	c.feeds(path+".feeds", k.Feeds)
	c.labels(path+".labels", k.Labels)
	if len(k.PDUs) == 0 {
		c.add(path+".pdus", "a rack needs at least one PDU")
	}
	for i := range k.PDUs {
		sized = c.pdu(fmt.Sprintf("%s.pdus[%d]", path, i), k, &k.PDUs[i]) && sized
	}
	c.servers(path, k)
	// A budget or a PDU out of bounds has been named: the failover sums
	// made of it would only repeat it, as a cascade of other messages.
	if sized {
		c.failover(path, k)
	}
}

// pdu checks a PDU, and says whether its phases, voltage and breaker, of
// which its capacity is made, are in bounds.
func (c *checker) pdu(path string, k *Rack, p *PDU) (sized bool) {
	c.id(path, p.ID)
	if !slices.Contains(k.Feeds, p.Feed) {
		c.add(path+".feed", "%q is not one of the rack's feeds %v", p.Feed, k.Feeds)
	}
	sized = true
	if p.Phases != 1 && p.Phases != 3 {
		c.add(path+".phases", "must be 1 or 3, got %d", p.Phases)
		sized = false
	}
	if !(p.VoltageV >= 100 && p.VoltageV <= 480) {
		c.add(path+".voltage_v", "must be between 100 and 480 V, got %v", p.VoltageV)
		sized = false
	}
	sized = c.positive(path+".breaker_a", p.BreakerA, maxBreakerA) && sized
	c.endpoint(path+".snmp", p.SNMP, kindPDU)
	return sized
}

// feeds checks that a rack's feeds are named, each once.
func (c *checker) feeds(path string, feeds []string) {
	for i, f := range feeds {
		switch {
		case f == "":
			c.add(fmt.Sprintf("%s[%d]", path, i), "a feed needs a name")
		case slices.Index(feeds, f) < i:
			c.add(fmt.Sprintf("%s[%d]", path, i), "feed %q is listed twice", f)
		}
	}
}

// failover checks that the PDUs of each of a rack's feeds can carry the
// whole rack budget alone: with two feeds that is 2N (either may fail),
// with one it is simply that the budget fits the PDUs.
func (c *checker) failover(path string, k *Rack) {
	for _, f := range k.Feeds {
		var w float64
		for i := range k.PDUs {
			if k.PDUs[i].Feed == f {
				w += k.PDUs[i].CapacityWatts()
			}
		}
		switch {
		case w >= k.BudgetWatts():
		case len(k.Feeds) == 1:
			c.add(path+".budget_kw", "the rack's PDUs can carry only %.1f kW (80 %% of their breakers), less than its %.1f kW budget", w/1000, k.BudgetKW)
		default:
			c.add(path+".budget_kw", "feed %s can carry only %.1f kW (80 %% of its breakers): the rack cannot fail over to it at its %.1f kW budget", f, w/1000, k.BudgetKW)
		}
	}
}

// endpoint checks the SNMP endpoint of a device of kind (kindPDU…): its
// profile must be one that reads such a device.
func (c *checker) endpoint(path string, e Endpoint, kind string) {
	c.address(path+".address", e.Address)
	if e.Profile == "" {
		c.add(path+".profile", "is required")
	} else if !profiles.Known(e.Profile) {
		c.add(path+".profile", "%s", unknownProfile(e.Profile))
	} else if why := profileOfOtherKind(e.Profile, kind); why != "" {
		c.add(path+".profile", "%s", why)
	}
	if e.Credentials == "" {
		c.add(path+".credentials", "is required (the name of an entry in the agent's credentials file)")
	}
}

// address checks a device's host:port.
func (c *checker) address(path, addr string) {
	host, port, err := net.SplitHostPort(addr)
	switch {
	case addr == "":
		c.add(path, "is required")
	case err != nil || host == "":
		c.add(path, "must be host:port, got %q", addr)
	default:
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			c.add(path, "port must be 1-65535, got %q", port)
		}
	}
}

// unknownProfile names a profile that no collector has, with the one meant
// when one is close (names are lower case: case is forgiven in guessing).
func unknownProfile(name string) string {
	if best := closest(strings.ToLower(strings.TrimSpace(name)), profiles.Names()); best != "" {
		return fmt.Sprintf("unknown profile %q; did you mean %s?", name, best)
	}
	return fmt.Sprintf("unknown profile %q (known: %s)", name, strings.Join(profiles.Names(), ", "))
}
