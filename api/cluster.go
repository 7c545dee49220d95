package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/dcplane/dcplane/controller/store"
)

// Headers of the cluster protocol.
const (
	// HeaderNode names the node that answered.
	HeaderNode = "X-Dcplane-Node"
	// HeaderIndex is the Raft log index of the state a read was served from.
	HeaderIndex = "X-Dcplane-Index"
	// HeaderStale is how many seconds ago the node that served a read last
	// heard from the leader: 0 on the leader and for consistent reads. A
	// write acknowledged longer ago than that is in the answer.
	HeaderStale = "X-Dcplane-Stale-Seconds"
	// HeaderForwarded is set by a node that forwards a request to the
	// leader: a request that carries it is never forwarded again, so two
	// nodes that disagree on the leader cannot bounce it between them.
	HeaderForwarded = "X-Dcplane-Forwarded-By"
	// HeaderStateHash is the hash of the state a snapshot holds.
	HeaderStateHash = "X-Dcplane-State-Hash"
)

// ProblemOutcomeUnknown: the request reached the leader, which cannot tell
// whether it took effect (it lost leadership, or the request timed out). A
// write sent again with the same Idempotency-Key learns its outcome.
const ProblemOutcomeUnknown = "urn:dcplane:problem:outcome-unknown"

// retryAfterSeconds is the Retry-After of answers that pass on their own:
// no leader known yet, still catching up.
const retryAfterSeconds = "1"

// maxSnapshotBytes bounds a snapshot sent to PUT /v1/cluster/snapshot.
const maxSnapshotBytes = 1 << 30

// Router is what the HTTP layer needs to serve from any node of a cluster.
// A Controller that implements it has its writes, telemetry and
// telemetry-based reads forwarded to the leader, and its local reads
// labelled with their staleness.
type Router interface {
	// NodeID names this node.
	NodeID() string
	// Leader says whether this node leads, and if not the leader's API URL
	// ("" while unknown).
	Leader() (self bool, apiURL string)
	// Ready is nil when this node's state may be served; else an error
	// wrapping store.ErrCatchingUp or store.ErrHalted that says why.
	Ready() error
	// Freshness is the index of the state served and when this node last
	// heard from the leader (now on the leader; zero if never).
	Freshness() (index uint64, lastContact time.Time)
	// Consistent returns once this node's state holds every write
	// committed before the call. Only the leader can.
	Consistent(ctx context.Context) error
}

// Membership is what the HTTP layer needs for the /v1/cluster endpoints.
type Membership interface {
	// ClusterStatus describes this node and the members it knows.
	ClusterStatus(ctx context.Context) (*ClusterStatus, error)
	// JoinNode adds a node as a voter; joining again is harmless.
	JoinNode(ctx context.Context, req JoinRequest) error
	// RemoveNode takes a node out of the cluster.
	RemoveNode(ctx context.Context, id string) error
	// TransferLeadership hands leadership to another voter.
	TransferLeadership(ctx context.Context) error
}

// Snapshotter saves and restores the whole replicated state.
type Snapshotter interface {
	// Backup writes the state as of every committed write and returns its
	// index and hash.
	Backup(ctx context.Context, w io.Writer) (index uint64, hash string, err error)
	// Restore replaces the state on every node with a backup's.
	Restore(ctx context.Context, r io.Reader) error
}

