package controller_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoAPIImport keeps the shape of the house: the controller does not
// import the HTTP API, directly or through another package (the API
// consumes the node through interfaces of its own; package internal/serve
// puts the two together).
func TestNoAPIImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/dcplane/dcplane/api" {
			t.Errorf("package controller depends on %s; want the API to consume it through interfaces (see internal/serve)", dep)
		}
	}
	if !strings.Contains(string(out), "github.com/dcplane/dcplane/controller/wire") {
		t.Errorf("go list -deps: got %s, want the controller's dependencies, package wire among them", out)
	}
}
