package whatif

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dcplane/dcplane/internal/inventory"
)

// Scenario kinds.
const (
	ScenarioFeedOff    = "feed-off"    // a feed switched off
	ScenarioCoolingOff = "cooling-off" // a cooling unit failed
)

// Finding kinds: what a finding is about.
const (
	KindPDUPhase = "pdu-phase" // one phase of a surviving PDU against its derated breaker
	KindRack     = "rack"      // a rack that loses all its power
	KindRow      = "row"       // a row's IT load against its remaining cooling
)

// Bases: which load a finding is computed from.
const (
	BasisMeasured = "measured" // the latest fresh telemetry
	BasisDeclared = "declared" // the declared placed and reserved power
)

// Finding statuses, worst first.
const (
	StatusDark         = "dark"          // the rack loses all its power
	StatusExceeded     = "exceeded"      // the load would exceed the limit
	StatusUnknown      = "unknown"       // the load is not known: some telemetry is stale
	StatusNoRedundancy = "no-redundancy" // a row's load fits its cooling, but not N+1
	StatusOK           = "ok"            // within the limit
)

// statusRank orders findings worst first.
var statusRank = map[string]int{StatusDark: 0, StatusExceeded: 1, StatusUnknown: 2, StatusNoRedundancy: 3, StatusOK: 4}

// Report is the answer to one what-if: its scenario and what would happen
// to every object it touches, worst first.
type Report struct {
	Scenario Scenario  `json:"scenario"`
	Counts   Counts    `json:"counts"`
	Findings []Finding `json:"findings"`
}

// Scenario says what was supposed to fail.
type Scenario struct {
	Kind    string   `json:"kind"`           // ScenarioFeedOff or ScenarioCoolingOff
	Feed    string   `json:"feed,omitempty"` // feed-off: the feed switched off
	Hall    string   `json:"hall,omitempty"` // feed-off: the hall it was limited to; cooling-off: the unit's hall
	Unit    string   `json:"unit,omitempty"` // cooling-off: the failed unit
	Row     string   `json:"row,omitempty"`  // cooling-off: the unit's row
	Summary string   `json:"summary"`        // one line for people
	Bases   []string `json:"bases"`          // the bases evaluated: measured, declared or both
}

// Counts counts the findings of a report by status.
type Counts struct {
	Dark         int `json:"dark"`
	Exceeded     int `json:"exceeded"`
	Unknown      int `json:"unknown"`
	NoRedundancy int `json:"no_redundancy"`
	OK           int `json:"ok"`
}

// Finding is what would happen to one object, on one basis. Load, limit and
// margin are null when they do not apply (a rack that goes dark has no
// limit) or are not known (stale telemetry is never counted as 0 W).
type Finding struct {
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Exceeded bool   `json:"exceeded"`
	Basis    string `json:"basis"`
	Hall     string `json:"hall"`
	Row      string `json:"row"`
	Rack     string `json:"rack,omitempty"`
	PDU      string `json:"pdu,omitempty"`
	Phase    int    `json:"phase,omitempty"` // 1-based
	// LoadWatts is the load the object would carry (for a rack that goes
	// dark, the load it loses).
	LoadWatts *float64 `json:"load_watts"`
	// LimitWatts is what the object may carry: a phase's derated breaker,
	// a row's remaining cooling capacity.
	LimitWatts *float64 `json:"limit_watts"`
	// MarginWatts is LimitWatts − LoadWatts; negative when exceeded.
	MarginWatts *float64 `json:"margin_watts"`
	// LoadAmps, LimitAmps and MarginAmps are, for a PDU phase, its load,
	// its derated breaker and the margin in amps. Measured, the phase is
	// judged in amps (a breaker trips on current) when any current it
	// would carry is measured; declared, they are the watts over the
	// PDU's nominal voltage, and the phase is judged in watts. Null when
	// they do not apply or are not known.
	LoadAmps   *float64 `json:"load_amps,omitempty"`
	LimitAmps  *float64 `json:"limit_amps,omitempty"`
	MarginAmps *float64 `json:"margin_amps,omitempty"`
	// NPlus1LimitWatts is, for a row, its remaining cooling minus its
	// largest remaining unit: the load it may carry and stay N+1.
	NPlus1LimitWatts *float64 `json:"n_plus_1_limit_watts,omitempty"`
	// Assumptions lists the estimates the load rests on, e.g. a PDU that
	// reports only its total power, split evenly over its phases.
	Assumptions []string `json:"assumptions,omitempty"`
	Detail      string   `json:"detail"` // one line for people, with the numbers
}

