package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/inventory"
)

// fakeController is a Controller whose answers a test sets.
type fakeController struct {
	report  func() (*power.Report, error)
	putSite func(*inventory.Site) (uint64, error)
	ingest  func(*api.Batch) (int, error)
}

func (f *fakeController) Report(context.Context) (*power.Report, error) { return f.report() }
func (f *fakeController) Site(context.Context) (*inventory.Site, error) {
	return nil, api.ErrNoInventory
}
func (f *fakeController) PutSite(_ context.Context, s *inventory.Site) (uint64, error) {
	return f.putSite(s)
}
func (f *fakeController) Ingest(_ context.Context, b *api.Batch) (int, error) { return f.ingest(b) }

var at = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func sampleReport() *power.Report {
	draw, head, used := 7500.0, 7500.0, 0.5
	return &power.Report{At: at,
		Site: power.Rollup{ID: "s", Racks: 2, StaleRacks: 1, BudgetWatts: 30000, DrawWatts: 7500},
		Racks: []power.Rack{
			{ID: "K1", Hall: "H1", Row: "R1", BudgetWatts: 15000, DrawWatts: &draw, HeadroomWatts: &head, UsedRatio: &used, Status: "ok",
				PDUs: []power.PDU{{ID: "K1-PA", Feed: "A", PowerWatts: &draw, CapacityWatts: 17664}}},
			{ID: "K2", Hall: "H1", Row: "R2", BudgetWatts: 15000, Status: "stale",
				PDUs: []power.PDU{{ID: "K2-PA", Feed: "A", CapacityWatts: 17664, Stale: true, StaleReason: "poll-failed: timeout"}}},
		}}
}

// specRouter loads openapi.yaml so that every answer is checked against it.
func specRouter(t *testing.T) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type call struct {
	method, path, ctype string
	encoding            string // Content-Encoding, if any
	body                []byte
}

