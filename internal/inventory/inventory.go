package inventory

import (
	"fmt"
	"iter"
)

// Defaults applied to fields left out of an inventory file.
const (
	DefaultRackBudgetKW = 15
	DefaultPDUPhases    = 3
	DefaultPDUVoltageV  = 230
	// DerateFactor is the share of a breaker's rating a continuous load may
	// use (80 %).
	DerateFactor = 0.8
)

// Site is a whole data centre: the root of an inventory file.
type Site struct {
	Name  string `yaml:"site" json:"site"`
	Halls []Hall `yaml:"halls" json:"halls"`

	file  string         // where it was loaded from, for error messages
	lines map[string]int // field path → line, while Parse reports problems
}

// Hall is a machine room with rows of racks.
type Hall struct {
	ID string `yaml:"id" json:"id"`
	// BudgetKW is the hall's supply limit, which its racks' budgets may
	// oversubscribe; left out, it is the sum of its racks' budgets.
	BudgetKW float64 `yaml:"budget_kw,omitempty" json:"budget_kw,omitempty"`
	Rows     []Row   `yaml:"rows" json:"rows"`
}

// Row is a row of racks with the in-row cooling units that serve it.
type Row struct {
	ID      string        `yaml:"id" json:"id"`
	Racks   []Rack        `yaml:"racks" json:"racks"`
	Cooling []CoolingUnit `yaml:"cooling,omitempty" json:"cooling,omitempty"`
}

// Rack is one rack: a power budget, the feeds it is fed from, its PDUs and
// servers.
type Rack struct {
	ID       string   `yaml:"id" json:"id"`
	BudgetKW float64  `yaml:"budget_kw,omitempty" json:"budget_kw,omitempty"`
	Feeds    []string `yaml:"feeds,omitempty,flow" json:"feeds,omitempty"`
	// Labels say what the rack is for, for placement to match, e.g. tier: gpu.
	Labels  map[string]string `yaml:"labels,omitempty,flow" json:"labels,omitempty"`
	PDUs    []PDU             `yaml:"pdus" json:"pdus"`
	Servers []Server          `yaml:"servers,omitempty" json:"servers,omitempty"`
}

// PDU is a rack power distribution unit on one feed.
type PDU struct {
	ID       string   `yaml:"id" json:"id"`
	Feed     string   `yaml:"feed" json:"feed"`
	Phases   int      `yaml:"phases,omitempty" json:"phases,omitempty"`
	VoltageV float64  `yaml:"voltage_v,omitempty" json:"voltage_v,omitempty"` // line to neutral
	BreakerA float64  `yaml:"breaker_a" json:"breaker_a"`
	SNMP     Endpoint `yaml:"snmp,flow" json:"snmp"`
}

// CoolingUnit is an in-row cooling unit.
type CoolingUnit struct {
	ID         string   `yaml:"id" json:"id"`
	CapacityKW float64  `yaml:"capacity_kw" json:"capacity_kw"`
	SNMP       Endpoint `yaml:"snmp,flow" json:"snmp"`
}

// Server is a server in a rack: where it sits (its lowest rack unit U and
// its height), the feed each of its power supplies is plugged into, the
// resources placement may give out and its power at idle and at full load.
type Server struct {
	ID         string   `yaml:"id" json:"id"`
	U          int      `yaml:"u" json:"u"`
	HeightU    int      `yaml:"height_u,omitempty" json:"height_u,omitempty"`
	PSUFeeds   []string `yaml:"psu_feeds,omitempty" json:"psu_feeds,omitempty"`
	NameplateW float64  `yaml:"nameplate_w,omitempty" json:"nameplate_w,omitempty"`
	// Model names an entry of the server model catalogue; the fields below that are left out take its values.
	// (So do height_u and nameplate_w; without a model, height_u is 1.)
	Model         string  `yaml:"model,omitempty" json:"model,omitempty"`
	CPUMillicores int64   `yaml:"cpu_millicores,omitempty" json:"cpu_millicores,omitempty"`
	MemoryMiB     int64   `yaml:"memory_mib,omitempty" json:"memory_mib,omitempty"`
	GPUs          int     `yaml:"gpus,omitempty" json:"gpus,omitempty"`
	IdleW         float64 `yaml:"idle_w,omitempty" json:"idle_w,omitempty"`
	MaxW          float64 `yaml:"max_w,omitempty" json:"max_w,omitempty"`
	// BMC is where the agent reads the server's power and sensors over
	// IPMI; nil when it does not.
	BMC *BMC `yaml:"bmc,omitempty,flow" json:"bmc,omitempty"`
}

// Endpoint says how to reach a device over SNMP. Credentials names an entry of
// the agent's credentials file: secrets never stand in an inventory.
type Endpoint struct {
	Address     string `yaml:"address" json:"address"` // host:port
	Profile     string `yaml:"profile" json:"profile"` // collector profile, e.g. apc-rpdu2
	Credentials string `yaml:"credentials" json:"credentials"`
}

// BudgetWatts is the rack's power budget in watts.
func (r *Rack) BudgetWatts() float64 { return r.BudgetKW * 1000 }

// CapacityWatts is the power the PDU may carry continuously: all phases at
// the breaker's derated rating.
func (p *PDU) CapacityWatts() float64 {
	return float64(p.Phases) * p.VoltageV * p.BreakerA * DerateFactor
}

