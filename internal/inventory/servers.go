package inventory

import (
	"fmt"
	"slices"
	"strings"
)

// Bounds of a server's fields that no real server reaches: a value beyond
// one is a typo or a unit mistake (GiB for MiB, W for kW).
const (
	maxRackU         = 60        // the tallest racks made
	maxCPUMillicores = 1_024_000 // 1024 threads
	maxMemoryMiB     = 64 << 20  // 64 TiB
	maxGPUs          = 16
	maxServerW       = 15_000 // idle and max
	maxNameplateW    = 30_000
	maxLabelLen      = 63 // as Kubernetes bounds a label's name and value
)

// servers checks each of a rack's servers, and that no two of them take the
// same rack unit. The servers' power is not checked against the rack's
// budget: nameplate and maximum power oversubscribe a rack's budget as a
// rule, since servers seldom run flat out together; the controller keeps the
// measured draw under the budget.
func (c *checker) servers(path string, k *Rack) {
	var holder [maxRackU + 1]int // the index+1 of the server in each unit
	for i := range k.Servers {
		s, p := &k.Servers[i], fmt.Sprintf("%s.servers[%d]", path, i)
		if !c.server(p, k, s) {
			continue
		}
		for u := s.U; u < s.U+s.HeightU; u++ {
			if j := holder[u] - 1; j >= 0 {
				op := fmt.Sprintf("%s.servers[%d]", path, j)
				c.add(p+".u", "U%d is already taken by %s at %s (line %d)", u, k.Servers[j].ID, op, c.s.lineOf(op))
				break
			}
		}
		for u := s.U; u < s.U+s.HeightU; u++ {
			if holder[u] == 0 {
				holder[u] = i + 1
			}
		}
	}
}

// server checks one server, and says whether the units it takes are in the
// rack (so that they can be checked against the others').
func (c *checker) server(path string, k *Rack, s *Server) (fits bool) {
	c.id(path, s.ID)
	fits = c.rackUnits(path, s)
	c.psuFeeds(path+".psu_feeds", k, s.PSUFeeds)
	c.bmc(path+".bmc", s.BMC)
	if s.NameplateW != 0 || c.written(path+".nameplate_w") {
		c.positive(path+".nameplate_w", s.NameplateW, maxNameplateW)
	}
	if s.Model != "" && serverModels[s.Model] == nil {
		msg := fmt.Sprintf("unknown model %q", s.Model)
		if best := closest(s.Model, serverModelIDs); best != "" {
			msg += "; did you mean " + best + "?"
		} else {
			msg += "; the catalogue has " + strings.Join(serverModelIDs, ", ")
		}
		c.add(path+".model", "%s", msg)
		return fits // the rest was not filled in: it would only repeat this
	}
	c.resources(path, s)
	return fits
}

// rackUnits checks where a server sits, and says whether it is in the rack.
func (c *checker) rackUnits(path string, s *Server) bool {
	switch {
	case s.U == 0 && !c.written(path+".u"):
		c.add(path+".u", "is required (the lowest rack unit the server takes, 1 at the bottom)")
	case s.U < 1 || s.U > maxRackU:
		c.add(path+".u", "must be between 1 and %d, got %d", maxRackU, s.U)
	case s.HeightU < 1 || s.HeightU > maxRackU:
		c.add(path+".height_u", "must be between 1 and %d, got %d", maxRackU, s.HeightU)
	case s.U+s.HeightU-1 > maxRackU:
		c.add(path+".height_u", "a %dU server at U%d would reach U%d, above the top of the tallest rack (U%d)", s.HeightU, s.U, s.U+s.HeightU-1, maxRackU)
	default:
		return true
	}
	return false
}

// psuFeeds checks that a server's power supplies are plugged into one or
// two of the rack's feeds, each at most once.
func (c *checker) psuFeeds(path string, k *Rack, feeds []string) {
	switch {
	case len(feeds) == 0 && !c.written(path):
		c.add(path, "is required (the rack's feeds its power supplies are plugged into, e.g. [A, B])")
	case len(feeds) < 1 || len(feeds) > 2:
		c.add(path, "a server's power supplies are on 1 or 2 feeds, got %d", len(feeds))
	}
	for i, f := range feeds {
		switch {
		case !slices.Contains(k.Feeds, f):
			c.add(fmt.Sprintf("%s[%d]", path, i), "%q is not one of the rack's feeds %v", f, k.Feeds)
		case slices.Index(feeds, f) < i:
			c.add(fmt.Sprintf("%s[%d]", path, i), "feed %q is listed twice", f)
		}
	}
}

// resources checks what a server offers to placement and its power. A server
// that names no model must say them all; one that does has its model's.
func (c *checker) resources(path string, s *Server) {
	c.count(path+".cpu_millicores", s.Model, s.CPUMillicores, maxCPUMillicores)
	c.count(path+".memory_mib", s.Model, s.MemoryMiB, maxMemoryMiB)
	if s.GPUs < 0 || s.GPUs > maxGPUs {
		c.add(path+".gpus", "must be between 0 and %d, got %d", maxGPUs, s.GPUs)
	}
	idleOK := c.power(path+".idle_w", s.Model, s.IdleW)
	maxOK := c.power(path+".max_w", s.Model, s.MaxW)
	if idleOK && maxOK && s.IdleW > s.MaxW {
		c.add(path+".idle_w", "must be at most max_w (%v W), got %v", s.MaxW, s.IdleW)
	}
}

// count checks a resource that is a whole number in (0, max].
func (c *checker) count(path, model string, v, max int64) {
	switch {
	case v == 0 && model == "" && !c.written(path):
		c.add(path, "is required (or name a model that gives it)")
	case v < 1:
		c.add(path, "must be greater than 0, got %d", v)
	case v > max:
		c.add(path, "must be at most %d, got %d", max, v)
	}
}

// power checks a power figure in (0, maxServerW], and says whether it is.
func (c *checker) power(path, model string, w float64) bool {
	if w == 0 && model == "" && !c.written(path) {
		c.add(path, "is required (or name a model that gives it)")
		return false
	}
	n := len(c.errs)
	c.positive(path, w, maxServerW)
	return len(c.errs) == n
}

// labels checks a rack's labels: names and values present and short.
func (c *checker) labels(path string, labels map[string]string) {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, v := path+"."+k, labels[k]
		switch {
		case k == "":
			c.add(path, "a label needs a name")
		case len(k) > maxLabelLen:
			c.add(p, "a label's name must be at most %d characters, got %d", maxLabelLen, len(k))
		case v == "":
			c.add(p, "a label needs a value")
		case len(v) > maxLabelLen:
			c.add(p, "a label's value must be at most %d characters, got %d", maxLabelLen, len(v))
		}
	}
}

// written says whether a field was written in the file (never, for a site
// built in code or one already loaded: its values are all set).
func (c *checker) written(path string) bool {
	_, ok := c.s.lines[path]
	return ok
}
