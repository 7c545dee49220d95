package sim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// ErrBadOID is returned when an object identifier cannot be parsed.
var ErrBadOID = errors.New("sim: malformed object identifier")

// OID is a numeric object identifier, one element per arc.
type OID []uint32

// ParseOID parses a dotted numeric OID; a leading dot is accepted.
func ParseOID(s string) (OID, error) {
	t := strings.TrimPrefix(s, ".")
	if t == "" {
		return nil, fmt.Errorf("%q: empty: %w", s, ErrBadOID)
	}
	parts := strings.Split(t, ".")
	oid := make(OID, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q: arc %d %q: %w", s, i+1, p, ErrBadOID)
		}
		oid[i] = uint32(n)
	}
	return oid, nil
}

// MustOID is ParseOID for OIDs written in the source; it panics on error.
func MustOID(s string) OID {
	oid, err := ParseOID(s)
	if err != nil {
		panic(err)
	}
	return oid
}

// String returns the OID in dotted form without a leading dot.
func (o OID) String() string {
	var b strings.Builder
	for i, n := range o {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(n), 10))
	}
	return b.String()
}

// Compare orders OIDs arc by arc as unsigned integers, a prefix first; it
// returns -1, 0 or +1.
func (o OID) Compare(p OID) int {
	for i := 0; i < len(o) && i < len(p); i++ {
		switch {
		case o[i] < p[i]:
			return -1
		case o[i] > p[i]:
			return 1
		}
	}
	switch {
	case len(o) < len(p):
		return -1
	case len(o) > len(p):
		return 1
	}
	return 0
}

// HasPrefix reports whether p is a prefix of o (or equal to it).
func (o OID) HasPrefix(p OID) bool {
	if len(p) > len(o) {
		return false
	}
	for i := range p {
		if o[i] != p[i] {
			return false
		}
	}
	return true
}

// Append returns a new OID made of o followed by arcs.
func (o OID) Append(arcs ...uint32) OID {
	out := make(OID, 0, len(o)+len(arcs))
	return append(append(out, o...), arcs...)
}

// Value is one typed SNMP value, held as gosnmp marshals it: int for
// Integer, uint32 for Counter32, Gauge32 and TimeTicks, uint64 for
// Counter64, []byte for OctetString and Opaque, a dotted string for
// ObjectIdentifier and IPAddress, nil for Null.
type Value struct {
	Type gosnmp.Asn1BER
	Data any
}

// Integer returns an Integer32 value.
func Integer(n int) Value { return Value{Type: gosnmp.Integer, Data: n} }

// OctetString returns an OCTET STRING value.
func OctetString(s string) Value { return Value{Type: gosnmp.OctetString, Data: []byte(s)} }

// Gauge32 returns a Gauge32 value.
func Gauge32(n uint32) Value { return Value{Type: gosnmp.Gauge32, Data: n} }

// Counter32 returns a Counter32 value.
func Counter32(n uint32) Value { return Value{Type: gosnmp.Counter32, Data: n} }

// Counter64 returns a Counter64 value.
func Counter64(n uint64) Value { return Value{Type: gosnmp.Counter64, Data: n} }

// TimeTicks returns a TimeTicks value (hundredths of a second).
func TimeTicks(n uint32) Value { return Value{Type: gosnmp.TimeTicks, Data: n} }

// ObjectIdentifier returns an OBJECT IDENTIFIER value.
func ObjectIdentifier(oid OID) Value {
	return Value{Type: gosnmp.ObjectIdentifier, Data: oid.String()}
}

// IsNumeric reports whether v is one of SNMP's integer types.
func (v Value) IsNumeric() bool {
	switch v.Type {
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks,
		gosnmp.Counter64, gosnmp.Uinteger32:
		return true
	}
	return false
}

// String renders v for messages and tests: numbers in decimal, strings as
// they are, byte strings that are not printable in hex.
func (v Value) String() string {
	switch d := v.Data.(type) {
	case nil:
		return "<" + v.Type.String() + ">"
	case []byte:
		if printable(d) {
			return string(d)
		}
		return fmt.Sprintf("%x", d)
	default:
		return fmt.Sprint(d)
	}
}

func printable(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7f {
			return false
		}
	}
	return true
}
