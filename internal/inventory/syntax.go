package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// errManyDocuments is a file that holds a second YAML document (after a
// "---"), which decoding would silently drop.
type errManyDocuments struct{ line int }

func (e *errManyDocuments) Error() string {
	return fmt.Sprintf("line %d: a second YAML document starts here", e.line)
}

// problem returns the FieldError that refuses the file.
func (e *errManyDocuments) problem(name string) *FieldError {
	return &FieldError{File: name, Line: e.line,
		Msg: `a second YAML document starts here; an inventory is one document (remove this "---" and what follows, or split the file)`}
}

// restDocuments reads what follows the first document from dec and refuses a
// second document that holds anything: decoding would keep the first and
// drop it without a word. An empty document (a lone "---" at the end) drops
// nothing, and passes.
func restDocuments(dec *yaml.Decoder) error {
	for {
		var doc yaml.Node
		switch err := dec.Decode(&doc); {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err // a syntax error in a later document
		case !emptyDocument(&doc):
			return &errManyDocuments{line: doc.Line}
		}
	}
}

// emptyDocument says whether a document holds nothing but null.
func emptyDocument(doc *yaml.Node) bool {
	return len(doc.Content) == 0 || (len(doc.Content) == 1 && doc.Content[0].ShortTag() == "!!null")
}

// parseAll parses every document of data, and returns the YAML library's
// error for the first that does not parse.
func parseAll(ctx context.Context, data []byte) error {
	dec := yaml.NewDecoder(&ctxReader{ctx: ctx, r: bytes.NewReader(data)})
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// syntaxError turns the YAML library's error for a file that is not YAML
// into a problem at the line of the fault. The library names the line
// where the construct that failed began — the scalar, the list — and for
// some errors the line before it: a tab that breaks the indentation of line
// 10 was reported at line 9, a key indented too little at line 11 was
// reported at line 8, the line before the list it broke.
func syntaxError(ctx context.Context, name string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	from := 0
	if g := yamlLine.FindStringSubmatch(msg); g != nil {
		from, _ = strconv.Atoi(g[1])
		msg = g[2]
	}
	line := faultLine(ctx, data, from, msg)
	if err := ctx.Err(); err != nil {
		return limited(name, err)
	}
	fe := &FieldError{File: name, Line: line, Msg: msg + syntaxHint(msg, lineText(data, line))}
	// A quote left open runs on to the next one of its kind (or to the end
	// of the file), and the parser stops there: the fault is where it
	// opened, whatever the parser found.
	if q := openQuote(data, from, line); q > 0 {
		fe.Line = q
		fe.Msg = openQuoteMsg(data, q, line, msg)
	}
	return &ValidationError{[]*FieldError{fe}}
}

// openQuoteMsg says that the quote which opens at line open is never
// closed, and where the parser ran on to.
func openQuoteMsg(data []byte, open, fault int, msg string) string {
	q := quoteAt(data, open)
	if msg == "found unexpected end of stream" || q.close == 0 {
		return fmt.Sprintf("the quoted string that opens here with %c is never closed: it runs on to the end of the file (add its closing %c)", q.quote, q.quote)
	}
	return fmt.Sprintf("the quoted string that opens here with %c is never closed: it runs on to line %d, where the parser found: %s (add its closing %c)", q.quote, fault, msg, q.quote)
}

// quoted is a quoted scalar of a file: the lines (from 1) of its opening
// and closing quotes (close 0: it is never closed), and its quote.
type quoted struct {
	open, close int
	quote       byte
}

// openQuote returns the line of a quote that opens a string which runs on
// over more than one line to line from or line to (where the library, and
// faultLine, found the fault), or is never closed; 0 if there is none.
// Inventories hold no string of more than one line: such a string is a
// closing quote left out.
func openQuote(data []byte, from, to int) int {
	for _, q := range quotedStrings(data) {
		if q.close == 0 || q.open < q.close && (q.open <= from && from <= q.close || q.open <= to && to <= q.close) {
			return q.open
		}
	}
	return 0
}

// quoteAt returns the quoted string that opens at line n.
func quoteAt(data []byte, n int) quoted {
	for _, q := range quotedStrings(data) {
		if q.open == n {
			return q
		}
	}
	return quoted{open: n, quote: '"'}
}

// quotedStrings scans data as YAML's scanner does for quotes, and returns
// its quoted strings of more than one line and one left open. A quote
// opens a string only where a scalar starts (after the indentation, "- ",
// ": ", "? ", "[", "{" or ","), so that the apostrophe of a plain word
// (it's) is not one; "”" in a single-quoted string and a backslash's
// next character in a double-quoted one do not close it; "#" after a
// blank starts a comment outside a string.
func quotedStrings(data []byte) []quoted {
	var out []quoted
	var cur quoted // cur.quote != 0: inside a string
	line := 1
	prev := byte('\n') // the last character outside a string that is not a blank
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '\n' {
			line++
		}
		if cur.quote != 0 {
			switch {
			case cur.quote == '"' && c == '\\':
				if i+1 < len(data) && data[i+1] == '\n' {
					line++
				}
				i++
			case c == cur.quote && cur.quote == '\'' && i+1 < len(data) && data[i+1] == '\'':
				i++
			case c == cur.quote:
				if cur.close = line; cur.close > cur.open {
					out = append(out, cur)
				}
				cur, prev = quoted{}, 'x'
			}
			continue
		}
		switch {
		case c == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'):
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case (c == '\'' || c == '"') && strings.IndexByte("\n-:?[{,", prev) >= 0:
			cur = quoted{open: line, quote: c}
		case c == ' ' || c == '\t' || c == '\r':
		default:
			prev = c
			if c == '-' || c == ':' || c == '?' {
				// An indicator only before a blank: a-b and a:b are plain.
				if i+1 < len(data) && data[i+1] != ' ' && data[i+1] != '\n' {
					prev = 'x'
				}
			}
		}
	}
	if cur.quote != 0 {
		out = append(out, cur)
	}
	return out
}

