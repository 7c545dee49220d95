package inventory

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// typeProblems finds the values of a document that do not decode into the
// field they stand for, and names each by its path and what the field
// wants: the YAML library's own message ("cannot unmarshal !!str `fifteen`
// into float64") names neither. The library decides what decodes, value by
// value, so that the two never disagree. Fields that the types lack are
// left to the unknown-field check. It also finds what fractions finds.
// It returns as well the lines at which the library reports the values it
// finds: those of the nodes an alias refers to, not the alias's own.
func typeProblems(name string, root *yaml.Node) ([]*FieldError, map[int]bool) {
	w := &typeWalk{name: name, decode: true, valueLines: map[int]bool{}}
	w.walk(root, reflect.TypeFor[Site](), "")
	return w.errs, w.valueLines
}

// fractions finds the numbers with a fraction written where a whole number
// is wanted, which the YAML library takes and truncates: phases: 1.5 would
// be a 1-phase PDU, and the failover sums made of it would be wrong
// without a word about phases. It asks the library nothing, and walks only
// the parts of the tree that have whole-number fields.
func fractions(name string, root *yaml.Node) []*FieldError {
	w := &typeWalk{name: name}
	w.walk(root, reflect.TypeFor[Site](), "")
	return w.errs
}

// typeWalk walks a document along the types it decodes into.
type typeWalk struct {
	name   string
	decode bool      // ask the library about every value, not only fractions
	path   []segment // to the node walked: written out only for a problem
	errs   []*FieldError
	// valueLines are the lines of the values found at fault, aliases
	// followed, with decode.
	valueLines map[int]bool
}

// segment is a step of a path: a key, or an index when key is "".
type segment struct {
	key   string
	index int
}

func (w *typeWalk) walk(n *yaml.Node, t reflect.Type, key string) {
	line := n.Line                                   // an alias's own, not its anchor's
	for n.Kind == yaml.AliasNode && n.Alias != nil { // measure refused cycles
		n = n.Alias
	}
	if t.Kind() == reflect.Pointer { // an optional part, such as a server's bmc
		t = t.Elem()
	}
	switch {
	case !w.decode && !wholeFields[t]:
	case n.Kind == yaml.DocumentNode:
		for _, c := range n.Content {
			w.walk(c, t, key)
		}
	case n.Kind == yaml.MappingNode && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vt := n.Content[i].Value, t
			switch {
			case n.Content[i].ShortTag() == "!!merge":
				continue // <<: *x: the library's message stands for what it merges
			case t.Kind() == reflect.Struct:
				vt = fieldTypes[t][k] // nil for an unknown field: reported as one
			default:
				vt = t.Elem()
			}
			if vt != nil {
				w.path = append(w.path, segment{key: k})
				w.walk(n.Content[i+1], vt, k)
				w.path = w.path[:len(w.path)-1]
			}
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, c := range n.Content {
			w.path = append(w.path, segment{index: i})
			w.walk(c, t.Elem(), key)
			w.path = w.path[:len(w.path)-1]
		}
	case isWhole(t) && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && !isWholeValue(n.Value):
		w.add(line, "want "+wanted(t, key)+", got "+n.Value)
	case w.decode && n.Decode(reflect.New(t).Interface()) != nil:
		// A scalar, or a collection where the field wants another kind.
		w.add(line, "want "+wanted(t, key)+", got "+got(n, t))
		w.valueLines[n.Line] = true
	}
}

func (w *typeWalk) add(line int, msg string) {
	var b strings.Builder
	for _, s := range w.path {
		switch {
		case s.key == "":
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case b.Len() > 0:
			b.WriteString("." + s.key)
		default:
			b.WriteString(s.key)
		}
	}
	w.errs = append(w.errs, &FieldError{File: w.name, Line: line, Field: b.String(), Msg: msg})
}

// wholeFields says of each inventory type whether it holds whole-number
// fields, itself or in its parts.
var wholeFields = func() map[reflect.Type]bool {
	m := map[reflect.Type]bool{}
	var holds func(t reflect.Type) bool
	holds = func(t reflect.Type) bool {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			return holds(t.Elem())
		case reflect.Struct:
			for _, ft := range fieldTypes[t] {
				if holds(ft) {
					return true
				}
			}
			return false
		}
		return isWhole(t)
	}
	for t := range fieldTypes {
		m[t] = holds(t)
		for _, ft := range fieldTypes[t] {
			m[ft] = holds(ft)
		}
	}
	return m
}()

// units names the unit of a field by the suffix of its key.
var units = []struct{ suffix, unit string }{
	{"_kw", " in kW"}, {"_w", " in W"}, {"_a", " in A"}, {"_v", " in V"},
	{"_mib", " in MiB"}, {"_millicores", " in millicores"}, {"height_u", " of rack units"},
}

// wanted says what a field of type t under key takes.
func wanted(t reflect.Type, key string) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		w := "a whole number"
		if t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64 {
			w = "a number"
		}
		for _, u := range units {
			if strings.HasSuffix(key, u.suffix) {
				return w + u.unit
			}
		}
		return w
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a mapping"
	case reflect.Struct:
		return "a mapping (" + strings.Join(knownFields[t.Name()], ", ") + ")"
	}
	return t.String()
}

// got describes a value that a field of type t does not take.
func got(n *yaml.Node, t reflect.Type) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:40]) + "…"
	}
	if isNumber(t) && looksNumeric(n.Value) {
		// The library took it for a number, or would but for its size.
		return v + ", which is out of range"
	}
	if n.ShortTag() == "!!str" {
		return strconv.Quote(v)
	}
	return v
}

func isNumber(t reflect.Type) bool {
	return t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64
}

func isWhole(t reflect.Type) bool {
	return t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64
}

// isWholeValue says whether a YAML float is a whole number (.inf and .nan
// are not; the library refuses them for whole-number fields itself).
func isWholeValue(v string) bool {
	f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64)
	return err != nil || f == math.Trunc(f)
}

// looksNumeric says whether s is written as a number in digits, however
// large (not "inf" or "nan", which YAML reads as strings).
func looksNumeric(s string) bool {
	d := strings.TrimLeft(s, "+-.")
	if d == "" || d[0] < '0' || d[0] > '9' {
		return false
	}
	_, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}
