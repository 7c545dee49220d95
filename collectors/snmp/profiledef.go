package snmp

import (
	"fmt"
	"io/fs"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/collectors"
)

// The declarative profile format. Every type here is what one YAML mapping
// holds; line is where it starts, for the loader's errors. See
// profiles/README.md for what each field means.

// profileDef is one profile file.
type profileDef struct {
	Name           string     `yaml:"name"`
	Aliases        []string   `yaml:"aliases"`
	Title          string     `yaml:"title"`
	Kind           string     `yaml:"kind"` // pdu, cooling, ups, env
	Match          []matchDef `yaml:"match"`
	MaxRepetitions uint32     `yaml:"max_repetitions"`
	NotAvailable   []float64  `yaml:"not_available"` // raw values that mean "no value"; default [-1]
	UnitTable      string     `yaml:"unit_table"`    // the table whose rows list the units (modules)
	Include        []string   `yaml:"include"`       // shared table sets appended to Tables
	// Vars are substituted for ${NAME} in the entries of the tables, so
	// that one shared table set serves MIBs that differ only in their
	// enterprise subtree (HPE's and Panduit's G5 PDUs).
	Vars   map[string]string `yaml:"vars"`
	Tables []tableDef        `yaml:"tables"`
	// Reports, for a device that holds nothing dcplane uses, says what it
	// is and what it reports instead; such a profile has no tables.
	Reports string `yaml:"reports"`
	line    int
	file    string
}

// matchDef is one way a device is recognised.
type matchDef struct {
	SysObjectID string `yaml:"sysobjectid"` // prefix; longest wins
	Probe       string `yaml:"probe"`       // an object instance that must exist
	line        int
}

// tableDef is one conceptual table (an SNMP table entry).
type tableDef struct {
	Name         string           `yaml:"name"`
	Entry        string           `yaml:"entry"`
	Scope        string           `yaml:"scope"`
	Required     bool             `yaml:"required"` // no rows: the device is not of this profile
	Index        []string         `yaml:"index"`    // names of the row index's sub-identifiers
	Only         map[string]int64 `yaml:"only"`     // index name → the only value read
	UnitColumn   int              `yaml:"unit_column"`
	NumberColumn int              `yaml:"number_column"`
	Number       string           `yaml:"number"` // "ordinal": rows numbered 1.. in index order
	Strict       bool             `yaml:"strict"` // a value of the wrong type fails the poll
	When         []condDef        `yaml:"when"`   // the row is read only when all hold
	Describe     *describeDef     `yaml:"describe"`
	Order        []string         `yaml:"order"` // metrics in the order readings are reported
	Columns      []columnDef      `yaml:"columns"`
	Use          string           `yaml:"use"`    // the name of a shared table this one is
	Lookup       bool             `yaml:"lookup"` // read only for other tables' scale_column
	line         int
}

// columnDef maps one column to one reading.
type columnDef struct {
	Col         int               `yaml:"col"`
	Metric      string            `yaml:"metric"`
	Scope       string            `yaml:"scope"` // overrides the table's
	Scale       string            `yaml:"scale"` // "10", "0.1", "1/1000", "3600"
	ScaleColumn *scaleColumnDef   `yaml:"scale_column"`
	UnitsColumn int               `yaml:"units_column"` // a column holding the unit as text
	WhenIndex   map[string]int64  `yaml:"when_index"`   // index name → value: this row kind only
	When        []condDef         `yaml:"when"`
	Counter     bool              `yaml:"counter"` // Counter32/64 are values
	Text        bool              `yaml:"text"`    // an OCTET STRING holding a decimal number
	Enum        map[int64]float64 `yaml:"enum"`    // raw → value (unit states)
	Max         float64           `yaml:"max"`     // raw above: out of range
	line        int
}

// scaleColumnDef takes a value's scale from another column of the same row
// (or of the row with the same index in another table).
type scaleColumnDef struct {
	Table string `yaml:"table"`
	Col   int    `yaml:"col"`
	Kind  string `yaml:"kind"` // decimals (value / 10^d), divisor (value / d), entity (ENTITY-SENSOR scale and precision)
	// PrecisionCol is ENTITY-SENSOR's precision column, for kind entity.
	PrecisionCol int `yaml:"precision_col"`
}

