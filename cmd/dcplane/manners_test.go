package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/inventory"
)

// cli runs the command tree on args as main does and returns the exit
// code, what went to stdout, and what went to stderr (cobra's and main's).
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	root, g := newRootCmd()
	root.SetArgs(args)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	code = exitCode(root.ExecuteContext(context.Background()), g.started, &errOut)
	return code, out.String(), errOut.String()
}

// serveReport serves rep through the real API server and returns its URL.
func serveReport(t *testing.T, rep *power.Report) string {
	t.Helper()
	fc := &fakeController{report: func() (*power.Report, error) { return rep, nil }}
	ts := httptest.NewServer(api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	t.Cleanup(ts.Close)
	return ts.URL
}

// mannersReport has racks whose IDs are near one another.
func mannersReport() *power.Report {
	rep := &power.Report{At: seen}
	for _, id := range []string{"H1-R01-K01", "H1-R01-K02", "H1-R01-K10", "H1-R01-K11", "H1-R02-K01", "H2-R07-K03"} {
		rep.Racks = append(rep.Racks, known(id, id[:6], 15000, 7500, power.StatusOK))
	}
	return rep
}

// TestMissingArgument checks that a command called without its argument
// names it, says what it is with an example, shows the usage line, and
// exits 2.
func TestMissingArgument(t *testing.T) {
	tests := []struct {
		args      []string
		want, use string
	}{
		{[]string{"rack", "show"}, "rack show RACK: give a rack ID, e.g. H1-R01-K01", "dcplane rack show RACK [flags]"},
		{[]string{"placement", "show"}, "placement show ID: give a placement ID from 'dcplane placement ls', e.g. pl-0123456789abcdef", "dcplane placement show ID [flags]"},
		{[]string{"whatif", "feed-off"}, "whatif feed-off FEED: give a feed, e.g. A", "dcplane whatif feed-off FEED [flags]"},
		{[]string{"whatif", "cooling-off"}, "whatif cooling-off UNIT: give a cooling unit ID, e.g. H1-R01-C1", ""},
		{[]string{"inventory", "validate"}, "inventory validate FILE: give an inventory file", ""},
		{[]string{"inventory", "apply"}, "inventory apply FILE: give an inventory file", ""},
		{[]string{"alerts", "ack"}, "alerts ack ID: give an alert ID from 'dcplane alerts ls', e.g. 'RackOverBudget{", ""},
		{[]string{"alerts", "silence", "--for", "2h"}, "alerts silence ID: give an alert ID", ""},
		{[]string{"cluster", "remove"}, "cluster remove NODE: give a node ID", ""},
		{[]string{"cluster", "snapshot", "save"}, "cluster snapshot save FILE: give the file to write, e.g. dcplane.snap", ""},
		{[]string{"cluster", "snapshot", "restore"}, "cluster snapshot restore FILE: give a snapshot", ""},
		{[]string{"probe", "snmp"}, "probe snmp HOST:PORT: give the device's address, e.g. 10.20.1.7:161", ""},
		{[]string{"probe", "ipmi"}, "probe ipmi HOST[:PORT]: give the BMC's address, e.g. bmc-r07-u12:623", ""},
		{[]string{"rack", "show", "H1-R01-K01", "H1-R01-K02"}, "rack show RACK: give one argument, got 2: H1-R01-K01 H1-R01-K02", "dcplane rack show RACK [flags]"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errs := cli(t, tt.args...)
			if code != 2 {
				t.Errorf("got exit %d, want 2\n%s", code, errs)
			}
			if !strings.HasPrefix(errs, "dcplane: "+tt.want) {
				t.Errorf("got stderr\n%s\nwant it to start: dcplane: %s", errs, tt.want)
			}
			if tt.use != "" && !strings.Contains(errs, "\nUsage: "+tt.use+"\n") {
				t.Errorf("got stderr\n%s\nwant the usage line: %s", errs, tt.use)
			}
			if out != "" {
				t.Errorf("got stdout %q, want nothing", out)
			}
		})
	}
}

// TestUnknownRack checks that an unknown rack ID is answered with the
// nearest known ones, whatever the case, and exits 1.
func TestUnknownRack(t *testing.T) {
	url := serveReport(t, mannersReport())
	tests := []struct {
		rack, want string
	}{
		{"h1-r01-k1", "Did you mean H1-R01-K01?"},
		{"H1-R01-K12", "Did you mean H1-R01-K10, H1-R01-K11 or H1-R01-K02?"},
		{"h1-r01-k01", "Did you mean H1-R01-K01?"},
		{"H2-R7-K3", "Did you mean H2-R07-K03?"},
		{"H1-R02-K1", "Did you mean H1-R02-K01?"},
		{"H1-R03-K01", "Did you mean H1-R01-K01, H1-R02-K01 or H1-R01-K02?"},
		{"nosuch", "'dcplane rack ls' lists the 6 racks"},
	}
	for _, tt := range tests {
		t.Run(tt.rack, func(t *testing.T) {
			code, out, errs := cli(t, "rack", "show", tt.rack, "--controller", url)
			if code != 1 {
				t.Errorf("got exit %d, want 1\n%s", code, errs)
			}
			if !strings.Contains(errs, `rack "`+tt.rack+`" is not in the inventory`) || !strings.Contains(errs, "\n"+tt.want+"\n") {
				t.Errorf("got stderr\n%s\nwant the 404 and then: %s", errs, tt.want)
			}
			if out != "" {
				t.Errorf("got stdout %q, want nothing", out)
			}
		})
	}
}

