package snmp

import (
	"bufio"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// rawAgent is an SNMPv2c responder on a real UDP socket of 127.0.0.1 whose
// answers are hand-built BER, for the hostile answers neither gosnmp nor
// the simulator will encode (a zero-length INTEGER, noSuchInstance inside a
// GETBULK, an OID that goes back, endless tables). It decodes each request
// with gosnmp, for its request-id, type and OIDs, and answers through
// handle: by default from its table, as a well-behaved agent would.
type rawAgent struct {
	addr  string
	table []rawEntry // sorted by OID

	opts rawOptions

	mu     sync.Mutex
	counts map[gosnmp.PDUType]int
}

// rawEntry is one varbind: its OID (no leading dot) and its value as a
// whole BER TLV.
type rawEntry struct {
	oid string
	tlv []byte
}

// rawOptions says how a rawAgent misbehaves; the zero value behaves.
type rawOptions struct {
	// handle decides the answer to one request: its error-status, its
	// varbinds, and whether to answer at all. Nil serves the table.
	handle func(a *rawAgent, req *gosnmp.SnmpPacket) (status byte, vbs []rawEntry, answer bool)
	// next, when it returns true, replaces the table's entry after oid
	// in GETNEXT and GETBULK answers.
	next  func(oid string) (rawEntry, bool)
	delay time.Duration // every answer is held back this long
}

// startRawAgent serves table on a new socket until the test ends,
// misbehaving as opts say.
func startRawAgent(t *testing.T, table []rawEntry, opts rawOptions) *rawAgent {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(table)
	slices.SortFunc(sorted, func(x, y rawEntry) int { return compareOIDs(x.oid, y.oid) })
	a := &rawAgent{addr: conn.LocalAddr().String(), table: sorted, opts: opts, counts: map[gosnmp.PDUType]int{}}
	done := make(chan struct{})
	var writers sync.WaitGroup
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			out := a.respond(buf[:n])
			if out == nil {
				continue
			}
			if a.opts.delay > 0 {
				writers.Add(1)
				time.AfterFunc(a.opts.delay, func() { defer writers.Done(); _, _ = conn.WriteTo(out, from) })
				continue
			}
			_, _ = conn.WriteTo(out, from)
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-done         // no answer is scheduled after this
		writers.Wait() // the late ones fail on the closed socket
	})
	return a
}

// count returns how many requests of type k the agent received.
func (a *rawAgent) count(k gosnmp.PDUType) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counts[k]
}

// respond returns the encoded answer to one datagram, or nil.
func (a *rawAgent) respond(raw []byte) []byte {
	req, err := (&gosnmp.GoSNMP{}).SnmpDecodePacket(raw)
	if err != nil {
		return nil
	}
	a.mu.Lock()
	a.counts[req.PDUType]++
	a.mu.Unlock()
	h := a.opts.handle
	if h == nil {
		h = (*rawAgent).serve
	}
	status, vbs, ok := h(a, req)
	if !ok {
		return nil
	}
	return berResponse(req.RequestID, req.Community, status, vbs)
}

// serve answers req from the table, as a well-behaved agent does.
func (a *rawAgent) serve(req *gosnmp.SnmpPacket) (byte, []rawEntry, bool) {
	var out []rawEntry
	switch req.PDUType {
	case gosnmp.GetRequest:
		for _, v := range req.Variables {
			name := strings.TrimPrefix(v.Name, ".")
			i := slices.IndexFunc(a.table, func(e rawEntry) bool { return e.oid == name })
			if i < 0 {
				out = append(out, rawEntry{name, berNoSuchObject})
				continue
			}
			out = append(out, a.table[i])
		}
	case gosnmp.GetNextRequest:
		for _, v := range req.Variables {
			out = append(out, a.next(v.Name))
		}
	case gosnmp.GetBulkRequest:
		last := make([]string, len(req.Variables))
		for i, v := range req.Variables {
			last[i] = v.Name
		}
		for range req.MaxRepetitions {
			if len(out)+len(last) > 100 {
				break
			}
			for i := range last {
				e := a.next(last[i])
				out, last[i] = append(out, e), e.oid
			}
		}
	default:
		return 0, nil, false
	}
	return 0, out, true
}

