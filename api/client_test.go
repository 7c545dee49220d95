package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/inventory"
)

func TestNewClientURL(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"http://127.0.0.1:8080", false},
		{"https://controller.example:8443/", false},
		{"127.0.0.1:8080", true},
		{"ftp://controller.example", true},
		{"http://", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := api.NewClient(tt.url, nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("got %v, want an error: %v", err, tt.wantErr)
			}
		})
	}
}

// TestClientProblems checks what the client makes of answers that are not
// 2xx: the server's problem as sent, a bare status when the body is not a
// problem, and ErrUnreachable when nothing answers.
func TestClientProblems(t *testing.T) {
	t.Run("problem", func(t *testing.T) {
		var leader string
		fc := &fakeController{report: func() (*power.Report, error) { return nil, &api.NotLeaderError{LeaderAPI: leader} }}
		ts := httptest.NewServer(api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
		defer ts.Close()
		leader = ts.URL // names itself: nowhere else to go
		c, _ := api.NewClient(ts.URL, nil)
		_, err := c.Racks(context.Background(), api.RackFilter{})
		var p *api.Problem
		if !errors.As(err, &p) || p.Status != 503 || p.Type != api.ProblemNotLeader || p.Leader != leader {
			t.Errorf("got %#v, want the server's not-leader problem with the leader's address", err)
		}
	})
	t.Run("not a problem", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "upstream gone", http.StatusBadGateway)
		}))
		defer ts.Close()
		c, _ := api.NewClient(ts.URL, nil)
		_, err := c.Power(context.Background())
		var p *api.Problem
		if !errors.As(err, &p) || p.Status != 502 || p.Type != "about:blank" || p.Detail != "upstream gone" {
			t.Errorf("got %#v, want a 502 about:blank problem with the body as detail", err)
		}
	})
	t.Run("nothing listens", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c, _ := api.NewClient("http://"+addr, nil)
		_, err = c.Power(context.Background())
		var p *api.Problem
		if !errors.Is(err, api.ErrUnreachable) || errors.As(err, &p) {
			t.Errorf("got %v, want ErrUnreachable", err)
		}
	})
}