// condDef holds when column Col is an integer in In (or not in NotIn). A
// column that is absent or not an integer holds.
type condDef struct {
	Col   int     `yaml:"col"`
	In    []int64 `yaml:"in"`
	NotIn []int64 `yaml:"not_in"`
}

// describeDef reads tables whose rows describe themselves: a description
// column names the quantity, rules map it to a reading.
type describeDef struct {
	Col         int       `yaml:"col"`   // the description (OCTET STRING)
	Value       int       `yaml:"value"` // the value column
	UnitsColumn int       `yaml:"units_column"`
	ScaleColumn int       `yaml:"scale_column"` // a divisor column, or signed (scale_kind)
	ScaleKind   string    `yaml:"scale_kind"`   // divisor (the default) or signed: -n divides by n, +n multiplies
	Scale       string    `yaml:"scale"`
	Rules       []ruleDef `yaml:"rules"`
}

// ruleDef maps descriptions to a reading; the first rule that matches wins.
// Descriptions are matched as lower-case words joined by single spaces.
type ruleDef struct {
	All    []string `yaml:"all"`  // regexps that must all match
	None   []string `yaml:"none"` // regexps none of which may match
	Skip   bool     `yaml:"skip"` // a match maps to no reading
	Metric string   `yaml:"metric"`
	Scope  string   `yaml:"scope"`
	// Number is "first_number" (Index is the first number among the
	// words, or 1) or a regexp with one group that captures the Index
	// ('\bl([0-9]+)\b' for "phase l2 voltage value").
	Number string `yaml:"number"`
	all    []*regexp.Regexp
	none   []*regexp.Regexp
}

// sharedDef is a file of shared tables.
type sharedDef struct {
	Name   string     `yaml:"name"`
	Tables []tableDef `yaml:"tables"`
}

// strictDecode decodes node into v, refusing keys that v's struct does not
// have, and returns the node's line.
func strictDecode(node *yaml.Node, v any) error {
	if node.Kind == yaml.MappingNode {
		known := yamlKeys(reflect.TypeOf(v).Elem())
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			if !slices.Contains(known, k.Value) {
				return fmt.Errorf("line %d: unknown field %q (known: %s)", k.Line, k.Value, strings.Join(known, ", "))
			}
		}
	}
	return node.Decode(v)
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if tag, ok := t.Field(i).Tag.Lookup("yaml"); ok {
			keys = append(keys, strings.Split(tag, ",")[0])
		}
	}
	return keys
}

// The UnmarshalYAML methods record lines and refuse unknown fields.

func (p *profileDef) UnmarshalYAML(n *yaml.Node) error {
	type plain profileDef
	p.line = n.Line
	return strictDecode(n, (*plain)(p))
}

func (m *matchDef) UnmarshalYAML(n *yaml.Node) error {
	type plain matchDef
	m.line = n.Line
	return strictDecode(n, (*plain)(m))
}

func (t *tableDef) UnmarshalYAML(n *yaml.Node) error {
	type plain tableDef
	t.line = n.Line
	return strictDecode(n, (*plain)(t))
}

func (c *columnDef) UnmarshalYAML(n *yaml.Node) error {
	type plain columnDef
	c.line = n.Line
	return strictDecode(n, (*plain)(c))
}

func (s *scaleColumnDef) UnmarshalYAML(n *yaml.Node) error {
	type plain scaleColumnDef
	return strictDecode(n, (*plain)(s))
}

func (c *condDef) UnmarshalYAML(n *yaml.Node) error {
	type plain condDef
	return strictDecode(n, (*plain)(c))
}

func (d *describeDef) UnmarshalYAML(n *yaml.Node) error {
	type plain describeDef
	return strictDecode(n, (*plain)(d))
}

func (r *ruleDef) UnmarshalYAML(n *yaml.Node) error {
	type plain ruleDef
	return strictDecode(n, (*plain)(r))
}

