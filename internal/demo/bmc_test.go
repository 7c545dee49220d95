package demo

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// TestStartBMCs starts the demo with BMCs for its first rack and both
// server faults: the BMCs serve, their password is in a file only its
// owner reads, and the agent polls one target per BMC beside the devices.
func TestStartBMCs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	site := inventory.Reference(2)
	k := site.Halls[0].Rows[0].Racks[0]
	d, err := Start(ctx, Config{Site: site, HTTPAddr: "127.0.0.1:0", Interval: 500 * time.Millisecond, Level: 0.5,
		BMCRacks: 1, Miswire: []string{k.Servers[0].ID}, PSUFail: []string{k.Servers[1].ID}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.bmcs != len(k.Servers) || d.Sim().BMCs() != len(k.Servers) {
		t.Errorf("got %d BMCs (sim %d), want the first rack's %d servers", d.bmcs, d.Sim().BMCs(), len(k.Servers))
	}
	fi, err := os.Stat(d.bmcPassword)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("got the BMC password file %v (err %v), want mode 0600", fi, err)
	}
	if got := site.Halls[0].Rows[0].Racks[0].Servers[0].BMC; got == nil || got.Credentials != bmcCredentials {
		t.Errorf("got the first server's BMC %+v, want one with credentials %q", got, bmcCredentials)
	}
}

// TestStartBMCFaultErrors checks the server faults' errors: a server the
// site lacks, one without a BMC, and faults with no BMCs at all.
func TestStartBMCFaultErrors(t *testing.T) {
	site := inventory.Reference(2)
	var racks []*inventory.Rack
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		racks = append(racks, k)
		return true
	})
	second := racks[1].Servers[0].ID
	tests := []struct {
		name string
		c    Config
		want error
	}{
		{"unknown server", Config{BMCRacks: 1, Miswire: []string{"nope"}}, sim.ErrUnknown},
		{"server without a BMC", Config{BMCRacks: 1, PSUFail: []string{second}}, sim.ErrNoBMC},
		{"no BMCs", Config{Miswire: []string{second}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := tt.c
			c.Site, c.HTTPAddr, c.Interval, c.Level = inventory.Reference(2), "127.0.0.1:0", 500*time.Millisecond, 0.5
			d, err := Start(ctx, c)
			if err == nil {
				d.Close()
				t.Fatalf("got no error, want one")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want an error wrapping %v", err, tt.want)
			}
		})
	}
}
