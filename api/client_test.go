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
		fc := &fakeController{report: func() (*power.Report, error) { return nil, &api.NotLeaderError{LeaderAPI: "http://10.0.0.2:8080"} }}
		ts := httptest.NewServer(api.NewServer(fc, nil, slog.New(slog.DiscardHandler)))
		defer ts.Close()
		c, _ := api.NewClient(ts.URL, nil)
		_, err := c.Racks(context.Background(), api.RackFilter{})
		var p *api.Problem
		if !errors.As(err, &p) || p.Status != 503 || p.Type != api.ProblemNotLeader || p.Leader != "http://10.0.0.2:8080" {
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