// ErrNotFound is wrapped by a *NotFoundError: the scenario names a hall,
// feed or cooling unit that the inventory does not have.
var ErrNotFound = errors.New("whatif: not in the inventory")

// NotFoundError says which name the inventory lacks and which of its names
// are nearest to it (case-insensitively).
type NotFoundError struct {
	What        string   `json:"what"` // hall, feed or cooling unit
	ID          string   `json:"id"`
	Suggestions []string `json:"suggestions,omitempty"`
}

func (e *NotFoundError) Error() string {
	msg := "whatif: no " + e.What + " " + strconv.Quote(e.ID) + " in the inventory"
	if len(e.Suggestions) == 0 {
		return msg
	}
	q := make([]string, len(e.Suggestions))
	for i, s := range e.Suggestions {
		q[i] = strconv.Quote(s)
	}
	return msg + " (did you mean " + strings.Join(q, " or ") + "?)"
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// finish sorts the findings worst first and counts them.
func (r *Report) finish() *Report {
	slices.SortFunc(r.Findings, compare)
	for i := range r.Findings {
		switch r.Findings[i].Status {
		case StatusDark:
			r.Counts.Dark++
		case StatusExceeded:
			r.Counts.Exceeded++
		case StatusUnknown:
			r.Counts.Unknown++
		case StatusNoRedundancy:
			r.Counts.NoRedundancy++
		default:
			r.Counts.OK++
		}
	}
	return r
}

// compare orders findings by status (dark, exceeded, unknown, N+1 lost,
// ok), then by margin ascending, then by their IDs, so that a report is the
// same whatever order the inventory lists things in.
func compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(statusRank[a.Status], statusRank[b.Status]),
		cmp.Compare(orInf(a.MarginWatts), orInf(b.MarginWatts)),
		cmp.Compare(a.Hall, b.Hall), cmp.Compare(a.Row, b.Row), cmp.Compare(a.Rack, b.Rack),
		cmp.Compare(a.PDU, b.PDU), cmp.Compare(a.Phase, b.Phase),
		cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Basis, b.Basis),
	)
}

func orInf(p *float64) float64 {
	if p == nil {
		return math.Inf(1)
	}
	return *p
}

// judge sets a finding's load, limit, margin and status from its load (nil
// when unknown) and its limit.
func (f *Finding) judge(load *float64, limit float64) {
	f.LoadWatts, f.LimitWatts = load, &limit
	switch {
	case load == nil:
		f.Status = StatusUnknown
		return
	case *load > limit:
		f.Status = StatusExceeded
	default:
		f.Status = StatusOK
	}
	m := limit - *load
	f.MarginWatts = &m
	f.Exceeded = f.Status == StatusExceeded
}

// amps sets a finding's load, limit and margin in amps; when judge is
// true (the current is measured), its status is judged in amps too.
func (f *Finding) amps(load, limit float64, judge bool) {
	m := limit - load
	f.LoadAmps, f.LimitAmps, f.MarginAmps = &load, &limit, &m
	if !judge {
		return
	}
	f.Status = StatusOK
	if load > limit {
		f.Status = StatusExceeded
	}
	f.Exceeded = f.Status == StatusExceeded
}

// hallsOf returns the halls a scenario covers: all of them, or the one
// named.
func hallsOf(site *inventory.Site, hall string) ([]*inventory.Hall, error) {
	var out []*inventory.Hall
	var ids []string
	for i := range site.Halls {
		h := &site.Halls[i]
		ids = append(ids, h.ID)
		if hall == "" || h.ID == hall {
			out = append(out, h)
		}
	}
	if len(out) == 0 && hall != "" {
		return nil, &NotFoundError{What: "hall", ID: hall, Suggestions: nearest(hall, ids)}
	}
	return out, nil
}

// kWPair formats a load and its limit in kW with as many decimals (up to
// watts) as it takes to tell them apart.
func kWPair(load, limit float64) (string, string) { return pair(load/1000, limit/1000, 3, " kW") }

// pair formats a load and its limit with as many decimals (from 1 up to
// most) as it takes to tell them apart, then unit.
func pair(load, limit float64, most int, unit string) (string, string) {
	for d := 1; ; d++ {
		a, b := strconv.FormatFloat(load, 'f', d, 64), strconv.FormatFloat(limit, 'f', d, 64)
		if a != b || d >= most {
			return a + unit, b + unit
		}
	}
}

// kW formats watts in kW with one decimal.
func kW(w float64) string { return strconv.FormatFloat(w/1000, 'f', 1, 64) + " kW" }

// num formats a rating without trailing zeros.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// finite says whether v can be a load: a finite number, not negative.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }

func ptr(v float64) *float64 { return &v }
