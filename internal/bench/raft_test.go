package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/peer"
)

// TestRaft runs a small Raft bench against etcd twice: every command
// committed, none lost on any node or member in either run, and each
// figure, the ratio to etcd included, a spread over the two runs in the
// result and in its table; the leader writes the bodies of this build.
func TestRaft(t *testing.T) {
	etcd := peer.Require(t, "etcd", "etcd-server")
	r, err := Raft(t.Context(), RaftConfig{Commands: 200, Clients: []int{1, 32}, Dir: t.TempDir(), Etcd: etcd, Runs: 2})
	if err != nil {
		t.Fatalf("Raft: got %v, want nil", err)
	}
	if len(r.Modes) != 6 || r.Runs != 2 {
		t.Fatalf("modes: got %d over %d runs, want 6 (dcplane/wal, dcplane/bolt, etcd × 2 client counts) over 2", len(r.Modes), r.Runs)
	}
	for i, want := range []string{"dcplane/wal", "dcplane/wal", "dcplane/bolt", "dcplane/bolt", "etcd", "etcd"} {
		if r.Modes[i].System != want {
			t.Errorf("mode %d: got system %q, want %q", i, r.Modes[i].System, want)
		}
	}
	// The log holds what a cluster of this build writes: the followers
	// announced the CBOR bodies, and the leader wrote them.
	if r.Codec != "cbor" {
		t.Errorf("codec: got %q, want cbor", r.Codec)
	}
	for _, m := range r.Modes {
		if m.Errors != 0 || m.PerSec.Min <= 0 || m.Batching.Min <= 0 || m.P99Ms.Min < m.P50Ms.Min {
			t.Errorf("%s with %d clients: got %d errors (%s), %+v/s, ×%+v, p50 %+v p99 %+v ms, want no errors and rates",
				m.System, m.Clients, m.Errors, m.FirstErr, m.PerSec, m.Batching, m.P50Ms, m.P99Ms)
		}
		spreads := map[string]Spread{"seconds": m.Seconds, "per second": m.PerSec, "p50": m.P50Ms, "p99": m.P99Ms, "max": m.MaxMs,
			"× 1 client": m.Batching}
		if m.System != "etcd" {
			spreads["× etcd"] = m.Anchored
		} else if m.Anchored != (Spread{}) {
			t.Errorf("etcd with %d clients: got a ratio to etcd %+v, want none", m.Clients, m.Anchored)
		}
		for name, s := range spreads {
			if s.Runs != 2 || s.Min <= 0 || s.Min > s.Median || s.Median > s.Max {
				t.Errorf("%s with %d clients, %s: got %+v, want 2 runs with 0 < min <= median <= max", m.System, m.Clients, name, s)
			}
		}
		if c := m.CPUCores; c.Runs != 2 || c.Min > c.Median || c.Median > c.Max {
			t.Errorf("%s with %d clients, CPU: got %+v, want 2 runs with min <= median <= max", m.System, m.Clients, c)
		}
	}
	if len(r.Checks) != 6 {
		t.Fatalf("checks: got %d, want one per system and run", len(r.Checks))
	}
	for _, ch := range r.Checks {
		if ch.Acknowledged != 400 || ch.Lost != 0 || ch.Run < 1 || ch.Run > 2 {
			t.Errorf("run %d, %s: got %d acknowledged, %d lost (%s), want 400, 0", ch.Run, ch.System, ch.Acknowledged, ch.Lost, ch.Detail)
		}
	}
	row := r.Rows()[1] // dcplane, 32 clients
	if got, want := row[4], r.Modes[1].PerSec.Cell(0); got != want || strings.Count(got, " / ") != 2 {
		t.Errorf("per second cell: got %q, want %q (min / median / max)", got, want)
	}
	if got, want := row[6], r.Modes[1].Anchored.Cell(2); got != want {
		t.Errorf("× etcd cell: got %q, want %q", got, want)
	}
	if got, want := r.Summary(), SpreadHeader(2, "runs"); !strings.Contains(got, want) || !strings.Contains(got, "run 2, etcd:") {
		t.Errorf("summary: got %q, want it to say %q and give run 2's etcd check", got, want)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"per_second":{"min":`) || !strings.Contains(string(b), `"ratio_to_etcd":{"min":`) {
		t.Errorf("got %s (%v), want per_second and ratio_to_etcd as spreads", b, err)
	}
}

// TestRaftModesOf checks the figures of two runs: the speed-up and the
// ratio to etcd are taken within each run, then every figure is spread
// over the runs and the errors are summed.
func TestRaftModesOf(t *testing.T) {
	run := func(d1, d16, e1, e16 float64, errs int) []modeRun {
		return []modeRun{
			{system: "dcplane", clients: 1, commands: 10, errors: errs, perSec: d1, p50: d1 / 100},
			{system: "dcplane", clients: 16, commands: 10, perSec: d16},
			{system: "etcd", clients: 1, commands: 10, perSec: e1},
			{system: "etcd", clients: 16, commands: 10, perSec: e16},
		}
	}
	runs := [][]modeRun{run(100, 1000, 200, 500, 1), run(300, 1500, 100, 3000, 2)}
	for _, r := range runs {
		anchor(r)
	}
	got := modesOf(runs)
	want := []struct {
		perSec, p50, batching, anchored Spread
		errors                          int
	}{
		{Spread{100, 200, 300, 2}, Spread{1, 2, 3, 2}, Spread{1, 1, 1, 2}, Spread{0.5, 1.75, 3, 2}, 3},
		{Spread{1000, 1250, 1500, 2}, Spread{0, 0, 0, 2}, Spread{5, 7.5, 10, 2}, Spread{0.5, 1.25, 2, 2}, 0},
		{Spread{100, 150, 200, 2}, Spread{0, 0, 0, 2}, Spread{1, 1, 1, 2}, Spread{}, 0},
		{Spread{500, 1750, 3000, 2}, Spread{0, 0, 0, 2}, Spread{2.5, 16.25, 30, 2}, Spread{}, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d modes, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.PerSec != w.perSec || g.P50Ms != w.p50 || g.Batching != w.batching || g.Anchored != w.anchored || g.Errors != w.errors || g.Commands != 10 {
			t.Errorf("%s with %d clients: got %+v, want per second %+v, p50 %+v, × 1 client %+v, × etcd %+v, %d errors, 10 commands",
				g.System, g.Clients, g, w.perSec, w.p50, w.batching, w.anchored, w.errors)
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