// next returns the entry after oid, or endOfMibView.
func (a *rawAgent) next(oid string) rawEntry {
	oid = strings.TrimPrefix(oid, ".")
	if a.opts.next != nil {
		if e, ok := a.opts.next(oid); ok {
			return e
		}
	}
	for _, e := range a.table {
		if compareOIDs(e.oid, oid) > 0 {
			return e
		}
	}
	return rawEntry{oid, berEndOfMibView}
}

// compareOIDs orders dotted OIDs by their sub-identifiers.
func compareOIDs(x, y string) int {
	switch {
	case oidAfter(x, y):
		return 1
	case oidAfter(y, x):
		return -1
	}
	return 0
}

// rawTable reads a fixture in snmprec form (tags 2, 4, 65, 66, 128, 129)
// as BER entries.
func rawTable(t *testing.T, path string) []rawEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rawEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("fixture line %q: want OID|tag|value", line)
		}
		out = append(out, rawEntry{parts[0], rawValue(t, parts[1], parts[2])})
	}
	return out
}

// rawValue encodes an snmprec tag and value as a BER TLV.
func rawValue(t *testing.T, tag, value string) []byte {
	t.Helper()
	switch tag {
	case "2":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return berInteger(n)
	case "4":
		return berTLV(0x04, []byte(value))
	case "65", "66":
		n, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		tagByte := map[string]byte{"65": 0x41, "66": 0x42}[tag]
		return berTLV(tagByte, berIntContent(int64(n)))
	case "128":
		return berNoSuchObject
	case "129":
		return berNoSuchInstance
	}
	t.Fatalf("unknown snmprec tag %s", tag)
	return nil
}

// Hand-built BER values.
var (
	berNoSuchObject   = []byte{0x80, 0x00}
	berNoSuchInstance = []byte{0x81, 0x00}
	berEndOfMibView   = []byte{0x82, 0x00}
	berZeroLenInteger = []byte{0x02, 0x00} // X.690 8.3.1 wants at least one octet
)

// berTLV encodes one tag, its definite length and content.
func berTLV(tag byte, content []byte) []byte {
	out := []byte{tag}
	switch n := len(content); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, content...)
}

// berIntContent is v in the fewest two's-complement octets.
func berIntContent(v int64) []byte {
	var b []byte
	for {
		b = append([]byte{byte(v)}, b...)
		if (v >= -128 && v < 128) || len(b) == 8 {
			return b
		}
		v >>= 8
	}
}

func berInteger(v int64) []byte { return berTLV(0x02, berIntContent(v)) }

// berOID encodes a dotted OID.
func berOID(oid string) []byte {
	var arcs []uint64
	for s := range strings.SplitSeq(strings.TrimPrefix(oid, "."), ".") {
		n, _ := strconv.ParseUint(s, 10, 64)
		arcs = append(arcs, n)
	}
	if len(arcs) < 2 {
		arcs = append(arcs, 0, 0)
	}
	content := []byte{byte(arcs[0]*40 + arcs[1])}
	for _, a := range arcs[2:] {
		var b []byte
		b = append(b, byte(a&0x7f))
		for a >>= 7; a > 0; a >>= 7 {
			b = append([]byte{byte(a&0x7f) | 0x80}, b...)
		}
		content = append(content, b...)
	}
	return berTLV(0x06, content)
}

// berResponse encodes an SNMPv2c GetResponse.
func berResponse(reqID uint32, community string, status byte, vbs []rawEntry) []byte {
	var list []byte
	for _, v := range vbs {
		list = append(list, berTLV(0x30, append(berOID(v.oid), v.tlv...))...)
	}
	var pdu []byte
	pdu = append(pdu, berInteger(int64(reqID))...)
	pdu = append(pdu, berInteger(int64(status))...)
	index := int64(0)
	if status != 0 {
		index = 1
	}
	pdu = append(pdu, berInteger(index)...)
	pdu = append(pdu, berTLV(0x30, list)...)
	var msg []byte
	msg = append(msg, berInteger(1)...) // SNMPv2c
	msg = append(msg, berTLV(0x04, []byte(community))...)
	msg = append(msg, berTLV(0xa2, pdu)...)
	return berTLV(0x30, msg)
}

// replaced returns entries with the value of oid replaced by tlv.
func replaced(entries []rawEntry, oid string, tlv []byte) []rawEntry {
	out := slices.Clone(entries)
	for i := range out {
		if out[i].oid == oid {
			out[i].tlv = tlv
		}
	}
	return out
}
