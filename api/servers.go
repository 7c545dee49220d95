package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/dcplane/dcplane/controller/crosscheck"
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

// Server readings: one server's input power and its PSUs' feeds, power and
// state as its BMC last said, unknown (null) where it does not.
type (
	ServerReading = crosscheck.Server
	PSUReading    = crosscheck.PSU
)

// ServerList is the answer of GET /v1/servers.
type ServerList struct {
	Servers []ServerReading `json:"servers"`
}

// ErrUnknownRack is returned for a rack the inventory does not have.
var ErrUnknownRack = wire.ErrUnknownRack

func (s *Server) routeServers(sv Serverer) {
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
		s.json(w, http.StatusOK, ServerList{Servers: nonNil(list)})
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
