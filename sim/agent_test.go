package sim

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/peer"
)

// smallView is a device with a few objects of each type.
func smallView() *View {
	v := NewView()
	v.Set(MustOID("1.3.6.1.2.1.1.1.0"), OctetString("sim device"))
	v.Set(MustOID("1.3.6.1.2.1.1.2.0"), ObjectIdentifier(MustOID("1.3.6.1.4.1.318.1.3.4.6")))
	v.Set(MustOID("1.3.6.1.2.1.1.3.0"), TimeTicks(4200))
	v.Set(MustOID("1.3.6.1.2.1.2.2.1.10.1"), Counter32(77))
	v.Set(MustOID("1.3.6.1.2.1.31.1.1.1.6.1"), Counter64(1<<40))
	v.Set(MustOID("1.3.6.1.4.1.318.1.1.26.4.3.1.5.1"), Integer(114))
	return v
}

func TestAgentGet(t *testing.T) {
	a := startAgent(t, map[string]*Device{"public": NewDevice(smallView())})
	c := a.client(t, "public", gosnmp.Version2c)
	tests := []struct {
		oid      string
		wantType gosnmp.Asn1BER
		want     string
	}{
		{"1.3.6.1.2.1.1.1.0", gosnmp.OctetString, "sim device"},
		{".1.3.6.1.2.1.1.2.0", gosnmp.ObjectIdentifier, ".1.3.6.1.4.1.318.1.3.4.6"},
		{"1.3.6.1.2.1.1.3.0", gosnmp.TimeTicks, "4200"},
		{"1.3.6.1.2.1.31.1.1.1.6.1", gosnmp.Counter64, "1099511627776"},
		{"1.3.6.1.4.1.318.1.1.26.4.3.1.5.1", gosnmp.Integer, "114"},
		{"1.3.6.1.2.1.1.1", gosnmp.NoSuchInstance, "<nil>"},   // column without instance
		{"1.3.6.1.2.1.1.1.7", gosnmp.NoSuchInstance, "<nil>"}, // wrong instance
		{"1.3.6.1.2.1.1.99.0", gosnmp.NoSuchObject, "<nil>"},  // unknown object
		{"1.3.6.1.4.1.9.9.9.0", gosnmp.NoSuchObject, "<nil>"}, // unknown subtree
	}
	for _, tt := range tests {
		t.Run(tt.oid, func(t *testing.T) {
			res, err := c.Get([]string{tt.oid})
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			vb := res.Variables[0]
			if vb.Type != tt.wantType || pduString(vb) != tt.want {
				t.Errorf("Get: got %v %s, want %v %s", vb.Type, pduString(vb), tt.wantType, tt.want)
			}
		})
	}
}

func TestAgentGetNextAndBulk(t *testing.T) {
	a := startAgent(t, map[string]*Device{"public": NewDevice(smallView())})
	c := a.client(t, "public", gosnmp.Version2c)
	res, err := c.GetNext([]string{"1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1"})
	if err != nil {
		t.Fatalf("GetNext: %v", err)
	}
	if got := names(res.Variables); got != ".1.3.6.1.2.1.2.2.1.10.1 .1.3.6.1.4.1.318.1.1.26.4.3.1.5.1" {
		t.Errorf("GetNext names: got %s", got)
	}
	if got := res.Variables[1].Type; got != gosnmp.EndOfMibView {
		t.Errorf("GetNext past the end: got %v, want EndOfMibView", got)
	}
	// One non-repeater, two repeaters, three repetitions: the second
	// repeater hits the end after one step and stays there.
	bulk, err := c.GetBulk([]string{"1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1", "1.3.6.1.4.1.318"}, 1, 3)
	if err != nil {
		t.Fatalf("GetBulk: %v", err)
	}
	want := ".1.3.6.1.2.1.1.2.0 " +
		".1.3.6.1.2.1.1.1.0 .1.3.6.1.4.1.318.1.1.26.4.3.1.5.1 " +
		".1.3.6.1.2.1.1.2.0 .1.3.6.1.4.1.318.1.1.26.4.3.1.5.1 " +
		".1.3.6.1.2.1.1.3.0 .1.3.6.1.4.1.318.1.1.26.4.3.1.5.1"
	if got := names(bulk.Variables); got != want {
		t.Errorf("GetBulk names:\n got %s\nwant %s", got, want)
	}
	if got := bulk.Variables[4].Type; got != gosnmp.EndOfMibView {
		t.Errorf("GetBulk repeater past the end: got %v, want EndOfMibView", got)
	}
}

