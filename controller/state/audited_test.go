package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
)

// callRecord is the record the API hands down with a placement call.
func callRecord(path string) wire.AuditRecord {
	return wire.AuditRecord{At: t0, Who: "token:ab12 (ci)", Role: wire.RolePlatform, Node: "c1", Method: "POST",
		Path: path, Input: `{"name":"w"}`, Status: 201}
}

// roundTrip encodes cmd as the log holds it, in both codecs, and decodes
// it back: it returns what the CBOR body (version 2) decodes to, having
// checked that the JSON body (version 1) decodes to the same.
func roundTrip(t *testing.T, cmd Command) Command {
	t.Helper()
	var got [2]Command
	for i, tt := range []struct {
		codec   Codec
		version byte
	}{{CodecJSON, 1}, {CodecCBOR, 2}} {
		b, err := EncodeFor(cmd, tt.codec)
		if err != nil {
			t.Fatalf("encode: got %v, want nil", err)
		}
		if MessageType(b[0]) != AuditedType || b[1] != tt.version {
			t.Fatalf("header: got type %d version %d, want %d version %d", b[0], b[1], AuditedType, tt.version)
		}
		if got[i], err = Decode(b); err != nil {
			t.Fatalf("decode version %d: got %v, want nil", tt.version, err)
		}
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Fatalf("decoded: got %+v from CBOR, want %+v as from JSON", got[1], got[0])
	}
	return got[1]
}

// TestAuditedPlacementIsOneEntry: a placement and its call's record are
// one log entry; applying it advances the index by one and leaves both
// the placement and the record, which says what the command did.
func TestAuditedPlacementIsOneEntry(t *testing.T) {
	m := machineWithServers(t)
	before, records := m.View().Index(), len(m.View().Audit())
	place := Place{ID: "pl-1", Key: "k1", Request: req("w", 2, 300), At: t0}
	place.Assignments = decide(t, m, place.Request)
	cmd := roundTrip(t, Audited{Record: callRecord("/v1/placements"), Command: place})
	mustApply(t, m, cmd)
	v := m.View()
	if v.Index() != before+1 {
		t.Errorf("index: got %d, want %d (one entry)", v.Index(), before+1)
	}
	p, ok := v.Placement("pl-1")
	if !ok || len(p.Assignments) != 2 || p.Key != "k1" {
		t.Fatalf("placement: got %+v, %v, want pl-1 with 2 replicas and its key", p, ok)
	}
	a := v.Audit()
	if len(a) != records+1 {
		t.Fatalf("records: got %d, want %d", len(a), records+1)
	}
	r := a[len(a)-1]
	want := callRecord("/v1/placements")
	if r.Who != want.Who || r.Role != want.Role || r.Node != "c1" || r.Path != want.Path || r.Input != want.Input ||
		r.Status != 201 || !r.At.Equal(t0) || r.Seq == 0 {
		t.Errorf("record: got %+v, want the call's %+v, numbered", r, want)
	}
	if !strings.Contains(r.Result, "placed pl-1") || !strings.Contains(r.Result, "2 replica") {
		t.Errorf("result: got %q, want the outcome: placed pl-1, 2 replicas", r.Result)
	}
}

// TestAuditedRefusedKeepsNothing: a command the state refuses refuses the
// entry: no change and no record (the API records the call with its
// answer), and the error is the command's.
func TestAuditedRefusedKeepsNothing(t *testing.T) {
	m := machineWithServers(t)
	records := len(m.View().Audit())
	err := applyErr(m, Audited{Record: callRecord("/v1/placements/pl-9"), Command: RemovePlacement{ID: "pl-9", At: t0}})
	if !errors.Is(err, ErrUnknownPlacement) {
		t.Errorf("remove an unknown placement: got %v, want %v", err, ErrUnknownPlacement)
	}
	if got := len(m.View().Audit()); got != records {
		t.Errorf("records: got %d, want %d: a refused command keeps no record", got, records)
	}
}

// TestAuditedReservationAndRemoval: the outcome names what each command
// did, and removal through an audited entry frees the room as a plain one
// does (Released counts it, the epoch stays).
func TestAuditedReservationAndRemoval(t *testing.T) {
	m := machineWithServers(t)
	res := Place{ID: "pl-2", Request: req("w", 1, 300), Reserve: true, ExpiresAt: t0.Add(time.Hour), At: t0}
	res.Assignments = decide(t, m, res.Request)
	mustApply(t, m, Audited{Record: callRecord("/v1/reservations"), Command: res})
	epoch, released := m.View().Epoch(), m.View().Released()
	mustApply(t, m, Audited{Record: callRecord("/v1/reservations/pl-2"), Command: RemovePlacement{ID: "pl-2", At: t0}})
	if v := m.View(); v.Epoch() != epoch || v.Released() != released+1 {
		t.Errorf("after an audited removal: got epoch %d released %d, want %d and %d", v.Epoch(), v.Released(), epoch, released+1)
	}
	a := m.View().Audit()
	if len(a) != 2 || !strings.Contains(a[0].Result, "reserved pl-2 until") || !strings.Contains(a[1].Result, "removed pl-2") {
		t.Errorf("records: got %+v, want the reservation's then the removal's outcome", a)
	}
	if _, ok := m.View().Placement("pl-2"); ok {
		t.Errorf("pl-2: got still held, want removed")
	}
}

