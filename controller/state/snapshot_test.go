package state

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSnapshotRestore(t *testing.T) {
	tests := []struct {
		name string
		cmds []Command
	}{
		{"empty", nil},
		{"history", history()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := run(t, tt.cmds, false)
			m := New()
			if err := m.Restore(bytes.NewReader(want)); err != nil {
				t.Fatalf("Restore: got %v, want nil", err)
			}
			var got bytes.Buffer
			if _, err := m.View().WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("got\n%s\nwant\n%s", got.Bytes(), want)
			}
			if got, want := m.View().Index(), uint64(len(tt.cmds)); got != want {
				t.Errorf("Index: got %d, want %d", got, want)
			}
		})
	}
}

func TestRestoredStateApplies(t *testing.T) {
	cmds := history()
	m := New()
	if err := m.Restore(bytes.NewReader(run(t, cmds[:3], false))); err != nil {
		t.Fatal(err)
	}
	for i, c := range cmds[3:] {
		m.Apply(uint64(i+4), c) //nolint:errcheck // rejections are part of the history
	}
	var got bytes.Buffer
	if _, err := m.View().WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if want := run(t, cmds, false); !bytes.Equal(got.Bytes(), want) {
		t.Errorf("got\n%s\nwant\n%s", got.Bytes(), want)
	}
	if w, err := m.View().RackBudgetWatts(rackA); err != nil || w != 11000 {
		t.Errorf("RackBudgetWatts: got %v, %v, want 11000, nil", w, err)
	}
}

func TestRestoreRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"not JSON", "PK\x03\x04"},
		{"truncated", `{"format":1,"index":3,"site":{"site":"x","halls":[`},
		{"future format", fmt.Sprintf(`{"format":%d,"index":3}`, snapshotFormat+1)},
		{"no format", `{"index":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			mustApply(t, m, history()[0])
			before := m.View()
			err := m.Restore(strings.NewReader(tt.in))
			if !errors.Is(err, ErrSnapshotFormat) {
				t.Errorf("got %v, want %v", err, ErrSnapshotFormat)
			}
			if m.View() != before {
				t.Errorf("state: got a new view, want it unchanged")
			}
		})
	}
}
