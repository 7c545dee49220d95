package snmp

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// loadVarbinds reads a fixture in snmprec form (OID|tag|value, # comments)
// as the varbinds gosnmp would return: OIDs with a leading dot, Integer as
// int, Gauge32 as uint, OctetString as []byte.
func loadVarbinds(t *testing.T, path string) []gosnmp.SnmpPDU {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open fixture: %v", err)
	}
	defer f.Close()
	var pdus []gosnmp.SnmpPDU
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
		pdus = append(pdus, varbind(t, "."+parts[0], parts[1], parts[2]))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return pdus
}

// varbind builds one varbind from an snmprec tag and value.
func varbind(t *testing.T, name, tag, value string) gosnmp.SnmpPDU {
	t.Helper()
	p := gosnmp.SnmpPDU{Name: name}
	switch tag {
	case "2":
		n, err := strconv.Atoi(value)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p.Type, p.Value = gosnmp.Integer, n
	case "66":
		n, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p.Type, p.Value = gosnmp.Gauge32, uint(n)
	case "4":
		p.Type, p.Value = gosnmp.OctetString, []byte(value)
	case "128":
		p.Type = gosnmp.NoSuchObject
	case "129":
		p.Type = gosnmp.NoSuchInstance
	default:
		t.Fatalf("%s: unknown tag %s", name, tag)
	}
	return p
}

// fakeClient is a Client made of function fields; nil fields serve from pdus.
type fakeClient struct {
	pdus   []gosnmp.SnmpPDU
	get    func(ctx context.Context, oids []string) ([]gosnmp.SnmpPDU, error)
	walk   func(ctx context.Context, root string) ([]gosnmp.SnmpPDU, error)
	closed int
}

func (f *fakeClient) Get(ctx context.Context, oids []string) ([]gosnmp.SnmpPDU, error) {
	return f.get(ctx, oids)
}

func (f *fakeClient) BulkWalkAll(ctx context.Context, root string) ([]gosnmp.SnmpPDU, error) {
	if f.walk != nil {
		return f.walk(ctx, root)
	}
	var out []gosnmp.SnmpPDU
	for _, p := range f.pdus {
		if strings.HasPrefix(p.Name, "."+root+".") {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeClient) Close() error {
	f.closed++
	return nil
}
