package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/api"
)

// The tests of this file are the first hour of a new user (issue 10's
// review): each command's stderr, stdout and exit code.

// serveProblem answers every request with the problem p, as the API does,
// and returns its URL.
func serveProblem(t *testing.T, p api.Problem) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", api.MediaProblem)
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(p)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// firstHourCase is a command line, what stderr must hold (and, in
// notWant, must not) and the exit code.
type firstHourCase struct {
	name    string
	args    []string
	code    int
	want    []string
	notWant []string
}

func runFirstHour(t *testing.T, tests []firstHourCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, tt.args...)
			if code != tt.code {
				t.Errorf("got exit %d, want %d\n%s", code, tt.code, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("got stderr\n%s\nwant it to hold %q", errs, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(errs, w) {
					t.Errorf("got stderr\n%s\nwant it not to hold %q", errs, w)
				}
			}
			if out != "" {
				t.Errorf("got stdout %q, want nothing", out)
			}
		})
	}
}

// TestUnknownFlagBeforeCommand checks that an unknown flag before the
// command is reported as such, not as the word after the command being an
// unknown command (cobra reads the flag as taking the command as its
// value), and that a subcommand's near miss gets a suggestion (issue 10 C,
// G).
func TestUnknownFlagBeforeCommand(t *testing.T) {
	runFirstHour(t, []firstHourCase{
		{"unknown flag before rack ls", []string{"--nope", "rack", "ls"}, 2,
			[]string{"dcplane: unknown flag: --nope\nUsage: dcplane COMMAND\nRun 'dcplane --help' for more.\n"}, []string{"tls", `"ls"`}},
		{"unknown flag between", []string{"rack", "--nope", "ls"}, 2,
			[]string{"dcplane: rack: unknown flag: --nope\nUsage: dcplane rack COMMAND\n"}, nil},
		{"unknown root command", []string{"rakc"}, 2,
			[]string{`dcplane: unknown command "rakc"; did you mean rack?` + "\nUsage: dcplane COMMAND\n"}, nil},
		{"rack lst", []string{"rack", "lst"}, 2,
			[]string{`dcplane: rack: unknown command "lst"; did you mean ls?` + "\nUsage: dcplane rack COMMAND\n"}, nil},
		{"placement shwo", []string{"placement", "shwo"}, 2, []string{`did you mean show?`}, nil},
	})
	if code, out, errs := cli(t); code != 0 || !strings.Contains(out, "Available Commands:") {
		t.Errorf("dcplane alone: got exit %d, stdout\n%s\nstderr %s\nwant 0 and the help", code, out, errs)
	}
}

// TestRequiredFlags checks that a missing required flag is named as it is
// typed, with its value, by the command that wants it, with the usage line
// and exit code 2 (issue 10 D, L).
func TestRequiredFlags(t *testing.T) {
	runFirstHour(t, []firstHourCase{
		{"place", []string{"place"}, 2,
			[]string{"dcplane: place: give -f/--file REQUEST.yaml\nUsage: dcplane place", "Run 'dcplane place --help' for more."}, []string{"required flag"}},
		{"bench forecast", []string{"bench", "forecast"}, 2,
			[]string{"dcplane: bench forecast: give --trace FILE (the traces are in ../shared/traces/google-power-2019/*.csv)\nUsage: "}, nil},
		{"two missing", []string{"tls", "issue", "--dir", t.TempDir()}, 2,
			[]string{"dcplane: tls issue: give --name NAME and --role ROLE (controller, agent or operator)\nUsage: dcplane tls issue"}, []string{"CA"}},
	})
}

// TestTLSIssueWithoutCA checks that issuing in a directory without a CA
// says how to make one there (issue 10 L).
func TestTLSIssueWithoutCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	runFirstHour(t, []firstHourCase{
		{"no CA", []string{"tls", "issue", "--dir", dir, "--role", "agent", "--name", "a1"}, 1,
			[]string{"dcplane: tls issue: no site CA in " + dir, "create one with 'dcplane tls init --dir " + dir + "'"}, nil},
	})
}

// TestTokenRefusedHint checks that a refused or missing token is followed
// by where a valid one is, keyed on the problem's type (issue 10 E).
func TestTokenRefusedHint(t *testing.T) {
	stale := serveProblem(t, api.Problem{Type: api.ProblemUnauthenticated, Title: "Unauthenticated", Status: http.StatusUnauthorized,
		Detail: "the bearer token is not one of this cluster's"})
	forbidden := serveProblem(t, api.Problem{Type: api.ProblemForbidden, Title: "Forbidden", Status: http.StatusForbidden,
		Detail: "the token's role viewer may not do this"})
	hint := []string{"a restarted demo or a new cluster has a new one", "export DCPLANE_TOKEN=", "admin-token"}
	runFirstHour(t, []firstHourCase{
		{"stale token", []string{"power", "--controller", stale}, 1,
			append([]string{"dcplane: Unauthenticated (HTTP 401): the bearer token is not one of this cluster's\n"}, hint...), nil},
		{"a token of too small a role", []string{"power", "--controller", forbidden}, 1, []string{"Forbidden (HTTP 403)"}, hint[:1]},
	})
}

