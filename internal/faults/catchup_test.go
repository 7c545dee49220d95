//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
)

// TestRestartedNodeServesNoOldState kills a follower, lets the storm go on,
// and restarts it while a reader asks it alone for its local
// (non-consistent) reads from the moment it starts: until it has replayed
// the log it must answer 503 catching-up, never a state that lacks a write
// acknowledged before it started.
func TestRestartedNodeServesNoOldState(t *testing.T) {
	c := newCluster(t, 3, nil)
	s := startStorm(t, c)
	s.waitAcks(acksBetween)
	f := c.others(c.leader())[0]
	c.kill(f)
	s.waitAcks(5 * acksBetween) // a log to replay
	before := s.rec.ackedSystems()
	r := startLocalReader(t, c.nodes[f], before)
	c.start(f)
	c.waitReady(c.nodes[f])
	c.waitFor("20 local reads served by the restarted node", func() error {
		if n := r.served.Load(); n < 20 {
			return fmt.Errorf("%d served", n)
		}
		return nil
	})
	served, refused := r.stop()
	t.Logf("local reads of the restarted node: %d served, %d refused while it caught up", served, refused)
	if served == 0 {
		t.Errorf("the restarted node served no local read once ready")
	}
	s.finish()
}

// localReadTimeout bounds one local read of the restarted node.
const localReadTimeout = 300 * time.Millisecond

// localReader reads each system's placements from one node alone, without
// ?consistent, and checks every answer it serves against the keys
// acknowledged before the node started.
type localReader struct {
	t       *testing.T
	before  map[string]string // key → system
	done    atomic.Bool
	wg      sync.WaitGroup
	served  atomic.Int64
	refused atomic.Int64
}

func startLocalReader(t *testing.T, n *node, before map[string]string) *localReader {
	r := &localReader{t: t, before: before}
	cl, err := api.NewClient(n.url(), &http.Client{Timeout: httpTimeout})
	if err != nil {
		t.Fatal(err)
	}
	cl.UseToken(n.token)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cl.CloseIdleConnections()
		for k := 0; !r.done.Load(); k++ {
			r.read(cl, fmt.Sprintf("s%02d", k%systems))
		}
	}()
	return r
}

// read reads one system; a node that is down or catching up answers with
// an error, which is what it must do.
func (r *localReader) read(cl *api.Client, system string) {
	// Short: the client would wait a second before asking again a node
	// that is catching up.
	ctx, cancel := context.WithTimeout(context.Background(), localReadTimeout)
	defer cancel()
	list, err := cl.Placements(ctx, system)
	if err != nil {
		r.refused.Add(1)
		time.Sleep(pollEvery) // the node is not ready yet: ask again shortly
		return
	}
	r.served.Add(1)
	seen := map[string]bool{}
	for _, p := range list.Placements {
		seen[p.Name] = true
	}
	for k, sys := range r.before {
		if sys == system && !seen[k] {
			r.t.Errorf("the restarted node served %s without %s, acknowledged before it started: old state served as current", system, k)
			return
		}
	}
}

func (r *localReader) stop() (served, refused int64) {
	r.done.Store(true)
	r.wg.Wait()
	return r.served.Load(), r.refused.Load()
}
