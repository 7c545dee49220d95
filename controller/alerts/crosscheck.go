package alerts

import (
	"fmt"
	"time"

	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/internal/inventory"
)

// crossCheck judges rack k's servers' PSUs against its PDUs (package
// crosscheck): for each server with a BMC, whether it is miswired
// (PSUFeedMiswired) and whether a PSU of it draws nothing (PSUNoDraw); for
// each feed, whether its PDUs and PSUs disagree beyond the tolerance
// (FeedPowerUnexplained), held while a server found drawing from another
// rack explains the rack's sums (j.explained). A judgement the readings do not allow is
// unknown, which holds the alert. Racks with no BMC are not judged.
func (j *judge) crossCheck(o Object, k *inventory.Rack) {
	if !hasBMC(k) {
		return
	}
	cfg := j.cfg.CrossCheck
	res := crosscheck.Check(k, j.in.pduWatts, j.in.Servers, cfg.Tolerance())
	byServer := map[[2]string]crosscheck.Finding{} // kind, server → its first finding
	byFeed := map[string]crosscheck.Finding{}
	for _, f := range res.Findings {
		if f.Kind == crosscheck.Unexplained {
			byFeed[f.Feed] = f
		} else if _, ok := byServer[[2]string{string(f.Kind), f.Server}]; !ok {
			byServer[[2]string{string(f.Kind), f.Server}] = f
		}
	}
	after := time.Duration(cfg.For)
	for _, s := range k.Servers {
		if s.BMC == nil {
			continue // nothing to say of it; its rack is not judged
		}
		so := o
		so.Kind, so.Server = KindServer, s.ID
		srv, ok := j.in.Servers[s.ID]
		if !ok || !crosscheck.Known(srv, len(s.PSUFeeds)) {
			j.unknown(PSUNoDraw, so)
			j.unknown(PSUFeedMiswired, so)
			continue
		}
		j.flag(PSUNoDraw, so, byServer[[2]string{string(crosscheck.NoDraw), s.ID}], after,
			fmt.Sprintf("server %s draws on every PSU", s.ID))
		if len(res.Feeds) < len(k.Feeds) {
			j.unknown(PSUFeedMiswired, so) // a feed, or another server, is unknown
			continue
		}
		j.flag(PSUFeedMiswired, so, byServer[[2]string{string(crosscheck.Miswired), s.ID}], after,
			fmt.Sprintf("server %s: its feeds' sums agree with the PDUs", s.ID))
	}
	for _, feed := range k.Feeds {
		fo := o
		fo.Kind, fo.Feed = KindPDU, feed
		pdu, judged := res.Feeds[feed]
		if !judged {
			continue // no PDU known to name; the rack's servers' alerts say it is unknown
		}
		fo.PDU = pdu
		f, found := byFeed[feed]
		if _, explained := j.explained[k.ID]; found && explained {
			// ServerDrawsFromOtherRack says what this disagreement is,
			// with both racks and the numbers. Held, not cleared: a fit
			// that comes and goes near the tolerance must not reset what
			// is pending here, or neither alert would last its duration.
			j.unknown(FeedPowerUnexplained, fo)
			continue
		}
		c := condition{rule: FeedPowerUnexplained, obj: fo, after: after, unit: "W", known: true, fire: found}
		if found {
			c.value, c.limit, c.summary = abs(f.Watts), f.Limit, f.String()
			c.clear = false
		} else {
			c.clear, c.summary = true, fmt.Sprintf("rack %s feed %s: the PDUs agree with the servers' PSUs", k.ID, feed)
		}
		j.out = append(j.out, c)
	}
}

// flag records a finding (Kind empty: none) of rule on o: it fires while
// found and clears when not.
func (j *judge) flag(r Rule, o Object, f crosscheck.Finding, after time.Duration, fine string) {
	c := condition{rule: r, obj: o, known: true, after: after, unit: "W"}
	if f.Kind != "" {
		c.fire, c.value, c.limit, c.summary = true, f.Watts, f.Limit, f.String()
	} else {
		c.clear, c.summary = true, fine
	}
	j.out = append(j.out, c)
}

// hasBMC says whether a server of k has a BMC.
func hasBMC(k *inventory.Rack) bool {
	for i := range k.Servers {
		if k.Servers[i].BMC != nil {
			return true
		}
	}
	return false
}
