package inventory

import (
	"context"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/deploy"
)

// leastFailing is faultLine's definition, searched line by line: the least
// n such that the first n lines of data fail with msg.
func leastFailing(data []byte, msg string) int {
	ends := lineEnds(data)
	for n := 1; n <= len(ends); n++ {
		if err := parseAll(context.Background(), data[:ends[n-1]]); err != nil && problemOf(err) == msg {
			return n
		}
	}
	return -1
}

// TestFaultLineIsTheLeastFailingPrefix breaks each line of the test sites
// in the ways fingers do (indentation, tabs, a brace, a quote, a colon or a
// dash lost) and checks that faultLine, which parses from the construct
// that failed and gallops, finds what a search line by line finds.
func TestFaultLineIsTheLeastFailingPrefix(t *testing.T) {
	edits := []func(string) string{
		func(s string) string { return strings.TrimPrefix(s, "  ") },
		func(s string) string { return "  " + s },
		func(s string) string { return "\t" + strings.TrimLeft(s, " ") },
		func(s string) string { return strings.Replace(s, "}", "", 1) },
		func(s string) string { return strings.Replace(s, `"`, "", 1) },
		func(s string) string { return strings.Replace(s, ": ", " ", 1) },
		func(s string) string { return strings.Replace(s, "- ", "", 1) },
	}
	for _, f := range []string{"testdata/small.yaml", "testdata/servers.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		broken, moved := 0, 0
		for i := range lines {
			for e, edit := range edits {
				l := append([]string(nil), lines...)
				l[i] = edit(l[i])
				data := []byte(strings.Join(l, "\n"))
				_, err := parseTree(context.Background(), data)
				if err == nil {
					continue
				}
				broken++
				msg := problemOf(err)
				from := 0
				if g := yamlLine.FindStringSubmatch(strings.TrimPrefix(err.Error(), "yaml: ")); g != nil {
					from, _ = strconv.Atoi(g[1])
				}
				got, want := faultLine(context.Background(), data, from, msg), leastFailing(data, msg)
				if got != want {
					t.Errorf("%s line %d, edit %d (%q): got line %d, want %d (the library said %d)", f, i+1, e, msg, got, want, from)
				}
				if got != from {
					moved++
				}
			}
		}
		// The test means something only if the library was often wrong.
		if broken < 50 || moved < broken/4 {
			t.Errorf("%s: got %d broken files, %d with the library's line moved, want at least 50 and a quarter", f, broken, moved)
		}
	}
}

// TestFaultLineInALargeSite: in the 2 MB reference site, a server indented
// too little near the end (not the first of its rack, which would be
// written as YAML allows) is found at its line, which the library put many lines
// before.
func TestFaultLineInALargeSite(t *testing.T) {
	lines := strings.Split(string(deploy.ReferenceSite), "\n")
	n := len(lines) - 39
	for _, l := range lines[n-2 : n] {
		if !strings.HasPrefix(l, "              - {id: ") {
			t.Fatalf("got %q at line %d or before, want servers of the last rack", l, n)
		}
	}
	lines[n-1] = lines[n-1][2:]
	_, err := Parse("ref.yaml", []byte(strings.Join(lines, "\n")))
	want := "ref.yaml:" + strconv.Itoa(n) + ": did not find expected key (check this line's indentation against the lines it belongs with)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestFirstFailing(t *testing.T) {
	for _, tt := range []struct{ lo, hi, first, want int }{
		{0, 10, 1, 1}, {0, 10, 2, 2}, {0, 10, 7, 7}, {0, 10, 10, 10},
		{4, 100, 5, 5}, {4, 100, 37, 37}, {4, 100, 99, 99},
		{0, 10, 11, 10}, // none fails: hi
	} {
		calls := 0
		got := firstFailing(tt.lo, tt.hi, func(n int) bool { calls++; return n >= tt.first })
		if got != tt.want {
			t.Errorf("firstFailing(%d, %d) with the fault at %d: got %d, want %d", tt.lo, tt.hi, tt.first, got, tt.want)
		}
		if calls > 2*bits.Len(uint(tt.hi-tt.lo))+1 {
			t.Errorf("firstFailing(%d, %d) with the fault at %d: got %d calls, want about 2·log₂ of the distance", tt.lo, tt.hi, tt.first, calls)
		}
	}
}
