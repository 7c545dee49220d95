package sim

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/inventory"
)

// identity is what a device says it is, read over SNMP.
type identity struct {
	descr, objectID, model, serial string
	phases, breakerAmps            int
}

// readIdentity reads a device's system group and, where it has them, its
// rPDU2 ident model and serial and its device properties.
func readIdentity(t *testing.T, ctx context.Context, addr, community string) identity {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	g := &gosnmp.GoSNMP{Target: host, Port: uint16(p), Community: community, Version: gosnmp.Version2c,
		Timeout: 2 * time.Second, Retries: 1, Context: ctx}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	oids := []string{"1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", rpdu2Ident.Append(8, 1).String(), rpdu2Ident.Append(9, 1).String(),
		rpdu2DevProps.Append(7, 1).String(), rpdu2DevProps.Append(9, 1).String()}
	r, err := g.Get(oids)
	if err != nil || len(r.Variables) != len(oids) {
		t.Fatalf("%s: got %v (%v), want %d varbinds", addr, r, err, len(oids))
	}
	var id identity
	str := func(v gosnmp.SnmpPDU) string { b, _ := v.Value.([]byte); return string(b) }
	num := func(v gosnmp.SnmpPDU) int { n, _ := v.Value.(int); return n }
	id.descr, id.model, id.serial = str(r.Variables[0]), str(r.Variables[2]), str(r.Variables[3])
	id.objectID, _ = r.Variables[1].Value.(string)
	id.objectID = strings.TrimPrefix(id.objectID, ".")
	id.phases, id.breakerAmps = num(r.Variables[4]), num(r.Variables[5])
	return id
}

// TestDeviceIdentities walks every kind of device the simulated site
// serves (rPDU2 PDUs of each rating the site has, InRow units) and checks
// that what each says it is agrees: its sysObjectID is its family's, its
// sysDescr is that family's card naming the model and serial of its ident
// table, and the model's rating is the one its properties report.
func TestDeviceIdentities(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	site := inventory.Reference(2)
	racks := site.Halls[0].Rows[0].Racks
	racks = append(racks, site.Halls[len(site.Halls)-1].Rows[0].Racks...)
	racks[len(racks)-1].PDUs[0].BreakerA = 63 // a GPU rack's
	racks[len(racks)-1].PDUs[1].Phases = 1
	s, err := StartSite(ctx, SiteConfig{Site: site, Community: "c", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Rewrite(site)
	mn := regexp.MustCompile(` MN:(\S+) HR:\S+ SN: (\S+) `)
	kinds := map[string]bool{}
	for _, k := range racks {
		for _, p := range k.PDUs {
			id := readIdentity(t, ctx, p.SNMP.Address, "c")
			kinds[id.model] = true
			if id.objectID != "1.3.6.1.4.1.318.1.3.4.6" || !strings.Contains(id.descr, "AN1:apc_hw05_rpdu2g_") {
				t.Errorf("%s: got sysObjectID %s with sysDescr %q, want an rPDU2's (1.3.6.1.4.1.318.1.3.4.6, rpdu2g firmware)", p.ID, id.objectID, id.descr)
			}
			if m := mn.FindStringSubmatch(id.descr); m == nil || m[1] != id.model || m[2] != id.serial {
				t.Errorf("%s: got sysDescr %q, want it to name model %s and serial %s, as rPDU2Ident does", p.ID, id.descr, id.model, id.serial)
			}
			phases, amps, ok := rpdu2Rating(id.model)
			if !ok || phases != id.phases || amps != id.breakerAmps || id.phases != p.Phases || id.breakerAmps != int(p.BreakerA) {
				t.Errorf("%s: got model %s (rated %d phases, %d A; known %v) reporting %d phases of %d A, want the model of the inventory's %d phases of %.0f A",
					p.ID, id.model, phases, amps, ok, id.phases, id.breakerAmps, p.Phases, p.BreakerA)
			}
		}
	}
	if len(kinds) != 3 {
		t.Errorf("got models %v, want three: one for each rating of the site", kinds)
	}
	for _, h := range site.Halls {
		for _, row := range h.Rows {
			for _, c := range row.Cooling {
				id := readIdentity(t, ctx, c.SNMP.Address, "c")
				if id.objectID != "1.3.6.1.4.1.318.1.3.14.23" || !strings.HasPrefix(id.descr, "APC InRow DX ") || id.model != "" {
					t.Errorf("%s: got sysObjectID %s, sysDescr %q, rPDU2 model %q; want an InRow DX's (1.3.6.1.4.1.318.1.3.14.23), and no rPDU2 ident",
						c.ID, id.objectID, id.descr, id.model)
				}
			}
		}
	}
}
