package bench

import (
	"bytes"
	"testing"

	"github.com/dcplane/dcplane/internal/peer"
)

// TestRaft runs a small Raft bench against etcd: every command committed,
// none lost on any node or member, the rates and ratios filled in.
func TestRaft(t *testing.T) {
	etcd := peer.Require(t, "etcd", "etcd-server")
	r, err := Raft(t.Context(), RaftConfig{Commands: 300, Clients: []int{1, 32}, Dir: t.TempDir(), Etcd: etcd})
	if err != nil {
		t.Fatalf("Raft: got %v, want nil", err)
	}
	if len(r.Modes) != 4 {
		t.Fatalf("modes: got %d, want 4 (2 systems × 2 client counts)", len(r.Modes))
	}
	for _, m := range r.Modes {
		if m.Errors != 0 || m.PerSec <= 0 || m.Batching <= 0 || m.P99Ms < m.P50Ms {
			t.Errorf("%s with %d clients: got %d errors (%s), %.0f/s, ×%.1f, p50 %.2f p99 %.2f ms, want no errors and rates",
				m.System, m.Clients, m.Errors, m.FirstErr, m.PerSec, m.Batching, m.P50Ms, m.P99Ms)
		}
		if (m.System == "dcplane") != (m.Anchored > 0) {
			t.Errorf("%s with %d clients: ratio to etcd %.2f, want one for dcplane only", m.System, m.Clients, m.Anchored)
		}
	}
	if len(r.Checks) != 2 {
		t.Fatalf("checks: got %d, want one per system", len(r.Checks))
	}
	for _, ch := range r.Checks {
		if ch.Acknowledged != 600 || ch.Lost != 0 {
			t.Errorf("%s: got %d acknowledged, %d lost (%s), want 600, 0", ch.System, ch.Acknowledged, ch.Lost, ch.Detail)
		}
	}
}

// TestProtobuf checks the hand-made protobuf fields against bytes protoc
// would write, and reads them back.
func TestProtobuf(t *testing.T) {
	got := pbVarint(pbBytes(nil, 1, []byte("ab")), 9, 1)
	if want := []byte{0x0a, 2, 'a', 'b', 0x48, 1}; !bytes.Equal(got, want) {
		t.Errorf("encode: got % x, want % x", got, want)
	}
	ints, msgs, err := pbParse(append(got, 0x25, 1, 2, 3, 4)) // and a fixed32 field 4, skipped
	if err != nil || ints[9] != 1 || string(msgs[1]) != "ab" {
		t.Errorf("parse: got %v, %q, %v, want 9=1, 1=ab, nil", ints, msgs[1], err)
	}
	if _, _, err := pbParse([]byte{0x0a, 5, 'a'}); err == nil {
		t.Errorf("parse of a truncated field: got nil, want an error")
	}
}