// TestAuditedPlaceKeepsTheEpoch: the record beside an accepted Place does
// not make the leader rebuild its copy of the cluster.
func TestAuditedPlaceKeepsTheEpoch(t *testing.T) {
	m := machineWithServers(t)
	epoch := m.View().Epoch()
	place := Place{ID: "pl-3", Request: req("w", 1, 300), At: t0}
	place.Assignments = decide(t, m, place.Request)
	mustApply(t, m, Audited{Record: callRecord("/v1/placements"), Command: place})
	if got := m.View().Epoch(); got != epoch {
		t.Errorf("epoch: got %d, want %d kept", got, epoch)
	}
	mustApply(t, m, Audited{Record: callRecord("/v1/inventory"), Command: PutSite{Site: serverSite(), At: t0}})
	if got := m.View().Epoch(); got == epoch {
		t.Errorf("epoch after an audited new site: got %d kept, want it moved", got)
	}
}

// TestAuditedKeepsTheInnerVersion: the command inside is written in the
// version it needs and read back whole (a token with halls is version 2).
func TestAuditedKeepsTheInnerVersion(t *testing.T) {
	tok := createToken("a", wire.RoleAgent)
	tok.Token.Halls = []string{"H1"}
	got := roundTrip(t, Audited{Record: callRecord("/v1/tokens"), Command: tok})
	b, _ := EncodeFor(Audited{Record: callRecord("/v1/tokens"), Command: tok}, CodecJSON)
	var body auditedBody
	if err := json.Unmarshal(b[2:], &body); err != nil || body.Version != 2 || body.Type != CreateTokenType {
		t.Errorf("inner header: got type %v version %d (%v), want CreateToken version 2", body.Type, body.Version, err)
	}
	b, _ = Encode(Audited{Record: callRecord("/v1/tokens"), Command: tok})
	var cb auditedCBOR
	if err := cborDec.Unmarshal(b[2:], &cb); err != nil || cb.Version != 2 || cb.Type != CreateTokenType {
		t.Errorf("inner header in CBOR: got type %v version %d (%v), want CreateToken version 2", cb.Type, cb.Version, err)
	}
	a, ok := got.(Audited)
	if !ok {
		t.Fatalf("decoded: got %T, want Audited", got)
	}
	if c, ok := a.Command.(CreateToken); !ok || len(c.Token.Halls) != 1 || c.Hash != tok.Hash {
		t.Errorf("inner: got %+v, want the token with its hall and hash", a.Command)
	}
	if a.Record.Who != "token:ab12 (ci)" || a.Record.Status != 201 {
		t.Errorf("record: got %+v, want the call's", a.Record)
	}
}