// TestClientFailover gives the client a list of controllers: it skips one
// that does not answer, follows a not-leader answer to the leader it names,
// and keeps using the controller that answered.
func TestClientFailover(t *testing.T) {
	leader := httptest.NewServer(api.NewServer(&fakeController{report: func() (*power.Report, error) { return sampleReport(), nil },
		ingest: func(b *api.Batch) (int, error) { return len(b.Polls), nil }},
		nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer leader.Close()
	follower := httptest.NewServer(api.NewServer(&fakeController{report: func() (*power.Report, error) {
		return nil, &api.NotLeaderError{LeaderAPI: leader.URL}
	}}, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer follower.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()

	c, err := api.NewClient(dead+","+follower.URL+","+leader.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{leader.URL, leader.URL} {
		if _, err := c.Racks(context.Background(), api.RackFilter{}); err != nil {
			t.Fatalf("Racks: got %v, want the leader's answer", err)
		}
		if c.URL() != want {
			t.Errorf("controller in use: got %s, want %s", c.URL(), want)
		}
	}
	// A POST without an idempotency key is not sent twice on a timeout,
	// but a refused connection is tried elsewhere.
	c, _ = api.NewClient(dead+","+leader.URL, nil)
	if _, err := c.Push(context.Background(), &api.Batch{Agent: "a"}); err != nil {
		t.Errorf("Push past a dead controller: got %v, want nil", err)
	}
	if c.URL() != leader.URL {
		t.Errorf("controller in use: got %s, want %s", c.URL(), leader.URL)
	}
	// A leader outside the list is followed too.
	c, _ = api.NewClient(follower.URL, nil)
	if _, err := c.Racks(context.Background(), api.RackFilter{}); err != nil {
		t.Errorf("Racks through a follower alone: got %v, want the leader it names to answer", err)
	}
	// A refused connection is tried elsewhere even for a POST that is not
	// safe to send twice (the leader fake has no placements: 404, but from
	// the leader).
	c, _ = api.NewClient(dead+","+leader.URL, nil)
	if _, err := c.Place(context.Background(), &api.PlacementRequest{Name: "x"}, api.PlaceOptions{}); errors.Is(err, api.ErrUnreachable) {
		t.Errorf("Place past a dead controller: got %v, want an answer from the next", err)
	}
	if _, err := api.NewClient("http://a:1,b:2", nil); err == nil {
		t.Errorf("NewClient with a bad URL in the list: got nil, want an error")
	}
}

// fakeRouter makes a fakeController a follower whose leader is at leader.
type fakeRouter struct {
	fakeController
	leader string
	ready  error
}

func (f *fakeRouter) NodeID() string                   { return "f1" }
func (f *fakeRouter) Leader() (bool, string)           { return false, f.leader }
func (f *fakeRouter) Ready() error                     { return f.ready }
func (f *fakeRouter) Freshness() (uint64, time.Time)   { return 7, time.Now().Add(-2 * time.Second) }
func (f *fakeRouter) Consistent(context.Context) error { return nil }
func (f *fakeRouter) Site(context.Context) (*inventory.Site, error) {
	return inventory.Reference(1), nil
}

// TestFollowerRouting checks a follower's answers without a leader behind
// it: a request already forwarded once is not forwarded again; with no
// leader known the answer says to retry; a node that cannot serve its state
// says why; local reads carry their staleness.
func TestFollowerRouting(t *testing.T) {
	f := &fakeRouter{}
	srv := api.NewServer(f, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	defer srv.CloseIdleConnections()
	f.leader = ts.URL // two nodes that name each other would bounce a request forever
	tests := []struct {
		name                string
		path                string
		forwarded           bool
		leader              string
		ready               error
		wantStatus          int
		wantType, wantRetry string
	}{
		{"forwarded once already", "/v1/racks", true, ts.URL, nil, 503, api.ProblemNotLeader, "1"},
		{"no leader known", "/v1/power", false, "", nil, 503, api.ProblemNotLeader, "1"},
		{"catching up", "/v1/inventory", false, ts.URL, fmt.Errorf("%w: applied 3 of 9", store.ErrCatchingUp), 503, api.ProblemCatchingUp, "1"},
		{"halted", "/v1/inventory", false, ts.URL, fmt.Errorf("%w: entry 9: decode type 112", store.ErrHalted), 503, api.ProblemHalted, ""},
		{"halted health", "/healthz", false, ts.URL, fmt.Errorf("%w: entry 9", store.ErrHalted), 503, api.ProblemHalted, ""},
		{"local read", "/v1/inventory", false, ts.URL, nil, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.leader, f.ready = tt.leader, tt.ready
			hits.Store(0)
			req, _ := http.NewRequest(http.MethodGet, ts.URL+tt.path, nil)
			if tt.forwarded {
				req.Header.Set(api.HeaderForwarded, "f0")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p api.Problem
			_ = json.NewDecoder(res.Body).Decode(&p)
			if res.StatusCode != tt.wantStatus || p.Type != tt.wantType || res.Header.Get("Retry-After") != tt.wantRetry {
				t.Errorf("got %d %s, Retry-After %q, want %d %s, Retry-After %q", res.StatusCode, p.Type, res.Header.Get("Retry-After"),
					tt.wantStatus, tt.wantType, tt.wantRetry)
			}
			if got := hits.Load(); got != 1 {
				t.Errorf("requests served: got %d, want 1 (no forwarding)", got)
			}
			if tt.wantStatus == 200 && (res.Header.Get(api.HeaderIndex) != "7" || !strings.HasPrefix(res.Header.Get(api.HeaderStale), "2.") ||
				res.Header.Get(api.HeaderNode) != "f1") {
				t.Errorf("local read headers: got %v, want index 7, stale 2.x s, node f1", res.Header)
			}
		})
	}
}

// TestClientWrongScheme checks that a controller URL whose scheme the
// controller does not speak is named with the one that would work, and is
// not taken for a controller that does not answer.
func TestClientWrongScheme(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"racks":[]}`) })
	plain := httptest.NewServer(h)
	defer plain.Close()
	secure := httptest.NewTLSServer(h)
	defer secure.Close()
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	go func() { // answers like an SSH server: not TLS, not HTTP
		for {
			conn, err := other.Accept()
			if err != nil {
				return
			}
			fmt.Fprint(conn, "SSH-2.0-OpenSSH_9.6\r\n")
			conn.Close()
		}
	}()
	otherHost := other.Addr().String()
	tests := []struct {
		name, url, want, answer string
	}{
		{"https to plain HTTP", strings.Replace(plain.URL, "http:", "https:", 1), plain.URL, api.AnswerPlainHTTP},
		{"http to HTTPS", strings.Replace(secure.URL, "https:", "http:", 1), secure.URL, api.AnswerHTTPSOnly},
		{"https to something else", "https://" + otherHost, "http://" + otherHost, api.AnswerNotTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := api.NewClient(tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Racks(context.Background(), api.RackFilter{})
			var se *api.SchemeError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *api.SchemeError", err)
			}
			if se.URL != tt.url || se.Want != tt.want || se.Answer != tt.answer {
				t.Errorf("got URL %s, want %s, answer %q; want URL %s, want %s, answer %q", se.URL, se.Want, se.Answer, tt.url, tt.want, tt.answer)
			}
			if errors.Is(err, api.ErrUnreachable) {
				t.Errorf("got %v, want it not to be ErrUnreachable: something answered", err)
			}
			if !strings.Contains(err.Error(), "use "+tt.want) {
				t.Errorf("got %q, want it to say: use %s", err, tt.want)
			}
		})
	}
	t.Run("right scheme", func(t *testing.T) {
		c, _ := api.NewClient(plain.URL, nil)
		if _, err := c.Racks(context.Background(), api.RackFilter{}); err != nil {
			t.Errorf("got %v, want the plain server's answer", err)
		}
	})
}
