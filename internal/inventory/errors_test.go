package inventory_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// The tests of this file pin whole messages: each problem of a broken file,
// by line, field, what is wanted and what was found, and no other (issue
// 10: an error points at the fault).

// secondRack is a second rack for testdata/small.yaml, at lines 17-27 once
// inserted by twoRacks, its budget at line 18.
const secondRack = `          - id: H1-R01-K02
            budget_kw: 15
            pdus:
              - id: H1-R01-K02-PA
                feed: A
                breaker_a: 32
                snmp: {address: "127.0.0.1:16103", profile: apc-rpdu2, credentials: snmp-ro}
              - id: H1-R01-K02-PB
                feed: B
                breaker_a: 32
                snmp: {address: "127.0.0.1:16104", profile: apc-rpdu2, credentials: snmp-ro}
`

// twoRacks adds secondRack to small.yaml, then applies edits to it.
func twoRacks(edits ...string) func(string) string {
	return func(s string) string {
		s = strings.Replace(s, "        cooling:\n", secondRack+"        cooling:\n", 1)
		return strings.NewReplacer(edits...).Replace(s)
	}
}

// singleQuoted quotes the addresses of the file with single quotes, as
// 'dcplane inventory example' writes them, then applies edit.
func singleQuoted(edit func(string) string) func(string) string {
	return func(s string) string {
		return edit(regexp.MustCompile(`"(127[^"]*)"`).ReplaceAllString(s, "'${1}'"))
	}
}

// replaceLine replaces line n (from 1) of s.
func replaceLine(n int, text string) func(string) string {
	return func(s string) string {
		lines := strings.Split(s, "\n")
		lines[n-1] = text
		return strings.Join(lines, "\n")
	}
}

