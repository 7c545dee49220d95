package store

import (
	"strings"
	"testing"
	"time"
)

func TestSnapshotSettings(t *testing.T) {
	base := Config{NodeID: "n1", DataDir: "d", RaftAddr: "127.0.0.1:0"}
	withFields := base
	withFields.SnapshotThreshold, withFields.SnapshotInterval, withFields.TrailingLogs = 10, time.Second, 5
	env := map[string]string{envSnapshotThreshold: "200", envSnapshotInterval: "2s", envTrailingLogs: "100"}
	tests := []struct {
		name      string
		cfg       Config
		env       map[string]string
		threshold uint64
		interval  time.Duration
		trailing  uint64
		err       string
	}{
		{"raft's defaults", base, nil, 8192, 120 * time.Second, 10240, ""},
		{"fields", withFields, nil, 10, time.Second, 5, ""},
		{"environment", base, env, 200, 2 * time.Second, 100, ""},
		{"fields win over the environment", withFields, env, 10, time.Second, 5, ""},
		{"bad count", base, map[string]string{envTrailingLogs: "many"}, 0, 0, 0, envTrailingLogs},
		{"bad interval", base, map[string]string{envSnapshotInterval: "5"}, 0, 0, 0, envSnapshotInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := tt.cfg.withDefaults()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("withDefaults: got %v, want an error naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("withDefaults: got %v, want nil", err)
			}
			rc := raftConfig(cfg, newHCLog(cfg.Logger))
			if rc.SnapshotThreshold != tt.threshold || rc.SnapshotInterval != tt.interval || rc.TrailingLogs != tt.trailing {
				t.Errorf("threshold, interval, trailing logs: got %d, %v, %d, want %d, %v, %d",
					rc.SnapshotThreshold, rc.SnapshotInterval, rc.TrailingLogs, tt.threshold, tt.interval, tt.trailing)
			}
		})
	}
}