// TestAuditedRejects: an audited entry holds exactly one command of a type
// and version this build reads.
func TestAuditedRejects(t *testing.T) {
	if _, err := Encode(Audited{Record: callRecord("/x"), Command: Audited{Record: callRecord("/y"), Command: ExpireReservations{At: t0}}}); !errors.Is(err, ErrMalformedCommand) {
		t.Errorf("encode nested: got %v, want %v", err, ErrMalformedCommand)
	}
	if _, err := Encode(Audited{Record: callRecord("/x")}); !errors.Is(err, ErrMalformedCommand) {
		t.Errorf("encode empty: got %v, want %v", err, ErrMalformedCommand)
	}
	m := New()
	for name, c := range map[string]Command{
		"nested":         Audited{Record: callRecord("/x"), Command: Audited{Record: callRecord("/y"), Command: ExpireReservations{At: t0}}},
		"empty":          Audited{Record: callRecord("/x")},
		"a record no At": Audited{Record: wire.AuditRecord{Who: "x"}, Command: ExpireReservations{At: t0}},
	} {
		if err := applyErr(m, c); !errors.Is(err, ErrMalformedCommand) {
			t.Errorf("apply %s: got %v, want %v", name, err, ErrMalformedCommand)
		}
	}
	if len(m.View().Audit()) != 0 {
		t.Errorf("records: got %d, want none from refused entries", len(m.View().Audit()))
	}
	rec, _ := json.Marshal(callRecord("/x"))
	body := func(typ, version int, cmd string) []byte {
		return append([]byte{byte(AuditedType), 1}, []byte(`{"record":`+string(rec)+`,"type":`+itoa(typ)+`,"version":`+itoa(version)+`,"command":`+cmd+`}`)...)
	}
	for _, tt := range []struct {
		name string
		b    []byte
		want error
	}{
		{"a type this build does not know", body(0x7e, 1, `{}`), ErrUnknownCommand},
		{"a body newer than this build reads", body(int(PlaceType), 9, `{}`), ErrUnknownVersion},
		{"an audited entry inside", body(int(AuditedType), 1, string(body(int(ExpireReservationsType), 1, `{"at":"2026-01-01T00:00:00Z"}`)[2:])), ErrMalformedCommand},
		{"no command", body(int(PlaceType), 1, `null`), ErrMalformedCommand},
		{"a command body that is not JSON", body(int(PlaceType), 1, `"x"`), ErrMalformedCommand},
	} {
		if _, err := Decode(tt.b); !errors.Is(err, tt.want) {
			t.Errorf("decode %s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	// An unknown type marked ignorable is skipped; the call's record stays.
	c, err := Decode(body(int(0x7e|IgnoreUnknown), 1, `{"x":1}`))
	if err != nil {
		t.Fatalf("decode an ignorable unknown type inside: got %v, want nil", err)
	}
	mustApply(t, m, c)
	if a := m.View().Audit(); len(a) != 1 || a[0].Path != "/x" {
		t.Errorf("records: got %+v, want the call's, its command skipped", a)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestLogsWithAndWithoutAuditedReplayAlike: a log written before audited
// entries (the command, then its RecordAudit; the first entry without a
// version byte, as the oldest releases wrote) still replays, to the same
// placements and records as the same calls written as audited entries.
func TestLogsWithAndWithoutAuditedReplayAlike(t *testing.T) {
	seed := machineWithServers(t)
	place := Place{ID: "pl-4", Key: "k", Request: req("w", 2, 300), At: t0}
	place.Assignments = decide(t, seed, place.Request)
	rec := callRecord("/v1/placements")
	site, err := Encode(PutSite{Site: serverSite(), At: t0})
	if err != nil {
		t.Fatal(err)
	}
	legacySite := append([]byte{site[0]}, site[2:]...) // no version byte
	old := [][]byte{legacySite, mustEncode(t, place), mustEncode(t, RecordAudit{Records: []wire.AuditRecord{rec}, At: t0})}
	audited := [][]byte{site, mustEncode(t, Audited{Record: rec, Command: place})}
	replay := func(log [][]byte) *View {
		m := New()
		for i, b := range log {
			c, err := Decode(b)
			if err != nil {
				t.Fatalf("entry %d: got %v, want it read", i+1, err)
			}
			mustApply(t, m, c)
		}
		return m.View()
	}
	a, b := replay(old), replay(audited)
	pa, okA := a.Placement("pl-4")
	pb, okB := b.Placement("pl-4")
	if !okA || !okB || len(pa.Assignments) != 2 || len(pb.Assignments) != 2 {
		t.Fatalf("placements: got %v and %v, want pl-4 in both logs", okA, okB)
	}
	ra, rb := a.Audit(), b.Audit()
	if len(ra) != 1 || len(rb) != 1 || ra[0].Who != rb[0].Who || ra[0].Path != rb[0].Path || ra[0].Seq != rb[0].Seq {
		t.Errorf("records: got %+v from the old log and %+v from the new, want one alike in each", ra, rb)
	}
	if a.Index() != 3 || b.Index() != 2 {
		t.Errorf("entries: got %d old and %d new, want 3 and 2: the record costs no entry of its own", a.Index(), b.Index())
	}
}

// TestSnapshotKeepsAuditedRecords: a record committed with its command is
// in the snapshot and restored, and the restored state hashes alike.
func TestSnapshotKeepsAuditedRecords(t *testing.T) {
	m := machineWithServers(t)
	place := Place{ID: "pl-5", Request: req("w", 1, 300), At: t0}
	place.Assignments = decide(t, m, place.Request)
	mustApply(t, m, Audited{Record: callRecord("/v1/placements"), Command: place})
	var snap bytes.Buffer
	if _, err := m.View().WriteTo(&snap); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatal(err)
	}
	a := r.View().Audit()
	if len(a) != 1 || !strings.Contains(a[0].Result, "placed pl-5") || a[0].Status != 201 {
		t.Errorf("restored records: got %+v, want the placement's", a)
	}
	h1, _ := m.View().Hash()
	if h2, _ := r.View().Hash(); h1 != h2 {
		t.Errorf("hash: got %s restored, %s applied, want equal", h2, h1)
	}
}

func mustEncode(t *testing.T, c Command) []byte {
	t.Helper()
	b, err := Encode(c)
	if err != nil {
		t.Fatalf("encode %T: got %v, want nil", c, err)
	}
	return b
}
