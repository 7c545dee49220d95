package inventory

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/deploy"
)

// TestParseTreeStopsWhenTheClientLeaves: the YAML parser reads through the
// context, so that a parse under way stops with it.
func TestParseTreeStopsWhenTheClientLeaves(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = parseTree(ctx, deploy.ReferenceSite)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("got %d KB allocated, want the parse stopped before it began", n>>10)
	}
}

// TestPrescanCountsCloseToTheTree: the estimate of the reference site is
// between 0.8 and 1.5 times its nodes, and text in comments and quotes is not counted.
func TestPrescanCountsCloseToTheTree(t *testing.T) {
	root, err := parseTree(context.Background(), deploy.ReferenceSite)
	if err != nil {
		t.Fatal(err)
	}
	m := measurer{size: map[*yaml.Node]extent{}, open: map[*yaml.Node]bool{}}
	e, err := m.extent(root)
	if err != nil {
		t.Fatal(err)
	}
	est, _ := countStarts(context.Background(), deploy.ReferenceSite, math.MaxInt)
	if r := float64(est) / float64(e.nodes); r < 0.8 || r > 1.5 {
		t.Errorf("got an estimate of %d for %d nodes (%.2f), want within 0.8 to 1.5", est, e.nodes, r)
	}
	commas := bytes.Repeat([]byte(", - a: "), MaxNodes)
	for _, doc := range [][]byte{
		append(append([]byte(`name: "`), commas...), '"'),
		append(append([]byte(`name: 'it''s `), commas...), '\''),
		append([]byte("name: x # "), commas...),
		append(append([]byte("# "), commas...), []byte("\nname: x")...),
	} {
		if err := prescan(context.Background(), doc); err != nil {
			t.Errorf("got %v for %.20q…, want no limit: quoted and comment text are not nodes", err, doc)
		}
	}
}
