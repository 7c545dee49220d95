package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Limits on what parsing one inventory may cost. The reference site (460
// racks, 17,834 servers, 2 MB) has 221,652 YAML nodes nested 12 deep and no
// aliases; a site ten times its size has 2.2 million nodes in 20 MB. Each
// node costs about 170 bytes as a tree and far more decoded: without these
// limits, an 8 MB body of `halls: [1,1,1,…]` took the controller from 30 MB
// to 3.2 GB, and a few lines of aliases expand to billions of nodes.
const (
	// MaxNodes bounds the nodes of a document, aliases expanded: 4.7 times
	// the reference site's (3.5 times as prescan counts them, so that sites
	// of up to about 1,600 racks in its style load).
	MaxNodes = 1 << 20
	// MaxDepth bounds how deep collections nest, aliases expanded.
	MaxDepth = 64
	// MaxAliases bounds the aliases (*name) of a document.
	MaxAliases = 10_000
)

// errLimit is a document over one of the limits, before the tree is built
// or after.
type errLimit struct{ msg string }

func (e *errLimit) Error() string { return e.msg }

// limited wraps a limit error as the ValidationError that Parse returns.
func limited(name string, err error) error {
	var le *errLimit
	if errors.As(err, &le) {
		return &ValidationError{[]*FieldError{{File: name, Msg: le.msg}}}
	}
	return fmt.Errorf("inventory %s: %w", name, err) // the context's error
}

// prescan refuses a document over MaxNodes before any tree is built, at
// the cost of one pass over its bytes. It counts what starts nodes in
// either style of YAML — a flow collection or item (`[` `{` `,`), a block
// item (`- `), a key and its value (`: `) — outside comments and quoted
// scalars. That count is close to the nodes of an inventory (the reference
// site's is 1.34 times its nodes, 296,176), so that a document it passes builds a
// bounded tree, which measure then counts exactly. Deep nesting is left to
// measure: the YAML parser stops at 10,000 levels. It stops when ctx is
// done.
func prescan(ctx context.Context, data []byte) error {
	if n, err := countStarts(ctx, data, MaxNodes); err != nil || n <= MaxNodes {
		return err
	}
	return &errLimit{fmt.Sprintf("the document has more than %d nodes (the limit)", MaxNodes)}
}

// countStarts counts what starts nodes in data (see prescan), stopping
// once past limit.
func countStarts(ctx context.Context, data []byte, limit int) (int, error) {
	nodes := 0
	for i := 0; i < len(data); i++ {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		switch c := data[i]; {
		case c == '#' && (i == 0 || isBlank(data[i-1])):
			i = skipTo(data, i+1, '\n')
		case (c == '"' || c == '\'') && (i == 0 || startsScalar(data[i-1])):
			i = skipQuoted(data, i)
		case c == '[' || c == '{' || c == ',':
			nodes++
		case c == '-' && (i+1 == len(data) || isBlank(data[i+1])):
			nodes++
		case c == ':' && (i+1 == len(data) || isBlank(data[i+1])):
			nodes += 2
		}
		if nodes > limit {
			break
		}
	}
	return nodes, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// startsScalar says whether a quote after c opens a quoted scalar rather
// than sitting inside a plain one (O'Brien).
func startsScalar(c byte) bool { return isBlank(c) || c == '[' || c == '{' || c == ',' }

// skipTo returns the index of the first c at or after i, or len(data).
func skipTo(data []byte, i int, c byte) int {
	if j := bytes.IndexByte(data[i:], c); j >= 0 {
		return i + j
	}
	return len(data)
}

// skipQuoted returns the index of the quote that closes the scalar opened
// at i. A backslash escapes a double quote; two single quotes in a row
// stand for one.
func skipQuoted(data []byte, i int) int {
	q := data[i]
	for j := i + 1; j < len(data); j++ {
		switch {
		case q == '"' && data[j] == '\\', q == '\'' && data[j] == '\'' && j+1 < len(data) && data[j+1] == '\'':
			j++ // an escaped quote
		case data[j] == q:
			return j
		}
	}
	return len(data)
}

// parseTree parses the first document of data into a tree, reading through
// ctx so that the parse stops when ctx is done. It refuses a second document
// that holds anything (see restDocuments).
func parseTree(ctx context.Context, data []byte) (*yaml.Node, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(&ctxReader{ctx: ctx, r: bytes.NewReader(data)})
	err := dec.Decode(&root)
	switch {
	case errors.Is(err, io.EOF):
		err = nil // no document: the caller reports an empty file
	case err == nil:
		err = restDocuments(dec)
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	return &root, err
}

// ctxReader reads r until ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// measure checks a parsed tree against MaxNodes, MaxDepth and MaxAliases,
// counting each alias as the nodes it expands to, as decoding it would.
func measure(root *yaml.Node) error {
	m := measurer{size: map[*yaml.Node]extent{}, open: map[*yaml.Node]bool{}}
	e, err := m.extent(root)
	switch {
	case err != nil:
		return err
	case m.aliases > MaxAliases:
		return &errLimit{fmt.Sprintf("the document has %d aliases, more than %d (the limit)", m.aliases, MaxAliases)}
	case e.nodes > MaxNodes:
		return &errLimit{fmt.Sprintf("the document expands to more than %d nodes (the limit)", MaxNodes)}
	case e.depth > MaxDepth:
		return &errLimit{fmt.Sprintf("collections nest more than %d deep (the limit)", MaxDepth)}
	}
	return nil
}

// extent is how many nodes a node expands to, itself included, and how deep.
type extent struct{ nodes, depth int }

type measurer struct {
	size    map[*yaml.Node]extent // of nodes measured, so that each alias costs one lookup
	open    map[*yaml.Node]bool   // being measured: an alias to one is a cycle
	aliases int
}

func (m *measurer) extent(n *yaml.Node) (extent, error) {
	if e, ok := m.size[n]; ok {
		return e, nil
	}
	if m.open[n] {
		return extent{}, &errLimit{fmt.Sprintf("line %d: an alias refers to a node that contains it", n.Line)}
	}
	m.open[n] = true
	defer delete(m.open, n)
	e := extent{nodes: 1}
	kids := n.Content
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		m.aliases++
		kids = []*yaml.Node{n.Alias}
		e.nodes = 0
	}
	for _, c := range kids {
		ce, err := m.extent(c)
		if err != nil {
			return extent{}, err
		}
		// Saturate: an alias bomb's count overflows long before its end.
		e.nodes = min(e.nodes+ce.nodes, MaxNodes+1)
		e.depth = max(e.depth, ce.depth)
	}
	if n.Kind != yaml.AliasNode {
		e.depth++
	}
	m.size[n] = e
	return e, nil
}
