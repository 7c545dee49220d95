package store

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestHCLogAdapter(t *testing.T) {
	tests := []struct {
		name    string
		handler slog.Level
		log     func(hclog.Logger)
		want    string // "" when nothing must be written
	}{
		{"info", slog.LevelInfo, func(l hclog.Logger) { l.Info("entering leader state", "term", 2) },
			`level=INFO msg="entering leader state" term=2`},
		{"error key renamed", slog.LevelInfo, func(l hclog.Logger) { l.Error("failed", "error", errors.New("boom")) },
			`level=ERROR msg=failed err=boom`},
		{"named and with", slog.LevelInfo, func(l hclog.Logger) { l.Named("raft").Named("snapshot").With("id", 3).Warn("slow") },
			`level=WARN msg=slow logger=raft.snapshot id=3`},
		{"hclog.Fmt", slog.LevelInfo, func(l hclog.Logger) { l.Info("config", "servers", hclog.Fmt("%+v", []int{1, 2})) },
			`level=INFO msg=config servers="[1 2]"`},
		{"debug filtered", slog.LevelInfo, func(l hclog.Logger) { l.Debug("heartbeat") }, ""},
		{"trace below debug", slog.LevelDebug, func(l hclog.Logger) { l.Trace("noise") }, ""},
		{"trace kept", levelTrace, func(l hclog.Logger) { l.Trace("noise") }, `level=DEBUG-4 msg=noise`},
		{"standard logger", slog.LevelInfo, func(l hclog.Logger) {
			l.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Warn}).Print("legacy")
		}, `level=WARN msg=legacy`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			h := slog.NewTextHandler(&b, &slog.HandlerOptions{
				Level: tt.handler,
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey {
						return slog.Attr{}
					}
					return a
				},
			})
			tt.log(newHCLog(slog.New(h)))
			if got := strings.TrimSpace(b.String()); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHCLogAdapterLevels(t *testing.T) {
	l := newHCLog(slog.New(slog.NewTextHandler(nil, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if l.IsInfo() || !l.IsWarn() || !l.IsError() {
		t.Errorf("IsInfo, IsWarn, IsError: got %v %v %v, want false true true", l.IsInfo(), l.IsWarn(), l.IsError())
	}
	if got := l.GetLevel(); got != hclog.Warn {
		t.Errorf("GetLevel: got %v, want %v", got, hclog.Warn)
	}
}
