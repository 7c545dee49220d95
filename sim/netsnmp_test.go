package sim

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/peer"
)

// TestNetSNMPBulkWalk walks simulated devices with net-snmp's snmpbulkwalk,
// a second, independent SNMP implementation, and checks that it sees every
// object of the view, in order, with its type and value.
func TestNetSNMPBulkWalk(t *testing.T) {
	tool := peer.Require(t, "snmpbulkwalk", "snmp")
	clock := newFakeClock() // frozen: live values hold still during the walk
	pdu, err := NewRackPDU(RackPDUConfig{Name: "r07-pdu-a", Phases: 3, Banks: 6, Outlets: 24,
		Probe: &Probe{Name: "front"}, Now: clock.Now, Load: func() float64 { return 8123.4 }})
	if err != nil {
		t.Fatalf("NewRackPDU: %v", err)
	}
	inrow, err := NewInRow(InRowConfig{Name: "row3-ir1", CapacityWatts: 30000, Now: clock.Now, HeatLoad: func() float64 { return 21000 }})
	if err != nil {
		t.Fatalf("NewInRow: %v", err)
	}
	devices := map[string]*Device{"pdu": pdu.Device, "inrow": inrow.Device}
	if dir := recordingsDir(t); dir != "" {
		for _, name := range []string{"apc_ap8853", "apc_inrow-dx", "akcp_serverprobe8", "stulz_wib8000", "dell-rpdu"} {
			recs, err := LoadSnmprec(filepath.Join(dir, name+".snmprec"))
			if err != nil {
				t.Fatalf("load %s: %v", name, err)
			}
			devices[name] = NewDevice(NewRecordedView(recs))
		}
	}
	a := startAgent(t, devices)
	for community, dev := range devices {
		t.Run(community, func(t *testing.T) {
			out := runWalk(t, tool, community, a.port, "-t", "2", "-r", "1")
			compareWalk(t, dev.View(), out)
		})
	}
	t.Run("wrong community", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, tool, "-v2c", "-c", "nobody", "-On", "-Oe", "-t", "0.3", "-r", "0",
			fmt.Sprintf("127.0.0.1:%d", a.port), ".1.3").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Timeout") {
			t.Errorf("walk with a wrong community: got %v, %q; want a timeout", err, out)
		}
	})
}

// recordingsDir is snmprecDir without the skip: the live models are
// cross-checked even where the recordings are absent.
func recordingsDir(t *testing.T) string {
	dir := ""
	t.Run("recordings", func(t *testing.T) { dir = peer.Recordings(t) })
	return dir
}

func runWalk(t *testing.T, tool, community string, port uint16, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"-v2c", "-c", community, "-On", "-Oe"}, extra...)
	args = append(args, fmt.Sprintf("127.0.0.1:%d", port), ".1.3")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", tool, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// walkLine matches the start of each object in snmpbulkwalk -On output;
// a value may run over several lines (long Hex-STRINGs, strings with
// newlines).
var walkLine = regexp.MustCompile(`(?m)^(\.[0-9.]+) = `)

func compareWalk(t *testing.T, view *View, out string) {
	t.Helper()
	starts := walkLine.FindAllStringSubmatchIndex(out, -1)
	var got [][2]string
	for i, m := range starts {
		end := len(out)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		got = append(got, [2]string{out[m[2]:m[3]], strings.TrimSuffix(out[m[1]:end], "\n")})
	}
	// The walk ends with the last OID again and "No more variables left…".
	if n := len(got); n > 0 && strings.HasPrefix(got[n-1][1], "No more variables") {
		got = got[:n-1]
	}
	if len(got) != view.Len() {
		t.Errorf("objects: got %d, want %d", len(got), view.Len())
	}
	i := 0
	view.Walk(func(oid OID, v Value) bool {
		if i >= len(got) {
			return false
		}
		name, text := got[i][0], got[i][1]
		if name != "."+oid.String() {
			t.Errorf("object %d: got OID %s, want .%s", i, name, oid)
			return false
		}
		if err := matchNetSNMP(v, text); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		i++
		return true
	})
}