// CapacityWatts is the unit's rated cooling capacity in watts.
func (c *CoolingUnit) CapacityWatts() float64 { return c.CapacityKW * 1000 }

// File is the path the site was loaded from, or "" when it was built in code.
func (s *Site) File() string { return s.file }

// Racks calls fn for every rack with its hall and row, in file order, until fn
// returns false.
func (s *Site) Racks(fn func(h *Hall, r *Row, k *Rack) bool) {
	for hi := range s.Halls {
		h := &s.Halls[hi]
		for ri := range h.Rows {
			r := &h.Rows[ri]
			for ki := range r.Racks {
				if !fn(h, r, &r.Racks[ki]) {
					return
				}
			}
		}
	}
}

// Devices yields every polled device of the site, PDUs then cooling units
// row by row in file order, with its ID and a pointer to its endpoint (to
// read, or to point elsewhere, as the simulator does).
func (s *Site) Devices() iter.Seq2[string, *Endpoint] {
	return func(yield func(string, *Endpoint) bool) {
		for hi := range s.Halls {
			for ri := range s.Halls[hi].Rows {
				for id, ep := range s.Halls[hi].Rows[ri].Devices() {
					if !yield(id, ep) {
						return
					}
				}
			}
		}
	}
}

// Devices yields the row's PDUs, rack by rack, then its cooling units.
func (r *Row) Devices() iter.Seq2[string, *Endpoint] {
	return func(yield func(string, *Endpoint) bool) {
		for ki := range r.Racks {
			for pi := range r.Racks[ki].PDUs {
				p := &r.Racks[ki].PDUs[pi]
				if !yield(p.ID, &p.SNMP) {
					return
				}
			}
		}
		for ci := range r.Cooling {
			if !yield(r.Cooling[ci].ID, &r.Cooling[ci].SNMP) {
				return
			}
		}
	}
}

// Counts sums up a site: how many halls, rows, racks, PDUs and cooling units
// it has and its total rack budget in watts.
type Counts struct {
	Halls, Rows, Racks, PDUs, CoolingUnits, Servers int
	BudgetWatts                                     float64
}

// Count sums up the site.
func (s *Site) Count() Counts {
	c := Counts{Halls: len(s.Halls)}
	for _, h := range s.Halls {
		c.Rows += len(h.Rows)
		for _, r := range h.Rows {
			c.CoolingUnits += len(r.Cooling)
		}
	}
	s.Racks(func(_ *Hall, _ *Row, k *Rack) bool {
		c.Racks++
		c.PDUs += len(k.PDUs)
		c.Servers += len(k.Servers)
		c.BudgetWatts += k.BudgetWatts()
		return true
	})
	return c
}

// applyDefaults fills in the fields left out. A field written in the file
// keeps its value, even 0, so that validation can refuse it.
func (s *Site) applyDefaults() {
	for hi := range s.Halls {
		for ri := range s.Halls[hi].Rows {
			for ki := range s.Halls[hi].Rows[ri].Racks {
				s.rackDefaults(fmt.Sprintf("halls[%d].rows[%d].racks[%d]", hi, ri, ki), &s.Halls[hi].Rows[ri].Racks[ki])
			}
		}
	}
}

func (s *Site) rackDefaults(path string, k *Rack) {
	if k.BudgetKW == 0 && s.leftOut(path+".budget_kw") {
		k.BudgetKW = DefaultRackBudgetKW
	}
	if len(k.Feeds) == 0 && s.leftOut(path+".feeds") {
		k.Feeds = []string{"A", "B"}
	}
	for i := range k.PDUs {
		p, pp := &k.PDUs[i], fmt.Sprintf("%s.pdus[%d]", path, i)
		if p.Phases == 0 && s.leftOut(pp+".phases") {
			p.Phases = DefaultPDUPhases
		}
		if p.VoltageV == 0 && s.leftOut(pp+".voltage_v") {
			p.VoltageV = DefaultPDUVoltageV
		}
	}
	for i := range k.Servers {
		s.serverDefaults(fmt.Sprintf("%s.servers[%d]", path, i), &k.Servers[i])
	}
}

// serverDefaults gives a server the values of its model for the fields left
// out. An unknown model gives nothing: validation refuses it.
func (s *Site) serverDefaults(path string, v *Server) {
	m, ok := serverModels[v.Model]
	if !ok {
		m = &ServerModel{HeightU: 1}
	}
	defaultTo(s, path+".height_u", &v.HeightU, m.HeightU)
	defaultTo(s, path+".nameplate_w", &v.NameplateW, m.NameplateW)
	defaultTo(s, path+".cpu_millicores", &v.CPUMillicores, m.CPUMillicores)
	defaultTo(s, path+".memory_mib", &v.MemoryMiB, m.MemoryMiB)
	defaultTo(s, path+".gpus", &v.GPUs, m.GPUs)
	defaultTo(s, path+".idle_w", &v.IdleW, m.IdleW)
	defaultTo(s, path+".max_w", &v.MaxW, m.MaxW)
}

// defaultTo sets a field that is zero and left out of the file to v.
func defaultTo[T comparable](s *Site, path string, field *T, v T) {
	var zero T
	if *field == zero && s.leftOut(path) {
		*field = v
	}
}

// leftOut says whether a field was left out of the file (always, for a site
// built in code or one already loaded).
func (s *Site) leftOut(path string) bool {
	_, ok := s.lines[path]
	return !ok
}
