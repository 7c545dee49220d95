package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/peer"
)

// TestExitCodes checks what a script sees: 2 for a mistake on the command
// line, 1 for a failure, 0 for success.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		args   []string
		want   int
		stderr string
	}{
		{[]string{"inventory", "validate", "../../internal/inventory/testdata/small.yaml"}, 0, ""},
		{[]string{"nosuch"}, 2, "unknown command"},
		{[]string{"rack", "show"}, 2, "rack show RACK: give a rack ID"},
		{[]string{"agent"}, 2, "agent: give --credentials FILE and --inventory FILE"},
		{[]string{"rack", "ls", "--bogus"}, 2, "Usage: dcplane rack ls [flags]"},
		{[]string{"rack", "ls", "-o", "xml"}, 2, "want table, json or yaml"},
		{[]string{"rack", "ls", "--controller", "http://127.0.0.1:1"}, 1, "Start a controller"},
		{[]string{"inventory", "validate", "nonexistent.yaml"}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			root, g := newRootCmd()
			root.SetArgs(tt.args)
			root.SetOut(io.Discard)
			root.SetErr(io.Discard)
			var stderr bytes.Buffer
			got := exitCode(root.ExecuteContext(context.Background()), g.started, &stderr)
			if got != tt.want {
				t.Errorf("got exit %d, want %d (%s)", got, tt.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("got stderr %q, want it to contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestStdLogTo: what a library writes with the standard log package comes
// out as a text line of dcplane's loggers, not in capnslog's format, which
// the binary's imports install over the log package (see stdLogTo).
func TestStdLogTo(t *testing.T) {
	prev := slog.Default()
	defer slog.SetDefault(prev)
	var buf peer.Log
	stdLogTo(&buf)
	log.Print("http: TLS handshake error from 127.0.0.1:1: EOF")
	got := buf.String()
	if !strings.Contains(got, `level=INFO msg="http: TLS handshake error from 127.0.0.1:1: EOF"`) || strings.Contains(got, " I | ") {
		t.Errorf("got %q, want a slog text line", got)
	}
}
