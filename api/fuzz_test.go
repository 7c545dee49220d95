package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/deploy"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// Bounds on what one fuzzed request may cost: far above what a request of
// a few KiB costs (about a millisecond and a few hundred KiB), far below
// what issue 7's hostile bodies cost (seconds and gigabytes).
const (
	fuzzMaxTime  = 5 * time.Second
	fuzzMaxAlloc = 256 << 20
)

// fuzzHandler is the API of a real single-node controller (no auth, a
// 4-rack site), called in process: the fuzzed bodies go through the real
// handlers, decoders, validation and Raft commit. The per-client limits
// are off: every fuzzed request comes from one address, and would
// otherwise meet 429 before its body is read.
func fuzzHandler(tb testing.TB) http.Handler {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := controller.Open(ctx, controller.Config{NodeID: "fuzz", DataDir: tb.TempDir(), RaftAddr: "127.0.0.1:0", Bootstrap: true,
		NoAuth: true, StaleAfter: time.Minute, AccountEvery: time.Hour, DeclaredOnly: true, Peers: serve.Peers})
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); n.Close() })
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := n.WaitForLeader(wctx); err != nil {
		tb.Fatal(err)
	}
	if _, err := n.PutSite(wctx, inventory.Reference(4)); err != nil {
		tb.Fatal(err)
	}
	return api.NewServer(n, nil, slog.New(slog.DiscardHandler), api.WithLimits(api.Limits{}))
}

// fuzzServe sends one request to h and fails t if it took too long or too
// much memory, answered 5xx, or answered 4xx with anything but a problem
// of the same status.
func fuzzServe(t *testing.T, h http.Handler, req *http.Request) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	what := req.Method + " " + req.URL.String()
	if took > fuzzMaxTime {
		t.Errorf("%s: took %v, want under %v", what, took, fuzzMaxTime)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > fuzzMaxAlloc {
		t.Errorf("%s: allocated %d MiB, want under %d MiB", what, n>>20, fuzzMaxAlloc>>20)
	}
	switch {
	case rec.Code >= 500:
		t.Fatalf("%s: got %d %s, want 2xx or a 4xx problem", what, rec.Code, rec.Body)
	case rec.Code >= 400:
		var p api.Problem
		if ct := rec.Header().Get("Content-Type"); ct != api.MediaProblem {
			t.Fatalf("%s: got %d with Content-Type %q, want %s", what, rec.Code, ct, api.MediaProblem)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.Type == "" {
			t.Fatalf("%s: got %d and problem %s (%v), want a problem of that status", what, rec.Code, rec.Body, err)
		}
	}
}

func newRequest(method, target, ctype string, body []byte) *http.Request {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	return req
}

// jsonRoutes are the routes that decode a JSON body, but the cluster's
// join (a valid one would add a voter that never answers, and the node
// would lose its quorum: what the fuzzer found would be that, not a bug).
var jsonRoutes = []struct{ method, target string }{
	{"POST", "/v1/placements"},
	{"POST", "/v1/placements?dry_run=true&explain=true"},
	{"POST", "/v1/reservations"},
	{"POST", "/v1/tokens"},
	{"POST", "/v1/alerts/RackOverBudget%7Brack=%22H1-R01-K01%22%7D/ack"},
	{"POST", "/v1/alerts/RackOverBudget%7Brack=%22H1-R01-K01%22%7D/silence"},
}

// FuzzDecodeJSON: any body sent to a route that decodes JSON is answered
// 2xx or 4xx with a problem, within bounded time and memory.
func FuzzDecodeJSON(f *testing.F) {
	ws, err := api.DecodeWorkloads(deploy.CityWorkloadsName, bytes.NewReader(deploy.CityWorkloads))
	if err != nil {
		f.Fatal(err)
	}
	for i, w := range ws[:min(len(ws), 6)] {
		b, _ := json.Marshal(w)
		f.Add(uint8(i), b)
		r := w
		r.Replicas = 1
		b, _ = json.Marshal(struct {
			api.PlacementRequest
			TTL string `json:"ttl"`
		}{r, "15m"})
		f.Add(uint8(2), b)
	}
	for _, s := range []string{`{"name":"ci","role":"viewer"}`, `{"name":"x","role":"root"}`, `{"reason":"on it"}`,
		`{"reason":"maintenance","duration":"1h"}`, `{"replicas":1e308,"watts":-0}`, `[`, `{"name":"a"}{"name":"b"}`, ``} {
		for i := range jsonRoutes {
			f.Add(uint8(i), []byte(s))
		}
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := jsonRoutes[int(route)%len(jsonRoutes)]
		req := newRequest(rt.method, rt.target, api.MediaJSON, body)
		req.Header.Set(api.HeaderUser, "fuzz")
		fuzzServe(t, h, req)
	})
}