func TestErrorsPointAtTheFault(t *testing.T) {
	tabHint := " (indent with spaces: YAML does not allow tabs in indentation)"
	tests := []struct {
		name string
		edit func(string) string
		want []string // the problems, whole, in order
	}{
		// Syntax: the line of the fault, which the YAML library named one
		// or more lines before.
		{"tab in the indentation", replaceLine(10, "\t\tfeed: A"),
			[]string{"site.yaml:10: found a tab character that violates indentation" + tabHint}},
		{"tab before a list item", replaceLine(7, "\t  - id: H1-R01-K01"),
			[]string{"site.yaml:7: found character that cannot start any token" + tabHint}},
		{"key indented too little", replaceLine(11, "              breaker_a: 32"),
			[]string{"site.yaml:11: did not find expected '-' indicator (check this line's indentation against the lines it belongs with)"}},
		{"key indented too much", replaceLine(11, "                  breaker_a: 32"),
			[]string{`site.yaml:11: mapping values are not allowed in this context (check this line's indentation, or quote a value that holds ": ")`}},
		{"a list item out of line", twoRacks("          - id: H1-R01-K02\n", "         - id: H1-R01-K02\n"),
			[]string{"site.yaml:17: did not find expected key (check this line's indentation against the lines it belongs with)"}},
		{"a quote left open", strings.NewReplacer(`"127.0.0.1:16100"`, `"127.0.0.1:16100`).Replace,
			[]string{`site.yaml:12: the quoted string that opens here with " is never closed: it runs on to line 16, where the parser found: did not find expected ',' or '}' (add its closing ")`}},
		// A single quote runs on to the next single quote (here the
		// address's at line 16), where the parser stops at the colon that
		// follows: the fault is still the opening line (issue 10 A).
		{"a single quote left open in a value", singleQuoted(insertAfter("          - id: H1-R01-K01\n", "            budget_kw: '15\n")),
			[]string{`site.yaml:8: the quoted string that opens here with ' is never closed: it runs on to line 13, where the parser found: mapping values are not allowed in this context (add its closing ')`}},
		{"a single quote left open on the first line", singleQuoted(replaceLine(1, "site: 'test-dpc")),
			[]string{`site.yaml:1: the quoted string that opens here with ' is never closed: it runs on to line 12, where the parser found: mapping values are not allowed in this context (add its closing ')`}},
		{"a double quote left open to the end", singleQuoted(insertAfter("          - id: H1-R01-K01\n", "            budget_kw: \"15\n")),
			[]string{`site.yaml:8: the quoted string that opens here with " is never closed: it runs on to the end of the file (add its closing ")`}},
		{"an apostrophe in a plain word is no quote", insertAfter("          - id: H1-R01-K01\n", "            labels: {note: it's, part: x-'y}\n            budget_kw: '15\n"),
			[]string{`site.yaml:9: the quoted string that opens here with ' is never closed: it runs on to the end of the file (add its closing ')`}},
		{"a flow mapping left open", strings.NewReplacer("credentials: snmp-ro}\n              - id: H1-R01-K01-PB", "credentials: snmp-ro\n              - id: H1-R01-K01-PB").Replace,
			[]string{"site.yaml:12: did not find expected ',' or '}'"}},

		// Types: the field's path, what it wants and what it got.
		{"a string for a number, in the second rack", twoRacks("budget_kw: 15", "budget_kw: fifteen"),
			[]string{`site.yaml:18: halls[0].rows[0].racks[1].budget_kw: want a number in kW, got "fifteen"`}},
		{"a list for a mapping", strings.NewReplacer(`snmp: {address: "127.0.0.1:16101", profile: apc-rpdu2, credentials: snmp-ro}`, `snmp: ["127.0.0.1:16101", apc-rpdu2]`).Replace,
			[]string{"site.yaml:16: halls[0].rows[0].racks[0].pdus[1].snmp: want a mapping (address, profile, credentials), got a list"}},
		{"a list for a rack", insertAfter("        racks:\n", "          - [H1-R01-K00]\n"),
			[]string{"site.yaml:7: halls[0].rows[0].racks[0]: want a mapping (id, budget_kw, feeds, labels, pdus, servers), got a list"}},
		{"a mapping for a list", func(string) string { return "site: x\nhalls:\n  id: H1\n" },
			[]string{"site.yaml:3: halls: want a list, got a mapping"}},
		{"a word for a list", insertAfter("          - id: H1-R01-K01\n", "            feeds: A\n"),
			[]string{`site.yaml:8: halls[0].rows[0].racks[0].feeds: want a list, got "A"`}},
		{"a mapping for a string", strings.NewReplacer("id: H1-R01-K01-PB", "id: {name: PB}").Replace,
			[]string{"site.yaml:13: halls[0].rows[0].racks[0].pdus[1].id: want a string, got a mapping"}},
		{"a boolean for a number", strings.NewReplacer("capacity_kw: 60", "capacity_kw: true").Replace,
			[]string{"site.yaml:19: halls[0].rows[0].cooling[0].capacity_kw: want a number in kW, got true"}},
		{"a number too large to be one", strings.NewReplacer("capacity_kw: 60", "capacity_kw: 1e400").Replace,
			[]string{"site.yaml:19: halls[0].rows[0].cooling[0].capacity_kw: want a number in kW, got 1e400, which is out of range"}},
		{"a whole number too large to be one", insertAfter("                feed: A\n", "                phases: 100000000000000000000000\n"),
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].phases: want a whole number, got 100000000000000000000000, which is out of range"}},
		{"a fraction for a whole number", insertAfter("                feed: A\n", "                phases: 1.5\n"),
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].phases: want a whole number, got 1.5"}},
		{"an alias to a bad value, at the alias's line", strings.NewReplacer("breaker_a: 32\n                snmp: {address: \"127.0.0.1:16100\"", "breaker_a: &b thirty-two\n                snmp: {address: \"127.0.0.1:16100\"",
			"breaker_a: 32\n                snmp: {address: \"127.0.0.1:16101\"", "breaker_a: *b\n                snmp: {address: \"127.0.0.1:16101\"").Replace,
			[]string{`site.yaml:11: halls[0].rows[0].racks[0].pdus[0].breaker_a: want a number in A, got "thirty-two"`,
				`site.yaml:15: halls[0].rows[0].racks[0].pdus[1].breaker_a: want a number in A, got "thirty-two"`}},
		{"an alias of a good name to a number", strings.NewReplacer("id: H1-R01-K01-PA", "id: &pa H1-R01-K01-PA", "breaker_a: 32\n                snmp: {address: \"127.0.0.1:16101\"", "breaker_a: *pa\n                snmp: {address: \"127.0.0.1:16101\"").Replace,
			[]string{`site.yaml:15: halls[0].rows[0].racks[0].pdus[1].breaker_a: want a number in A, got "H1-R01-K01-PA"`}},
		{"a wrong type beside an unknown field", strings.NewReplacer("capacity_kw: 60", "capacity_kw: sixty\n            colour: red").Replace,
			[]string{`site.yaml:19: halls[0].rows[0].cooling[0].capacity_kw: want a number in kW, got "sixty"`,
				"site.yaml:20: halls[0].rows[0].cooling[0].colour: unknown field; known here: id, capacity_kw, snmp"}},
		{"not a mapping at all", func(string) string { return "hello\n" },
			[]string{`site.yaml:1: want a mapping (site, halls), got "hello"`}},

		// Documents: one.
		{"two documents", func(s string) string { return s + "---\n" + s },
			[]string{`site.yaml:21: a second YAML document starts here; an inventory is one document (remove this "---" and what follows, or split the file)`}},
		{"an empty document, then the site", func(s string) string { return "---\n---\n" + s },
			[]string{`site.yaml:2: a second YAML document starts here; an inventory is one document (remove this "---" and what follows, or split the file)`}},

		// Absurd numbers: one problem each, not those that follow from it.
		{"absurd rack budget", insertAfter("          - id: H1-R01-K01\n", "            budget_kw: 1e12\n"),
			[]string{"site.yaml:8: halls[0].rows[0].racks[0].budget_kw: must be at most 200, got 1e+12"}},
		{"absurd breaker", strings.NewReplacer("breaker_a: 32\n                snmp: {address: \"127.0.0.1:16100\"", "breaker_a: 1e12\n                snmp: {address: \"127.0.0.1:16100\"").Replace,
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].breaker_a: must be at most 1000, got 1e+12"}},
		{"zero breaker", strings.NewReplacer("breaker_a: 32\n                snmp: {address: \"127.0.0.1:16100\"", "breaker_a: 0\n                snmp: {address: \"127.0.0.1:16100\"").Replace,
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].breaker_a: must be greater than 0, got 0"}},
		{"a billion phases", insertAfter("                feed: A\n", "                phases: 1000000000\n"),
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].phases: must be 1 or 3, got 1000000000"}},
		{"no phases", insertAfter("                feed: A\n", "                phases: 0\n"),
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].phases: must be 1 or 3, got 0"}},
		{"absurd voltage", insertAfter("                feed: A\n", "                voltage_v: 230000\n"),
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].voltage_v: must be between 100 and 480 V, got 230000"}},
		{"no voltage", insertAfter("                feed: A\n", "                voltage_v: 0\n"),
			[]string{"site.yaml:11: halls[0].rows[0].racks[0].pdus[0].voltage_v: must be between 100 and 480 V, got 0"}},

		// Profiles: refused by validation, with the one meant.
		{"misspelt profile", strings.NewReplacer("profile: apc-inrow", "profile: apc-inorw").Replace,
			[]string{`site.yaml:20: halls[0].rows[0].cooling[0].snmp.profile: unknown profile "apc-inorw"; did you mean apc-inrow?`}},
		{"profile in capitals", strings.NewReplacer("profile: apc-inrow", "profile: APC-INROW").Replace,
			[]string{`site.yaml:20: halls[0].rows[0].cooling[0].snmp.profile: unknown profile "APC-INROW"; did you mean apc-inrow?`}},

		// A required field misspelt: one mistake, said once (issue 10 J).
		{"a required field misspelt", strings.NewReplacer(`"127.0.0.1:16100", profile: apc-rpdu2`, `"127.0.0.1:16100", profil: apc-rpdu2`).Replace,
			[]string{"site.yaml:12: halls[0].rows[0].racks[0].pdus[0].snmp.profil: unknown field; did you mean profile?"}},
		{"a required field misspelt, in block style", strings.NewReplacer(`capacity_kw: 60
            snmp: {address: "127.0.0.1:16102", profile: apc-inrow, credentials: snmp-ro}`, `capacity_kw: 60
            snmp:
              address: "127.0.0.1:16102"
              profiel: apc-inrow
              credentials: snmp-ro`).Replace,
			[]string{"site.yaml:22: halls[0].rows[0].cooling[0].snmp.profiel: unknown field; did you mean profile?"}},
		{"an unknown field far from the missing one", strings.NewReplacer(`"127.0.0.1:16100", profile: apc-rpdu2`, `"127.0.0.1:16100", colour: red`).Replace,
			[]string{"site.yaml:12: halls[0].rows[0].racks[0].pdus[0].snmp.colour: unknown field; known here: address, profile, credentials",
				"site.yaml:12: halls[0].rows[0].racks[0].pdus[0].snmp.profile: is required"}},
	}
	base := readFile(t, "testdata/small.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.Parse("site.yaml", []byte(tt.edit(base)))
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if !errors.Is(err, inventory.ErrInvalid) {
				t.Errorf("got %T, want an error that wraps ErrInvalid", err)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestProfileOfAnotherKind checks that a profile of another kind of
// device is refused, naming the kinds and the profiles of the kind wanted
// (issue 10 I).
func TestProfileOfAnotherKind(t *testing.T) {
	base := readFile(t, "testdata/small.yaml")
	tests := []struct {
		name, from, to, want, names string
	}{
		{"a cooling unit's on a PDU", `"127.0.0.1:16100", profile: apc-rpdu2`, `"127.0.0.1:16100", profile: apc-inrow`,
			"site.yaml:12: halls[0].rows[0].racks[0].pdus[0].snmp.profile: profile apc-inrow is a cooling unit's, not a PDU's (a PDU's: ", "apc-rpdu2, "},
		{"a UPS's on a cooling unit", "profile: apc-inrow", "profile: apc-ups",
			"site.yaml:20: halls[0].rows[0].cooling[0].snmp.profile: profile apc-ups is a UPS's, not a cooling unit's (a cooling unit's: ", "apc-inrow, "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.Parse("site.yaml", []byte(strings.Replace(base, tt.from, tt.to, 1)))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.names) ||
				!strings.HasSuffix(err.Error(), ", or auto)") || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one problem: %s… naming %s and auto", err, tt.want, tt.names)
			}
		})
	}
	for _, p := range []string{"auto", "apc-rpdu2"} { // auto, and the PDU's own, fit
		doc := strings.Replace(base, `"127.0.0.1:16100", profile: apc-rpdu2`, `"127.0.0.1:16100", profile: `+p, 1)
		if _, err := inventory.Parse("site.yaml", []byte(doc)); err != nil {
			t.Errorf("profile %s on a PDU: got %v, want none", p, err)
		}
	}
}

