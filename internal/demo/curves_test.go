package demo

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
)

// TestLoadCurves: none asks for the cosine; the default folder may be
// missing (the cosine, said why); a folder the user named must hold
// curves; the shared traces give Google's three PDUs, named in the note.
func TestLoadCurves(t *testing.T) {
	if cs, note, err := LoadCurves(CurvesNone, true); err != nil || cs != nil || !strings.Contains(note, "daily cosine") {
		t.Errorf("none: got %d curves, %q, %v; want the cosine", len(cs), note, err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if cs, note, err := LoadCurves(missing, false); err != nil || cs != nil || !strings.Contains(note, "no real power curves at "+missing) {
		t.Errorf("the default folder missing: got %d curves, %q, %v; want the cosine and the folder named", len(cs), note, err)
	}
	if _, _, err := LoadCurves(missing, true); err == nil || !strings.Contains(err.Error(), "--load-curves "+missing) {
		t.Errorf("a named folder missing: got %v, want an error naming it", err)
	}
	cs, note, err := LoadCurves(peer.Traces(t, "google-power-2019"), true)
	if err != nil || len(cs) != 3 || !strings.Contains(note, "pdu6, pdu7, pdu8") {
		t.Errorf("the shared traces: got %d curves, %q, %v; want pdu6, pdu7, pdu8", len(cs), note, err)
	}
}

// TestStartReplaysCurves: the demo's racks replay the curves it is given.
func TestStartReplaysCurves(t *testing.T) {
	cs, _, err := LoadCurves(peer.Traces(t, "google-power-2019"), true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	site := inventory.Reference(2)
	d, err := Start(ctx, Config{Site: site, HTTPAddr: "127.0.0.1:0", Interval: time.Second, Level: 0.5, Curves: cs})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, h := range site.Halls {
		for _, r := range h.Rows {
			for _, k := range r.Racks {
				rack, err := d.Sim().Rack(k.ID)
				if err != nil {
					t.Fatal(err)
				}
				if c := rack.Curve(); c == nil || !strings.HasPrefix(c.Name, "pdu") {
					t.Errorf("rack %s: got curve %v, want one of the traces'", k.ID, c)
				}
			}
		}
	}
}
