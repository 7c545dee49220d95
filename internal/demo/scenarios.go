package demo

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/dcplane/dcplane/internal/inventory"
)

// communityFileName is the name, in the demo's directory, of the file
// holding the SNMP community every simulated device answers to.
const communityFileName = "snmp-community"

// CommunityFile is the file in dir (Config.Dir, or the temporary directory
// Start made) that holds the community the demo's devices answer to: what
// 'dcplane probe snmp --community-file' reads.
func CommunityFile(dir string) string { return filepath.Join(dir, communityFileName) }

// Scenario is a flag of 'dcplane demo' that changes what the simulated site
// does, to show what the control plane is for.
type Scenario struct {
	Flag string // the flag's name, without the dashes
	Arg  string // its argument as the banner shows it; "" for a switch
	Help string // what it does, one line
}

// Scenarios are the demo's scenario flags, in the order its banner and the
// README list them. A new scenario flag of 'dcplane demo' is added here.
var Scenarios = []Scenario{
	{"overload", "RACK[,RACK]", "drives racks 10 % over their budget: an alert fires within a minute (dcplane alerts ls)"},
	{"silence", "DEVICE[,DEVICE]", "makes devices stop answering: their racks turn STALE (unknown, never 0 W) and placement skips them"},
	{"no-workloads", "", "starts with nothing placed (the city's workloads are placed otherwise)"},
	{"bmc-racks", "N", "serves simulated BMCs for the servers of the first N racks (default 4; 0 none), polled over IPMI: dcplane server ls"},
	{"miswire", "SERVER[,SERVER]", "plugs both PSUs of servers into feed A: the cross-check alerts PSUFeedMiswired naming them"},
	{"psu-fail", "SERVER[,SERVER]", "makes a PSU of servers draw nothing: the cross-check alerts PSUNoDraw"},
	{"draw-from", "SERVER=RACK", "plugs a server into another rack's PDUs: the cross-check alerts ServerDrawsFromOtherRack"},
}

// Usage is the scenario as it is written on a command line: "--flag ARG".
func (s Scenario) Usage() string {
	if s.Arg == "" {
		return "--" + s.Flag
	}
	return "--" + s.Flag + " " + s.Arg
}

// probeHint writes how to probe one simulated device of site (its devices
// at the simulator's addresses) with the community kept in communityFile,
// and the scenarios, naming a real rack and device of the site. The device
// to probe is one that answers: not one of silenced (--silence). It writes
// nothing about probing if the site has no such PDU.
func probeHint(w io.Writer, site *inventory.Site, communityFile string, silenced []string) {
	if p, ok := firstPDU(site, func(_ *inventory.Rack, p *inventory.PDU) bool {
		return p.SNMP.Address != "" && !slices.Contains(silenced, p.ID)
	}); ok {
		fmt.Fprintf(w, "  probe      go run ./cmd/dcplane probe snmp %s --community-file %s\n", p.addr, communityFile)
		fmt.Fprintf(w, "             (PDU %s of rack %s; every device answers to that community)\n", p.pdu, p.rack)
	}
	fmt.Fprintln(w, "  scenarios  restart the demo with one (Ctrl-C first):")
	for _, s := range Scenarios {
		fmt.Fprintf(w, "             %-26s %s\n", s.Usage(), s.Help)
	}
	if e := scenarioExample(site); e != "" {
		fmt.Fprintf(w, "             e.g. %s\n", e)
	}
	if server := firstServer(site); server != "" {
		// A miswired PSU moves half its server's draw, which the sums of a
		// rack's PSUs, each read in steps of a few watts, see reliably only
		// at a high load.
		fmt.Fprintf(w, "             e.g. --miswire %s --psu-fail %s --level 0.8\n", server, server)
	}
}

// scenarioExample is an example of --overload and --silence on site: the
// first rack overloaded, and a PDU of another rack silenced. A PDU of the
// overloaded rack would hold its overload alert (a rack with a silent PDU
// is stale, never over), and the example would show nothing firing.
func scenarioExample(site *inventory.Site) string {
	over, ok := firstPDU(site, func(*inventory.Rack, *inventory.PDU) bool { return true })
	if !ok {
		return ""
	}
	quiet, ok := firstPDU(site, func(k *inventory.Rack, _ *inventory.PDU) bool { return k.ID != over.rack })
	if !ok {
		return "--overload " + over.rack
	}
	return "--overload " + over.rack + " --silence " + quiet.pdu
}

// pduRef is a PDU of a site, with its rack and address.
type pduRef struct{ rack, pdu, addr string }

// firstPDU returns the site's first PDU for which keep holds.
func firstPDU(site *inventory.Site, keep func(*inventory.Rack, *inventory.PDU) bool) (pduRef, bool) {
	var found pduRef
	ok := false
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.PDUs {
			if p := &k.PDUs[i]; keep(k, p) {
				found, ok = pduRef{k.ID, p.ID, p.SNMP.Address}, true
				return false
			}
		}
		return true
	})
	return found, ok
}

// firstServer is the site's first server with a BMC, or "".
func firstServer(site *inventory.Site) string {
	id := ""
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, s := range k.Servers {
			if s.BMC != nil {
				id = s.ID
				return false
			}
		}
		return true
	})
	return id
}
