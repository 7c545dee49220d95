package alerts

import (
	"fmt"
	"time"

	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/internal/inventory"
)

// ServerDrawsFromOtherRack: a server's PSUs' draw is missing from its
// inventoried rack's PDUs and shows on another rack's by as much (the
// cross-check's sums across racks), sustained.
const ServerDrawsFromOtherRack Rule = "ServerDrawsFromOtherRack"

// The rule's severity and runbook join the others' here rather than in
// ruleInfo's literal, so that the rule stays in one file: init runs before
// any evaluator or caller of Rules can read the map.
func init() {
	ruleInfo[ServerDrawsFromOtherRack] = RuleInfo{Severity: Warning,
		Runbook: "The server's power shows on another rack's PDUs: its cords run there, or it stands there and the inventory is wrong. Check where it stands and where its cords go (dcplane server ls --rack RACK); fix the cabling or the inventory, or both racks' budgets and failover sums are off by its draw. The sums cannot tell apart servers that draw alike: check those the alert lists too."}
}

// elsewhere judges, for every server with a BMC, whether it draws from a
// rack it is not inventoried in (crosscheck.Elsewhere), at the
// cross-check's tolerance and duration. The alert is on the server, in
// its inventoried rack; the summary names the rack it appears to draw
// from. It is unknown (held) while the server's rack is not judged, and
// while its draw is missing there but the rack it draws from may be one
// that is not judged.
func (j *judge) elsewhere() {
	cfg, res := j.cfg.CrossCheck, j.strays
	found := map[string]crosscheck.Finding{}
	for _, f := range res.Findings {
		found[f.Server] = f
	}
	after := time.Duration(cfg.For)
	j.in.Site.Racks(func(h *inventory.Hall, r *inventory.Row, k *inventory.Rack) bool {
		for _, s := range k.Servers {
			if s.BMC == nil {
				continue // nothing to say of it; its rack is not judged
			}
			o := Object{Kind: KindServer, Site: j.in.Site.Name, Hall: h.ID, Row: r.ID, Rack: k.ID, Server: s.ID}
			f, ok := found[s.ID]
			switch {
			case ok:
			case !res.Judged[k.ID], res.Unplaced[s.ID] && !res.Complete:
				j.unknown(ServerDrawsFromOtherRack, o)
				continue
			}
			j.flag(ServerDrawsFromOtherRack, o, f, after,
				fmt.Sprintf("server %s: its draw shows on no other rack's PDUs", s.ID))
		}
		return true
	})
}

// explainedBy maps each rack that a finding of strays names, as the stray
// server's rack or as the rack it draws from, to that finding. Elsewhere
// names a server only when taking its draw out of its rack's sums, and
// adding it to the other rack's, makes every feed of both agree within
// the tolerance: what FeedPowerUnexplained would say of their feeds is
// that one server's draw, which ServerDrawsFromOtherRack already says with
// both racks and the numbers. One fault is one alert, not five. A rack
// that several findings name as the one drawn from explains none of
// them: Elsewhere matches each short rack on its own, and that rack's
// excess may carry only one of their servers.
func explainedBy(strays crosscheck.Strays) map[string]crosscheck.Finding {
	from := map[string]int{}
	for _, f := range strays.Findings {
		from[f.From]++
	}
	out := map[string]crosscheck.Finding{}
	for _, f := range strays.Findings {
		if from[f.From] > 1 {
			continue
		}
		for _, k := range []string{f.Rack, f.From} {
			if _, ok := out[k]; !ok {
				out[k] = f
			}
		}
	}
	return out
}
