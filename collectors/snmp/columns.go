package snmp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gosnmp/gosnmp"
)

// MaxWalkVarbinds bounds the varbinds one poll's column walk collects: a
// device that answers with endless rows (a firmware bug, or a table that
// grows as fast as it is read) fails the poll with ErrDecode instead of
// filling memory. The largest real tables (a 3-phase PDU with 48 outlets
// and a dozen columns) hold well under a thousand.
const MaxWalkVarbinds = 20000

// maxColumnsPerRequest caps the repeaters of one GETBULK: gosnmp refuses
// more than gosnmp.MaxOids varbinds in a request.
const maxColumnsPerRequest = gosnmp.MaxOids

// bulkGetter is a Client that can send one GETBULK request. *Session is one:
// the Collector walks a profile's columns with it, in lockstep (see
// walkColumns). A Client without it gets its profile's Roots walked one
// subtree at a time.
type bulkGetter interface {
	// GetBulk sends one GETBULK of oids, all repeaters, and returns the
	// varbinds of the answer in the order the agent sent them.
	GetBulk(ctx context.Context, oids []string, maxRepetitions uint32) ([]gosnmp.SnmpPDU, error)
}

// nextGetter is a Client that can send one GETNEXT of several OIDs.
// *Session is one.
type nextGetter interface {
	GetNext(ctx context.Context, oids []string) ([]gosnmp.SnmpPDU, error)
}

// byGetNext walks columns with GETNEXT for an agent that does not answer
// GETBULK (an SNMPv1 heritage, or a management card that never implemented
// it): a GETNEXT of n OIDs answers as a GETBULK of n repeaters and one
// repetition would, so walkColumns and its bounds serve both.
type byGetNext struct{ ng nextGetter }

// GetBulk implements bulkGetter with one GETNEXT, whatever maxRepetitions.
func (b byGetNext) GetBulk(ctx context.Context, oids []string, _ uint32) ([]gosnmp.SnmpPDU, error) {
	return b.ng.GetNext(ctx, oids)
}

// countingBulk is a bulkGetter that counts the answers it got, so that the
// Collector can tell an agent that never answers GETBULK from one that
// stopped answering half-way.
type countingBulk struct {
	bg       bulkGetter
	answered int
}

// GetBulk implements bulkGetter.
func (c *countingBulk) GetBulk(ctx context.Context, oids []string, reps uint32) ([]gosnmp.SnmpPDU, error) {
	pdus, err := c.bg.GetBulk(ctx, oids, reps)
	if err == nil {
		c.answered++
	}
	return pdus, err
}

// bulkRefused says whether err, the failure of a column walk of which no
// GETBULK was answered, may mean that the agent does not do GETBULK: it
// ignored them (a timeout) or answered with an error-status (genErr,
// noSuchName, tooBig…), but not one of access.
func bulkRefused(err error) bool {
	if isTimeout(err) {
		return true // a poll out of time tries nothing more: walkColumns checks ctx first
	}
	var se *StatusError
	return errors.As(err, &se) && !isAuth(err)
}

// columnRoots returns the columns of d's tables that its Parse reads, as
// OIDs ("ENTRY.COL"), each once, in table order: the reading columns and
// those that decide about them (unit, number, conditions, units, scale,
// precision, description). A table entry of thirty columns of which a
// profile reads three is then walked as three columns, not thirty. The
// tables whose rows Parse counts (required, the unit table, ordinal ones)
// are walked whole: a row is there when any of its columns is.
func (d *Def) columnRoots() []string {
	if v, ok := columnRootsCache.Load(d); ok {
		return v.([]string)
	}
	perTable := make([][]int, len(d.tables))
	add := func(t int, cols ...int) {
		for _, c := range cols {
			if c > 0 && !slices.Contains(perTable[t], c) {
				perTable[t] = append(perTable[t], c)
			}
		}
	}
	for i, t := range d.tables {
		add(i, t.unitColumn, t.numberColumn)
		for _, c := range t.when {
			add(i, c.Col)
		}
		if ds := t.describe; ds != nil {
			add(i, ds.col, ds.value, ds.unitsCol, ds.scaleCol)
		}
		for _, c := range t.cols {
			add(i, c.col, c.unitsCol)
			for _, w := range c.when {
				add(i, w.Col)
			}
			src := i
			if c.scaleTable != "" {
				src = d.tableIndex(c.scaleTable)
			}
			if src >= 0 {
				add(src, c.scaleCol, c.precisionCol)
			}
		}
	}
	whole := map[string]bool{}
	for i, t := range d.tables {
		// Parse counts the rows of these tables, whichever columns they
		// have: a device whose unit table lacks the columns read is still
		// a device of the profile.
		if t.required || t.ordinal || i == d.unitTable {
			whole[t.entry] = true
		}
	}
	var roots []string
	for i, t := range d.tables {
		if whole[t.entry] {
			if !slices.Contains(roots, t.entry) {
				roots = append(roots, t.entry)
			}
			continue
		}
		cols := slices.Clone(perTable[i])
		slices.Sort(cols)
		for _, c := range cols {
			oid := t.entry + "." + strconv.Itoa(c)
			if !slices.Contains(roots, oid) {
				roots = append(roots, oid)
			}
		}
	}
	columnRootsCache.Store(d, roots)
	return roots
}