// TestUnknownProfileFarFromAny: a name close to none lists them all.
func TestUnknownProfileFarFromAny(t *testing.T) {
	doc := strings.Replace(readFile(t, "testdata/small.yaml"), "profile: apc-inrow", "profile: chiller-9000", 1)
	_, err := inventory.Parse("site.yaml", []byte(doc))
	want := `site.yaml:20: halls[0].rows[0].cooling[0].snmp.profile: unknown profile "chiller-9000" (known: `
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "apc-inrow, ") {
		t.Errorf("got %v, want %s… naming apc-inrow", err, want)
	}
}

// TestWrongTypeCarriesItsField: the API answers a 422 whose errors are the
// problems' Field, Line and Msg: a wrong type fills in all three.
func TestWrongTypeCarriesItsField(t *testing.T) {
	doc := twoRacks("budget_kw: 15", "budget_kw: fifteen")(readFile(t, "testdata/small.yaml"))
	_, err := inventory.Parse("request body", []byte(doc))
	var ve *inventory.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 {
		t.Fatalf("got %v, want a *ValidationError of one problem", err)
	}
	want := inventory.FieldError{File: "request body", Line: 18, Field: "halls[0].rows[0].racks[1].budget_kw", Msg: `want a number in kW, got "fifteen"`}
	if got := *ve.Problems[0]; got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestOneDocumentPasses: a document that starts with "---", ends with
// "...", or is followed by an empty one (a lone "---") loses nothing.
func TestOneDocumentPasses(t *testing.T) {
	base := readFile(t, "testdata/small.yaml")
	for name, doc := range map[string]string{
		"---":             "---\n" + base,
		"...":             base + "...\n",
		"--- at the end":  base + "---\n",
		"--- and comment": base + "---\n# nothing here\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := inventory.Parse("site.yaml", []byte(doc)); err != nil {
				t.Errorf("got %v, want the site", err)
			}
		})
	}
}

// TestTwoRacksBaseIsValid: the cases above break one thing each.
func TestTwoRacksBaseIsValid(t *testing.T) {
	if _, err := inventory.Parse("site.yaml", []byte(twoRacks()(readFile(t, "testdata/small.yaml")))); err != nil {
		t.Fatal(err)
	}
}
