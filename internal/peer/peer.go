// Package peer finds, for tests, what lives outside this repository: the
// programs no one here wrote that dcplane is tested against (snmpsimd,
// snmpd, snmpbulkwalk, promtool…), the recorded SNMP walks in
// ../shared/snmprec and the real traces in ../shared/traces.
//
// The policy is the same everywhere: under CI=true a missing peer or
// recording fails the test, since CI installs them; elsewhere the test is
// skipped with a message saying how to get it.
package peer

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Require returns the path of the program name, which Debian's package pkg
// installs.
func Require(tb testing.TB, name, pkg string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	missing(tb, "%s not found: apt-get install -y %s", name, pkg)
	return ""
}

// Recordings returns the folder of recorded SNMP walks: ../shared/snmprec
// beside the module root.
func Recordings(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("peer: cannot locate the module root")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "snmprec")
	if _, err := os.Stat(dir); err != nil {
		missing(tb, "recordings not found at %s: the repository's checkout needs ../shared beside it", dir)
	}
	return dir
}

// Traces returns the folder of the real data-centre traces named (for
// example "google-power-2019"): ../shared/traces/NAME beside the module
// root.
func Traces(tb testing.TB, name string) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("peer: cannot locate the module root")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "traces", name)
	if _, err := os.Stat(dir); err != nil {
		missing(tb, "traces not found at %s: the repository's checkout needs ../shared beside it", dir)
	}
	return dir
}

func missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("CI=true, so this fails: "+format, args...)
	}
	tb.Skipf(format, args...)
}
