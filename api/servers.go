package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/wire"
)

// Serverer is what the HTTP layer needs for the servers' own readings. A
// Controller that also implements it gets GET /v1/servers, forwarded to the
// leader: the BMCs' telemetry is the leader's.
type Serverer interface {
	// Servers returns what the BMCs say of the servers of rack (every
	// rack's when rack is ""), wrapping ErrUnknownRack for a rack the
	// inventory does not have.
	Servers(ctx context.Context, rack string) ([]crosscheck.Server, error)
}

// PowerModeler is what the HTTP layer needs to show, beside a server's
// readings, the power model placement derives a replica's watts from. A
// Serverer that also implements it adds power_model to GET /v1/servers.
type PowerModeler interface {
	// ServerPower returns the power model of a server of the inventory,
	// false for a server it does not have.
	ServerPower(id string) (state.ServerPower, bool)
}

// ServerReading is one server's input power and its PSUs' feeds, power and
// state as its BMC last said, unknown (null) where it does not; and the
// power model placement takes for it.
type ServerReading struct {
	crosscheck.Server
	PowerModel *PowerModel `json:"power_model,omitempty"`
}

// PSUReading is one power supply of a ServerReading.
type PSUReading = crosscheck.PSU

// PowerModel is placement's power model of a server beside the
// inventory's: the idle and maximum draw it derives a replica's watts
// from, which are the declared ones unless what the server's BMC measured
// (as the leader last committed it) proves them wrong: a maximum below
// the highest draw is raised to it, an idle above the lowest lowered to
// it. Unknown figures are null, never 0.
type PowerModel struct {
	DeclaredIdleWatts float64  `json:"declared_idle_watts"`
	DeclaredMaxWatts  *float64 `json:"declared_max_watts"`
	IdleWatts         float64  `json:"idle_watts"`
	// MaxWatts is null when no maximum is declared: a measured draw is
	// a floor of the maximum, not the maximum.
	MaxWatts     *float64 `json:"max_watts"`
	IdleMeasured bool     `json:"idle_measured"`
	MaxMeasured  bool     `json:"max_measured"`
	// The lowest and highest draw committed, null until one was.
	MeasuredMinWatts *float64  `json:"measured_min_watts"`
	MeasuredMaxWatts *float64  `json:"measured_max_watts"`
	MeasuredAt       time.Time `json:"measured_at,omitzero"`
}

// powerModelOf is p as the API shows it.
func powerModelOf(p state.ServerPower) *PowerModel {
	known := func(w float64) *float64 {
		if w > 0 {
			return &w
		}
		return nil
	}
	out := &PowerModel{DeclaredIdleWatts: p.Declared.IdleWatts, DeclaredMaxWatts: known(p.Declared.MaxWatts),
		IdleWatts: p.Calibrated.IdleWatts, MaxWatts: known(p.Calibrated.MaxWatts),
		IdleMeasured: p.Calibrated.IdleMeasured, MaxMeasured: p.Calibrated.MaxMeasured}
	if p.Measured.Known {
		out.MeasuredMinWatts, out.MeasuredMaxWatts = known(p.Measured.MinWatts), known(p.Measured.MaxWatts)
		out.MeasuredAt = p.MeasuredAt
	}
	return out
}

// readings are the servers of list with their power models, when pm is
// not nil.
func readings(list []crosscheck.Server, pm PowerModeler) []ServerReading {
	out := make([]ServerReading, len(list))
	for i := range list {
		out[i].Server = list[i]
		if pm == nil {
			continue
		}
		if p, ok := pm.ServerPower(list[i].ID); ok {
			out[i].PowerModel = powerModelOf(p)
		}
	}
	return out
}

// ServerList is the answer of GET /v1/servers.
type ServerList struct {
	Servers []ServerReading `json:"servers"`
}

// ErrUnknownRack is returned for a rack the inventory does not have.
var ErrUnknownRack = wire.ErrUnknownRack

func (s *Server) routeServers(sv Serverer) {
	pm, _ := sv.(PowerModeler)
	s.mux.HandleFunc("GET /v1/servers", s.leader(func(w http.ResponseWriter, r *http.Request) {
		rack := r.URL.Query().Get("rack")
		list, err := sv.Servers(r.Context(), rack)
		if errors.Is(err, ErrUnknownRack) {
			s.problem(w, r, &Problem{Type: ProblemNotFound, Title: "No such rack", Status: http.StatusNotFound,
				Detail: fmt.Sprintf("rack %q is not in the inventory", rack)})
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.json(w, http.StatusOK, ServerList{Servers: readings(list, pm)})
	}))
}

// Servers returns the servers of rack ("" for every rack) as their BMCs
// last said.
func (c *Client) Servers(ctx context.Context, rack string) ([]ServerReading, error) {
	q := url.Values{}
	if rack != "" {
		q.Set("rack", rack)
	}
	var out ServerList
	if err := c.do(ctx, http.MethodGet, "/v1/servers?"+q.Encode(), "", nil, &out); err != nil {
		return nil, err
	}
	return out.Servers, nil
}