// matchNetSNMP checks net-snmp's rendering of one value against v.
func matchNetSNMP(v Value, text string) error {
	typ, body, _ := strings.Cut(text, ": ")
	if text == `""` {
		typ, body = "STRING", `""`
	}
	wantType := map[gosnmp.Asn1BER]string{
		gosnmp.Integer: "INTEGER", gosnmp.Gauge32: "Gauge32", gosnmp.Counter32: "Counter32",
		gosnmp.Counter64: "Counter64", gosnmp.TimeTicks: "Timeticks", gosnmp.ObjectIdentifier: "OID",
		gosnmp.IPAddress: "IpAddress",
	}[v.Type]
	switch {
	case v.Type == gosnmp.OctetString:
		got, err := netSNMPBytes(typ, body)
		if err != nil || !bytes.Equal(got, v.Data.([]byte)) {
			return fmt.Errorf("got %q (%v), want %q", text, err, v.Data)
		}
	case typ != wantType:
		return fmt.Errorf("got type %q in %q, want %s", typ, text, wantType)
	case v.Type == gosnmp.TimeTicks:
		if !strings.HasPrefix(body, fmt.Sprintf("(%d) ", v.Data)) {
			return fmt.Errorf("got %q, want (%d)", body, v.Data)
		}
	case v.Type == gosnmp.ObjectIdentifier:
		if body != "."+v.Data.(string) {
			return fmt.Errorf("got %q, want .%s", body, v.Data)
		}
	default:
		if body != fmt.Sprint(v.Data) {
			return fmt.Errorf("got %q, want %v", body, v.Data)
		}
	}
	return nil
}

// netSNMPBytes decodes a STRING or Hex-STRING as snmpbulkwalk prints it.
func netSNMPBytes(typ, body string) ([]byte, error) {
	switch typ {
	case "STRING":
		s, err := strconv.Unquote(body)
		if err != nil { // net-snmp does not escape as Go does; strip the quotes
			s = strings.TrimSuffix(strings.TrimPrefix(body, `"`), `"`)
		}
		return []byte(s), nil
	case "Hex-STRING":
		return hex.DecodeString(strings.Join(strings.Fields(body), ""))
	}
	return nil, fmt.Errorf("not a string type: %s", typ)
}

func TestMatchNetSNMP(t *testing.T) {
	tests := []struct {
		v    Value
		text string
		ok   bool
	}{
		{Integer(-1), "INTEGER: -1", true},
		{Integer(2), "INTEGER: 3", false},
		{Integer(2), "Gauge32: 2", false},
		{Gauge32(49), "Gauge32: 49", true},
		{Counter64(3), "Counter64: 3", true},
		{TimeTicks(14136000), "Timeticks: (14136000) 1 day, 15:16:00.00", true},
		{TimeTicks(1), "Timeticks: (14136000) 1 day, 15:16:00.00", false},
		{ObjectIdentifier(MustOID("1.3.6.1.4.1.318.1.3.14.23")), "OID: .1.3.6.1.4.1.318.1.3.14.23", true},
		{Value{gosnmp.IPAddress, "10.25.15.63"}, "IpAddress: 10.25.15.63", true},
		{OctetString("vmac0"), `STRING: "vmac0"`, true},
		{OctetString(""), `""`, true},
		{OctetString("vmac1"), `STRING: "vmac0"`, false},
		{Value{gosnmp.OctetString, []byte{0x28, 0x29, 0x86, 0x11, 0xd2, 0x35}}, "Hex-STRING: 28 29 86 11 D2 35 ", true},
		{Value{gosnmp.OctetString, []byte{0x28, 0x29}}, "Hex-STRING: 28 29 86 ", false},
	}
	for _, tt := range tests {
		if err := matchNetSNMP(tt.v, tt.text); (err == nil) != tt.ok {
			t.Errorf("matchNetSNMP(%v %v, %q): got %v, want ok=%v", tt.v.Type, tt.v, tt.text, err, tt.ok)
		}
	}
}
