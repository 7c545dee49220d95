package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestControllerRefusesBadAlertThresholds: dcplane controller given an
// --alert-thresholds file that breaks the rules exits 2 before it opens
// anything, naming every problem by file, line and field; a file that is
// not there is named too.
func TestControllerRefusesBadAlertThresholds(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "thresholds.yaml")
	if err := os.WriteFile(bad, []byte("rack:\n  warning: 0.9\n  critical: 0.85\ntelemetry:\n  stale_for: -1m\n  agent_dead: 2m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"rules broken", bad, []string{"--alert-thresholds",
			bad + ":6: telemetry.agent_dead: unknown field"}},
		{"missing", filepath.Join(dir, "none.yaml"), []string{"--alert-thresholds", "none.yaml", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(dir, "data-"+strings.ReplaceAll(tt.name, " ", "-"))
			code, _, stderr := cli(t, "controller", "--insecure", "--data-dir", data, "--http-addr", "127.0.0.1:0",
				"--raft-addr", "127.0.0.1:0", "--bootstrap", "--alert-thresholds", tt.file)
			if code == 0 {
				t.Errorf("got exit 0, want a failure (%s)", stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("got stderr %q, want it to say %q", stderr, w)
				}
			}
			if m, _ := filepath.Glob(filepath.Join(data, "*")); len(m) > 0 {
				t.Errorf("got %v in the data directory, want nothing opened", m)
			}
		})
	}
	// The rules a file breaks are reported once it has no unknown field.
	if err := os.WriteFile(bad, []byte("rack:\n  warning: 0.9\n  critical: 0.85\ntelemetry:\n  stale_for: -1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli(t, "controller", "--insecure", "--data-dir", filepath.Join(dir, "d3"), "--http-addr", "127.0.0.1:0",
		"--raft-addr", "127.0.0.1:0", "--bootstrap", "--alert-thresholds", bad)
	if code != 2 {
		t.Errorf("got exit %d, want 2 (%s)", code, stderr)
	}
	for _, w := range []string{bad + ":3: rack.critical: want more than rack.warning (0.9), got 0.85",
		bad + ":5: telemetry.stale_for: want a duration ≥ 0, got -1m0s"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("got stderr %q, want it to say %q", stderr, w)
		}
	}
}