// loadProfiles reads and validates every profile of fsys: *.yaml are
// profiles, shared/*.yaml the tables they include. Errors name the file
// and line.
func loadProfiles(fsys fs.FS) ([]*Def, error) {
	shared := map[string][]tableDef{}
	sharedFiles, _ := fs.Glob(fsys, "shared/*.yaml")
	for _, f := range sharedFiles {
		var s sharedDef
		if err := decodeFile(fsys, f, &s); err != nil {
			return nil, err
		}
		if s.Name == "" {
			return nil, fmt.Errorf("%s: shared file needs a name", f)
		}
		shared[s.Name] = s.Tables
	}
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	var defs []*Def
	names := map[string]string{}
	for _, f := range files {
		var p profileDef
		if err := decodeFile(fsys, f, &p); err != nil {
			return nil, err
		}
		p.file = f
		d, err := p.compile(shared)
		if err != nil {
			return nil, err
		}
		for _, n := range append([]string{d.name}, d.aliases...) {
			if prev, dup := names[n]; dup {
				return nil, fmt.Errorf("%s:%d: profile name %q is already used by %s", f, p.line, n, prev)
			}
			names[n] = f
		}
		defs = append(defs, d)
	}
	return defs, nil
}

// decodeFile decodes one YAML file strictly.
func decodeFile(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	return decodeProfileYAML(name, b, v)
}

