package store

import (
	"sync/atomic"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/controller/state"
)

// codecGate remembers which body codec the leader may write (see
// state.MessageType's Upgrades): the newest that every member of the Raft
// configuration reads. It is kept until something that could change it
// happens: a node's announcement applied, a member added or removed by
// this leader, a leadership change or a restore (invalidate), or a new
// term, in which another leader may have changed the configuration (the
// term is read at every Apply, so that an Apply racing the leadership
// notice cannot use a choice of an older term).
type codecGate struct {
	gen atomic.Uint64 // moved by invalidate
	cur atomic.Pointer[codecChoice]
}

// codecChoice is a codec worked out at generation gen, in term.
type codecChoice struct {
	gen, term uint64
	codec     state.Codec
}

// invalidate makes the next Codec work the codec out again.
func (g *codecGate) invalidate() { g.gen.Add(1) }

// Codec is the newest body codec this node writes as the leader:
// state.CodecCBOR once every member of the configuration reads it (this
// node, of this build, and each other that announced it in SetNodeAPI),
// else state.CodecJSON, which every release reads. A configuration it
// cannot read makes it JSON, until asked again.
func (s *Store) Codec() state.Codec {
	gen, term := s.codecs.gen.Load(), s.raft.CurrentTerm()
	if c := s.codecs.cur.Load(); c != nil && c.gen == gen && c.term == term {
		return c.codec
	}
	cf := s.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return state.CodecJSON
	}
	codec := s.membersRead(cf.Configuration().Servers)
	if prev := s.codecs.cur.Swap(&codecChoice{gen: gen, term: term, codec: codec}); prev == nil || prev.codec != codec {
		s.logger.Info("command bodies", "codec", codec.String(), "members", len(cf.Configuration().Servers))
	}
	return codec
}

// membersRead is the newest codec every one of servers reads: this node
// reads what this build writes; another reads what its last SetNodeAPI
// announced.
func (s *Store) membersRead(servers []raft.Server) state.Codec {
	v := s.machine.View()
	codec := state.CodecNewest
	for _, srv := range servers {
		if string(srv.ID) != s.id {
			codec = min(codec, v.NodeReads(string(srv.ID)))
		}
	}
	return codec
}

// announces reports whether cmd records a node's announcement, alone or
// with its call's record.
func announces(cmd state.Command) bool {
	if a, ok := cmd.(state.Audited); ok {
		cmd = a.Command
	}
	_, ok := cmd.(state.SetNodeAPI)
	return ok
}