// routeCluster serves /v1/cluster when c implements Membership.
func (s *Server) routeCluster(c Controller) {
	m, ok := c.(Membership)
	if !ok {
		return
	}
	s.mux.HandleFunc("GET /v1/cluster", func(w http.ResponseWriter, r *http.Request) {
		st, err := m.ClusterStatus(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.json(w, http.StatusOK, st)
	})
	s.mux.HandleFunc("POST /v1/cluster/join", s.leader(func(w http.ResponseWriter, r *http.Request) {
		var req JoinRequest
		body, ok := s.body(w, r, 64<<10, MediaJSON)
		if !ok {
			return
		}
		if field, detail := decodeStrict(body, &req); field != "" {
			s.invalid(w, r, field, detail)
			return
		}
		if req.ID == "" || req.RaftAddr == "" {
			s.invalid(w, r, "id", "id and raft_addr are required")
			return
		}
		if err := m.JoinNode(r.Context(), req); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	s.mux.HandleFunc("DELETE /v1/cluster/members/{id}", s.leader(func(w http.ResponseWriter, r *http.Request) {
		if err := m.RemoveNode(r.Context(), r.PathValue("id")); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	s.mux.HandleFunc("POST /v1/cluster/transfer-leadership", s.leader(func(w http.ResponseWriter, r *http.Request) {
		if err := m.TransferLeadership(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	if sn, ok := c.(Snapshotter); ok {
		s.routeSnapshot(sn)
	}
}

func (s *Server) routeSnapshot(sn Snapshotter) {
	s.mux.HandleFunc("GET /v1/cluster/snapshot", s.leader(func(w http.ResponseWriter, r *http.Request) {
		// Written to a buffer first: a failure is then a problem, not a
		// truncated 200.
		var buf bytes.Buffer
		idx, hash, err := sn.Backup(r.Context(), &buf)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", MediaJSON)
		w.Header().Set(HeaderIndex, strconv.FormatUint(idx, 10))
		w.Header().Set(HeaderStateHash, hash)
		_, _ = w.Write(buf.Bytes())
	}))
	s.mux.HandleFunc("PUT /v1/cluster/snapshot", s.leader(func(w http.ResponseWriter, r *http.Request) {
		if err := sn.Restore(r.Context(), http.MaxBytesReader(w, r.Body, maxSnapshotBytes)); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
}

// leader wraps a handler that only the leader can serve: writes, telemetry,
// and reads that need telemetry. On a follower it forwards the request to
// the leader; on the leader it serves it once the state may be served.
func (s *Server) leader(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.router == nil {
			s.serveAudited(h, w, r)
			return
		}
		self, leaderURL := s.router.Leader()
		if !self {
			s.forward(w, r, leaderURL)
			return
		}
		if err := s.router.Ready(); err != nil {
			s.fail(w, r, err)
			return
		}
		s.fresh(w, true)
		s.serveAudited(h, w, r)
	}
}

// serveAudited serves h, through the audit trail when the call is one it
// records and the Controller keeps one.
func (s *Server) serveAudited(h http.HandlerFunc, w http.ResponseWriter, r *http.Request) {
	if s.auditor != nil && audits(r) {
		h = s.audited(h)
	}
	h(w, r)
}

// local wraps a read of the replicated state that any node may serve from
// its own: it answers once the node has caught up, labelled with its
// staleness. With ?consistent=true it is forwarded to the leader, which
// first makes sure its state holds every committed write.
func (s *Server) local(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.router == nil {
			h(w, r)
			return
		}
		consistent := r.URL.Query().Get("consistent") == "true"
		if consistent {
			if self, leaderURL := s.router.Leader(); !self {
				s.forward(w, r, leaderURL)
				return
			}
		}
		if err := s.router.Ready(); err != nil {
			s.fail(w, r, err)
			return
		}
		if consistent {
			if err := s.router.Consistent(r.Context()); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		s.fresh(w, consistent)
		h(w, r)
	}
}

// fresh labels an answer with the index and staleness of the state.
func (s *Server) fresh(w http.ResponseWriter, current bool) {
	idx, contact := s.router.Freshness()
	w.Header().Set(HeaderIndex, strconv.FormatUint(idx, 10))
	stale := "0"
	switch {
	case current:
	case contact.IsZero():
		stale = "+Inf"
	default:
		stale = strconv.FormatFloat(max(time.Since(contact).Seconds(), 0), 'f', 3, 64)
	}
	w.Header().Set(HeaderStale, stale)
}

// forward sends the request to the leader's API and relays its answer. A
// request already forwarded once, or with no leader known, is answered
// 503 not-leader, naming the leader when known, for the client to retry.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, leaderURL string) {
	target, err := url.Parse(leaderURL)
	switch {
	case leaderURL == "":
		w.Header().Set("Retry-After", retryAfterSeconds)
		s.fail(w, r, fmt.Errorf("%w, and no leader is known yet: retry shortly", ErrNotLeader))
		return
	case err != nil || r.Header.Get(HeaderForwarded) != "":
		w.Header().Set("Retry-After", retryAfterSeconds)
		s.fail(w, r, &NotLeaderError{LeaderAPI: leaderURL})
		return
	}
	w.Header().Del(HeaderNode) // the leader's answer names the leader
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Header.Set(HeaderForwarded, s.router.NodeID())
			// The leader judges the call by who made it: the bearer token
			// travels as it came; a caller known by its certificate is
			// vouched for by this node's (which the leader checks).
			setForwardedPrincipal(pr.Out.Header, r)
		},
		Transport: s.transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.Warn("forward to the leader failed", "leader", leaderURL, "path", r.URL.Path, "err", err)
			w.Header().Set("Retry-After", retryAfterSeconds)
			s.fail(w, r, &NotLeaderError{LeaderAPI: leaderURL})
		},
	}
	p.ServeHTTP(w, r)
}

// unavailable maps the errors of a node that cannot serve its state; it
// says whether err was one.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case errors.Is(err, store.ErrCatchingUp):
		w.Header().Set("Retry-After", retryAfterSeconds)
		s.problem(w, r, &Problem{Type: ProblemCatchingUp, Title: "Catching up", Status: http.StatusServiceUnavailable,
			Detail: "this controller is still replaying the replicated log and will not serve old state as current: " + err.Error()})
	case errors.Is(err, store.ErrHalted):
		s.problem(w, r, &Problem{Type: ProblemHalted, Title: "Stopped applying the log", Status: http.StatusServiceUnavailable,
			Detail: err.Error() + "; upgrade this controller and restart it, or ask another"})
	case errors.Is(err, store.ErrOutcomeUnknown):
		w.Header().Set("Retry-After", retryAfterSeconds)
		s.problem(w, r, &Problem{Type: ProblemOutcomeUnknown, Title: "Outcome unknown", Status: http.StatusServiceUnavailable,
			Detail: "the request may or may not have taken effect (" + err.Error() + "); send a write again with the same Idempotency-Key to learn which"})
	case errors.Is(err, store.ErrNotLeader):
		w.Header().Set("Retry-After", retryAfterSeconds)
		s.problem(w, r, &Problem{Type: ProblemNotLeader, Title: "Not the leader", Status: http.StatusServiceUnavailable, Detail: err.Error()})
	case errors.Is(err, store.ErrUnknownNode):
		s.problem(w, r, &Problem{Type: ProblemNotFound, Title: "No such node", Status: http.StatusNotFound, Detail: err.Error()})
	default:
		return false
	}
	return true
}

// CloseIdleConnections closes the idle connections kept to the leader.
func (s *Server) CloseIdleConnections() { s.transport.CloseIdleConnections() }
