package state

import (
	"fmt"
	"maps"
	"net/url"
	"time"
)

// SetNodeAPI records the URL at which a controller node serves its API, so
// that every node can forward to the leader's (Raft only knows the nodes'
// Raft addresses). An empty URL forgets the node. It is ignorable: a node
// older than it skips it and can only answer "not the leader" where a newer
// one forwards.
type SetNodeAPI struct {
	Node string    `json:"node"`
	URL  string    `json:"url,omitempty"`
	At   time.Time `json:"at"`
}

// Type is SetNodeAPIType.
func (SetNodeAPI) Type() MessageType { return SetNodeAPIType }
func (SetNodeAPI) command()          {}

// NodeAPI returns the API URL recorded for a node, if any.
func (v *View) NodeAPI(node string) (string, bool) {
	u, ok := v.nodes[node]
	return u, ok
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
	n.nodes = maps.Clone(v.nodes)
	if n.nodes == nil {
		n.nodes = map[string]string{}
	}
	if c.URL == "" {
		delete(n.nodes, c.Node)
	} else {
		n.nodes[c.Node] = c.URL
	}
	n.updated = normalTime(c.At)
	return &n, nil
}
