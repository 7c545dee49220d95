package api_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/power"
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
		ts := httptest.NewServer(api.NewServer(fc, nil, slog.New(slog.DiscardHandler)))
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
		nil, slog.New(slog.DiscardHandler)))
	defer leader.Close()
	follower := httptest.NewServer(api.NewServer(&fakeController{report: func() (*power.Report, error) {
		return nil, &api.NotLeaderError{LeaderAPI: leader.URL}
	}}, nil, slog.New(slog.DiscardHandler)))
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
	if _, err := api.NewClient("http://a:1,b:2", nil); err == nil {
		t.Errorf("NewClient with a bad URL in the list: got nil, want an error")
	}
}
