package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// post sends body to path on a real socket and returns the status and body.
func post(t *testing.T, srv *httptest.Server, method, path, ctype string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTelemetryBatchesAreDecodedWithinBounds: a batch of the most polls a
// push may carry is taken; one more poll, a poll of too many readings,
// deep nesting or a duplicate key is refused with a 400 that names the
// bound, before the controller sees it.
func TestTelemetryBatchesAreDecodedWithinBounds(t *testing.T) {
	ingested := 0
	fc := &fakeController{ingest: func(b *api.Batch) (int, error) { ingested++; return len(b.Polls), nil }}
	srv := httptest.NewServer(api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer srv.Close()
	polls := func(n, readings int) *api.Batch {
		b := &api.Batch{Agent: "a1", Seq: 1, Polls: make([]collectors.Status, n)}
		for i := range b.Polls {
			b.Polls[i] = collectors.Status{Device: "P1", At: at, OK: true, Readings: make([]collectors.Reading, readings)}
		}
		return b
	}
	nest := any("x")
	for range 20 {
		nest = []any{nest}
	}
	tests := []struct {
		name   string
		body   []byte
		status int
		want   string
	}{
		{"most polls", mustCBOR(t, polls(telemetry.MaxPollsPerPush, 1)), 202, `"accepted":4096`},
		{"one poll more", mustCBOR(t, polls(telemetry.MaxPollsPerPush+1, 0)), 400, "max number of elements 4096"},
		{"too many readings", mustCBOR(t, polls(1, telemetry.MaxPollsPerPush+1)), 400, "max number of elements 4096"},
		{"deep nesting", mustCBOR(t, map[int]any{1: "a1", 3: nest}), 400, "exceeded max nested level 8"},
		{"duplicate key", []byte{0xa2, 0x01, 0x62, 'a', '1', 0x01, 0x62, 'a', '2'}, 400, "duplicate map key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ingested
			status, body := post(t, srv, "POST", "/v1/telemetry", api.MediaCBOR, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d naming %q", status, body, tt.status, tt.want)
			}
			if tt.status != 202 && ingested != before {
				t.Error("got the batch ingested, want it refused before")
			}
		})
	}
}

// TestHostileInventoryIsRefusedOverHTTP: the 8 MB `halls: [1,1,…]` body of
// issue 7 answers 422 naming the node limit, for a bounded allocation.
func TestHostileInventoryIsRefusedOverHTTP(t *testing.T) {
	fc := &fakeController{putSite: func(*inventory.Site) (uint64, error) { t.Error("got the site applied"); return 0, nil }}
	srv := httptest.NewServer(api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer srv.Close()
	body := append([]byte("halls: [1"), append(bytes.Repeat([]byte(",1"), 4<<20), ']')...)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	status, got := post(t, srv, "PUT", "/v1/inventory", api.MediaYAML, body)
	runtime.ReadMemStats(&after)
	if status != 422 || !strings.Contains(got, "more than 1048576 nodes (the limit)") {
		t.Errorf("got %d %s, want 422 naming the node limit", status, got)
	}
	// The body is read once (8 MB, in a buffer that grows by doubling):
	// the parse adds nothing to speak of.
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("got %d MB allocated for the request, want under 64 MB", n>>20)
	} else {
		t.Logf("%d MB allocated for an 8 MB body, client and server", n>>20)
	}
}

// TestInventoryOfAClientThatLeftIsNotApplied: the parse follows the
// request's context.
func TestInventoryOfAClientThatLeftIsNotApplied(t *testing.T) {
	fc := &fakeController{putSite: func(*inventory.Site) (uint64, error) { t.Error("got the site applied"); return 0, nil }}
	srv := api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	small, err := os.ReadFile("../internal/inventory/testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "PUT", "/v1/inventory", bytes.NewReader(small))
	req.Header.Set("Content-Type", api.MediaYAML)
	srv.ServeHTTP(httptest.NewRecorder(), req)
}