// FuzzDecodeYAML: any inventory body is answered 2xx or 4xx with a
// problem, within bounded time and memory; the workload files' decoder
// (dcplane place -f) returns what it found or an error.
func FuzzDecodeYAML(f *testing.F) {
	small, err := os.ReadFile("../internal/inventory/testdata/small.yaml")
	if err != nil {
		f.Fatal(err)
	}
	ref, _ := json.Marshal(inventory.Reference(2))
	f.Add(small)
	f.Add(ref)
	f.Add(deploy.CityWorkloads)
	f.Add([]byte("halls: [1" + strings.Repeat(",1", 1000) + "]"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nhalls: [*c, *c, *c]\n"))
	f.Add([]byte(strings.Repeat("[", 500)))
	f.Add([]byte("name: s\nhalls:\n  - id: H1\n    rows: !!binary aGk=\n"))
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzServe(t, h, newRequest("PUT", "/v1/inventory", api.MediaYAML, body))
		start := time.Now()
		_, _ = api.DecodeWorkloads("fuzz.yaml", bytes.NewReader(body))
		if took := time.Since(start); took > fuzzMaxTime {
			t.Errorf("DecodeWorkloads: took %v, want under %v", took, fuzzMaxTime)
		}
	})
}

// fuzzBatch is an agent's push of two PDUs' polls: device, phase and
// outlet readings.
func fuzzBatch() *api.Batch {
	now := time.Now().UTC().Truncate(time.Second)
	b := &api.Batch{Agent: "fuzz-agent", Seq: 1}
	for _, dev := range []string{"H1-R01-K01-PA", "H1-R01-K01-PB"} {
		s := collectors.Status{Device: dev, At: now, OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 3100}}}
		for ph := 1; ph <= 3; ph++ {
			s.Readings = append(s.Readings, collectors.Reading{Metric: collectors.CurrentAmperes, Scope: collectors.ScopePhase, Index: ph, Value: 4.5},
				collectors.Reading{Metric: collectors.VoltageVolts, Scope: collectors.ScopePhase, Index: ph, Value: 230})
		}
		for o := 1; o <= 8; o++ {
			s.Readings = append(s.Readings, collectors.Reading{Metric: collectors.PowerWatts, Scope: collectors.ScopeOutlet, Index: o, Value: 380})
		}
		b.Polls = append(b.Polls, s)
	}
	b.Polls = append(b.Polls, collectors.Status{Device: "H1-R01-C1", At: now, Reason: "timeout", Err: "request timeout (after 2 retries)"})
	return b
}

// FuzzDecodeCBOR: any telemetry body, raw or gzip-compressed, is answered
// 2xx or 4xx with a problem, within bounded time and memory.
func FuzzDecodeCBOR(f *testing.F) {
	good, err := cbor.Marshal(fuzzBatch())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(false, good)
	f.Add(true, good)
	f.Add(false, []byte{0xa2, 0x01, 0x62, 'a', '1', 0x01, 0x62, 'a', '2'})                 // a duplicate key
	f.Add(false, []byte{0xa1, 0x03, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // an array of 2^64-1 polls
	f.Add(false, []byte{0xa1, 0x01, 0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0})                   // +Inf as the agent
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, compress bool, body []byte) {
		req := newRequest("POST", "/v1/telemetry", api.MediaCBOR, body)
		if compress {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(body); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			req = newRequest("POST", "/v1/telemetry", api.MediaCBOR, buf.Bytes())
			req.Header.Set("Content-Encoding", "gzip")
		}
		fuzzServe(t, h, req)
	})
}

// TestFuzzHandlerAcceptsARealPush: the CBOR target's first seed is a push
// the controller takes (else the fuzzer would only ever see refusals).
func TestFuzzHandlerAcceptsARealPush(t *testing.T) {
	body, err := cbor.Marshal(fuzzBatch())
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	fuzzHandler(t).ServeHTTP(rec, newRequest("POST", "/v1/telemetry", api.MediaCBOR, body))
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), fmt.Sprintf(`"accepted":%d`, 3)) {
		t.Errorf("got %d %s, want 202 with the 3 polls accepted", rec.Code, rec.Body)
	}
}
