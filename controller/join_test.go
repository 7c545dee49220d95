package controller

import (
	"context"
	"errors"
	"testing"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/wire"
)

// joinPeer is a Peer that answers Join with answer and records the
// requests.
type joinPeer struct {
	tokenPeer
	answer func(wire.JoinRequest) error
	got    *[]wire.JoinRequest
}

func (p joinPeer) Join(_ context.Context, req wire.JoinRequest) error {
	*p.got = append(*p.got, req)
	return p.answer(req)
}

// TestJoinAnnouncesReads: a node joins announcing the codec it reads; a
// leader of a release before the field refuses it, as such a leader's API
// does, and the node joins again without it (unannounced, it is written
// JSON); any other refusal is not retried without it.
func TestJoinAnnouncesReads(t *testing.T) {
	// The answer of d3dbc99's API to a field it does not know.
	old := errors.New("Invalid request (HTTP 422): reads: is not a field of this request (see api/openapi.yaml)\n  reads: is not a field of this request (see api/openapi.yaml)")
	refusesReads := func(req wire.JoinRequest) error {
		if req.Reads != 0 {
			return old
		}
		return nil
	}
	other := errors.New("Not the leader (HTTP 421)")
	invalid := errors.New("Invalid request (HTTP 422): id: id and raft_addr are required")
	tests := []struct {
		name    string
		answer  func(wire.JoinRequest) error
		wantErr error
		want    []uint8 // Reads of each request sent
	}{
		{"a leader of this build", func(wire.JoinRequest) error { return nil }, nil, []uint8{uint8(state.CodecCBOR)}},
		{"an older leader", refusesReads, nil, []uint8{uint8(state.CodecCBOR), 0}},
		{"another refusal", func(wire.JoinRequest) error { return other }, other, []uint8{uint8(state.CodecCBOR)}},
		{"another field refused", func(wire.JoinRequest) error { return invalid }, invalid, []uint8{uint8(state.CodecCBOR)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []wire.JoinRequest
			err := join(t.Context(), joinPeer{answer: tt.answer, got: &got}, wire.JoinRequest{ID: "n2", RaftAddr: "a:1", Reads: uint8(state.CodecCBOR)})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err: got %v, want %v", err, tt.wantErr)
			}
			var reads []uint8
			for _, r := range got {
				reads = append(reads, r.Reads)
			}
			if len(reads) != len(tt.want) || (len(reads) > 1 && reads[1] != tt.want[1]) || reads[0] != tt.want[0] {
				t.Errorf("requests' reads: got %v, want %v", reads, tt.want)
			}
		})
	}
}