func TestAgentBulkCappedBySize(t *testing.T) {
	v := NewView()
	for i := range 500 {
		v.Set(MustOID("1.3.6.1.4.1.99.1").Append(uint32(i)), OctetString(strings.Repeat("x", 40)))
	}
	a := startAgent(t, map[string]*Device{"public": NewDevice(v)})
	c := a.client(t, "public", gosnmp.Version2c)
	res, err := c.GetBulk([]string{"1.3.6.1.4.1.99"}, 0, 500)
	if err != nil {
		t.Fatalf("GetBulk: %v", err)
	}
	if n := len(res.Variables); n == 0 || n >= DefaultMaxVarbinds {
		t.Errorf("varbinds: got %d, want between 1 and %d", n, DefaultMaxVarbinds)
	}
	// A full walk still gets every object, in pieces.
	all, err := c.BulkWalkAll("1.3.6.1.4.1.99")
	if err != nil || len(all) != 500 {
		t.Errorf("BulkWalkAll: got %d, %v; want 500, nil", len(all), err)
	}
}

func TestAgentVersion1(t *testing.T) {
	a := startAgent(t, map[string]*Device{"public": NewDevice(smallView())})
	c := a.client(t, "public", gosnmp.Version1)
	res, err := c.Get([]string{"1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.99.0"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if res.Error != gosnmp.NoSuchName || res.ErrorIndex != 2 {
		t.Errorf("v1 Get of a missing object: got %v at %d, want NoSuchName at 2", res.Error, res.ErrorIndex)
	}
	// A v1 walk skips the Counter64 and ends with noSuchName.
	all, err := c.WalkAll("1.3.6.1")
	if err != nil {
		t.Fatalf("WalkAll: %v", err)
	}
	if got, want := len(all), smallView().Len()-1; got != want {
		t.Errorf("v1 walk: got %d objects, want %d (%s)", got, want, names(all))
	}
}

func TestAgentCommunitySelectsDevice(t *testing.T) {
	a2 := smallView()
	a2.Set(MustOID("1.3.6.1.2.1.1.1.0"), OctetString("second"))
	a := startAgent(t, map[string]*Device{"pdu-a": NewDevice(smallView()), "pdu-b": NewDevice(a2)})
	for community, want := range map[string]string{"pdu-a": "sim device", "pdu-b": "second"} {
		res, err := a.client(t, community, gosnmp.Version2c).Get([]string{"1.3.6.1.2.1.1.1.0"})
		if err != nil || pduString(res.Variables[0]) != want {
			t.Errorf("community %s: got %v, %v; want %s", community, res, err, want)
		}
	}
	wrong := a.client(t, "public", gosnmp.Version2c)
	wrong.Timeout, wrong.Retries = 200*time.Millisecond, 0
	if _, err := wrong.Get([]string{"1.3.6.1.2.1.1.1.0"}); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("wrong community: got %v, want a timeout", err)
	}
}

func TestAgentSilenceAndGarbage(t *testing.T) {
	dev := NewDevice(smallView())
	a := startAgent(t, map[string]*Device{"public": dev})
	c := a.client(t, "public", gosnmp.Version2c)
	c.Timeout, c.Retries = 200*time.Millisecond, 0
	oids := []string{"1.3.6.1.4.1.318.1.1.26.4.3.1.5.1", "1.3.6.1.2.1.1.1.0"}

	dev.Silence(true)
	if _, err := c.Get(oids); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("silenced: got %v, want a timeout", err)
	}
	dev.Silence(false)
	dev.SetGarbage(true)
	res, err := c.Get(oids)
	if err != nil {
		t.Fatalf("garbage Get: %v", err)
	}
	if vb := res.Variables[0]; vb.Type != gosnmp.OctetString {
		t.Errorf("garbage numeric object: got %v, want OctetString", vb.Type)
	}
	if vb := res.Variables[1]; pduString(vb) != "sim device" {
		t.Errorf("garbage string object: got %s, want it unchanged", pduString(vb))
	}
	dev.SetGarbage(false)
	if res, err := c.Get(oids); err != nil || res.Variables[0].Type != gosnmp.Integer {
		t.Errorf("after garbage off: got %v, %v; want Integer", res, err)
	}
}

