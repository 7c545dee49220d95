package snmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

var pollTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// collectorWith returns a Collector whose dialler hands out client (or
// fails with dialErr) and whose clock is stopped at pollTime.
func collectorWith(client *fakeClient, dialErr error, log *bytes.Buffer) *Collector {
	dial := func(_ context.Context, _ Target) (Client, error) {
		if dialErr != nil {
			return nil, dialErr
		}
		return client, nil
	}
	var logger *slog.Logger
	if log != nil {
		logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return NewCollectorWith(logger, dial, func() time.Time { return pollTime })
}

func TestPollOK(t *testing.T) {
	client := &fakeClient{pdus: loadVarbinds(t, filepath.Join("testdata", "rpdu2_nps.snmprec"))}
	target := Target{Address: "192.0.2.10:161", Name: "rack-a08-pdu-a", Module: 2}
	got := collectorWith(client, nil, nil).Poll(t.Context(), target, rpdu2Profile)
	want := collectors.Status{Device: "rack-a08-pdu-a", At: pollTime, OK: true, Readings: npsGuest}
	if got.Device != want.Device || !got.At.Equal(want.At) || !got.OK || got.Reason != "" || got.Err != "" ||
		!slices.Equal(got.Readings, want.Readings) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if client.closed != 1 {
		t.Errorf("Close calls: got %d, want 1", client.closed)
	}
}

func TestPollFails(t *testing.T) {
	// Real clients name the target in their errors; so do these fakes.
	timeout := fmt.Errorf("walk 192.0.2.10:161 1.3.6.1.4.1.318.1.1.26.8.3.1: request timeout (after 1 retries): %w", gosnmp.ErrMaxRetriesExceeded)
	fixture := loadVarbinds(t, filepath.Join("testdata", "rpdu2_nps.snmprec"))
	tests := []struct {
		name       string
		client     *fakeClient
		dialErr    error
		wantReason string
		wantClosed int
	}{
		{name: "dial", dialErr: fmt.Errorf("dial 192.0.2.10:161: %w", ErrBadCredentials), wantReason: ReasonOther},
		{name: "timeout half-way", wantReason: ReasonTimeout, wantClosed: 1, client: &fakeClient{
			walk: func(_ context.Context, root string) ([]gosnmp.SnmpPDU, error) {
				if strings.HasSuffix(root, ".8.3.1") {
					return nil, timeout
				}
				return (&fakeClient{pdus: fixture}).BulkWalkAll(context.Background(), root)
			}}},
		{name: "not an rPDU2", wantReason: ReasonNoSuchObject, wantClosed: 1, client: &fakeClient{}},
		{name: "garbage module", wantReason: ReasonDecode, wantClosed: 1, client: &fakeClient{
			pdus: []gosnmp.SnmpPDU{vOf(dev+"2.1", gosnmp.OctetString, []byte("1")), vInt(dev+"5.1", 114)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			got := collectorWith(tt.client, tt.dialErr, &log).Poll(t.Context(), Target{Address: "192.0.2.10:161"}, rpdu2Profile)
			if got.OK || got.Reason != tt.wantReason || got.Readings != nil || got.Device != "192.0.2.10:161" {
				t.Errorf("got %+v, want failed, reason %s, no readings", got, tt.wantReason)
			}
			if n := strings.Count(got.Err, "192.0.2.10:161"); n != 1 {
				t.Errorf("Err: got %q, want the address in it once", got.Err)
			}
			if !strings.Contains(log.String(), "reason="+tt.wantReason) {
				t.Errorf("log: got %q, want reason=%s", log.String(), tt.wantReason)
			}
			if tt.client != nil && tt.client.closed != tt.wantClosed {
				t.Errorf("Close calls: got %d, want %d", tt.client.closed, tt.wantClosed)
			}
		})
	}
}

func TestPollCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	walks := 0
	client := &fakeClient{walk: func(_ context.Context, _ string) ([]gosnmp.SnmpPDU, error) {
		walks++
		cancel() // the agent shuts down during the first walk
		return nil, nil
	}}
	got := collectorWith(client, nil, nil).Poll(ctx, Target{Address: "192.0.2.10:161"}, rpdu2Profile)
	if got.OK || !strings.Contains(got.Err, context.Canceled.Error()) || walks != 1 || client.closed != 1 {
		t.Errorf("got %+v after %d walks, %d closes, want failed with %v after 1 walk, 1 close", got, walks, client.closed, context.Canceled)
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("ctx: got %v, want %v", ctx.Err(), context.Canceled)
	}
}
