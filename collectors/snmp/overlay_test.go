package snmp

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/peer"
	"github.com/dcplane/dcplane/sim"
)

// TestMatchWalk checks that MatchWalk chooses, for every recorded walk of
// ../shared/snmprec, the profile Detect chooses for a device answering as
// the walk says, probes included; and that a walk no profile matches is
// ErrNoProfile.
func TestMatchWalk(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(peer.Recordings(t), "*.snmprec"))
	if err != nil || len(files) == 0 {
		t.Fatalf("recordings: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		recs, err := sim.LoadSnmprec(f)
		if err != nil {
			t.Fatal(err)
		}
		sameAsDetect(t, filepath.Base(f), sim.Varbinds(recs))
	}
	// An rPDU2 whose walk says its module object is noSuchObject does not
	// answer the profile's probe: not an rPDU2, however its sysObjectID reads.
	sameAsDetect(t, "rPDU2 without its probe", []gosnmp.SnmpPDU{
		{Name: oidSysObjectID, Type: gosnmp.ObjectIdentifier, Value: "1.3.6.1.4.1.318.1.3.4.6"},
		{Name: "1.3.6.1.4.1.318.1.1.26.4.3.1.2.1", Type: gosnmp.NoSuchObject},
	})
	if _, err := MatchWalk(Defs(), []gosnmp.SnmpPDU{{Name: oidSysObjectID, Type: gosnmp.ObjectIdentifier, Value: "1.3.6.1.4.1.99999.1"}}); !errors.Is(err, ErrNoProfile) {
		t.Errorf("unknown device: got %v, want ErrNoProfile", err)
	}
}

// sameAsDetect checks that MatchWalk chooses for pdus what Detect chooses
// for a device that answers as pdus say.
func sameAsDetect(t *testing.T, name string, pdus []gosnmp.SnmpPDU) {
	t.Helper()
	byName := map[string]gosnmp.SnmpPDU{}
	for _, p := range pdus {
		byName[p.Name] = p
	}
	client := &fakeClient{get: func(_ context.Context, oids []string) ([]gosnmp.SnmpPDU, error) {
		out := make([]gosnmp.SnmpPDU, len(oids))
		for i, o := range oids {
			p, ok := byName[strings.TrimPrefix(o, ".")]
			if !ok {
				p = gosnmp.SnmpPDU{Name: o, Type: gosnmp.NoSuchObject}
			}
			out[i] = p
		}
		return out, nil
	}}
	want, wantErr := Detect(t.Context(), client, Defs())
	got, err := MatchWalk(Defs(), pdus)
	if (err == nil) != (wantErr == nil) || (err != nil && !errors.Is(err, ErrNoProfile)) {
		t.Errorf("%s: got error %v, want %v", name, err, wantErr)
		return
	}
	if got.Profile != want.Profile || got.Why != want.Why {
		t.Errorf("%s: got %s (%s), want %s (%s)", name, profileName(got.Profile), got.Why, profileName(want.Profile), want.Why)
	}
}

func profileName(d *Def) string {
	if d == nil {
		return "none"
	}
	return d.Name()
}
