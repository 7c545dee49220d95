package snmp

import "net"

// lenientConn is the UDP connection of an SNMPv1/v2c session. It mends, in
// each answer it reads, the values that carry no content octets where their
// type needs at least one (X.690 8.3.1): an INTEGER, Counter32, Gauge32,
// TimeTicks, Counter64 or Unsigned32 of length 0, which some agents send
// for "no value". gosnmp fails the whole answer on such an INTEGER, so one
// bad column would leave every reading of the device unknown, poll after
// poll, and it reads the unsigned ones as 0, a value the device never sent.
// Mended, each is a NULL of the same length: Parse leaves it out, as it
// does noSuchInstance, and reads the rest. SNMPv3 answers are not touched:
// their digest covers every octet.
type lenientConn struct{ net.Conn }

// Read implements net.Conn.
func (c lenientConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err == nil {
		mendEmptyNumbers(b[:n])
	}
	return n, err
}

// BER tags mendEmptyNumbers reads and writes.
const (
	tagInteger    = 0x02
	tagNull       = 0x05
	tagObjectID   = 0x06
	tagSequence   = 0x30
	tagCounter32  = 0x41
	tagGauge32    = 0x42
	tagTimeTicks  = 0x43
	tagCounter64  = 0x46
	tagUnsigned32 = 0x47
)

// mendEmptyNumbers turns every varbind value of an SNMPv1/v2c message that
// is a number of length 0 into a NULL, in place, and reports how many it
// mended. A message it cannot follow is left as it is, for gosnmp to
// refuse.
func mendEmptyNumbers(msg []byte) int {
	tag, body, _, ok := berNext(msg)
	if !ok || tag != tagSequence {
		return 0
	}
	tag, version, body, ok := berNext(body)
	if !ok || tag != tagInteger || len(version) != 1 || version[0] > 1 { // 0: v1, 1: v2c
		return 0
	}
	if tag, _, body, ok = berNext(body); !ok || tag != 0x04 { // community
		return 0
	}
	tag, pdu, _, ok := berNext(body)
	if !ok || tag&0xe0 != 0xa0 { // a context-specific, constructed PDU
		return 0
	}
	for range 3 { // request-id, error-status, error-index
		if tag, _, pdu, ok = berNext(pdu); !ok || tag != tagInteger {
			return 0
		}
	}
	tag, list, _, ok := berNext(pdu)
	if !ok || tag != tagSequence {
		return 0
	}
	mended := 0
	for len(list) > 0 {
		var vb []byte
		if tag, vb, list, ok = berNext(list); !ok || tag != tagSequence {
			return mended
		}
		tag, _, value, ok := berNext(vb) // the name, then the value
		if !ok || tag != tagObjectID || len(value) < 2 || value[1] != 0 {
			continue
		}
		switch value[0] {
		case tagInteger, tagCounter32, tagGauge32, tagTimeTicks, tagCounter64, tagUnsigned32:
			value[0] = tagNull
			mended++
		}
	}
	return mended
}

// berNext splits the first TLV off b: its tag, its content and what
// follows. It takes definite lengths of up to four octets, and reports
// false for anything else or a TLV longer than b. The slices share b's
// memory.
func berNext(b []byte) (tag byte, content, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag, n, i := b[0], int(b[1]), 2
	if n&0x80 != 0 {
		octets := n & 0x7f
		if octets == 0 || octets > 4 || len(b) < 2+octets {
			return 0, nil, nil, false
		}
		n = 0
		for _, o := range b[2 : 2+octets] {
			n = n<<8 | int(o)
		}
		i += octets
	}
	if n < 0 || n > len(b)-i {
		return 0, nil, nil, false
	}
	return tag, b[i : i+n], b[i+n:], true
}