// TestProblemSaidOnce checks that the API's detail is printed once when its
// field problem says the same (issue 10 F), and that a bad --status or
// --severity is a mistake on the command line.
func TestProblemSaidOnce(t *testing.T) {
	detail := `whatif: no cooling unit "h1-r01-c9" in the inventory; did you mean H1-R01-C1?`
	url := serveProblem(t, api.Problem{Type: api.ProblemNotFound, Title: "No such cooling unit", Status: http.StatusNotFound,
		Detail: detail, Errors: []api.FieldProblem{{Field: "unit", Detail: detail}}})
	invalid := serveProblem(t, api.Problem{Type: api.ProblemInvalid, Title: "Invalid request", Status: http.StatusUnprocessableEntity,
		Detail: "hall: want one of H1, H2", Errors: []api.FieldProblem{{Field: "hall", Detail: "want one of H1, H2"}, {Field: "rack", Detail: "no rack K9"}}})
	runFirstHour(t, []firstHourCase{
		{"whatif cooling-off", []string{"whatif", "cooling-off", "h1-r01-c9", "--controller", url}, 1,
			[]string{"dcplane: No such cooling unit (HTTP 404): " + detail + "\n"}, []string{"unit: whatif"}},
		{"a field the detail does not say", []string{"power", "--controller", invalid}, 1,
			[]string{"dcplane: Invalid request (HTTP 422): hall: want one of H1, H2\n  rack: no rack K9\n"}, []string{"  hall:"}},
		{"alerts ls --status bogus", []string{"alerts", "ls", "--status", "bogus", "--controller", url}, 2,
			[]string{"dcplane: alerts ls --status \"bogus\": want pending or firing\nUsage: dcplane alerts ls"}, nil},
		{"alerts ls --severity high", []string{"alerts", "ls", "--severity", "high", "--controller", url}, 2,
			[]string{"--severity \"high\": want critical or warning"}, nil},
		{"alerts ls --rule", []string{"alerts", "ls", "--rule", "RackOverBudge", "--controller", url}, 2,
			[]string{`--rule "RackOverBudge": no such rule; the rules: `, "RackOverBudget"}, nil},
	})
	if c := strings.Count(mustCLI(t, "whatif", "cooling-off", "h1-r01-c9", "--controller", url), detail); c != 1 {
		t.Errorf("got the detail %d times, want once", c)
	}
}

// mustCLI returns the stderr of a command line.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	_, _, errs := cli(t, args...)
	return errs
}

// TestNoPlacement checks that an unknown placement ID is said without the
// controller's internals, with where to find the IDs (issue 10 G).
func TestNoPlacement(t *testing.T) {
	url := serveProblem(t, api.Problem{Type: api.ProblemNotFound, Title: "No such placement", Status: http.StatusNotFound,
		Detail: `placement "pl-nope": state: unknown placement`})
	for _, verb := range []string{"show", "rm", "confirm"} {
		runFirstHour(t, []firstHourCase{
			{verb, []string{"placement", verb, "pl-nope", "--controller", url}, 1,
				[]string{"dcplane: no placement \"pl-nope\" ('dcplane placement ls' lists them)\n"}, []string{"state:"}},
		})
	}
}

// TestInventoryOutput checks that -o json is honoured by inventory validate
// (the counts, or the problems with their lines and fields, exit 1) and by
// inventory example (the site as JSON), and that a bad -o is refused
// (issue 10 H).
func TestInventoryOutput(t *testing.T) {
	small := "../../internal/inventory/testdata/small.yaml"
	code, out, errs := cli(t, "inventory", "validate", small, "-o", "json")
	var v validation
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || !v.Valid || v.Site != "test-dpc" ||
		v.Counts == nil || v.Counts.Racks != 1 || v.Counts.PDUs != 2 || len(v.Problems) != 0 {
		t.Errorf("valid: got exit %d, %+v (%v)\n%s%s", code, v, err, out, errs)
	}

	bad := writeFile(t, "bad.yaml", strings.Replace(readTestFile(t, small), "profile: apc-rpdu2", "profil: apc-rpdu2", 1))
	code, out, errs = cli(t, "inventory", "validate", bad, "-o", "json")
	v = validation{}
	want := problemOut{Line: 12, Field: "halls[0].rows[0].racks[0].pdus[0].snmp.profil", Message: "unknown field; did you mean profile?"}
	if err := json.Unmarshal([]byte(out), &v); code != 1 || err != nil || v.Valid || len(v.Problems) != 1 || v.Problems[0] != want {
		t.Errorf("invalid: got exit %d, %+v (%v), want 1 and the problem %+v\n%s", code, v, err, want, out)
	}
	if !strings.Contains(errs, "the inventory is invalid: 1 problem(s), listed on stdout") {
		t.Errorf("invalid: got stderr %q, want it to say the problems are on stdout", errs)
	}

	code, out, errs = cli(t, "inventory", "example", "--racks", "2", "-o", "json")
	var site struct {
		Site  string           `json:"site"`
		Halls []map[string]any `json:"halls"`
	}
	if err := json.Unmarshal([]byte(out), &site); code != 0 || err != nil || site.Site != "city-dpc" || len(site.Halls) == 0 {
		t.Errorf("example -o json: got exit %d, %+v (%v)\n%s", code, site, err, errs)
	}
	if code, out, _ := cli(t, "inventory", "example", "--racks", "2", "-o", "yaml"); code != 0 || !strings.Contains(out, "site: city-dpc") {
		t.Errorf("example -o yaml: got exit %d, want the YAML file", code)
	}
	runFirstHour(t, []firstHourCase{
		{"example -o xml", []string{"inventory", "example", "-o", "xml"}, 2, []string{`-o "xml"`}, nil},
		{"validate -o xml", []string{"inventory", "validate", small, "-o", "xml"}, 2, []string{`-o "xml"`}, nil},
	})
}

func readTestFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