// TestWrongScheme checks that https:// against a plain-HTTP controller
// says so and which URL to use, and exits 2: the mistake is in
// --controller.
func TestWrongScheme(t *testing.T) {
	url := serveReport(t, mannersReport())
	https := strings.Replace(url, "http://", "https://", 1)
	code, out, errs := cli(t, "rack", "ls", "--controller", https)
	if code != 2 {
		t.Errorf("got exit %d, want 2\n%s", code, errs)
	}
	want := "dcplane: api: the controller at " + https + " answers plain HTTP: use " + url + "\nCorrect --controller or $DCPLANE_CONTROLLER.\n"
	if errs != want {
		t.Errorf("got stderr\n%s\nwant\n%s", errs, want)
	}
	if out != "" {
		t.Errorf("got stdout %q, want nothing", out)
	}
}

// TestUnknownFlag checks that an unknown flag, a bad flag value and an
// unknown subcommand name the command, show its usage line and exit 2.
func TestUnknownFlag(t *testing.T) {
	tests := []struct {
		args        []string
		want, usage string
	}{
		{[]string{"rack", "ls", "--bogus"}, "dcplane: rack ls: unknown flag: --bogus", "Usage: dcplane rack ls [flags]\nRun 'dcplane rack ls --help' for more."},
		{[]string{"whatif", "feed-off", "A", "--hal", "H1"}, "dcplane: whatif feed-off: unknown flag: --hal", "Usage: dcplane whatif feed-off FEED [flags]"},
		{[]string{"alerts", "silence", "X", "--for", "soon"}, `dcplane: alerts silence: invalid argument "soon" for "--for" flag`, "Usage: dcplane alerts silence ID --for 2h [flags]"},
		{[]string{"--bogus", "power"}, "dcplane: unknown flag: --bogus", "Usage: dcplane COMMAND\nRun 'dcplane --help' for more."},
		{[]string{"rack", "bogus"}, `dcplane: rack: unknown command "bogus"`, "Usage: dcplane rack COMMAND\nRun 'dcplane rack --help' for more."},
		{[]string{"rack", "sho"}, `dcplane: rack: unknown command "sho"; did you mean show?`, "Usage: dcplane rack COMMAND"},
		{[]string{"cluster", "snapshot", "load"}, `dcplane: cluster snapshot: unknown command "load"`, "Usage: dcplane cluster snapshot COMMAND"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errs := cli(t, tt.args...)
			if code != 2 {
				t.Errorf("got exit %d, want 2\n%s", code, errs)
			}
			if !strings.HasPrefix(errs, tt.want) || !strings.Contains(errs, "\n"+tt.usage+"\n") {
				t.Errorf("got stderr\n%s\nwant it to start %q and show %q", errs, tt.want, tt.usage)
			}
			if out != "" {
				t.Errorf("got stdout %q, want nothing", out)
			}
		})
	}
}

// TestGroupHelp checks that a command that only groups others still shows
// its help, and exits 0, when called alone.
func TestGroupHelp(t *testing.T) {
	code, out, errs := cli(t, "rack")
	if code != 0 || !strings.Contains(out, "Available Commands:") || !strings.Contains(out, "show ") {
		t.Errorf("got exit %d, stdout\n%s\nstderr %s\nwant 0 and the list of rack's commands", code, out, errs)
	}
}

// TestCompletion checks that each shell gets its script, that the help
// says how to load it, and that the shell completes rack IDs from the
// controller, case-insensitively.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "__start_dcplane",
		"zsh":  "#compdef dcplane",
		"fish": "complete -c dcplane",
	} {
		t.Run(shell, func(t *testing.T) {
			code, out, errs := cli(t, "completion", shell)
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("got exit %d, %d bytes without %q\n%s", code, len(out), want, errs)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		code, out, _ := cli(t, "completion", "--help")
		for _, w := range []string{"source <(dcplane completion bash)", "source <(dcplane completion zsh)", "dcplane completion fish | source"} {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("got exit %d, help\n%s\nwant it to say %s", code, out, w)
			}
		}
	})
	t.Run("unknown shell", func(t *testing.T) {
		if code, _, errs := cli(t, "completion", "tcsh"); code != 2 || !strings.Contains(errs, `completion: unknown command "tcsh"`) {
			t.Errorf("got exit %d, stderr %s; want 2 naming tcsh", code, errs)
		}
	})
	t.Run("rack IDs", func(t *testing.T) {
		url := serveReport(t, mannersReport())
		code, out, errs := cli(t, "__complete", "--controller", url, "rack", "show", "h1-r01-k1")
		want := "H1-R01-K10\nH1-R01-K11\n:4\n"
		if code != 0 || !strings.HasPrefix(out, want) {
			t.Errorf("got exit %d, stdout\n%s\nwant it to start\n%s(%s)", code, out, want, errs)
		}
	})
}

