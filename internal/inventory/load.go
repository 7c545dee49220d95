package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldError is one problem in an inventory, located by file, line and field.
type FieldError struct {
	File  string // "" when the site was built in code
	Line  int    // 0 when unknown
	Field string // path of the field, e.g. halls[0].rows[2].racks[5].budget_kw
	Msg   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrInvalid is wrapped by every error Load and Validate return for a site
// that breaks the format or its rules.
var ErrInvalid = errors.New("inventory: invalid")

// ValidationError lists every problem found in one inventory, in file order.
type ValidationError struct {
	Problems []*FieldError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.Is find ErrInvalid and errors.As find each FieldError.
func (e *ValidationError) Unwrap() []error {
	errs := []error{ErrInvalid}
	for _, p := range e.Problems {
		errs = append(errs, p)
	}
	return errs
}

// LoadFile reads, parses and validates the inventory at path.
func LoadFile(path string) (*Site, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	return Parse(path, data)
}

// Parse parses and validates an inventory; name is used in error messages.
// An inventory is one YAML document: a second is refused, not dropped.
// Fields left out get their defaults. Every problem found is reported at
// once: unknown fields do not hide the rules the rest of the file breaks.
// The site returned keeps no line numbers: should it be changed and
// validated again, problems are reported by file and field.
func Parse(name string, data []byte) (*Site, error) {
	return ParseContext(context.Background(), name, data)
}

// ParseContext is Parse that stops when ctx is done, and returns its error.
// Like Parse, it refuses a document over MaxNodes, MaxDepth or MaxAliases
// (with a problem that names the limit), before it builds the site where
// the document's bytes tell, and before it decodes it where only the tree
// does.
func ParseContext(ctx context.Context, name string, data []byte) (*Site, error) {
	if err := prescan(ctx, data); err != nil {
		return nil, limited(name, err)
	}
	root, err := parseTree(ctx, data)
	if err != nil {
		var le *errLimit
		var md *errManyDocuments
		switch {
		case ctx.Err() != nil || errors.As(err, &le):
			return nil, limited(name, err)
		case errors.As(err, &md):
			return nil, &ValidationError{[]*FieldError{md.problem(name)}}
		}
		return nil, syntaxError(ctx, name, data, err) // not YAML at all
	}
	if err := measure(root); err != nil {
		return nil, limited(name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, limited(name, err)
	}
	return parseSite(name, data, root)
}

// parseSite decodes and validates a measured tree (and data, to name
// unknown fields).
func parseSite(name string, data []byte, root *yaml.Node) (*Site, error) {
	if len(root.Content) == 0 {
		return nil, &ValidationError{[]*FieldError{{File: name, Msg: "the file is empty"}}}
	}
	s := &Site{file: name, lines: map[string]int{}}
	indexLines(root.Content[0], "", s.lines)
	var err error
	if knownKeys(root, reflect.TypeFor[Site]()) {
		// Decoding the tree costs a fraction of parsing the file again, but
		// knows nothing of unknown fields: hence the check above.
		err = root.Decode(s)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err = dec.Decode(s)
	}
	if err == nil {
		if p := s.rules(name, root); len(p) > 0 {
			return nil, &ValidationError{Problems: capped(name, p)}
		}
		// The lines served the messages above. Kept, a site of 18,000
		// servers would hold 15 MB of them for nothing.
		s.lines = nil
		return s, nil
	}
	ve := yamlError(name, err).(*ValidationError)
	ve.Problems = explainTypes(name, root, ve.Problems)
	meant := map[string]bool{}
	for _, fe := range ve.Problems {
		if m := s.explainUnknown(fe); m != "" {
			meant[m] = true
		}
	}
	// If unknown fields were all that was wrong, the rest can be checked
	// (decoding the tree ignores unknown fields).
	if root.Decode(s) == nil {
		ve.Problems = append(ve.Problems, withoutMeantMissing(s.rules(name, root), meant)...)
	}
	slices.SortStableFunc(ve.Problems, func(a, b *FieldError) int { return a.Line - b.Line })
	ve.Problems = capped(name, ve.Problems)
	return nil, ve
}

// rules lists what is wrong with a site decoded from root: the fractions
// written where whole numbers are wanted, or else, its defaults applied,
// every rule it breaks. The rules are not checked on numbers the decoder
// truncated: they would only mislead.
func (s *Site) rules(name string, root *yaml.Node) []*FieldError {
	if p := fractions(name, root); len(p) > 0 {
		return p
	}
	s.applyDefaults()
	return s.problems()
}

// explainTypes replaces the YAML library's "cannot unmarshal" problems with
// typeProblems' account of them, which names the field and what it wants.
// A problem that account misses (at a line where it finds no value at
// fault) stays as the library wrote it.
func explainTypes(name string, root *yaml.Node, probs []*FieldError) []*FieldError {
	if !slices.ContainsFunc(probs, isTypeProblem) {
		return probs
	}
	typed, explained := typeProblems(name, root)
	probs = slices.DeleteFunc(probs, func(fe *FieldError) bool { return isTypeProblem(fe) && explained[fe.Line] })
	return append(probs, typed...)
}

func isTypeProblem(fe *FieldError) bool { return strings.HasPrefix(fe.Msg, "cannot unmarshal ") }

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns the YAML library's errors into FieldErrors with the file
// name and line.
func yamlError(name string, err error) error {
	// The caller type-asserts: keep returning a *ValidationError.
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	ve := &ValidationError{}
	for _, m := range msgs {
		fe := &FieldError{File: name, Msg: strings.TrimPrefix(m, "yaml: ")}
		if g := yamlLine.FindStringSubmatch(strings.TrimSpace(m)); g != nil {
			fe.Line, _ = strconv.Atoi(g[1])
			fe.Msg = strings.ReplaceAll(g[2], "inventory.", "")
		}
		ve.Problems = append(ve.Problems, fe)
	}
	return ve
}

// indexLines records the line of every field and list item under n.
func indexLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexLines(c, path, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			lines[p] = n.Content[i].Line
			indexLines(n.Content[i+1], p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			lines[p] = c.Line
			indexLines(c, p, lines)
		}
	}
}

// lineOf finds the line of a field, or of the nearest enclosing one present in
// the file (a missing field is reported at the item that lacks it).
func (s *Site) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := s.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}
