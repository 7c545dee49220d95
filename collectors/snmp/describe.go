package snmp

// The self-describing tables: rows that name their own quantity, unit and
// scale (Rittal CMC-III, Carel pCOWeb), mapped to readings by rules.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/dcplane/dcplane/collectors"
)

// describedReadings returns the reading of one self-describing row, if its
// description maps to one. The row must have a description; a mapped row
// with a value must have valid units and scale (when the table declares
// them), else the poll fails with ErrDecode: the table cannot be trusted.
func (d *Def) describedReadings(t *table, r *row, rejected map[string]int) ([]keyed, error) {
	ds := t.describe
	descr, err := describedString(t, r, ds.col, "description")
	if err != nil {
		return nil, err
	}
	words := strings.FieldsFunc(strings.ToLower(descr), func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
	ru, ok := ds.match(strings.Join(words, " "))
	if !ok {
		return nil, nil
	}
	p, present := r.cols[ds.value]
	if !present || absent(p) {
		return nil, nil
	}
	raw, ok := intValue(p)
	if !ok {
		return nil, fmt.Errorf("%w: %s entry %s: value is %s, want Integer", ErrDecode, t.name, r.index, p.Type)
	}
	units := ""
	if ds.unitsCol > 0 {
		if units, err = describedString(t, r, ds.unitsCol, "units"); err != nil {
			return nil, err
		}
	}
	v, reason, err := ds.scaled(t, r, float64(raw)*ds.mul/ds.div)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		rejected[reason]++
		return nil, nil
	}
	converted := false
	if ds.unitsCol > 0 {
		if v, converted, ok = toBase(quantityOf(ru.metric), units, v); !ok {
			rejected[RejectUnits]++
			return nil, nil
		}
	}
	if slices.Contains(d.notAvailable, float64(raw)) {
		return nil, nil
	}
	if reason := plausible(ru.metric, float64(raw), v); reason != "" {
		rejected[reason]++
		return nil, nil
	}
	return []keyed{{collectors.Reading{Metric: ru.metric, Scope: ru.scope, Index: indexFor(ru.scope, ru.index(words)), Value: v}, converted}}, nil
}

// scaled applies the row's scale column to v. A divisor column must hold a
// positive Integer, else the table cannot be trusted (ErrDecode); a signed
// one that holds no usable scale makes this one reading unknown (the reason
// is RejectScale), since the table describes each row apart.
func (ds *describe) scaled(t *table, r *row, v float64) (float64, string, error) {
	if ds.scaleCol == 0 {
		return v, "", nil
	}
	sp, ok := r.cols[ds.scaleCol]
	if !ok && !ds.signed {
		return 0, "", fmt.Errorf("%w: %s entry %s has a value and no scale", ErrDecode, t.name, r.index)
	}
	s, isInt := intValue(sp)
	if ds.signed {
		if v, ok = signedScale(v, s); !isInt || !ok {
			return 0, RejectScale, nil
		}
		return v, "", nil
	}
	if !isInt || s < 1 {
		return 0, "", fmt.Errorf("%w: %s entry %s: scale is %s %v, want a positive Integer", ErrDecode, t.name, r.index, sp.Type, sp.Value)
	}
	return v / float64(s), "", nil
}

// signedScale applies a signed scale as Rittal's CMC-III MIB defines
// cmcIIIVarScale: -n means divide by n, +n multiply by n. Zero (which the
// MIB does not define) and magnitudes beyond 10^9 are no scale: false.
func signedScale(v float64, s int64) (float64, bool) {
	switch {
	case s == 0 || s < -1e9 || s > 1e9:
		return 0, false
	case s < 0:
		return v / float64(-s), true
	}
	return v * float64(s), true
}

// index returns the Index a rule gives a row described by words: the first
// number among them (first_number) or the group of its number pattern, 1
// when that finds none (the only one); 0 for a rule that numbers nothing.
func (ru rule) index(words []string) int {
	switch {
	case ru.firstNumber:
		return firstNumber(words)
	case ru.number != nil:
		m := ru.number.FindStringSubmatch(strings.Join(words, " "))
		if n, err := strconv.Atoi(safeGroup(m)); err == nil && n > 0 {
			return n
		}
		return 1
	}
	return 0
}

func safeGroup(m []string) string {
	if len(m) < 2 {
		return ""
	}
	return m[1]
}

// describedString returns column col of r, which must be an OCTET STRING.
func describedString(t *table, r *row, col int, what string) (string, error) {
	p, ok := r.cols[col]
	if !ok {
		return "", fmt.Errorf("%w: %s entry %s has no %s", ErrDecode, t.name, r.index, what)
	}
	s, ok := octets(p)
	if !ok {
		return "", fmt.Errorf("%w: %s entry %s: %s is %s, want OctetString", ErrDecode, t.name, r.index, what, p.Type)
	}
	return s, nil
}

// match returns the first rule that matches text, false when none does or
// the first is a skip rule.
func (ds *describe) match(text string) (rule, bool) {
	for _, ru := range ds.rules {
		if !ru.matches(text) {
			continue
		}
		return ru, !ru.skip
	}
	return rule{}, false
}

func (ru rule) matches(text string) bool {
	for _, re := range ru.all {
		if !re.MatchString(text) {
			return false
		}
	}
	for _, re := range ru.none {
		if re.MatchString(text) {
			return false
		}
	}
	return true
}

// firstNumber returns the first positive number among words, or 1: the
// number of "rack inlet temperature 3", or the only sensor.
func firstNumber(words []string) int {
	for _, s := range words {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 1
}