// TestYAMLLikeJSON checks that -o yaml carries what -o json does, field
// for field, and that the exit code does not depend on the format.
func TestYAMLLikeJSON(t *testing.T) {
	url := serveReport(t, tablesReport())
	for _, args := range [][]string{
		{"rack", "ls"},
		{"rack", "show", "K-C"},
		{"power"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			jcode, jout, jerr := cli(t, append(args, "--controller", url, "-o", "json")...)
			ycode, yout, yerr := cli(t, append(args, "--controller", url, "-o", "yaml")...)
			if jcode != 0 || ycode != 0 {
				t.Fatalf("got exits %d (json), %d (yaml), want 0\n%s%s", jcode, ycode, jerr, yerr)
			}
			j, y := decodeJSON(t, jout), decodeYAML(t, yout)
			if !reflect.DeepEqual(j, y) {
				t.Errorf("got yaml\n%s\nwant what json says\n%s", yout, jout)
			}
		})
	}
	t.Run("values", func(t *testing.T) {
		_, out, _ := cli(t, "rack", "show", "K-C", "--controller", url, "-o", "yaml")
		for _, w := range []string{"\nid: K-C\n", "\ndraw_watts: null\n", "\nbudget_watts: 15000\n", "\npdus:\n  - id: K-C-PA\n", `last_seen: "2026-11-23T11:59:58Z"`} {
			if !strings.Contains("\n"+out, w) {
				t.Errorf("got\n%s\nwant it to contain %q", out, w)
			}
		}
	})
}

// TestYAMLEverywhere runs every command that offers -o json against a real
// controller with -o yaml: the same fields at every level, the same exit
// code.
func TestYAMLEverywhere(t *testing.T) {
	url := startController(t, inventory.Reference(4)) // placement_test.go
	// A new leader forecasts a few seconds after it is elected.
	for deadline := time.Now().Add(20 * time.Second); ; {
		code, _, errs := cli(t, "forecast", "--controller", url, "-o", "json")
		if code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("forecast: got exit %d for 20 s, want 0\n%s", code, errs)
		}
		<-time.After(100 * time.Millisecond)
	}
	req := writeRequest(t, "name: portal\nreplicas: 2\ncpu_millicores: 1000\nmemory_mib: 1024\nwatts: 300\nspread: rack\n")
	for _, args := range [][]string{
		{"rack", "ls"},
		{"rack", "show", "H1-R01-K01"},
		{"power"},
		{"alerts", "ls"},
		{"forecast"},
		{"cluster", "members"},
		{"whatif", "feed-off", "A"},
		{"whatif", "cooling-off", "H1-R01-C1"},
		{"place", "-f", req, "--dry-run"},
		{"placement", "ls"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			jcode, jout, jerr := cli(t, append(args, "--controller", url, "-o", "json")...)
			ycode, yout, yerr := cli(t, append(args, "--controller", url, "-o", "yaml")...)
			if jcode != ycode || jcode == 2 {
				t.Fatalf("got exits %d (json), %d (yaml), want the same, not 2\n%s%s", jcode, ycode, jerr, yerr)
			}
			if j, y := shape(decodeJSON(t, jout)), shape(decodeYAML(t, yout)); !reflect.DeepEqual(j, y) {
				t.Errorf("got yaml fields %v, want json's %v\n%s", y, j, yout)
			}
		})
	}
}

func writeRequest(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "req.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("-o json: %v\n%s", err, s)
	}
	return v
}

// decodeYAML decodes s and passes it through JSON, so that its numbers are
// float64 as decodeJSON's are.
func decodeYAML(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("-o yaml: %v\n%s", err, s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("-o yaml: %v", err)
	}
	return decodeJSON(t, string(b))
}

// shape lists the paths of every field of v, list items as [], sorted.
func shape(v any) []string {
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				paths = append(paths, prefix+"."+k)
				walk(prefix+"."+k, e)
			}
		case []any:
			for _, e := range v {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", v)
	sort.Strings(paths)
	return slices.Compact(paths)
}

// TestExampleRacksBounded checks that an absurd --racks is one clear error
// (exit 2), not a site built until the machine runs out of memory.
func TestExampleRacksBounded(t *testing.T) {
	for _, n := range []string{"0", "1601", "1000000000"} {
		code, out, errs := cli(t, "inventory", "example", "--racks", n)
		if code != 2 || out != "" || !strings.Contains(errs, "--racks: "+n+" racks: want 1 to 1600") {
			t.Errorf("--racks %s: got exit %d, stdout %d bytes, stderr %q; want exit 2 naming the range", n, code, len(out), errs)
		}
	}
}
