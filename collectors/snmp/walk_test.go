package snmp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/peer"
)

// walkClient is a Client that serves a whole recorded walk from memory, as
// an agent would: Get answers instances (noSuchObject otherwise),
// BulkWalkAll the subtree. It counts requests.
type walkClient struct {
	pdus  []gosnmp.SnmpPDU // sorted by OID
	gets  int
	walks int
}

func (w *walkClient) Get(_ context.Context, oids []string) ([]gosnmp.SnmpPDU, error) {
	w.gets++
	out := make([]gosnmp.SnmpPDU, 0, len(oids))
	for _, o := range oids {
		name := "." + strings.TrimPrefix(o, ".")
		p := gosnmp.SnmpPDU{Name: name, Type: gosnmp.NoSuchObject}
		for _, q := range w.pdus {
			if q.Name == name {
				p = q
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (w *walkClient) BulkWalkAll(_ context.Context, root string) ([]gosnmp.SnmpPDU, error) {
	w.walks++
	prefix := "." + strings.TrimPrefix(root, ".") + "."
	var out []gosnmp.SnmpPDU
	for _, p := range w.pdus {
		if strings.HasPrefix(p.Name, prefix) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (w *walkClient) Close() error { return nil }

// loadWalk reads a recording of ../shared/snmprec with every snmprec tag
// the recordings use, as gosnmp would decode the values.
func loadWalk(t testing.TB, file string) *walkClient {
	t.Helper()
	b := readRecording(t, filepath.Join(peer.Recordings(t), file))
	var pdus []gosnmp.SnmpPDU
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "|", 3)
		if len(parts) != 3 || strings.HasPrefix(parts[0], "#") {
			continue
		}
		if p, ok := snmprecVarbind("."+parts[0], parts[1], parts[2]); ok {
			pdus = append(pdus, p)
		}
	}
	slices.SortFunc(pdus, func(a, b gosnmp.SnmpPDU) int {
		x, _ := parseIndex(strings.TrimPrefix(a.Name, "."))
		y, _ := parseIndex(strings.TrimPrefix(b.Name, "."))
		return slices.Compare(x, y)
	})
	return &walkClient{pdus: pdus}
}

// snmprecVarbind decodes one snmprec line.
func snmprecVarbind(name, tag, value string) (gosnmp.SnmpPDU, bool) {
	p := gosnmp.SnmpPDU{Name: name}
	hexed := strings.HasSuffix(tag, "x")
	tag = strings.TrimSuffix(tag, "x")
	switch tag {
	case "2":
		n, err := strconv.ParseInt(value, 10, 64)
		p.Type, p.Value = gosnmp.Integer, int(n)
		return p, err == nil
	case "65", "66", "67":
		n, err := strconv.ParseUint(value, 10, 32)
		p.Type, p.Value = map[string]gosnmp.Asn1BER{"65": gosnmp.Counter32, "66": gosnmp.Gauge32, "67": gosnmp.TimeTicks}[tag], uint(n)
		if tag == "67" {
			p.Value = uint32(n)
		}
		return p, err == nil
	case "70":
		n, err := strconv.ParseUint(value, 10, 64)
		p.Type, p.Value = gosnmp.Counter64, n
		return p, err == nil
	case "4":
		v := []byte(value)
		if hexed {
			var err error
			if v, err = hex.DecodeString(value); err != nil {
				return p, false
			}
		}
		p.Type, p.Value = gosnmp.OctetString, v
		return p, true
	case "6":
		p.Type, p.Value = gosnmp.ObjectIdentifier, "."+strings.TrimPrefix(value, ".")
		return p, true
	case "64":
		p.Type, p.Value = gosnmp.IPAddress, value
		return p, true
	}
	return p, false
}
