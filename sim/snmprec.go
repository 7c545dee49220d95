package sim

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// ErrMalformedSnmprec is wrapped by every error about a line of a .snmprec
// file that cannot be read; the message names file:line and the fault.
var ErrMalformedSnmprec = errors.New("sim: malformed snmprec")

// ErrUnknownTag is wrapped, together with ErrMalformedSnmprec, when a line
// carries a type tag that this parser does not know.
var ErrUnknownTag = errors.New("unknown type tag")

// Record is one line of a .snmprec recording.
type Record struct {
	OID   OID
	Value Value
	Line  int // 1-based line number in the file
}

// LoadSnmprec reads the .snmprec file at path.
func LoadSnmprec(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load snmprec: %w", err)
	}
	defer f.Close()
	return ParseSnmprec(f, filepath.Base(path))
}

// ParseSnmprec reads snmpsim's recording format: one OID|TAG|VALUE per
// line, TAG being the BER type number, with an x suffix when VALUE is
// hex-encoded. Blank lines and lines starting with # are skipped. name is
// used in error messages. Records are returned in file order.
func ParseSnmprec(r io.Reader, name string) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var out []Record
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rec, err := parseSnmprecLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		rec.Line = n
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}

func parseSnmprecLine(line string) (Record, error) {
	parts := strings.SplitN(line, "|", 3)
	if len(parts) != 3 {
		return Record{}, fmt.Errorf("want OID|TAG|VALUE, got %d field(s): %w", len(parts), ErrMalformedSnmprec)
	}
	oid, err := ParseOID(parts[0])
	if err != nil {
		return Record{}, fmt.Errorf("OID: %v: %w", err, ErrMalformedSnmprec)
	}
	val, err := parseSnmprecValue(parts[1], parts[2])
	if err != nil {
		return Record{}, err
	}
	return Record{OID: oid, Value: val}, nil
}

// snmprecTags maps the numeric tags of the format to BER types.
var snmprecTags = map[string]gosnmp.Asn1BER{
	"2": gosnmp.Integer, "4": gosnmp.OctetString, "5": gosnmp.Null,
	"6": gosnmp.ObjectIdentifier, "64": gosnmp.IPAddress, "65": gosnmp.Counter32,
	"66": gosnmp.Gauge32, "67": gosnmp.TimeTicks, "68": gosnmp.Opaque,
	"70": gosnmp.Counter64,
}

func parseSnmprecValue(tag, text string) (Value, error) {
	hexed := strings.HasSuffix(tag, "x")
	typ, ok := snmprecTags[strings.TrimSuffix(tag, "x")]
	if !ok {
		return Value{}, fmt.Errorf("%w %q: %w", ErrUnknownTag, tag, ErrMalformedSnmprec)
	}
	raw := []byte(text)
	if hexed {
		b, err := hex.DecodeString(text)
		if err != nil {
			return Value{}, fmt.Errorf("tag %s: bad hex value: %v: %w", tag, err, ErrMalformedSnmprec)
		}
		raw = b
	}
	v, err := convertSnmprec(typ, raw, hexed)
	if err != nil {
		return Value{}, fmt.Errorf("tag %s value %q: %v: %w", tag, text, err, ErrMalformedSnmprec)
	}
	return v, nil
}

// convertSnmprec turns the (unhexed) bytes of a value into a typed Value.
func convertSnmprec(typ gosnmp.Asn1BER, raw []byte, hexed bool) (Value, error) {
	s := string(raw)
	switch typ {
	case gosnmp.OctetString, gosnmp.Opaque:
		return Value{Type: typ, Data: raw}, nil
	case gosnmp.Null:
		return Value{Type: typ}, nil
	case gosnmp.Integer:
		n, err := strconv.ParseInt(s, 10, 32)
		return Value{Type: typ, Data: int(n)}, err
	case gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks:
		n, err := strconv.ParseUint(s, 10, 32)
		return Value{Type: typ, Data: uint32(n)}, err
	case gosnmp.Counter64:
		n, err := strconv.ParseUint(s, 10, 64)
		return Value{Type: typ, Data: n}, err
	case gosnmp.ObjectIdentifier:
		oid, err := ParseOID(s)
		return Value{Type: typ, Data: oid.String()}, err
	case gosnmp.IPAddress:
		return parseIPValue(raw, hexed)
	}
	return Value{}, fmt.Errorf("type %v not supported", typ)
}

// parseIPValue accepts a dotted quad, or with the x suffix four raw octets.
func parseIPValue(raw []byte, hexed bool) (Value, error) {
	if hexed && len(raw) == net.IPv4len {
		return Value{Type: gosnmp.IPAddress, Data: net.IP(raw).String()}, nil
	}
	ip := net.ParseIP(string(raw)).To4()
	if ip == nil {
		return Value{}, errors.New("not an IPv4 address")
	}
	return Value{Type: gosnmp.IPAddress, Data: ip.String()}, nil
}
