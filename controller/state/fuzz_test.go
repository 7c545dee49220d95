package state

import (
	"bytes"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// fuzzSeeds are commands of every type this build knows, as the leader
// writes them, and a few shapes of older or foreign entries.
func fuzzSeeds(f *testing.F) {
	site := inventory.Reference(4)
	req := placement.Request{Name: "web", System: "portal", Replicas: 2, CPUMillicores: 2000, MemoryMiB: 4096, Watts: 250,
		Spread: placement.DomainRack}
	cmds := []Command{
		PutSite{Site: site, At: at},
		SetRackBudget{Rack: rackA, Watts: 12500, At: at},
		Place{ID: "p1", Key: "k1", Request: req, Assignments: []placement.Assignment{{Server: "H1-R01-K01-S01", Rack: rackA}}, At: at},
		Place{ID: "r1", Request: req, Reserve: true, ExpiresAt: at.Add(time.Minute), At: at},
		RemovePlacement{ID: "p1", At: at},
		ConfirmReservation{ID: "r1", At: at},
		ExpireReservations{At: at},
		RecordRackPeaks{Peaks: map[string]float64{rackA: 7100.5}, Horizon: time.Hour, At: at},
		SetNodeAPI{Node: "n1", URL: "https://10.0.0.1:8443", At: at},
		RecordAlerts{Transitions: []alerts.Transition{ack("X{}", "ann")}, At: at},
		CreateToken{Token: wire.Token{ID: "abc", Name: "ci", Role: wire.RoleViewer, CreatedAt: at}, Hash: wire.HashToken("dcp_abc_x"), At: at},
		RevokeToken{ID: "abc", By: "token:root (admin)", At: at},
		RecordAudit{Records: []wire.AuditRecord{{At: at, Who: "anonymous", Method: "PUT", Path: "/v1/inventory", Status: 200}}, At: at},
		Ignored{Raw: IgnoreUnknown | 0x7f, Version: 3, Body: []byte(`{"x":1}`)},
		RecordRackPeaks{Peaks: map[string]float64{rackA: 7100.5}, At: at, Servers: map[string]ServerDraw{"H1-R01-K01-S01": {MinWatts: 180, MaxWatts: 420}}},
		Audited{Record: wire.AuditRecord{At: at, Who: "token:abc (ci)", Role: wire.RolePlatform, Method: "POST", Path: "/v1/placements", Status: 201},
			Command: Place{ID: "p2", Key: "k2", Request: req, Assignments: []placement.Assignment{{Server: "H1-R01-K01-S01", Rack: rackA, Feeds: []string{"A", "B"}, Watts: 250}}, At: at}},
		Audited{Record: wire.AuditRecord{At: at, Who: "anonymous", Method: "DELETE", Path: "/v1/placements/p1", Status: 204}, Command: RemovePlacement{ID: "p1", At: at}},
	}
	for _, c := range cmds {
		// The CBOR bodies of the hot commands, then the JSON ones every
		// release reads.
		for _, codec := range []Codec{CodecCBOR, CodecJSON} {
			b, err := EncodeFor(c, codec)
			if err != nil {
				f.Fatalf("seed %T: %v", c, err)
			}
			f.Add(b)
			f.Add(append([]byte{b[0]}, b[2:]...)) // as written before version bytes
		}
	}
	for _, b := range [][]byte{{}, {0}, {0x7f, 1, '{', '}'}, {byte(PlaceType), 99, '{', '}'}, {byte(PutSiteType), 1, 'n', 'u', 'l', 'l'}} {
		f.Add(b)
	}
}

// FuzzCommandDecode: decoding any bytes returns an error or a command; a
// command re-encodes to bytes that decode to a command of the same
// encoding; and applying it to a machine holding a site returns an error
// or a new view, never panics (a log entry that panics Apply would crash
// the node on every restart, as issue 7 found of an unknown type).
func FuzzCommandDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		defer func() {
			if took := time.Since(start); took > time.Second {
				t.Errorf("%d bytes: decoded and applied in %v, want under a second", len(data), took)
			}
		}()
		cmd, err := Decode(data)
		if err != nil {
			if cmd != nil {
				t.Fatalf("Decode: got %T with error %v, want nil with it", cmd, err)
			}
			return
		}
		enc, err := Encode(cmd)
		if err != nil {
			t.Fatalf("Encode of decoded %T: %v", cmd, err)
		}
		again, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode of re-encoded %T (%q): %v", cmd, enc, err)
		}
		enc2, err := Encode(again)
		if err != nil {
			t.Fatalf("Encode of re-decoded %T: %v", again, err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoded: got %q, then %q: want the same", enc, enc2)
		}
		// A known command's encoding is its body, compared above; an
		// ignored one is its fields, which two encodings can share.
		if ig, ok := cmd.(Ignored); ok {
			ag, _ := again.(Ignored)
			if ag.Raw != ig.Raw || ag.Version != ig.Version || !bytes.Equal(ag.Body, ig.Body) {
				t.Fatalf("ignored command %q: got %+v after a round trip, want %+v", data, again, cmd)
			}
		}
		m := New()
		if _, err := m.Apply(1, PutSite{Site: inventory.Reference(4), At: at}); err != nil {
			t.Fatal(err)
		}
		_, _ = m.Apply(2, cmd) // an error or a view; a panic fails the target
	})
}