// columnRootsCache holds columnRoots by *Def: a Def is immutable.
var columnRootsCache sync.Map

// cursor is where the walk of one column stands.
type cursor struct {
	root, last string
}

// walkColumns walks the columns under roots together: each GETBULK carries
// one repeater per column not yet finished, starting from the last OID seen
// in it, so that a profile of several small tables is read in one or two
// requests rather than one walk (and one request at least) per table. The
// varbinds of a GETBULK answer come row by row (RFC 3416 §4.2.3: repetition
// r of repeater j is varbind r·n+j), and an agent may cut the answer short;
// a column ends at the first varbind outside it or endOfMibView. maxReps is
// shared out among the columns, so that an answer holds about maxReps
// varbinds whatever the number of columns: a profile's max_repetitions
// stays the size of answer its devices manage. An OID that does not
// increase, an empty answer, or more than MaxWalkVarbinds varbinds fail the
// walk with ErrDecode. A noSuchObject or noSuchInstance inside a column is
// kept (Parse leaves its reading out) and the walk goes on from it; one that
// does not move the column on ends the column.
func walkColumns(ctx context.Context, bg bulkGetter, roots []string, maxReps uint32) ([]gosnmp.SnmpPDU, error) {
	active := make([]*cursor, len(roots))
	for i, r := range roots {
		active[i] = &cursor{root: r, last: r}
	}
	var out []gosnmp.SnmpPDU
	oids := make([]string, 0, len(roots))
	for len(active) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("walk %s: %w", active[0].root, err)
		}
		batch := active[:min(len(active), maxColumnsPerRequest)]
		oids = oids[:0]
		for _, c := range batch {
			oids = append(oids, c.last)
		}
		reps := max(1, maxReps/uint32(len(batch))) //nolint:gosec // at most maxColumnsPerRequest
		pdus, err := bg.GetBulk(ctx, oids, reps)
		if err != nil {
			return nil, err
		}
		if len(pdus) == 0 {
			return nil, fmt.Errorf("%w: walk of %s: GETBULK answered with no varbinds", ErrDecode, active[0].root)
		}
		done := make([]bool, len(batch))
		for i, p := range pdus {
			j := i % len(batch)
			c := batch[j]
			if done[j] {
				continue
			}
			name := strings.TrimPrefix(p.Name, ".")
			if p.Type == gosnmp.EndOfMibView || !strings.HasPrefix(name, c.root+".") {
				done[j] = true
				continue
			}
			if exception(p) && !oidAfter(name, c.last) {
				// noSuchObject or noSuchInstance where a GETBULK allows
				// only endOfMibView, named as the request (some agents
				// echo it): the column can go no further. What it held
				// beyond is unknown, not an error of the whole poll.
				done[j] = true
				continue
			}
			if !oidAfter(name, c.last) {
				return nil, fmt.Errorf("%w: walk of %s: the agent answered %s after %s (OIDs must increase)", ErrDecode, c.root, name, c.last)
			}
			if len(out) == MaxWalkVarbinds {
				return nil, fmt.Errorf("%w: walk of %s: more than %d varbinds; the agent does not end its tables", ErrDecode, c.root, MaxWalkVarbinds)
			}
			c.last = name
			out = append(out, p)
		}
		next := make([]*cursor, 0, len(active))
		for j, c := range batch {
			if !done[j] {
				next = append(next, c)
			}
		}
		active = append(next, active[len(batch):]...)
	}
	return out, nil
}

// exception says whether a varbind is one of SNMPv2's exceptions: the
// agent has no value there.
func exception(p gosnmp.SnmpPDU) bool {
	switch p.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return true
	}
	return false
}

// oidAfter says whether dotted OID a comes after b in lexicographic order of
// sub-identifiers (the order of a walk). It does not allocate: it runs for
// every varbind of every poll.
func oidAfter(a, b string) bool {
	for {
		if b == "" {
			return a != ""
		}
		if a == "" {
			return false
		}
		x, ra := nextArc(a)
		y, rb := nextArc(b)
		if x != y {
			return x > y
		}
		a, b = ra, rb
	}
}

// nextArc splits the first sub-identifier off a dotted OID. A sub-identifier
// that is not a number compares as the largest.
func nextArc(s string) (uint64, string) {
	i := strings.IndexByte(s, '.')
	arc, rest := s, ""
	if i >= 0 {
		arc, rest = s[:i], s[i+1:]
	}
	n, err := strconv.ParseUint(arc, 10, 64)
	if err != nil {
		n = ^uint64(0)
	}
	return n, rest
}