// lineText returns line n (from 1) of data, without its newline.
func lineText(data []byte, n int) string {
	for ; n > 1; n-- {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return ""
		}
		data = data[i+1:]
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	return string(data)
}

// faultLine finds the line at which the parser meets the fault: the least
// n, from the line the library named on, such that the file's first n lines
// fail with the same problem. Lines before the fault parse (a prefix of a
// YAML document is one, but for a flow collection or quoted scalar cut in
// the middle, which fails with another problem); lines up to the fault and
// beyond fail with it.
//
// Parsing the file up to the fault again and again would cost seconds on a
// site of 2 MB, so the search parses from the line that opens the
// construct the library named (the nearest line before it indented less):
// a block collection parses alone as it does in its document. What that
// finds is checked on the whole file up to it, twice, and searched for
// there only if the check fails. All the parsing is bounded to a few times
// the file's size; past it, the library's line stands.
func faultLine(ctx context.Context, data []byte, from int, msg string) int {
	ends := lineEnds(data)
	if len(ends) == 0 {
		return from
	}
	from = min(max(from, 1), len(ends))
	budget := 8*len(data) + 1<<16
	fails := func(start, n int) bool { // lines start… n fail with msg
		chunk := data[start:ends[n-1]]
		if budget -= len(chunk); budget < 0 {
			return false
		}
		err := parseAll(ctx, chunk)
		return err != nil && problemOf(err) == msg
	}
	lo := from - 1 // the lines up to the library's pass, or fail otherwise
	start := windowStart(data, ends, from)
	n := firstFailing(lo, len(ends), func(n int) bool { return fails(start, n) })
	if start == 0 || fails(0, n) && (n-1 <= lo || !fails(0, n-1)) {
		return n
	}
	n = firstFailing(lo, len(ends), func(n int) bool { return fails(0, n) })
	if budget < 0 {
		return from
	}
	return n
}

// firstFailing returns the least n in (lo, hi] for which fails(n) holds,
// fails being false up to some n and true from there on, or hi: it gallops
// from lo, since the fault is most often a line or two further, then halves
// (about 2·log₂ of the distance calls).
func firstFailing(lo, hi int, fails func(n int) bool) int {
	for step := 1; lo+step < hi; step *= 2 {
		if fails(lo + step) {
			hi = lo + step
			break
		}
		lo += step
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// windowStart returns the offset of the nearest line before line from that
// is indented less than it and the line after it (the library names the
// line that opens the construct that failed, or the one before): the line
// that opens what holds that construct. It returns 0 when there is none.
func windowStart(data []byte, ends []int, from int) int {
	target := -1
	for n := from; n <= min(from+1, len(ends)); n++ {
		if in, ok := indentOf(data, ends, n); ok && (target < 0 || in < target) {
			target = in
		}
	}
	for n := from - 1; n >= 1 && target > 0; n-- {
		if in, ok := indentOf(data, ends, n); ok && in < target {
			return lineStart(ends, n)
		}
	}
	return 0
}

// indentOf returns the spaces that indent line n (from 1), and false for a
// blank line or a comment.
func indentOf(data []byte, ends []int, n int) (int, bool) {
	line := data[lineStart(ends, n):ends[n-1]]
	t := bytes.TrimLeft(line, " ")
	if len(bytes.TrimSpace(t)) == 0 || t[0] == '#' {
		return 0, false
	}
	return len(line) - len(t), true
}

func lineStart(ends []int, n int) int {
	if n <= 1 {
		return 0
	}
	return ends[n-2]
}

// problemOf returns the YAML library's problem without its "yaml: line N: ".
func problemOf(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if g := yamlLine.FindStringSubmatch(msg); g != nil {
		return g[2]
	}
	return msg
}

// lineEnds returns the offset just past each line of data (past its
// newline, or the end of data for a last line without one).
func lineEnds(data []byte) []int {
	var ends []int
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		ends = append(ends, len(data))
	}
	return ends
}

// syntaxHint says what most often causes the YAML library's problem at a
// line.
func syntaxHint(msg, line string) string {
	switch {
	case strings.Contains(msg, "tab character"),
		msg == "found character that cannot start any token" && strings.Contains(line, "\t"):
		return " (indent with spaces: YAML does not allow tabs in indentation)"
	case msg == "did not find expected key", msg == "did not find expected '-' indicator":
		return " (check this line's indentation against the lines it belongs with)"
	case msg == "mapping values are not allowed in this context":
		return ` (check this line's indentation, or quote a value that holds ": ")`
	}
	return ""
}
