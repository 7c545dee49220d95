package sim

import (
	"fmt"

	"github.com/gosnmp/gosnmp"
)

// garbageValue is what a device with garbage on answers for numbers.
var garbageValue = []byte("garbage")

// varbind turns a view entry into a response variable binding.
func varbind(oid OID, v Value) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid.String(), Type: v.Type, Value: v.Data}
}

// exception is a v2c exception binding (noSuchObject, endOfMibView…).
func exception(name string, t gosnmp.Asn1BER) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: name, Type: t}
}

// get answers a GetRequest (RFC 3416 §4.2.1; RFC 1157 §4.1.2 for v1).
func (s *Server) get(reqs []gosnmp.SnmpPDU, view *View, v1 bool) *response {
	out := make([]gosnmp.SnmpPDU, 0, len(reqs))
	for i, r := range reqs {
		oid, err := ParseOID(r.Name)
		var val Value
		found := err == nil
		if found {
			val, found = view.Get(oid)
		}
		switch {
		case found && !(v1 && val.Type == gosnmp.Counter64):
			out = append(out, varbind(oid, val))
		case v1:
			return &response{status: gosnmp.NoSuchName, index: errIndex(i), vbs: reqs}
		case err == nil && len(oid) > 1 && view.hasSubtree(oid[:len(oid)-1]):
			out = append(out, exception(r.Name, gosnmp.NoSuchInstance))
		default:
			out = append(out, exception(r.Name, gosnmp.NoSuchObject))
		}
	}
	return &response{vbs: out}
}

// getNext answers a GetNextRequest (RFC 3416 §4.2.2). A v1 manager cannot
// receive Counter64, so v1 walks step over them (RFC 3584 §4.2.2.1).
func (s *Server) getNext(reqs []gosnmp.SnmpPDU, view *View, v1 bool) *response {
	out := make([]gosnmp.SnmpPDU, 0, len(reqs))
	for i, r := range reqs {
		vb, ok := nextBinding(view, r.Name, v1)
		if !ok && v1 {
			return &response{status: gosnmp.NoSuchName, index: errIndex(i), vbs: reqs}
		}
		out = append(out, vb)
	}
	return &response{vbs: out}
}

// nextBinding returns the binding after name, or endOfMibView and false.
func nextBinding(view *View, name string, v1 bool) (gosnmp.SnmpPDU, bool) {
	oid, err := ParseOID(name)
	if err != nil {
		oid = OID{}
	}
	for {
		next, val, ok := view.Next(oid)
		if !ok {
			return exception(name, gosnmp.EndOfMibView), false
		}
		if !v1 || val.Type != gosnmp.Counter64 {
			return varbind(next, val), true
		}
		oid = next
	}
}

// getBulk answers a GetBulkRequest (RFC 3416 §4.2.3), with at most
// s.maxVarbinds bindings; marshal may cut it shorter to fit a datagram.
func (s *Server) getBulk(req *gosnmp.SnmpPacket, view *View) *response {
	reqs := req.Variables
	n := min(int(req.NonRepeaters), len(reqs))
	out := make([]gosnmp.SnmpPDU, 0, min(s.maxVarbinds, n+len(reqs[n:])*int(req.MaxRepetitions)))
	for _, r := range reqs[:n] {
		if len(out) == s.maxVarbinds {
			return &response{vbs: out, partial: true}
		}
		vb, _ := nextBinding(view, r.Name, false)
		out = append(out, vb)
	}
	last := make([]string, len(reqs)-n)
	for i, r := range reqs[n:] {
		last[i] = r.Name
	}
	for rep := 0; rep < int(req.MaxRepetitions) && len(last) > 0; rep++ {
		ended := 0
		for i := range last {
			if len(out) == s.maxVarbinds {
				return &response{vbs: out, partial: true}
			}
			vb, ok := nextBinding(view, last[i], false)
			if !ok {
				ended++
			}
			out, last[i] = append(out, vb), vb.Name
		}
		if ended == len(last) {
			break // every repeater is at the end of the view
		}
	}
	return &response{vbs: out, partial: true}
}

// errIndex converts a 0-based varbind position to an error-index.
func errIndex(i int) uint8 {
	if i >= 254 {
		return 255
	}
	return uint8(i + 1)
}

// marshal encodes the response, spoiling numbers if garbage is set, and
// cutting a GetBulk response short, or answering tooBig, to fit a datagram.
func (s *Server) marshal(req *gosnmp.SnmpPacket, r *response, garbage bool) ([]byte, error) {
	if garbage {
		spoil(r.vbs)
	}
	limit := maxUDPPayload
	if r.partial {
		limit = s.maxBytes
	}
	pkt := &gosnmp.SnmpPacket{
		Version: req.Version, Community: req.Community, PDUType: gosnmp.GetResponse,
		RequestID: req.RequestID, Error: r.status, ErrorIndex: r.index, Variables: r.vbs,
	}
	for {
		out, err := pkt.MarshalMsg()
		if err != nil {
			return nil, fmt.Errorf("marshal response: %w", err)
		}
		if len(out) <= limit {
			return out, nil
		}
		if !r.partial || len(pkt.Variables) <= 1 {
			pkt.Error, pkt.ErrorIndex, pkt.Variables = gosnmp.TooBig, 0, nil
			return pkt.MarshalMsg()
		}
		keep := max(1, min(len(pkt.Variables)-1, len(pkt.Variables)*limit/len(out)))
		pkt.Variables = pkt.Variables[:keep]
	}
}

// spoil replaces every numeric value with an OCTET STRING.
func spoil(vbs []gosnmp.SnmpPDU) {
	for i, vb := range vbs {
		if (Value{Type: vb.Type}).IsNumeric() {
			vbs[i].Type, vbs[i].Value = gosnmp.OctetString, garbageValue
		}
	}
}
