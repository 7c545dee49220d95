//go:build faults

package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the dcplane binary the tests start, built once per run.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "dcplane-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "dcplane")
	// With the race detector: the nodes' logs are checked for races.
	build := exec.Command("go", "build", "-race", "-o", binary, "github.com/dcplane/dcplane/cmd/dcplane")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "faults: go build ./cmd/dcplane:", err)
		return 1
	}
	return m.Run()
}
