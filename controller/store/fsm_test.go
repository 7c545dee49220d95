package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
)

func newFSM() *fsm {
	return (*fsm)(&Store{machine: state.New(), logger: slog.New(slog.DiscardHandler)})
}

func encode(t *testing.T, cmd state.Command) []byte {
	t.Helper()
	b, err := state.Encode(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFSMApply(t *testing.T) {
	f := newFSM()
	res := f.Apply(&raft.Log{Index: 3, Data: encode(t, state.PutSite{Site: inventory.Reference(4), At: at})}).(applyResult)
	if res.err != nil || res.view.Index() != 3 || res.view.Site() == nil {
		t.Fatalf("PutSite: got %+v, want the site at index 3", res)
	}
	res = f.Apply(&raft.Log{Index: 4, Data: encode(t, state.PutSite{Site: invalidSite(), At: at})}).(applyResult)
	if !errors.Is(res.err, inventory.ErrInvalid) {
		t.Errorf("invalid site: got %v, want %v", res.err, inventory.ErrInvalid)
	}
	// A command from a newer release that old nodes may skip.
	res = f.Apply(&raft.Log{Index: 5, Data: []byte{0x80 | 0x70, '{', '}'}}).(applyResult)
	if res.err != nil || f.machine.View().Index() != 5 {
		t.Errorf("ignorable unknown: got %v at index %d, want nil at 5", res.err, f.machine.View().Index())
	}
}

func TestFSMApplyUndecodableHalts(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"unknown type", []byte{0x70, 2, '{', '}'}, "entry 7 (term 2): decode type 112, body version 2"},
		{"body too new", append([]byte{byte(state.SetRackBudgetType), 9}, `{}`...), "entry 7 (term 2): decode SetRackBudget body version 9"},
		{"corrupt body", []byte{byte(state.PutSiteType), '{'}, "entry 7 (term 2): decode PutSite body version 0"},
		{"empty", nil, "entry 7 (term 2): decode: empty command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFSM()
			f.Apply(&raft.Log{Index: 6, Data: encode(t, state.PutSite{Site: inventory.Reference(4), At: at})})
			res := f.Apply(&raft.Log{Index: 7, Term: 2, Data: tt.data}).(applyResult)
			if !errors.Is(res.err, ErrHalted) || !strings.Contains(res.err.Error(), tt.want) {
				t.Fatalf("got %v, want %v naming %q", res.err, ErrHalted, tt.want)
			}
			// Nothing more is applied, and no snapshot is taken.
			res = f.Apply(&raft.Log{Index: 8, Data: encode(t, state.SetRackBudget{Rack: rackA, Watts: 9000, At: at})}).(applyResult)
			if !errors.Is(res.err, ErrHalted) || f.machine.View().Index() != 6 {
				t.Errorf("after the halt: got %v at index %d, want %v at 6", res.err, f.machine.View().Index(), ErrHalted)
			}
			if _, err := f.Snapshot(); !errors.Is(err, ErrHalted) {
				t.Errorf("Snapshot: got %v, want %v", err, ErrHalted)
			}
			if err := (*Store)(f).haltErr(); !strings.Contains(fmt.Sprint(err), tt.want) {
				t.Errorf("haltErr: got %v, want it to name %q", err, tt.want)
			}
		})
	}
}

// fakeSink is a raft.SnapshotSink whose Write fails when failWrite is set.
type fakeSink struct {
	failWrite         bool
	closed, cancelled bool
}

func (s *fakeSink) Write(p []byte) (int, error) {
	if s.failWrite {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}
func (s *fakeSink) Close() error  { s.closed = true; return nil }
func (s *fakeSink) Cancel() error { s.cancelled = true; return nil }
func (s *fakeSink) ID() string    { return "fake" }

func TestPersist(t *testing.T) {
	tests := []struct {
		name                    string
		failWrite               bool
		wantClosed, wantCancels bool
	}{
		{"ok", false, true, false},
		{"write fails", true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := newFSM().Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			sink := &fakeSink{failWrite: tt.failWrite}
			err = snap.Persist(sink)
			if (err != nil) != tt.failWrite || sink.closed != tt.wantClosed || sink.cancelled != tt.wantCancels {
				t.Errorf("got err %v, closed %v, cancelled %v, want error %v, closed %v, cancelled %v",
					err, sink.closed, sink.cancelled, tt.failWrite, tt.wantClosed, tt.wantCancels)
			}
			snap.Release()
		})
	}
}