// TestAgentWalkRecordings walks recorded devices and checks the walk gives
// back exactly the file's OIDs and values, in OID order.
func TestAgentWalkRecordings(t *testing.T) {
	dir := peer.Recordings(t)
	for _, name := range manifestFiles(t, dir) {
		t.Run(name, func(t *testing.T) {
			recs, err := LoadSnmprec(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			view := NewRecordedView(recs)
			a := startAgent(t, map[string]*Device{"rec": NewDevice(view)})
			got, err := a.client(t, "rec", gosnmp.Version2c).BulkWalkAll(".1.3") // gosnmp cannot encode a one-arc OID
			if err != nil {
				t.Fatalf("BulkWalkAll: %v", err)
			}
			if len(got) != view.Len() {
				t.Fatalf("walked %d objects, want %d", len(got), view.Len())
			}
			i := 0
			view.Walk(func(oid OID, v Value) bool {
				if g := got[i]; g.Name != "."+oid.String() || g.Type != v.Type || pduString(g) != wireString(v) {
					t.Errorf("object %d: got %s %v %q, want .%s %v %q", i, g.Name, g.Type, pduString(g), oid, v.Type, wireString(v))
				}
				i++
				return true
			})
		})
	}
}

func BenchmarkAgentGetBulk(b *testing.B) {
	pdu, err := NewRackPDU(RackPDUConfig{Name: "bench", Phases: 3, Banks: 6, Outlets: 24, Load: func() float64 { return 9000 }})
	if err != nil {
		b.Fatal(err)
	}
	a := startAgent(b, map[string]*Device{"public": pdu.Device})
	c := a.client(b, "public", gosnmp.Version2c)
	before := a.srv.Served()
	for b.Loop() {
		if _, err := c.GetBulk([]string{rpdu2.String()}, 0, 20); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(a.srv.Served()-before)/b.Elapsed().Seconds(), "polls/s")
}

// pduString renders a received value the way wireString renders a sent one.
func pduString(vb gosnmp.SnmpPDU) string {
	if b, ok := vb.Value.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(vb.Value)
}

// wireString renders a view value as gosnmp decodes it.
func wireString(v Value) string {
	switch d := v.Data.(type) {
	case []byte:
		return string(d)
	case string:
		if v.Type == gosnmp.ObjectIdentifier {
			return "." + d
		}
	}
	return fmt.Sprint(v.Data)
}

func names(vbs []gosnmp.SnmpPDU) string {
	var b bytes.Buffer
	for i, vb := range vbs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vb.Name)
	}
	return b.String()
}

// TestServeStops: Serve returns nil, leaving no goroutine behind, when its
// context is cancelled or its socket closed.
func TestServeStops(t *testing.T) {
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			conn, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatalf("listen: %v", err)
			}
			defer conn.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := NewServer(ServerOptions{})
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ctx, conn, map[string]*Device{"public": NewDevice(smallView())}) }()
			if how == "cancel" {
				cancel()
			} else {
				conn.Close()
			}
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: got %v, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Serve still running 5 s after " + how)
			}
		})
	}
}
