package state

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/wire"
)

// oldLog is the directory of entries captured from the build before CBOR
// bodies (commit d3dbc99): JSON bodies with a version byte, the same
// without it (legacy/, as releases before version bytes wrote them), the
// snapshot of the state after them and that state's hash. The entries
// follow a PutSite of serverSite at t0, at index 1.
const oldLog = "testdata/log-before-cbor"

// replay applies serverSite, then each entry, decoded, and returns the
// state's hash.
func replay(t *testing.T, entries [][]byte) string {
	t.Helper()
	m := New()
	if _, err := m.Apply(1, PutSite{Site: serverSite(), At: t0}); err != nil {
		t.Fatal(err)
	}
	for i, b := range entries {
		cmd, err := Decode(b)
		if err != nil {
			t.Fatalf("entry %d: decode: got %v, want nil", i+2, err)
		}
		if _, err := m.Apply(uint64(i+2), cmd); err != nil {
			t.Fatalf("entry %d (%T): apply: got %v, want nil", i+2, cmd, err)
		}
	}
	h, err := m.View().Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func readEntries(t *testing.T, dir string) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.bin"))
	if err != nil || len(files) != 8 {
		t.Fatalf("%s: got %d entries (%v), want 8", dir, len(files), err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestOldLogReplays: a log written before CBOR bodies, with version bytes
// or without, replays to the state the build that wrote it reached; the
// same commands written anew (CBOR where the type has it) reach it too;
// and that build's snapshot restores to it.
func TestOldLogReplays(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(oldLog, "state.hash"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(b))
	versioned := readEntries(t, oldLog)
	if got := replay(t, versioned); got != want {
		t.Errorf("versioned JSON entries: got state %s, want %s", got, want)
	}
	if got := replay(t, readEntries(t, filepath.Join(oldLog, "legacy"))); got != want {
		t.Errorf("entries without a version byte: got state %s, want %s", got, want)
	}
	var anew [][]byte
	cbors := 0
	for _, e := range versioned {
		cmd, err := Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Encode(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if s := commands[MessageType(b[0])&^IgnoreUnknown]; s.cbor != 0 && b[1] == s.cbor {
			cbors++
		}
		anew = append(anew, b)
	}
	if cbors != 7 {
		t.Errorf("entries written anew in CBOR: got %d, want 7 (all but SetNodeAPI)", cbors)
	}
	if got := replay(t, anew); got != want {
		t.Errorf("the same commands in CBOR: got state %s, want %s", got, want)
	}
	f, err := os.Open(filepath.Join(oldLog, "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := New()
	if err := m.Restore(f); err != nil {
		t.Fatalf("restore the old snapshot: got %v, want nil", err)
	}
	if got, _ := m.View().Hash(); got != want {
		t.Errorf("old snapshot restored: got state %s, want %s", got, want)
	}
}

// TestEncodeForWritesTheCodecsVersions: readers of JSON only get the JSON
// versions; readers of CBOR get the CBOR version of the hot commands and
// JSON of the others.
func TestEncodeForWritesTheCodecsVersions(t *testing.T) {
	place := Place{ID: "p", Request: req("w", 1, 100), Assignments: []placement.Assignment{{Server: srvA, Rack: rackA, Feeds: []string{"A"}}}, At: t0}
	peaks := RecordRackPeaks{Peaks: map[string]float64{rackA: 1}, At: t0}
	tests := []struct {
		cmd   Command
		codec Codec
		want  byte
	}{
		{place, CodecJSON, 1},
		{place, CodecCBOR, 2},
		{peaks, CodecJSON, 1},
		{peaks, CodecCBOR, 3},
		{Audited{Record: callRecord("/p"), Command: place}, CodecJSON, 1},
		{Audited{Record: callRecord("/p"), Command: place}, CodecCBOR, 2},
		{ExpireReservations{At: t0}, CodecCBOR, 1},
		// A time that Unix nanoseconds cannot hold: the JSON version.
		{Place{ID: "p", Request: req("w", 1, 100), At: time.Date(1492, 10, 12, 0, 0, 0, 0, time.UTC)}, CodecCBOR, 1},
		{Place{ID: "p", Request: req("w", 1, 100), At: time.Unix(0, 0)}, CodecCBOR, 1},
		{Audited{Record: wire.AuditRecord{At: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}, Command: place}, CodecCBOR, 1},
	}
	for _, tt := range tests {
		b, err := EncodeFor(tt.cmd, tt.codec)
		if err != nil {
			t.Fatal(err)
		}
		if b[1] != tt.want {
			t.Errorf("%T for codec %d: got body version %d, want %d", tt.cmd, tt.codec, b[1], tt.want)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%T version %d: decode: got %v, want nil", tt.cmd, b[1], err)
		}
		again, _ := EncodeFor(got, tt.codec)
		if !bytes.Equal(again, b) {
			t.Errorf("%T version %d: re-encoded to other bytes:\n got % x\nwant % x", tt.cmd, b[1], again, b)
		}
	}
}

// TestCBORPlaceCarriesEverything: every field of a Place, its request and
// its assignments, and of an audited call's record, comes back from a
// CBOR body as it went in.
func TestCBORPlaceCarriesEverything(t *testing.T) {
	full := Place{ID: "p", Key: "k", Request: placement.Request{Name: "n", System: "s", Replicas: 2, CPUMillicores: 3,
		MemoryMiB: 4, GPUs: 5, Watts: 6.5, Utilisation: 0.7, Spread: placement.DomainRack, Strategy: "spread", BothFeeds: true,
		Profile: []float64{0.5, 1}, Hall: "H1", Row: "R1", Labels: map[string]string{"tier": "a"}, Priority: 9},
		Assignments: []placement.Assignment{{Replica: 1, Server: "s1", Rack: "k1", Row: "r1", Hall: "h1", Feeds: []string{"A", "B"}, Watts: 7.25}},
		Reserve:     true, ExpiresAt: t0.Add(time.Hour + time.Nanosecond), At: t0.Add(time.Nanosecond)}
	rec := wire.AuditRecord{Seq: 3, At: t0.Add(time.Microsecond), Who: "w", Role: wire.RoleAdmin, Node: "n", Method: "POST",
		Path: "/p", Input: "i", Status: 409, Result: "r"}
	for _, cmd := range []Command{full, Audited{Record: rec, Command: full}} {
		b, err := Encode(cmd)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, cmd) {
			t.Errorf("%T through CBOR:\n got %+v\nwant %+v", cmd, got, cmd)
		}
	}
	b, _ := Encode(Audited{Record: rec, Command: full})
	var body auditedCBOR
	if err := cborDec.Unmarshal(b[2:], &body); err != nil || body.Type != PlaceType || body.Version != 2 {
		t.Errorf("the Place inside: got type %v version %d (%v), want Place version 2 (CBOR)", body.Type, body.Version, err)
	}
	if n := reflect.TypeOf(wire.AuditRecord{}).NumField(); n != reflect.TypeOf(auditRecordCBOR{}).NumField() {
		t.Errorf("wire.AuditRecord has %d fields, auditRecordCBOR %d: give the new one a key", n, reflect.TypeOf(auditRecordCBOR{}).NumField())
	}
}

// TestCBORCarriesAnyBytes: a text field holding bytes that are not UTF-8
// (a client's raw query string in an audit record, a name) decodes as it
// was encoded: an entry the leader committed never stops a node that
// applies it (the CBOR decoder's default is to refuse such text).
func TestCBORCarriesAnyBytes(t *testing.T) {
	place := Place{ID: "p\xff", Request: req("w\xfe", 1, 100), Assignments: []placement.Assignment{{Server: srvA, Rack: rackA, Feeds: []string{"A"}}}, At: t0}
	rec := callRecord("/v1/placements?a=\xff\xfe")
	rec.Who, rec.Input = "token:\xc3", "\x80"
	for _, cmd := range []Command{place, Audited{Record: rec, Command: place}} {
		b, err := EncodeFor(cmd, CodecCBOR)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%T with bytes that are not UTF-8: decode: got %v, want it as it was written", cmd, err)
		}
		if !reflect.DeepEqual(got, cmd) {
			t.Errorf("%T through CBOR:\n got %+v\nwant %+v", cmd, got, cmd)
		}
	}
}

// TestCBORDecodeLimits: a CBOR body the encoder would never write, or
// past the decoding limits, is a malformed command, not an allocation.
func TestCBORDecodeLimits(t *testing.T) {
	place := func(b []byte) []byte { return append([]byte{byte(PlaceType), 2}, b...) }
	peaks := func(b []byte) []byte { return append([]byte{byte(RecordRackPeaksType), 3}, b...) }
	many := func(n int) []byte { // Place{Assignments: n empty maps}
		b := []byte{0xa1, 0x04, 0x9a, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		return append(b, bytes.Repeat([]byte{0xa0}, n)...)
	}
	// An unknown key, which a reader skips, holding arrays in arrays: the
	// body's map and those nest deeper than the limit by one.
	nested := func(arrays int) []byte {
		b := append([]byte{0xa1, 0x18, 0x63}, bytes.Repeat([]byte{0x81}, arrays)...)
		return append(b, 0x00)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"indefinite-length map", place([]byte{0xbf, 0x01, 0x61, 'p', 0xff})},
		{"duplicate key", place([]byte{0xa2, 0x01, 0x61, 'p', 0x01, 0x61, 'q'})},
		{"NaN", peaks([]byte{0xa1, 0x01, 0xa1, 0x61, 'k', 0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1})},
		{"infinity", peaks([]byte{0xa1, 0x01, 0xa1, 0x61, 'k', 0xf9, 0x7c, 0x00})},
		{"a tag", place([]byte{0xa1, 0x18, 0x63, 0xc1, 0x01})},
		{"more assignments than the limit", place(many(maxCBORArray + 1))},
		{"nested past the limit", place(nested(maxCBORNesting))},
		{"a length past the end", place([]byte{0xa1, 0x01, 0x7b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
		{"a type that overflows a byte", append([]byte{byte(AuditedType), 2}, 0xa2, 0x02, 0x19, 0x01, 0x03, 0x04, 0x41, 0x00)},
		{"JSON where CBOR is due", place([]byte(`{"id":"p"}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(tt.in); !errors.Is(err, ErrMalformedCommand) {
				t.Errorf("got %v, want %v", err, ErrMalformedCommand)
			}
		})
	}
	if _, err := Decode(peaks(peaksMap(maxCBORMap + 1))); !errors.Is(err, ErrMalformedCommand) {
		t.Errorf("more peaks than the limit: got %v, want %v", err, ErrMalformedCommand)
	}
	if _, err := Decode(peaks(peaksMap(maxCBORMap))); err != nil {
		t.Errorf("peaks at the limit: got %v, want nil", err)
	}
	if _, err := Decode(place(many(maxCBORArray))); err != nil {
		t.Errorf("assignments at the limit: got %v, want nil", err)
	}
	if _, err := Decode(place(nested(maxCBORNesting - 1))); err != nil {
		t.Errorf("nested at the limit, under an unknown key: got %v, want nil", err)
	}
	if _, err := Decode(append([]byte{byte(PlaceType), 3}, 0xa0)); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Place version 3: got %v, want %v", err, ErrUnknownVersion)
	}
}

// peaksMap is a RecordRackPeaks CBOR body of n distinct racks' peaks.
func peaksMap(n int) []byte {
	b := []byte{0xa1, 0x01, 0xba, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	for i := range n {
		b = append(b, 0x64, byte('a'+i%26), byte('a'+i/26%26), byte('a'+i/676%26), byte('a'+i/17576%26), 0x01)
	}
	return b
}

// TestCBOREncoderIsDeterministic: equal commands are equal bytes, map
// order notwithstanding, so that a body's hash or a re-encoding is stable.
func TestCBOREncoderIsDeterministic(t *testing.T) {
	peaks := map[string]float64{}
	for i := range 64 {
		peaks[string(rune('a'+i%26))+string(rune('A'+i/26))] = float64(i)
	}
	first, err := Encode(RecordRackPeaks{Peaks: peaks, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if b, _ := Encode(RecordRackPeaks{Peaks: peaks, At: t0}); !bytes.Equal(b, first) {
			t.Fatalf("got % x, then % x: want the same bytes", first, b)
		}
	}
	var m map[any]any
	if err := cbor.Unmarshal(first[2:], &m); err != nil || len(m) != 2 {
		t.Errorf("body: got %v (%v), want a map of peaks and time", m, err)
	}
}

// TestNodeReadsAnnounced: a node's announced codec is kept apart from its
// URL, survives a snapshot, and is CodecJSON when none was announced.
func TestNodeReadsAnnounced(t *testing.T) {
	m := New()
	mustApply(t, m, SetNodeAPI{Node: "n1", URL: "https://n1:8443", At: t0})
	if got := m.View().NodeReads("n1"); got != CodecJSON {
		t.Errorf("announced nothing: got %d, want %d", got, CodecJSON)
	}
	mustApply(t, m, SetNodeAPI{Node: "n2", Reads: CodecCBOR, At: t0})
	mustApply(t, m, SetNodeAPI{Node: "n1", URL: "https://n1:8443", Reads: CodecCBOR, At: t0})
	var buf bytes.Buffer
	if _, err := m.View().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n1", "n2"} {
		if got := r.View().NodeReads(n); got != CodecCBOR {
			t.Errorf("%s after a snapshot: got %d, want %d", n, got, CodecCBOR)
		}
	}
	if _, ok := r.View().NodeAPI("n2"); ok {
		t.Errorf("n2: got an API URL, want none (it announced its codec only)")
	}
	mustApply(t, r, SetNodeAPI{Node: "n1", At: t0.Add(time.Second)})
	if got := r.View().NodeReads("n1"); got != CodecJSON {
		t.Errorf("n1 forgotten: got %d, want %d", got, CodecJSON)
	}
}
