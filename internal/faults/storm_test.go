//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
)

// The storm's shape.
const (
	writers = 6
	readers = 2
	// systems partitions the keys: each placement belongs to one system and
	// each read lists one system's, so that porcupine checks each system's
	// set on its own (linearizability is compositional) and reads stay
	// small.
	systems = 12
	// opTimeout bounds one client operation, failover included; the HTTP
	// client gives up on one controller sooner, and tries the next.
	opTimeout   = 20 * time.Second
	httpTimeout = 3 * time.Second
	// retryPause is how long a writer waits before it sends a placement
	// that failed again.
	retryPause = 50 * time.Millisecond
)

// storm is a write storm of placements, each with its own idempotency key,
// and consistent reads of the placed keys, from several clients going
// through api.Client with the list of every controller. It records every
// operation.
type storm struct {
	t       *testing.T
	c       *cluster
	rec     *recorder
	nextKey atomic.Int64
	acks    atomic.Int64
	stopped atomic.Bool
	wg      sync.WaitGroup
	client  atomic.Int32 // porcupine client IDs of the ad-hoc readers
	errMu   sync.Mutex
	errs    map[string]int // errors met by writers, by their start
}

// startStorm starts the clients; stop ends them.
func startStorm(t *testing.T, c *cluster) *storm {
	s := &storm{t: t, c: c, rec: newRecorder()}
	s.client.Store(writers + readers)
	for w := range writers {
		cl := s.newClient(c.urls(w), false)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.write(w, cl) }()
	}
	for r := range readers {
		cl := s.newClient(c.urls(r), true)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.read(writers+r, cl) }()
	}
	t.Cleanup(s.stop)
	return s
}

// newClient is an API client of urls; with consistent set, its reads of
// placements are linearizable (?consistent=true).
func (s *storm) newClient(urls string, consistent bool) *api.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	var rt http.RoundTripper = tr
	if consistent {
		rt = consistentReads{tr}
	}
	cl, err := api.NewClient(urls, &http.Client{Timeout: httpTimeout, Transport: rt})
	if err != nil {
		s.t.Fatal(err)
	}
	cl.UseToken(s.c.nodes[0].token)
	return cl
}

// consistentReads asks for linearizable reads of placements: api.Client has
// no switch for it.
type consistentReads struct{ next http.RoundTripper }

func (c consistentReads) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Path == "/v1/placements" {
		r = r.Clone(r.Context())
		q := r.URL.Query()
		q.Set("consistent", "true")
		r.URL.RawQuery = q.Encode()
	}
	return c.next.RoundTrip(r)
}

// stop ends the storm and waits for every client's last operation.
func (s *storm) stop() {
	s.stopped.Store(true)
	s.wg.Wait()
}

// write places new keys one after the other until the storm stops.
func (s *storm) write(id int, cl *api.Client) {
	defer cl.CloseIdleConnections()
	for !s.stopped.Load() {
		k := s.nextKey.Add(1)
		s.place(id, cl, fmt.Sprintf("k%06d", k), fmt.Sprintf("s%02d", k%systems))
	}
}

// place places one key and records the outcome. It retries with the same
// idempotency key until it gets an answer, as a client of the API should:
// one logical operation, of unknown outcome only if no controller answered
// within opTimeout.
func (s *storm) place(id int, cl *api.Client, key, system string) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	in := input{Place: true, Key: key, System: system}
	call := s.rec.now()
	for {
		_, err := cl.Place(ctx, &api.PlacementRequest{Name: key, System: system, Replicas: 1,
			CPUMillicores: 10, MemoryMiB: 16, Watts: 5}, api.PlaceOptions{Key: key})
		var p *api.Problem
		switch {
		case err == nil:
			s.acks.Add(1)
			s.rec.add(id, in, call, output{Status: placed})
			return
		case errors.As(err, &p) && p.Type == api.ProblemInfeasible:
			s.rec.add(id, in, call, output{Status: refused})
			return
		}
		s.noteError(err)
		select {
		case <-ctx.Done():
			s.rec.add(id, in, call, output{Status: unknown})
			return
		case <-time.After(retryPause):
		}
	}
}

// noteError counts an error a client met, by its first words, for the log.
func (s *storm) noteError(err error) {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.errs == nil {
		s.errs = map[string]int{}
	}
	s.errs[msg]++
}

// read reads random systems' keys until the storm stops.
func (s *storm) read(id int, cl *api.Client) {
	defer cl.CloseIdleConnections()
	for !s.stopped.Load() {
		_, _ = s.readOnce(id, cl, fmt.Sprintf("s%02d", rand.IntN(systems)))
	}
}

// readOnce lists a system's placements through a consistent read and
// records the keys seen. A read that fails tells nothing and is dropped.
func (s *storm) readOnce(id int, cl *api.Client, system string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	call := s.rec.now()
	list, err := cl.Placements(ctx, system)
	if err != nil {
		return nil, err
	}
	var keys, dups []string
	for _, p := range list.Placements {
		keys = append(keys, p.Name)
	}
	sort.Strings(keys)
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] && !slices.Contains(dups, keys[i]) {
			dups = append(dups, keys[i])
		}
	}
	if len(dups) > 0 {
		s.t.Errorf("read of %s: keys placed twice: %v", system, dups)
	}
	keys = slices.Compact(keys)
	s.rec.add(id, input{System: system}, call, output{Status: readDone, Keys: keys, Dups: dups})
	return keys, nil
}

// probe sends n consistent reads to node i alone, at once, and records
// those that succeed: a node that lost leadership must not serve one.
func (s *storm) probe(i, n int) (served int) {
	cl := s.newClient(s.c.nodes[i].url(), true)
	defer cl.CloseIdleConnections()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for k := range n {
		id := int(s.client.Add(1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.readOnce(id, cl, fmt.Sprintf("s%02d", k%systems)); err == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(ok.Load())
}

// waitAcks waits until n more placements have been acknowledged.
func (s *storm) waitAcks(n int64) {
	s.t.Helper()
	want := s.acks.Load() + n
	s.c.waitFor(fmt.Sprintf("%d more acknowledged placements", n), func() error {
		if got := s.acks.Load(); got < want {
			return fmt.Errorf("%d acknowledged, want %d", got, want)
		}
		return nil
	})
}

// finish stops the storm, waits for the cluster to converge, then reads
// every system once more through the leader and checks the whole history:
// porcupine, and each acknowledged key in the final reads.
func (s *storm) finish() {
	s.t.Helper()
	s.stop()
	s.c.leader()
	s.c.converge()
	cl := s.newClient(s.c.urls(0), true)
	defer cl.CloseIdleConnections()
	final := map[string]bool{}
	for k := range systems {
		system := fmt.Sprintf("s%02d", k)
		s.c.waitFor("a final read of "+system, func() error {
			keys, err := s.readOnce(int(s.client.Add(1)), cl, system)
			for _, k := range keys {
				final[k] = true
			}
			return err
		})
	}
	var lost []string
	for _, k := range s.rec.acked() {
		if !final[k] {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		s.t.Errorf("acknowledged placements missing from the final reads: %v", lost)
	}
	s.errMu.Lock()
	s.t.Logf("errors the writers met and retried: %v", s.errs)
	s.errMu.Unlock()
	checkLinearizable(s.t, s.rec)
}