// decodeProfileYAML decodes b into v; errors carry name and line.
func decodeProfileYAML(name string, b []byte, v any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) != 1 {
		return fmt.Errorf("%s: want one YAML document", name)
	}
	if err := strictDecodeTop(doc.Content[0], v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func strictDecodeTop(n *yaml.Node, v any) error {
	if s, ok := v.(*sharedDef); ok {
		type plain sharedDef
		return strictDecode(n, (*plain)(s))
	}
	return n.Decode(v)
}

// profileError is a validation error at a line of a profile file.
func profileError(file string, line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
}

var (
	oidPattern  = regexp.MustCompile(`^\.?[0-9]+(\.[0-9]+)*$`)
	namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// compile validates p and turns it into a Def.
func (p *profileDef) compile(shared map[string][]tableDef) (*Def, error) {
	bad := func(line int, format string, args ...any) error { return profileError(p.file, line, format, args...) }
	if !namePattern.MatchString(p.Name) {
		return nil, bad(p.line, "name %q: want lower-case letters, digits and dashes", p.Name)
	}
	if !slices.Contains([]string{"pdu", "cooling", "ups", "env"}, p.Kind) {
		return nil, bad(p.line, "kind %q: want pdu, cooling, ups or env", p.Kind)
	}
	d := &Def{name: p.Name, aliases: p.Aliases, title: p.Title, kind: p.Kind, reports: p.Reports,
		maxReps: p.MaxRepetitions, notAvailable: p.NotAvailable, file: p.file}
	if d.notAvailable == nil {
		d.notAvailable = []float64{-1}
	}
	for _, m := range p.Match {
		if m.SysObjectID == "" && m.Probe == "" {
			return nil, bad(m.line, "a match needs a sysobjectid or a probe")
		}
		for _, o := range []string{m.SysObjectID, m.Probe} {
			if o != "" && !oidPattern.MatchString(o) {
				return nil, bad(m.line, "%q is not an OID", o)
			}
		}
		d.match = append(d.match, matchRule{prefix: trimDot(m.SysObjectID), probe: trimDot(m.Probe)})
	}
	tables := slices.Clone(p.Tables)
	for _, inc := range p.Include {
		ts, ok := shared[inc]
		if !ok {
			return nil, bad(p.line, "include %q: no such shared file", inc)
		}
		tables = append(tables, ts...)
	}
	for i, t := range tables {
		if t.Use == "" {
			continue
		}
		found := false
		for _, ts := range shared {
			for _, s := range ts {
				if s.Name == t.Use {
					s.line = t.line
					tables[i], found = s, true
				}
			}
		}
		if !found {
			return nil, bad(t.line, "use %q: no shared table of that name", t.Use)
		}
	}
	if len(tables) == 0 && p.Reports == "" {
		return nil, bad(p.line, "a profile needs tables, or reports: saying why it has none")
	}
	for i := range tables {
		for k, v := range p.Vars {
			tables[i].Entry = strings.ReplaceAll(tables[i].Entry, "${"+k+"}", v)
		}
	}
	for _, t := range tables {
		ct, err := p.compileTable(t)
		if err != nil {
			return nil, err
		}
		d.tables = append(d.tables, ct)
	}
	d.unitTable = -1
	for i, t := range d.tables {
		if t.name == p.UnitTable || (p.UnitTable == "" && d.unitTable < 0 && t.hasUnit()) {
			d.unitTable = i
		}
	}
	if p.UnitTable != "" && d.unitTable < 0 {
		return nil, bad(p.line, "unit_table %q: no such table", p.UnitTable)
	}
	for _, t := range d.tables {
		for _, c := range t.cols {
			if c.scaleTable != "" && d.tableIndex(c.scaleTable) < 0 {
				return nil, bad(c.line, "scale_column table %q: no such table", c.scaleTable)
			}
		}
	}
	return d, nil
}

func trimDot(oid string) string { return strings.TrimPrefix(oid, ".") }

// compileTable validates one table.
func (p *profileDef) compileTable(t tableDef) (*table, error) {
	bad := func(line int, format string, args ...any) error {
		return profileError(p.file, line, "table %q: %s", t.Name, fmt.Sprintf(format, args...))
	}
	if t.Name == "" || !oidPattern.MatchString(t.Entry) {
		return nil, profileError(p.file, t.line, "a table needs a name and an entry OID (got %q, %q)", t.Name, t.Entry)
	}
	scope, err := parseScope(t.Scope)
	if err != nil {
		return nil, bad(t.line, "%v", err)
	}
	ct := &table{name: t.Name, entry: trimDot(t.Entry), scope: scope, required: t.Required, index: t.Index,
		only: t.Only, unitColumn: t.UnitColumn, numberColumn: t.NumberColumn, strict: t.Strict,
		when: t.When, line: t.line}
	switch t.Number {
	case "":
	case "ordinal":
		ct.ordinal = true
	default:
		return nil, bad(t.line, "number %q: want ordinal or nothing", t.Number)
	}
	for k := range t.Only {
		if !slices.Contains(t.Index, k) {
			return nil, bad(t.line, "only: %q is not one of the index names %v", k, t.Index)
		}
	}
	for _, m := range t.Order {
		if !knownMetric(m) {
			return nil, bad(t.line, "order: unknown metric %q", m)
		}
		ct.order = append(ct.order, collectors.Metric(m))
	}
	if t.Describe != nil {
		ds, err := compileDescribe(*t.Describe)
		if err != nil {
			return nil, bad(t.line, "describe: %v", err)
		}
		ct.describe = ds
	}
	if len(t.Columns) == 0 && t.Describe == nil && !t.Lookup {
		return nil, bad(t.line, "no columns")
	}
	for _, c := range t.Columns {
		cc, err := compileColumn(c, ct)
		if err != nil {
			return nil, bad(c.line, "column %d: %v", c.Col, err)
		}
		ct.cols = append(ct.cols, cc)
	}
	return ct, nil
}

// compileColumn validates one column.
func compileColumn(c columnDef, t *table) (*column, error) {
	if c.Col < 1 {
		return nil, fmt.Errorf("col must be positive")
	}
	if !knownMetric(c.Metric) {
		return nil, fmt.Errorf("unknown metric %q (known: %v)", c.Metric, collectors.Metrics())
	}
	scope := t.scope
	if c.Scope != "" {
		s, err := parseScope(c.Scope)
		if err != nil {
			return nil, err
		}
		scope = s
	}
	mul, div, err := parseScale(c.Scale)
	if err != nil {
		return nil, err
	}
	for k := range c.WhenIndex {
		if !slices.Contains(t.index, k) {
			return nil, fmt.Errorf("when_index: %q is not one of the index names %v", k, t.index)
		}
	}
	cc := &column{col: c.Col, metric: collectors.Metric(c.Metric), scope: scope, mul: mul, div: div,
		unitsCol: c.UnitsColumn, whenIndex: c.WhenIndex, when: c.When, counter: c.Counter, text: c.Text,
		enum: c.Enum, max: c.Max, line: c.line}
	if sc := c.ScaleColumn; sc != nil {
		if sc.Col < 1 || !slices.Contains([]string{"decimals", "divisor", "entity"}, sc.Kind) {
			return nil, fmt.Errorf("scale_column: want a col and a kind of decimals, divisor or entity")
		}
		cc.scaleTable, cc.scaleCol, cc.scaleKind, cc.precisionCol = sc.Table, sc.Col, sc.Kind, sc.PrecisionCol
	}
	return cc, nil
}

// compileDescribe validates a describe section and compiles its rules.
func compileDescribe(d describeDef) (*describe, error) {
	if d.Col < 1 || d.Value < 1 {
		return nil, fmt.Errorf("col and value are required")
	}
	mul, div, err := parseScale(d.Scale)
	if err != nil {
		return nil, err
	}
	ds := &describe{col: d.Col, value: d.Value, unitsCol: d.UnitsColumn, scaleCol: d.ScaleColumn, mul: mul, div: div}
	switch d.ScaleKind {
	case "", "divisor":
	case "signed":
		ds.signed = true
	default:
		return nil, fmt.Errorf("scale_kind %q: want divisor or signed", d.ScaleKind)
	}
	for i, r := range d.Rules {
		if r.Skip == (r.Metric != "") {
			return nil, fmt.Errorf("rule %d: want either skip or a metric", i+1)
		}
		if r.Metric != "" && !knownMetric(r.Metric) {
			return nil, fmt.Errorf("rule %d: unknown metric %q", i+1, r.Metric)
		}
		number, err := compileNumber(r.Number)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		for _, s := range r.All {
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, fmt.Errorf("rule %d: %w", i+1, err)
			}
			r.all = append(r.all, re)
		}
		for _, s := range r.None {
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, fmt.Errorf("rule %d: %w", i+1, err)
			}
			r.none = append(r.none, re)
		}
		scope, err := parseScope(r.Scope)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		ds.rules = append(ds.rules, rule{all: r.all, none: r.none, skip: r.Skip,
			metric: collectors.Metric(r.Metric), scope: scope, firstNumber: r.Number == "first_number", number: number})
	}
	return ds, nil
}

