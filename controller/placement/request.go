package placement

import (
	"fmt"
	"math"
)

// Domain is what a request's replicas are spread over.
type Domain string

// Spread domains.
const (
	DomainServer Domain = "server"
	DomainRack   Domain = "rack"
	DomainRow    Domain = "row"
	DomainFeed   Domain = "feed" // a server's first PSU's feed
	DomainHall   Domain = "hall"
)

// Placement strategies.
const (
	StrategyBinpack = "binpack" // fill racks up, keep whole racks free (the default)
	StrategySpread  = "spread"  // prefer the racks with the most headroom
)

// Bounds on a request, so that a hostile one cannot cost unbounded work.
const (
	// MaxReplicas bounds Request.Replicas.
	MaxReplicas = 10000
	// MaxLabels bounds how many rack labels a request may require.
	MaxLabels = 32
	// MaxNameLen bounds the length of names, pins, label keys and values.
	MaxNameLen = 253
)

// Request is a workload to place: how many replicas, what each needs, and
// where they may go.
type Request struct {
	Name          string `json:"name"`
	System        string `json:"system,omitempty"` // the owning information system
	Replicas      int    `json:"replicas"`
	CPUMillicores int64  `json:"cpu_millicores,omitempty"`
	MemoryMiB     int64  `json:"memory_mib,omitempty"`
	GPUs          int    `json:"gpus,omitempty"`
	// Watts is the declared power of one replica. When 0, each server's
	// is derived from its power model at Utilisation:
	// Idle + Utilisation × (Max − Idle).
	Watts       float64 `json:"watts,omitempty"`
	Utilisation float64 `json:"utilisation,omitempty"` // 0..1
	Spread      Domain  `json:"spread,omitempty"`      // "" = server
	Strategy    string  `json:"strategy,omitempty"`    // "" = binpack, or spread
	BothFeeds   bool    `json:"both_feeds,omitempty"`  // PSUs on both feeds of a 2N rack
	// Profile is the replica's daily load shape: nil, or 24 hourly factors
	// in [0, 1] whose peak hour is above 0 (1 when normalised).
	Profile []float64         `json:"profile,omitempty"`
	Hall    string            `json:"hall,omitempty"`   // pin: only this hall
	Row     string            `json:"row,omitempty"`    // pin: only this row
	Labels  map[string]string `json:"labels,omitempty"` // required rack labels
	// Priority is the caller's, to order a batch of requests; the engine
	// neither preempts nor favours by it.
	Priority int `json:"priority,omitempty"`
}

// FieldError says which field of a Request is malformed, by its JSON name.
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "field: message".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks that r is a request the engine can work on; it returns a
// *FieldError naming the first malformed field.
func (r Request) Validate() error {
	for _, check := range []func() error{r.validateSizes, r.validatePower, r.validateShape, r.validateWhere} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Request) validateSizes() error {
	switch {
	case r.Name == "":
		return fieldErr("name", "required")
	case len(r.Name) > MaxNameLen:
		return fieldErr("name", "longer than %d bytes", MaxNameLen)
	case r.Replicas <= 0:
		return fieldErr("replicas", "must be at least 1, got %d", r.Replicas)
	case r.Replicas > MaxReplicas:
		return fieldErr("replicas", "at most %d, got %d", MaxReplicas, r.Replicas)
	case r.CPUMillicores < 0:
		return fieldErr("cpu_millicores", "must not be negative, got %d", r.CPUMillicores)
	case r.MemoryMiB < 0:
		return fieldErr("memory_mib", "must not be negative, got %d", r.MemoryMiB)
	case r.GPUs < 0:
		return fieldErr("gpus", "must not be negative, got %d", r.GPUs)
	}
	return nil
}

func (r *Request) validatePower() error {
	switch {
	case math.IsNaN(r.Watts) || math.IsInf(r.Watts, 0):
		return fieldErr("watts", "must be a finite number of watts")
	case r.Watts < 0:
		return fieldErr("watts", "must not be negative, got %v", r.Watts)
	case math.IsNaN(r.Utilisation) || r.Utilisation < 0 || r.Utilisation > 1:
		return fieldErr("utilisation", "must be between 0 and 1, got %v", r.Utilisation)
	case r.Watts == 0 && r.Utilisation == 0:
		// Zero watts would place power for free.
		return fieldErr("watts", "required (> 0) unless utilisation is given")
	}
	return nil
}

func (r *Request) validateShape() error {
	switch r.Spread {
	case "", DomainServer, DomainRack, DomainRow, DomainFeed, DomainHall:
	default:
		return fieldErr("spread", "unknown domain %q (server, rack, row, feed or hall)", r.Spread)
	}
	switch r.Strategy {
	case "", StrategyBinpack, StrategySpread:
	default:
		return fieldErr("strategy", "unknown strategy %q (binpack or spread)", r.Strategy)
	}
	if r.Profile == nil {
		return nil
	}
	if len(r.Profile) != 24 {
		return fieldErr("profile", "want 24 hourly factors, got %d", len(r.Profile))
	}
	var peak float64
	for h, f := range r.Profile {
		if !(f >= 0 && f <= 1) {
			return fieldErr("profile", "hour %d: factor %v is not in [0, 1]", h, f)
		}
		peak = max(peak, f)
	}
	if peak == 0 {
		return fieldErr("profile", "every factor is 0: the peak hour must be above 0")
	}
	return nil
}

func (r *Request) validateWhere() error {
	switch {
	case len(r.Hall) > MaxNameLen:
		return fieldErr("hall", "longer than %d bytes", MaxNameLen)
	case len(r.Row) > MaxNameLen:
		return fieldErr("row", "longer than %d bytes", MaxNameLen)
	case len(r.Labels) > MaxLabels:
		return fieldErr("labels", "at most %d, got %d", MaxLabels, len(r.Labels))
	}
	for k, v := range r.Labels {
		if k == "" || len(k) > MaxNameLen || len(v) > MaxNameLen {
			return fieldErr("labels", "key %.40q: keys must be 1 to %d bytes, values at most %d", k, MaxNameLen, MaxNameLen)
		}
	}
	return nil
}

// spread is the request's spread domain, server by default.
func (r *Request) spread() Domain {
	if r.Spread == "" {
		return DomainServer
	}
	return r.Spread
}

// factors is the request's hourly profile, flat 1 when it has none.
func (r *Request) factors() [24]float64 {
	var f [24]float64
	for h := range f {
		f[h] = 1
		if len(r.Profile) == 24 {
			f[h] = r.Profile[h]
		}
	}
	return f
}

// wattsOn is the power of one replica on server s: the declared watts, or
// the server's idle draw plus Utilisation of its dynamic range. It is 0
// (unknown) for a derived request on a server with no maximum draw.
func (r *Request) wattsOn(s *Server) float64 {
	if r.Watts > 0 {
		return r.Watts
	}
	if !(s.MaxWatts > 0) || math.IsInf(s.MaxWatts, 0) {
		return 0
	}
	idle := min(max(s.IdleWatts, 0), s.MaxWatts)
	return idle + r.Utilisation*(s.MaxWatts-idle)
}
