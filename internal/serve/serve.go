package serve

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/netutil"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// Timeouts of the API's HTTP server, and how long a shutdown waits for the
// requests in flight.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 5 * time.Second
)

// MaxConnections is how many connections the API's port holds open at
// once; past it, new ones wait in the kernel's backlog until one closes,
// so that a flood of connections costs the node a bounded number of file
// descriptors and goroutines, and the clients already connected (an idle
// keep-alive is closed after idleTimeout) go on being served.
const MaxConnections = 4096

// maxHeaderBytes bounds a request's header and URI: the API's requests
// carry a token and short queries, not the megabyte Go allows by default.
const maxHeaderBytes = 64 << 10

// The node serves every part of the API: a method whose signature drifts
// from the interface would silently drop its endpoints (api.NewServer
// looks for each by type assertion), so the build fails instead.
var _ interface {
	api.Controller
	api.Router
	api.Membership
	api.Snapshotter
	api.Placer
	api.WhatIffer
	api.Alerter
	api.Forecaster
	api.Serverer
} = (*controller.Node)(nil)

// Node is a controller node with its HTTP API. It has every method of
// controller.Node, and Close closes the API's connections as well.
type Node struct {
	*controller.Node
	api *api.Server
	tls *tls.Config // of the API's port; nil: plain HTTP
	log *slog.Logger
	// maxConns bounds the connections Serve holds open; 0: MaxConnections.
	maxConns int
}

// Open opens a controller node as controller.Open does, with cfg.Peers
// (unless set) clients of the API, and puts the API, /metrics included, in
// front of it. With cfg.TLS, Raft, the API (see Serve), the Peers and the
// requests forwarded to the leader all go over mutual TLS, and every
// controller dialled must show a controller certificate naming the host
// dialled.
func Open(ctx context.Context, cfg controller.Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Peers == nil {
		cfg.Peers = PeersOver(cfg.TLS)
	}
	// The API's own metrics (what its limits refused) are served on
	// /metrics with the node's.
	reg := prometheus.NewRegistry()
	if cfg.Gatherer != nil {
		cfg.Gatherer = prometheus.Gatherers{cfg.Gatherer, reg}
	} else {
		cfg.Gatherer = reg
	}
	n, err := controller.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	node := &Node{Node: n, api: api.NewServer(n, n.Metrics(), cfg.Logger, api.WithRegisterer(reg)), log: cfg.Logger}
	if cfg.TLS != nil {
		node.tls = apiTLS(cfg.TLS)
		node.api.SetForwardTLS(dialTLS(cfg.TLS))
	}
	return node, nil
}

// dialTLS is conf for dialling another controller: its certificate must
// carry the controller role and name the host dialled (ServerName left
// empty, for the HTTP transport to set to the host of each URL).
func dialTLS(conf *tls.Config) *tls.Config {
	c := conf.Clone()
	c.MinVersion = tls.VersionTLS13
	c.ServerName = ""
	c.VerifyConnection = tlsutil.RequireRole(tlsutil.RoleController)
	return c
}

// apiTLS is conf for the API's port: a client certificate of the CA is
// required, and any of the roles of tlsutil.APIRoles admitted; the API
// decides what each may call (tlsutil.PeerRole of r.TLS).
func apiTLS(conf *tls.Config) *tls.Config {
	c := conf.Clone()
	c.MinVersion = tls.VersionTLS13
	c.ClientAuth = tls.RequireAndVerifyClientCert
	c.VerifyConnection = tlsutil.RequireRole(tlsutil.APIRoles...)
	return c
}

// Peers makes clients of other controllers' APIs for a node
// (controller.Config.Peers) over plain HTTP: api.Client with the given
// timeout.
func Peers(urls string, timeout time.Duration) (controller.Peer, error) {
	return PeersOver(nil)(urls, timeout)
}

// PeersOver is Peers over mutual TLS with conf, this node's certificate
// and the CA (nil: plain HTTP): each controller dialled must show a
// controller certificate of the CA naming the host of its URL, whatever
// roles conf admits.
func PeersOver(conf *tls.Config) func(urls string, timeout time.Duration) (controller.Peer, error) {
	if conf != nil {
		conf = dialTLS(conf)
	}
	return func(urls string, timeout time.Duration) (controller.Peer, error) {
		hc := &http.Client{Timeout: timeout}
		if conf != nil {
			hc = tlsutil.HTTPClient(conf, timeout)
		}
		c, err := api.NewClient(urls, hc)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// Handler is the node's HTTP API, /metrics included.
func (n *Node) Handler() http.Handler { return n.api }

// Serve serves the API on ln until ctx is done, then shuts the server down,
// waiting up to shutdownTimeout for the requests in flight. A node opened
// with TLS serves HTTPS only, to clients with a certificate of the CA.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	return n.serve(ctx, netutil.LimitListener(ln, cmp.Or(n.maxConns, MaxConnections)))
}

func (n *Node) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: n.api, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, IdleTimeout: idleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		TLSConfig:      n.tls,
		// Refused handshakes (plaintext, no certificate, another CA) are
		// worth a warning, in the node's log rather than on stderr.
		ErrorLog: slog.NewLogLogger(n.log.With("component", "http").Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() {
		if n.tls != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("controller: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc
	return err
}

// Close stops the node (controller.Node.Close), then closes the idle
// connections the API keeps to the leader, to forward requests.
func (n *Node) Close() error {
	err := n.Node.Close()
	n.api.CloseIdleConnections()
	return err
}
