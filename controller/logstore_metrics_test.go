package controller_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// TestLogStoreMetrics: /metrics says which store holds the node's Raft log,
// and for raft-wal gives its own counters, which move as the log is
// written; a raft-boltdb node has none of them.
func TestLogStoreMetrics(t *testing.T) {
	appends := regexp.MustCompile(`(?m)^dcplane_raft_wal_log_appends_total (\d+)$`)
	for _, kind := range []string{store.LogStoreWAL, store.LogStoreBolt} {
		t.Run(kind, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			n, err := serve.Open(ctx, controller.Config{NoAuth: true, NodeID: "c1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
				Bootstrap: true, StaleAfter: 30 * time.Second, AccountEvery: time.Hour, LogStore: kind})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			if err := n.WaitForLeader(ctx); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(n.Metrics())
			defer srv.Close()
			scrape := func() string {
				res, err := http.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return string(b)
			}
			count := func(m string) int {
				got := appends.FindStringSubmatch(m)
				if got == nil {
					return -1
				}
				v, _ := strconv.Atoi(got[1])
				return v
			}
			before := scrape()
			if _, err := n.PutSite(ctx, inventory.Reference(2)); err != nil {
				t.Fatal(err)
			}
			after := scrape()
			if want := `dcplane_raft_log_store{store="` + kind + `"} 1` + "\n"; !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(after) {
				t.Errorf("/metrics: no %q", want)
			}
			switch kind {
			case store.LogStoreWAL:
				if b, a := count(before), count(after); b < 0 || a <= b {
					t.Errorf("dcplane_raft_wal_log_appends_total: got %d, then %d after a write, want it to grow", b, a)
				}
			default:
				if count(after) >= 0 {
					t.Errorf("a raft-boltdb node exports dcplane_raft_wal_log_appends_total, want none")
				}
			}
		})
	}
}
