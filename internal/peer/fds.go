package peer

import (
	"os"
	"syscall"
	"testing"
)

// WithoutDescriptors runs f while this process can open no new file
// descriptor (its RLIMIT_NOFILE lowered to the lowest free one), as a
// host out of them, and restores the limit after. Tests that use it must
// not run in parallel with others.
func WithoutDescriptors(tb testing.TB, f func()) {
	tb.Helper()
	fd, err := os.Open(os.DevNull) // the lowest free descriptor
	if err != nil {
		tb.Fatal(err)
	}
	free := fd.Fd()
	fd.Close()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	low := lim
	low.Cur = uint64(free)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			tb.Fatal(err)
		}
	}()
	f()
}
