package serve_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/serve"
)

// TestMain checks that no test leaves a goroutine behind, but for the
// waiter of a Raft future queued as its node shut down, which
// hashicorp/raft never answers (see store.(*Store).await).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/dcplane/dcplane/controller/store.(*Store).await.func1"))
}

// TestServe opens a single-node controller, serves its API on 127.0.0.1:0
// and reads it through the client: the node names itself, /metrics is
// there, and Serve returns once its context is done, having shut the
// server down.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Serving is what is tested here, not authentication: the node serves
	// anyone, as NoAuth does for tests.
	n, err := serve.Open(ctx, controller.Config{NodeID: "s1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: time.Minute, NoAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- n.Serve(sctx, ln) }()

	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	c, err := api.NewClient(url, hc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Node != "s1" || st.State != "Leader" || len(st.Members) != 1 {
		t.Errorf("GET /v1/cluster: got %+v, want node s1 leading alone", st)
	}
	res, err := hc.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get(api.HeaderNode) != "s1" || !strings.Contains(string(body), "dcplane_") {
		t.Errorf("GET /metrics: got %d from %q, want 200 from s1 with dcplane_ metrics", res.StatusCode, res.Header.Get(api.HeaderNode))
	}

	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after its context ended: got %v, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("Serve did not return once its context was done")
	}
	if _, err := hc.Get(url + "/healthz"); err == nil {
		t.Error("GET /healthz after Serve returned: got an answer, want the listener closed")
	}
}

// TestServeListenerFails: Serve on a listener that fails returns its error.
func TestServeListenerFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := serve.Open(ctx, controller.Config{NodeID: "s1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := n.Serve(ctx, ln); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve on a closed listener: got %v, want net.ErrClosed", err)
	}
}

// TestPeers: the node's clients of other controllers are the API's, and
// refuse what is not an API URL.
func TestPeers(t *testing.T) {
	p, err := serve.Peers("http://127.0.0.1:1,http://127.0.0.1:2/", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer p.CloseIdleConnections()
	if got := p.URL(); got != "http://127.0.0.1:1" {
		t.Errorf("URL: got %q, want the first controller", got)
	}
	if _, err := serve.Peers("127.0.0.1:1", time.Second); err == nil {
		t.Error("a URL without a scheme: got no error, want one")
	}
}
