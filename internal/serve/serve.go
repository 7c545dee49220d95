package serve

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
)

// Timeouts of the API's HTTP server, and how long a shutdown waits for the
// requests in flight.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 5 * time.Second
)

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
} = (*controller.Node)(nil)

// Node is a controller node with its HTTP API. It has every method of
// controller.Node, and Close closes the API's connections as well.
type Node struct {
	*controller.Node
	api *api.Server
}

// Open opens a controller node as controller.Open does, with cfg.Peers
// (unless set) clients of the API, and puts the API, /metrics included, in
// front of it.
func Open(ctx context.Context, cfg controller.Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Peers == nil {
		cfg.Peers = Peers
	}
	n, err := controller.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Node{Node: n, api: api.NewServer(n, n.Metrics(), cfg.Logger)}, nil
}

// Peers makes clients of other controllers' APIs for a node
// (controller.Config.Peers): api.Client with the given timeout.
func Peers(urls string, timeout time.Duration) (controller.Peer, error) {
	c, err := api.NewClient(urls, &http.Client{Timeout: timeout})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Handler is the node's HTTP API, /metrics included.
func (n *Node) Handler() http.Handler { return n.api }

// Serve serves the API on ln until ctx is done, then shuts the server down,
// waiting up to shutdownTimeout for the requests in flight.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: n.api, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, IdleTimeout: idleTimeout}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