// do sends a request to the server and checks the answer against the spec.
func do(t *testing.T, router routers.Router, h http.Handler, c call) (int, []byte, string) {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, bytes.NewReader(c.body))
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	if c.encoding != "" {
		req.Header.Set("Content-Encoding", c.encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	route, params, err := router.FindRoute(req)
	if err != nil {
		return res.StatusCode, body, res.Header.Get("Content-Type")
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{ExcludeRequestBody: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: answer does not match openapi.yaml: %v\n%s", c.method, c.path, err, body)
	}
	return res.StatusCode, body, res.Header.Get("Content-Type")
}

func TestServer(t *testing.T) {
	router := specRouter(t)
	small, err := os.ReadFile("../internal/inventory/testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeController{
		report:  func() (*power.Report, error) { return sampleReport(), nil },
		putSite: func(s *inventory.Site) (uint64, error) { return 7, nil },
		ingest:  func(b *api.Batch) (int, error) { return len(b.Polls), nil },
	}
	srv := api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	tests := []struct {
		name       string
		call       call
		wantStatus int
		wantIn     []string // substrings of the body
	}{
		{"racks", call{method: "GET", path: "/v1/racks"}, 200, []string{`"id":"K1"`, `"draw_watts":null`, `"status":"stale"`}},
		{"racks by row", call{method: "GET", path: "/v1/racks?row=R2"}, 200, []string{`"id":"K2"`}},
		{"rack", call{method: "GET", path: "/v1/racks/K1"}, 200, []string{`"headroom_watts":7500`}},
		{"no such rack", call{method: "GET", path: "/v1/racks/K9"}, 404, []string{`"type":"urn:dcplane:problem:not-found"`, `K9`}},
		{"power", call{method: "GET", path: "/v1/power"}, 200, []string{`"stale_racks":1`, `"headroom_watts":null`}},
		{"put inventory", call{method: "PUT", path: "/v1/inventory", ctype: "application/yaml", body: small}, 200, []string{`"racks":1`, `"index":7`}},
		{"invalid inventory names field and line", call{method: "PUT", path: "/v1/inventory", ctype: "application/yaml",
			body: bytes.Replace(small, []byte("capacity_kw: 60"), []byte("capacity_kw: -1"), 1)},
			422, []string{`"field":"halls[0].rows[0].cooling[0].capacity_kw"`, `"line":19`}},
		{"inventory of the wrong type", call{method: "PUT", path: "/v1/inventory", ctype: "text/plain", body: small}, 415, []string{`"field":"Content-Type"`}},
		{"telemetry garbage", call{method: "POST", path: "/v1/telemetry", ctype: api.MediaCBOR, body: []byte("not cbor")}, 400, []string{`"field":"body"`}},
		{"unknown endpoint", call{method: "GET", path: "/v2/nothing"}, 404, []string{`not part of the API`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, ctype := do(t, router, srv, tt.call)
			if status != tt.wantStatus {
				t.Fatalf("got %d, want %d: %s", status, tt.wantStatus, body)
			}
			if status >= 400 && ctype != api.MediaProblem {
				t.Errorf("got Content-Type %q, want %q", ctype, api.MediaProblem)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(string(body), w) {
					t.Errorf("got %s, want it to contain %s", body, w)
				}
			}
		})
	}
}

// TestErrorsMapToProblems gives every endpoint each error a controller
// returns. The not-leader cases are what a follower answers: the node
// wraps ErrNotLeader in prose (it knows the leader's Raft address, not
// its API), and a NotLeaderError carries the leader's API address.
func TestErrorsMapToProblems(t *testing.T) {
	router := specRouter(t)
	small, err := os.ReadFile("../internal/inventory/testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := api.EncodeBatch(&api.Batch{Agent: "a1", Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	calls := []call{
		{method: "GET", path: "/v1/racks"},
		{method: "GET", path: "/v1/racks/K1"},
		{method: "GET", path: "/v1/power"},
		{method: "PUT", path: "/v1/inventory", ctype: api.MediaYAML, body: small},
		{method: "POST", path: "/v1/telemetry", ctype: api.MediaCBOR, encoding: "gzip", body: batch},
	}
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantIn     []string
		wantNotIn  []string
	}{
		{"no inventory", api.ErrNoInventory, 409, []string{`"type":"urn:dcplane:problem:no-inventory"`}, nil},
		{"not found", fmt.Errorf("rack K7: %w", api.ErrNotFound), 404, []string{`"type":"urn:dcplane:problem:not-found"`, "rack K7"}, nil},
		{"not leader, leader's API known", &api.NotLeaderError{LeaderAPI: "http://10.0.0.2:8080"}, 503,
			[]string{`"type":"urn:dcplane:problem:not-leader"`, `"leader":"http://10.0.0.2:8080"`}, nil},
		{"not leader, as a follower node says it", fmt.Errorf("%w: the leader is node c2 (Raft address 10.0.0.2:8300)", api.ErrNotLeader), 503,
			[]string{`"type":"urn:dcplane:problem:not-leader"`, `"detail":"this controller is not the leader: the leader is node c2 (Raft address 10.0.0.2:8300)"`},
			[]string{`"leader":`}},
		{"not leader, no leader yet", fmt.Errorf("%w, and no leader is known yet: retry shortly", api.ErrNotLeader), 503,
			[]string{`"type":"urn:dcplane:problem:not-leader"`, "retry shortly"}, nil},
		{"other", errors.New("disk on fire"), 500, []string{"see its log"}, []string{"disk on fire"}},
	}
	for _, tt := range tests {
		fc := &fakeController{
			report:  func() (*power.Report, error) { return nil, tt.err },
			putSite: func(*inventory.Site) (uint64, error) { return 0, tt.err },
			ingest:  func(*api.Batch) (int, error) { return 0, tt.err },
		}
		srv := api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
		for _, c := range calls {
			t.Run(tt.name+"/"+c.method+" "+c.path, func(t *testing.T) {
				status, body, ctype := do(t, router, srv, c)
				if status != tt.wantStatus || ctype != api.MediaProblem {
					t.Errorf("got %d %s %s, want %d %s", status, ctype, body, tt.wantStatus, api.MediaProblem)
				}
				for _, w := range tt.wantIn {
					if !strings.Contains(string(body), w) {
						t.Errorf("got %s, want it to contain %s", body, w)
					}
				}
				for _, w := range tt.wantNotIn {
					if strings.Contains(string(body), w) {
						t.Errorf("got %s, want it without %s", body, w)
					}
				}
			})
		}
	}
}

// TestRackFilters checks that a filter leaves out the racks it does not
// match, not only that it keeps those it does.
func TestRackFilters(t *testing.T) {
	fc := &fakeController{report: func() (*power.Report, error) { return sampleReport(), nil }}
	srv := api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	router := specRouter(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"K1", "K2"}},
		{"?hall=H1", []string{"K1", "K2"}},
		{"?hall=H2", []string{}},
		{"?row=R2", []string{"K2"}},
		{"?status=ok", []string{"K1"}},
		{"?status=stale&row=R1", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			status, body, _ := do(t, router, srv, call{method: "GET", path: "/v1/racks" + tt.query})
			var list api.RackList
			if err := json.Unmarshal(body, &list); status != 200 || err != nil {
				t.Fatalf("got %d %s (%v), want 200 and a rack list", status, body, err)
			}
			got := []string{}
			for _, k := range list.Racks {
				got = append(got, k.ID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got racks %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTelemetryNeedsAgent refuses a batch that does not say which agent
// sent it.
func TestTelemetryNeedsAgent(t *testing.T) {
	called := false
	fc := &fakeController{ingest: func(*api.Batch) (int, error) { called = true; return 0, nil }}
	body, err := api.EncodeBatch(&api.Batch{Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	status, got, _ := do(t, specRouter(t), api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()),
		call{method: "POST", path: "/v1/telemetry", ctype: api.MediaCBOR, encoding: "gzip", body: body})
	if status != 400 || !strings.Contains(string(got), `"field":"agent"`) || called {
		t.Errorf("got %d %s (ingested %v), want 400 naming the agent field, nothing ingested", status, got, called)
	}
}

// TestClientRoundTrip runs the real client against the server on a socket:
// a batch pushed as CBOR arrives intact, and problems come back as *Problem.
func TestClientRoundTrip(t *testing.T) {
	var got *api.Batch
	fc := &fakeController{
		report: func() (*power.Report, error) { return nil, api.ErrNoInventory },
		ingest: func(b *api.Batch) (int, error) { got = b; return len(b.Polls), nil },
	}
	ts := httptest.NewServer(api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer ts.Close()
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &api.Batch{Agent: "a1", Seq: 3, Polls: []collectors.Status{
		{Device: "P1", At: at, OK: true, Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 1234.5}}},
		{Device: "P2", At: at, Reason: "timeout", Err: "request timeout"},
	}}
	res, err := c.Push(context.Background(), want)
	if err != nil || res.Accepted != 2 {
		t.Fatalf("got %+v, %v; want 2 accepted", res, err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("got batch %s, want %s", gj, wj)
	}
	_, err = c.Power(context.Background())
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != 409 {
		t.Errorf("got %v, want a *Problem with status 409", err)
	}
}

// TestUnencodableAnswer makes the report hold a NaN: the answer must be a
// 500 problem, not a 200 with an empty body.
func TestUnencodableAnswer(t *testing.T) {
	fc := &fakeController{report: func() (*power.Report, error) {
		r := sampleReport()
		nan := math.NaN()
		r.Racks[0].DrawWatts = &nan
		return r, nil
	}}
	rec := httptest.NewRecorder()
	api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/racks", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != api.MediaProblem {
		t.Errorf("got %d %q %s, want a 500 problem", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

func TestTelemetryEncodings(t *testing.T) {
	var got *api.Batch
	fc := &fakeController{ingest: func(b *api.Batch) (int, error) { got = b; return len(b.Polls), nil }}
	srv := api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	batch := &api.Batch{Agent: "a1", Seq: 1, Polls: []collectors.Status{{Device: "P1", At: at, OK: true,
		Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 42}}}}}
	gz, err := api.EncodeBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	// A gzip bomb: 9 MiB of zeros, over the 8 MiB limit once expanded.
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 9<<20))
	zw.Close()
	tests := []struct {
		name, encoding string
		body           []byte
		wantStatus     int
	}{
		{"gzip", "gzip", gz, 202},
		{"not gzip", "gzip", []byte("plain"), 400},
		{"expands over the limit", "gzip", bomb.Bytes(), 413},
		{"unknown encoding", "br", gz, 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/v1/telemetry", bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", api.MediaCBOR)
			req.Header.Set("Content-Encoding", tt.encoding)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("got %d %s, want %d", rec.Code, rec.Body, tt.wantStatus)
			}
		})
	}
	if got == nil || got.Polls[0].Readings[0].Value != 42 {
		t.Errorf("got %+v, want the gzip batch delivered intact", got)
	}
}
