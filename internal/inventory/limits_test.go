package inventory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/deploy"
	"github.com/dcplane/dcplane/internal/inventory"
)

// allocated returns the bytes fn allocates (freed or not): what parsing a
// body costs the controller at its peak is no more than that.
func allocated(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// billionLaughs is the alias bomb: ten levels of nine aliases of the level
// below, 9^10 nodes expanded, in under 1 KB.
func billionLaughs() []byte {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 9 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("name: *l10\n")
	return []byte(b.String())
}

// TestHostileInventoriesAreRefusedCheaply feeds Parse what took the
// controller to gigabytes (issue 7): each is refused with a problem that
// names the limit, having allocated a bounded amount.
func TestHostileInventoriesAreRefusedCheaply(t *testing.T) {
	const eightMB = 8 << 20
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"flow list of 4 million nodes", append([]byte("halls: [1"), append(bytes.Repeat([]byte(",1"), eightMB/2), ']')...),
			"more than 1048576 nodes (the limit)"},
		{"block list of 2 million nodes", append([]byte("halls:\n"), bytes.Repeat([]byte("- 1\n"), eightMB/4)...),
			"more than 1048576 nodes (the limit)"},
		{"mapping of 1.2 million nodes", append([]byte("halls:\n- "), bytes.Repeat([]byte("a: 1\n  "), inventory.MaxNodes/2+1000)...),
			"more than 1048576 nodes (the limit)"},
		{"billion laughs", billionLaughs(), "expands to more than 1048576 nodes (the limit)"},
		{"flow nesting", []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)), "nest more than 64 deep (the limit)"},
		{"block nesting", blockNest(100), "nest more than 64 deep (the limit)"},
		{"many aliases", append([]byte("x: &x 1\nlabels: ["), append(bytes.Repeat([]byte("*x,"), inventory.MaxAliases), []byte("*x]\n")...)...),
			"10001 aliases, more than 10000 (the limit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = inventory.Parse("body", tt.body) })
			var ve *inventory.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, inventory.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a ValidationError naming %q", err, tt.want)
			}
			const bound = 64 << 20
			if n > bound {
				t.Errorf("got %d MB allocated, want under %d MB", n>>20, bound>>20)
			}
			t.Logf("%d KB body refused after %d KB allocated: %v", len(tt.body)>>10, n>>10, err)
		})
	}
}

func blockNest(depth int) []byte {
	var b strings.Builder
	for i := range depth {
		fmt.Fprintf(&b, "%sa:\n", strings.Repeat(" ", i))
	}
	fmt.Fprintf(&b, "%s1\n", strings.Repeat(" ", depth))
	return []byte(b.String())
}

// TestReferenceSiteIsWithinTheLimits: the limits leave room for sites
// several times the reference's size, and say what it costs to parse.
func TestReferenceSiteIsWithinTheLimits(t *testing.T) {
	var err error
	n := allocated(func() { _, err = inventory.Parse(deploy.ReferenceSiteName, deploy.ReferenceSite) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the reference site (%d KB) allocates %d MB to parse", len(deploy.ReferenceSite)>>10, n>>20)
}

// TestParseStopsWhenTheClientLeaves: a done context stops the parse.
func TestParseStopsWhenTheClientLeaves(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := inventory.ParseContext(ctx, "body", deploy.ReferenceSite); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
