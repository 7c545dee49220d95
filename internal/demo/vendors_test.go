package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
)

// TestMixedVendors runs a 4-rack demo whose PDUs serve recorded walks of
// real PDUs of several vendors (the profile left to auto-detection), pins
// each rack to its own load, and waits until the controller reads every
// rack at that load through whatever PDUs it has.
func TestMixedVendors(t *testing.T) {
	dir := peer.Recordings(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	site := inventory.Reference(4)
	d, err := Start(ctx, Config{Site: site, HTTPAddr: "127.0.0.1:0", Interval: 500 * time.Millisecond, Level: 0.5,
		Vendors: VendorsMixed, Recordings: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	profiles := map[string]bool{}
	want := map[string]float64{}
	i := 0
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, p := range k.PDUs {
			if p.SNMP.Profile != "auto" {
				t.Errorf("%s: inventory profile %q, want auto", p.ID, p.SNMP.Profile)
			}
			if rec := d.recorded[p.ID]; rec != nil {
				profiles[rec.profile] = true
			}
		}
		r, err := d.Sim().Rack(k.ID)
		if err != nil {
			t.Fatal(err)
		}
		want[k.ID] = 4000 + 1500*float64(i)
		r.Set(want[k.ID])
		i++
		return true
	})
	if len(profiles) < 4 {
		t.Errorf("got PDUs of %d profiles %v, want at least 4", len(profiles), profiles)
	}
	waitFor(ctx, t, "every rack read at its load", func() error {
		rep, err := d.node.Report(ctx)
		if err != nil {
			return err
		}
		if len(rep.Racks) != 4 {
			return fmt.Errorf("%d racks", len(rep.Racks))
		}
		for _, k := range rep.Racks {
			if k.DrawWatts == nil {
				return fmt.Errorf("%s is %s", k.ID, k.Status)
			}
			if got := *k.DrawWatts; math.Abs(got-want[k.ID]) > 25 { // rPDU2 reads tens of watts
				return fmt.Errorf("%s draws %v W, want %v", k.ID, got, want[k.ID])
			}
		}
		if s := d.vendorSummary(rep.Racks); !strings.Contains(s, "racks read 4/4") {
			return fmt.Errorf("summary %q does not say every rack is read", s)
		}
		return nil
	})
}

// TestMixedVendorsWithoutRecordings: without the recorded walks the demo
// does not start, and says which folder it looked in.
func TestMixedVendorsWithoutRecordings(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "snmprec")
	_, err := Start(t.Context(), Config{Site: inventory.Reference(1), HTTPAddr: "127.0.0.1:0", Interval: time.Second,
		Vendors: VendorsMixed, Recordings: missing})
	if !errors.Is(err, ErrNoRecordings) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("got %v, want ErrNoRecordings naming %s", err, missing)
	}
	_, err = Start(t.Context(), Config{Site: inventory.Reference(1), HTTPAddr: "127.0.0.1:0", Interval: time.Second, Vendors: "dell"})
	if err == nil || !strings.Contains(err.Error(), `--vendors "dell"`) {
		t.Fatalf("got %v, want an error naming --vendors", err)
	}
}
