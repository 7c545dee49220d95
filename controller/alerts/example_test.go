package alerts

import (
	"os"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// exampleFile is the documented example of a site's thresholds that ops
// copy (deploy/README.md).
const exampleFile = "../../deploy/alerts/thresholds.yaml"

// TestExampleIsTheDefaults keeps deploy/alerts/thresholds.yaml equal to
// DefaultConfig, so that the example documents what a controller without
// --alert-thresholds does: a default changed in code alone, or in the file
// alone, fails here. Every threshold must be written in the file: one left
// out would take its default and so guard nothing.
func TestExampleIsTheDefaults(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseConfig(exampleFile, data)
	if err != nil {
		t.Fatalf("got %v, want the example to load", err)
	}
	if want := DefaultConfig(); got != want {
		t.Errorf("got\n\t%+v\nwant the defaults\n\t%+v", got, want)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	indexLines(root.Content[0], "", lines)
	leaves := leafPaths(reflect.TypeFor[Config](), "")
	if len(leaves) < 25 {
		t.Fatalf("got %d thresholds, want every field of Config", len(leaves))
	}
	for _, f := range leaves {
		if lines[f] == 0 {
			t.Errorf("got no %s in %s, want every threshold written out", f, exampleFile)
		}
	}
}

// leafPaths lists the dotted YAML paths of the thresholds of struct t: its
// fields that are not structs themselves.
func leafPaths(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		p := prefix + yamlName(f)
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leafPaths(f.Type, p+".")...)
			continue
		}
		out = append(out, p)
	}
	return out
}
