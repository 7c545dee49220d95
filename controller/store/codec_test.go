package store

import (
	"testing"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/controller/state"
)

// peaksVersion applies a RecordRackPeaks through s and returns the body
// version of the entry the log holds.
func peaksVersion(t *testing.T, s *Store) byte {
	t.Helper()
	v, err := s.Apply(testContext(t), state.RecordRackPeaks{Peaks: map[string]float64{rackA: 1000}, At: at})
	if err != nil {
		t.Fatalf("apply peaks: got %v, want nil", err)
	}
	var l raft.Log
	if err := s.logs.GetLog(v.Index(), &l); err != nil {
		t.Fatalf("read entry %d: %v", v.Index(), err)
	}
	if state.MessageType(l.Data[0]) != state.RecordRackPeaksType {
		t.Fatalf("entry %d: got type %d, want RecordRackPeaks", v.Index(), l.Data[0])
	}
	return l.Data[1]
}

// TestCodecWaitsForEveryMember: a single node writes CBOR bodies at once
// (it reads them itself); a leader with a member that has not announced
// CodecCBOR writes JSON, which an older member reads, until the member
// announces it; a member that takes it back, or a new one, turns it back
// to JSON; and removing the member that held it back lets CBOR through.
func TestCodecWaitsForEveryMember(t *testing.T) {
	const json, cbor = 1, 3 // RecordRackPeaks' body versions
	single := openLeader(t, testConfig("solo", t.TempDir(), true))
	putSite(t, single)
	if got := peaksVersion(t, single); got != cbor {
		t.Errorf("single node: got body version %d, want %d", got, cbor)
	}

	leader, followers := openCluster(t, 2)
	putSite(t, leader)
	if got := peaksVersion(t, leader); got != json {
		t.Errorf("a member that announced nothing: got body version %d, want %d", got, json)
	}
	announce := func(node string, reads state.Codec) {
		t.Helper()
		if _, err := leader.Apply(testContext(t), state.SetNodeAPI{Node: node, Reads: reads, At: at}); err != nil {
			t.Fatalf("announce %s reads %d: got %v, want nil", node, reads, err)
		}
	}
	announce(followers[0].ID(), state.CodecCBOR)
	if got := peaksVersion(t, leader); got != cbor {
		t.Errorf("every member announced CBOR: got body version %d, want %d", got, cbor)
	}
	waitSameState(t, leader, followers...)
	announce(followers[0].ID(), 0)
	if got := peaksVersion(t, leader); got != json {
		t.Errorf("the member took its announcement back: got body version %d, want %d", got, json)
	}
	announce(followers[0].ID(), state.CodecCBOR)
	if got := leader.Codec(); got != state.CodecCBOR {
		t.Errorf("announced again: got codec %d, want %d", got, state.CodecCBOR)
	}
	late := open(t, clusterConfig("n3", t.TempDir(), false))
	if err := leader.Join(testContext(t), late.ID(), late.Addr()); err != nil {
		t.Fatal(err)
	}
	if got := peaksVersion(t, leader); got != json {
		t.Errorf("a new member that announced nothing: got body version %d, want %d", got, json)
	}
	if err := leader.Remove(testContext(t), late.ID()); err != nil {
		t.Fatal(err)
	}
	if got := peaksVersion(t, leader); got != cbor {
		t.Errorf("the member removed: got body version %d, want %d", got, cbor)
	}
	waitSameState(t, leader, followers...)
}
