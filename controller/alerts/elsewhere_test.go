package alerts

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/internal/inventory"
)

// strayInput is the cross-check's test site with servers S4 and S5 in rack
// K2 as well, each with a BMC, every server where the inventory says: K1's
// feeds draw 600 W each, K2's 400 W, and K3 (no servers) nothing.
func strayInput() Input {
	in := quiet()
	in.Site = crossSite()
	k2 := &in.Site.Halls[0].Rows[0].Racks[1]
	for _, id := range []string{"S4", "S5"} {
		k2.Servers = append(k2.Servers, inventory.Server{ID: id, PSUFeeds: []string{"A", "B"}, BMC: &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}})
	}
	in.Servers = map[string]crosscheck.Server{"S1": bmc("S1", 300, 300), "S2": bmc("S2", 200, 200), "S3": bmc("S3", 100, 100),
		"S4": bmc("S4", 250, 250), "S5": bmc("S5", 150, 150)}
	for id, w := range map[string]float64{"K1-A": 600, "K1-B": 600, "K2-A": 400, "K2-B": 400, "K3-A1": 0, "K3-A2": 0, "K3-B": 0} {
		in.Devices[id] = pdu(w, 1.5, 1.5, 1.5)
	}
	return in
}

// strayBriefs are the active alerts of ServerDrawsFromOtherRack in brief,
// with whether each is held.
func strayBriefs(as []Alert) []string {
	out := []string{}
	for _, a := range as {
		if a.Rule == ServerDrawsFromOtherRack {
			s := brief(a)
			if a.Held {
				s += " held"
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// TestServerDrawsFromOtherRack checks the rule: none on a healthy site;
// on a server whose draw leaves its rack's PDUs for another rack's, one on
// that server, naming both racks with the numbers, sustained for the
// cross-check's duration; none while the server's rack is not judged; held,
// not resolved, while the rack it may draw from is not judged; resolved
// once its rack's PDUs measure its draw again.
func TestServerDrawsFromOtherRack(t *testing.T) {
	moved := func(in *Input) { // S2 plugged into K2's PDUs
		in.Devices["K1-A"], in.Devices["K1-B"] = pdu(400, 1.5, 1.5, 1.5), pdu(400, 1.5, 1.5, 1.5)
		in.Devices["K2-A"], in.Devices["K2-B"] = pdu(600, 1.5, 1.5, 1.5), pdu(600, 1.5, 1.5, 1.5)
	}
	steps := []struct {
		name  string
		after time.Duration // since the previous step
		edit  func(*Input)
		want  []string
	}{
		{"healthy", 0, nil, []string{}},
		{"moved: pending", time.Minute, moved, []string{"ServerDrawsFromOtherRack server S2 pending 400/77"}},
		{"moved: firing after the duration", 10 * time.Minute, moved, []string{"ServerDrawsFromOtherRack server S2 firing 400/77"}},
		{"the other rack unknown: held", time.Minute, func(in *Input) { moved(in); delete(in.Devices, "K2-A") },
			[]string{"ServerDrawsFromOtherRack server S2 firing 400/77 held"}},
		{"its own rack unknown: held", time.Minute, func(in *Input) { moved(in); delete(in.Servers, "S1") },
			[]string{"ServerDrawsFromOtherRack server S2 firing 400/77 held"}},
		{"missing, every rack judged, none shows it: resolved", time.Minute, func(in *Input) {
			moved(in)
			in.Devices["K2-A"], in.Devices["K2-B"] = pdu(400, 1.5, 1.5, 1.5), pdu(400, 1.5, 1.5, 1.5)
		}, []string{}},
	}
	c := DefaultConfig()
	c.ClearFor = 0
	e := evaluator(t, c)
	at := t0
	for _, st := range steps {
		at = at.Add(st.after)
		in := strayInput()
		if st.edit != nil {
			st.edit(&in)
		}
		res := e.Evaluate(in, at)
		if got := strayBriefs(res.Active); !slices.Equal(got, st.want) {
			t.Fatalf("%s: got\n\t%s\nwant\n\t%s", st.name, join(got), join(st.want))
		}
		for _, a := range res.Active {
			if a.Rule != ServerDrawsFromOtherRack {
				continue
			}
			if a.Object.Rack != "K1" || a.Object.Row != "R1" || !strings.Contains(a.Summary, "rack K2") || a.Runbook == "" || a.Severity != Warning {
				t.Errorf("%s: got %+v, summary %q, runbook %q, severity %s; want server S2 in rack K1 of row R1, rack K2 named, a runbook, warning",
					st.name, a.Object, a.Summary, a.Runbook, a.Severity)
			}
		}
	}
}

// TestServerDrawsFromOtherRackUnknown checks that the rule neither fires
// nor starts while the readings do not allow it: the server's own rack
// not judged, or its draw missing while the rack that may carry it is
// not judged.
func TestServerDrawsFromOtherRackUnknown(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Input)
	}{
		{"its rack's server stale", func(in *Input) { s := in.Servers["S3"]; s.Fresh = false; in.Servers["S3"] = s }},
		{"the rack it draws from has a PDU unknown", func(in *Input) { delete(in.Devices, "K2-B") }},
		{"the rack it draws from has a server unknown", func(in *Input) { delete(in.Servers, "S5") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := instant()
			c.CrossCheck.For = 0
			e := evaluator(t, c)
			in := strayInput()
			in.Devices["K1-A"], in.Devices["K1-B"] = pdu(400, 1.5, 1.5, 1.5), pdu(400, 1.5, 1.5, 1.5)
			in.Devices["K2-A"], in.Devices["K2-B"] = pdu(600, 1.5, 1.5, 1.5), pdu(600, 1.5, 1.5, 1.5)
			tt.edit(&in)
			res := e.Evaluate(in, t0)
			if got := strayBriefs(res.Active); len(got) != 0 {
				t.Errorf("got %v, want none while unknown", got)
			}
		})
	}
}

// TestServerDrawsFromOtherRackListed checks that the rule is listed among
// every rule, with its severity and runbook.
func TestServerDrawsFromOtherRackListed(t *testing.T) {
	i := slices.IndexFunc(Rules(), func(r RuleInfo) bool { return r.Rule == ServerDrawsFromOtherRack })
	if i < 0 {
		t.Fatalf("got no %s in Rules(), want it", ServerDrawsFromOtherRack)
	}
	if r := Rules()[i]; r.Severity != Warning || !strings.Contains(r.Runbook, "inventory") {
		t.Errorf("got %+v, want a warning whose runbook says to check the inventory", r)
	}
}

// TestStrayServerIsOneAlert checks that a server drawing from another
// rack is one alert, not one for every feed of the two racks it puts out
// of balance: while ServerDrawsFromOtherRack names it, FeedPowerUnexplained
// is active on neither rack; a difference that no server explains still
// raises FeedPowerUnexplained.
func TestStrayServerIsOneAlert(t *testing.T) {
	for _, tt := range []struct {
		name            string
		k1, k2          float64 // each feed's PDU of K1 and K2
		k3Short         bool    // K3 holds a server S6 whose draw its PDUs do not measure
		stray           bool
		wantUnexplained []string
	}{
		{"S2 draws from K2: one alert", 400, 600, false, true, []string{}},
		{"K2 draws more than anything explains", 600, 700, false, false, []string{"K2/A firing", "K2/B firing"}},
		{"S2 draws from K2, and K3 is short of what nothing explains", 400, 600, true, true, []string{"K3/A firing", "K3/B firing"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := instant()
			c.CrossCheck.For = 0
			e := evaluator(t, c)
			in := feedsAt(tt.k1, tt.k2)
			if tt.k3Short {
				k3 := &in.Site.Halls[0].Rows[0].Racks[2]
				k3.Servers = append(k3.Servers, inventory.Server{ID: "S6", PSUFeeds: []string{"A", "B"}, BMC: &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}})
				in.Servers["S6"] = bmc("S6", 300, 300)
			}
			res := e.Evaluate(in, t0)
			if got := strayBriefs(res.Active); (len(got) == 1) != tt.stray {
				t.Errorf("ServerDrawsFromOtherRack: got %v, want one: %v", got, tt.stray)
			}
			if got := unexplained(res.Active); !slices.Equal(got, tt.wantUnexplained) {
				t.Errorf("FeedPowerUnexplained on: got %v, want %v", got, tt.wantUnexplained)
			}
		})
	}
}

// TestExplainedHoldsUnexplained checks that a rack whose disagreement a
// stray server explains only for a while keeps what FeedPowerUnexplained
// had pending: a fit that comes and goes near the tolerance does not
// reset the alert's duration, so a lasting disagreement still fires.
func TestExplainedHoldsUnexplained(t *testing.T) {
	c := instant()
	c.CrossCheck.For = Duration(10 * time.Minute)
	e := evaluator(t, c)
	steps := []struct {
		at     time.Duration
		k1, k2 float64
		want   []string
	}{
		{0, 600, 700, []string{"K2/A pending", "K2/B pending"}},               // K2 draws 300 W a feed more than anything explains
		{6 * time.Minute, 400, 600, []string{"K2/A pending", "K2/B pending"}}, // for now, S2 drawing from K2 would explain it: held
		{11 * time.Minute, 600, 700, []string{"K2/A firing", "K2/B firing"}},  // unexplained again, 11 min after it began
	}
	for _, st := range steps {
		res := e.Evaluate(feedsAt(st.k1, st.k2), t0.Add(st.at))
		if got := unexplained(res.Active); !slices.Equal(got, st.want) {
			t.Fatalf("at %v: FeedPowerUnexplained: got %v, want %v", st.at, got, st.want)
		}
	}
}

// TestSharedDrawnFromRackExplainsNone: two findings naming the same rack
// as the one drawn from explain none of the three racks (its excess may
// carry one server only); findings naming different racks explain theirs.
func TestSharedDrawnFromRackExplainsNone(t *testing.T) {
	f := func(rack, from string) crosscheck.Finding {
		return crosscheck.Finding{Kind: crosscheck.DrawsElsewhere, Rack: rack, Server: "S-" + rack, From: from}
	}
	if got := explainedBy(crosscheck.Strays{Findings: []crosscheck.Finding{f("K1", "K3"), f("K2", "K3")}}); len(got) != 0 {
		t.Errorf("two findings drawing from K3: got %v explained, want none", slices.Sorted(maps.Keys(got)))
	}
	got := explainedBy(crosscheck.Strays{Findings: []crosscheck.Finding{f("K1", "K3"), f("K2", "K4")}})
	if want := []string{"K1", "K2", "K3", "K4"}; !slices.Equal(slices.Sorted(maps.Keys(got)), want) {
		t.Errorf("findings drawing from K3 and K4: got %v explained, want %v", slices.Sorted(maps.Keys(got)), want)
	}
}

// feedsAt is strayInput with each feed's PDU of K1 and K2 measuring k1 and
// k2 watts.
func feedsAt(k1, k2 float64) Input {
	in := strayInput()
	in.Devices["K1-A"], in.Devices["K1-B"] = pdu(k1, 1.5, 1.5, 1.5), pdu(k1, 1.5, 1.5, 1.5)
	in.Devices["K2-A"], in.Devices["K2-B"] = pdu(k2, 1.5, 1.5, 1.5), pdu(k2, 1.5, 1.5, 1.5)
	return in
}

// unexplained lists the active FeedPowerUnexplained alerts as rack/feed
// and status, sorted.
func unexplained(as []Alert) []string {
	out := []string{}
	for _, a := range as {
		if a.Rule == FeedPowerUnexplained {
			out = append(out, a.Object.Rack+"/"+a.Object.Feed+" "+string(a.Status))
		}
	}
	slices.Sort(out)
	return out
}
