package snmp

import (
	"container/list"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
)

// DefaultMaxSessions bounds the idle sessions a Collector keeps, one per
// device: each holds a UDP socket (a file descriptor), gosnmp's 64 KiB
// receive buffer and, for SNMPv3, the agent's engine ID, boots and time
// and the localised keys. Keeping them saves a v2c poll about a third of
// its CPU (a socket opened and closed, the buffer allocated: measured with
// `dcplane bench snmp`) and an SNMPv3 poll its discovery. Beyond it the
// least recently used session is closed, and its device pays a new session
// (and for SNMPv3 a new engine discovery) on its next poll.
const DefaultMaxSessions = 8192

// sessionKey names the sessions that may be reused for a target: the same
// agent and the same credentials. The credentials enter as a digest, so that
// no secret is kept in the key.
type sessionKey struct {
	address string
	creds   [sha256.Size]byte
}

// keyOf returns t's session key.
func keyOf(t Target) sessionKey {
	h := sha256.New()
	c := t.Credentials
	if c.USM == nil {
		_, _ = fmt.Fprintf(h, "v2c\x00%s", c.Community.Reveal())
	} else {
		u := c.USM
		_, _ = fmt.Fprintf(h, "v3\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", u.User, u.Level,
			u.AuthProtocol, u.AuthPassphrase.Reveal(), u.PrivProtocol, u.PrivPassphrase.Reveal())
	}
	k := sessionKey{address: t.Address}
	h.Sum(k.creds[:0])
	return k
}

// sessionPool keeps the idle sessions of a Collector between polls, so that
// a device is not sent a new socket, and an SNMPv3 device not a new engine
// discovery (nor its keys localised again, a megabyte of hashing each),
// on every poll. A session is taken out while a poll uses it: two polls of
// one device at once use two sessions, and the second one returned is
// closed. It is safe for concurrent use.
type sessionPool struct {
	max int

	mu     sync.Mutex
	idle   map[sessionKey]*list.Element // → *pooled in lru
	lru    list.List                    // front: most recently returned
	closed bool
}

// pooled is one idle session in the pool.
type pooled struct {
	key sessionKey
	s   io.Closer
}

func newSessionPool(limit int) *sessionPool {
	if limit <= 0 {
		limit = DefaultMaxSessions
	}
	return &sessionPool{max: limit, idle: map[sessionKey]*list.Element{}}
}

// take removes and returns the idle session of k, or nil.
func (p *sessionPool) take(k sessionKey) io.Closer {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.idle[k]
	if !ok {
		return nil
	}
	delete(p.idle, k)
	p.lru.Remove(e)
	return e.Value.(*pooled).s
}

// put returns s, a session of k, to the pool. It closes s instead when the
// pool is closed or already holds a session of k, and closes the least
// recently used session when the pool is full.
func (p *sessionPool) put(k sessionKey, s io.Closer) {
	var drop []io.Closer
	p.mu.Lock()
	switch _, dup := p.idle[k]; {
	case p.closed || dup:
		drop = append(drop, s)
	default:
		p.idle[k] = p.lru.PushFront(&pooled{key: k, s: s})
		for len(p.idle) > p.max {
			old := p.lru.Remove(p.lru.Back()).(*pooled)
			delete(p.idle, old.key)
			drop = append(drop, old.s)
		}
	}
	p.mu.Unlock()
	for _, s := range drop {
		_ = s.Close()
	}
}

// len returns how many idle sessions the pool holds.
func (p *sessionPool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// close closes every idle session and makes put close what is returned
// later.
func (p *sessionPool) close() error {
	p.mu.Lock()
	p.closed = true
	var all []io.Closer
	for e := p.lru.Front(); e != nil; e = e.Next() {
		all = append(all, e.Value.(*pooled).s)
	}
	p.idle = map[sessionKey]*list.Element{}
	p.lru.Init()
	p.mu.Unlock()
	var errs []error
	for _, s := range all {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// reusable says whether a session may serve the next poll after a poll that
// ended with err. It may when the device answered, or merely did not answer
// in time (a UDP socket is none the worse for it, and a device that misses
// one poll should not pay a new discovery for the next). It may not after
// anything else: an SNMPv3 report that the engine changed (unknown engine
// ID, not in time window: a reboot or a new card at the address; gosnmp has
// already retried once with the new parameters), any other USM failure, an
// undecodable packet, a refused port, or a poll cancelled half-way.
func reusable(err error) bool {
	switch Reason(err) {
	case "", ReasonNoSuchObject, ReasonTimeout:
		return true
	case ReasonDecode:
		return errors.Is(err, ErrDecode) // the profile's, not gosnmp's packet decoding
	}
	return false // ReasonAuth covers gosnmp.ErrUnknownEngineID and ErrNotInTimeWindow
}
