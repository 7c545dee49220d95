package state

import (
	"fmt"
	"maps"
	"net/url"
	"time"
)

// SetNodeAPI records the URL at which a controller node serves its API, so
// that every node can forward to the leader's (Raft only knows the nodes'
// Raft addresses). An empty URL forgets the node's URL. It is ignorable: a
// node older than it skips it and can only answer "not the leader" where a
// newer one forwards.
//
// Reads is the newest codec of command bodies the node reads, as it
// announced it (0: it announced none, as releases before CBOR bodies, and
// is taken to read JSON only); 0 forgets it. A node older than the field
// ignores it, which is what it must do: the leader reads it to decide
// which bodies it may write (see MessageType's Upgrades).
type SetNodeAPI struct {
	Node  string    `json:"node"`
	URL   string    `json:"url,omitempty"`
	Reads Codec     `json:"reads,omitempty"`
	At    time.Time `json:"at"`
}

// Type is SetNodeAPIType.
func (SetNodeAPI) Type() MessageType { return SetNodeAPIType }
func (SetNodeAPI) command()          {}

// NodeAPI returns the API URL recorded for a node, if any.
func (v *View) NodeAPI(node string) (string, bool) {
	u, ok := v.nodes[node]
	return u, ok
}

// NodeReads returns the codec a node announced it reads: CodecJSON when
// it announced none.
func (v *View) NodeReads(node string) Codec {
	return max(v.reads[node], CodecJSON)
}

// NodeAPIs returns every node's API URL by node ID: a copy.
func (v *View) NodeAPIs() map[string]string { return maps.Clone(v.nodes) }

func (v *View) setNodeAPI(c SetNodeAPI) (*View, error) {
	if c.Node == "" || c.At.IsZero() {
		return nil, fmt.Errorf("set node API: node and time are required: %w", ErrMalformedCommand)
	}
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("set node API of %s: %q is not an http(s)://host:port URL: %w", c.Node, c.URL, ErrMalformedCommand)
		}
	}
	n := *v
	n.nodes = setOrDelete(v.nodes, c.Node, c.URL)
	n.reads = setOrDelete(v.reads, c.Node, c.Reads)
	n.updated = normalTime(c.At)
	return &n, nil
}

// setOrDelete returns a copy of m with k set to v, or deleted when v is
// the zero value; nil when that leaves it empty.
func setOrDelete[V comparable](m map[string]V, k string, v V) map[string]V {
	var zero V
	if _, ok := m[k]; !ok && v == zero {
		return m
	}
	m = maps.Clone(m)
	if m == nil {
		m = map[string]V{}
	}
	if v == zero {
		delete(m, k)
	} else {
		m[k] = v
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