// compileNumber compiles a rule's number: "" and "first_number" need no
// pattern; anything else must be a regexp with exactly one group.
func compileNumber(s string) (*regexp.Regexp, error) {
	if s == "" || s == "first_number" {
		return nil, nil
	}
	re, err := regexp.Compile(s)
	if err != nil || re.NumSubexp() != 1 {
		return nil, fmt.Errorf("number %q: want first_number or a regexp with one group", s)
	}
	return re, nil
}

func knownMetric(m string) bool { return slices.Contains(collectors.Metrics(), collectors.Metric(m)) }

// parseScope parses a scope name; "" is the device.
func parseScope(s string) (collectors.Scope, error) {
	if s == "" {
		return collectors.ScopeDevice, nil
	}
	if !slices.Contains(collectors.Scopes(), collectors.Scope(s)) {
		return "", fmt.Errorf("unknown scope %q (known: %v)", s, collectors.Scopes())
	}
	return collectors.Scope(s), nil
}

// parseScale parses a scale ("10", "0.1", "1/1000", "" for 1) into a
// multiplier and a divisor, both integers held as floats, so that raw ×
// mul / div is as exact as a decimal reading allows.
func parseScale(s string) (mul, div float64, err error) {
	if s == "" {
		return 1, 1, nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return 0, 0, fmt.Errorf("scale %q: want a positive number such as 10, 0.1 or 1/1000", s)
	}
	m, _ := new(big.Float).SetInt(r.Num()).Float64()
	dv, _ := new(big.Float).SetInt(r.Denom()).Float64()
	return m, dv, nil
}
