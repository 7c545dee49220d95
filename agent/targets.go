package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
)

// snmpPoller polls one device over SNMP with one profile.
type snmpPoller struct {
	c *snmp.Collector
	t snmp.Target
	p snmp.Profile
}

func (s snmpPoller) Poll(ctx context.Context) collectors.Status { return s.c.Poll(ctx, s.t, s.p) }

// Shared returns the Collector the poller polls through, one for all the
// SNMP targets that Targets was given it for: Run closes it, and the
// sessions it keeps, once when it ends.
func (s snmpPoller) Shared() io.Closer { return s.c }

// Selection picks the devices of an inventory an agent polls. Empty fields
// match everything.
type Selection struct{ Hall, Row string }

// Skipped is a device an agent cannot poll, and why.
type Skipped struct{ Device, Reason string }

// Targets builds the targets of the selected PDUs and cooling units of a
// site. Devices whose profile is unknown, or whose credentials are not in
// creds, are skipped and listed, so that one unsupported device does not stop
// the polling of the rest.
func Targets(site *inventory.Site, sel Selection, creds map[string]snmp.Credentials, c *snmp.Collector) ([]Target, []Skipped) {
	var out []Target
	var skipped []Skipped
	add := func(id string, ep inventory.Endpoint) {
		p, err := snmp.LookupProfile(ep.Profile)
		if err != nil {
			skipped = append(skipped, Skipped{id, err.Error()})
			return
		}
		cr, ok := creds[ep.Credentials]
		if !ok {
			skipped = append(skipped, Skipped{id, fmt.Sprintf("credentials %q are not in the credentials file", ep.Credentials)})
			return
		}
		out = append(out, Target{Device: id, Poller: snmpPoller{c, snmp.Target{Address: ep.Address, Name: id, Credentials: cr}, p}})
	}
	sel.rows(site, func(r *inventory.Row) {
		for id, ep := range r.Devices() {
			add(id, *ep)
		}
	})
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Device < skipped[j].Device })
	return out, skipped
}

// rows calls fn for each selected row of site.
func (sel Selection) rows(site *inventory.Site, fn func(*inventory.Row)) {
	for hi := range site.Halls {
		h := &site.Halls[hi]
		for ri := range h.Rows {
			r := &h.Rows[ri]
			if (sel.Hall != "" && sel.Hall != h.ID) || (sel.Row != "" && sel.Row != r.ID) {
				continue
			}
			fn(r)
		}
	}
}

// BMCTargets builds the targets of the BMCs of the selected servers of a
// site: one ipmi.Collector each, which keeps its session across polls (the
// agent closes them when it stops). Servers with no BMC are left out;
// those whose credentials are not in creds, or whose target the collector
// refuses, are skipped and listed. A BMC's cipher suite is the
// inventory's, else its credentials', else 17. log receives the
// collectors' debug logs.
func BMCTargets(site *inventory.Site, sel Selection, creds map[string]BMCCredentials, log *slog.Logger) ([]Target, []Skipped) {
	var out []Target
	var skipped []Skipped
	sel.rows(site, func(r *inventory.Row) {
		for ki := range r.Racks {
			for _, s := range r.Racks[ki].Servers {
				if s.BMC == nil {
					continue
				}
				t, err := bmcTarget(s.ID, s.BMC, creds, log)
				if err != nil {
					skipped = append(skipped, Skipped{s.ID, err.Error()})
					continue
				}
				out = append(out, t)
			}
		}
	})
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Device < skipped[j].Device })
	return out, skipped
}

func bmcTarget(id string, b *inventory.BMC, creds map[string]BMCCredentials, log *slog.Logger) (Target, error) {
	cr, ok := creds[b.Credentials]
	if !ok {
		return Target{}, fmt.Errorf("credentials %q are not an ipmi entry of the credentials file", b.Credentials)
	}
	suite := cr.CipherSuite
	if b.CipherSuite != 0 {
		suite = ipmi.CipherSuite(b.CipherSuite)
	}
	c, err := ipmi.NewCollector(ipmi.Target{Address: b.Address, Name: id, User: cr.User, Password: cr.Password, CipherSuite: suite}, log)
	if err != nil {
		return Target{}, err
	}
	return Target{Device: id, Poller: c, Protocol: ProtocolIPMI}, nil
}
