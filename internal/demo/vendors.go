package demo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// The PDU vendors a demo site can have (Config.Vendors).
const (
	// VendorsAPC serves every PDU from the simulator's APC rPDU2 model.
	VendorsAPC = "apc"
	// VendorsMixed serves the PDUs from recorded walks of real PDUs of
	// every vendor that records a device power, assigned round robin
	// across vendors, each with the load of its rack's feed overlaid; the
	// inventory leaves their profile to auto-detection.
	VendorsMixed = "mixed"
)

// DefaultRecordings is where VendorsMixed looks for the recorded walks
// (and their MANIFEST.tsv) when Config.Recordings is empty: ../shared/snmprec,
// from the working directory, as `go run ./cmd/dcplane demo` runs in the
// repository's checkout with ../shared beside it.
const DefaultRecordings = "../shared/snmprec"

// ErrNoRecordings means that VendorsMixed found no recorded walks to serve.
var ErrNoRecordings = errors.New("demo: no recorded PDU walks")

// recording is one recorded walk of a PDU that can follow a load.
type recording struct {
	file, vendor, profile string
	plan                  *sim.RecordingPlan
	// site is what fitting the inventory to its recordings changed, shared
	// by every recording one site was given (a recording belongs to one).
	site *derating
}

// bigWalk is the most objects under its profile's roots a walk the demo
// serves may have. A poll walks them all: a Raritan PX3 or PX4 with 48
// outlets or a Rittal PDU controller (6,000 to 21,000 objects, hundreds
// of requests a poll) was measured timing out at the demo's 2 s interval
// on the full site, its rack stale. Those walks are served in sim's tests.
const bigWalk = 2000

// vendorPool hands out one vendor's recordings in turn, planning each the
// first time it is asked for (a large walk takes a second to plan).
type vendorPool struct {
	name    string
	pending []string     // files not planned yet
	usable  []*recording // planned, in file order
	taken   int
}

// take returns the vendor's next recording, or nil when it has none that
// can follow a load.
func (v *vendorPool) take(dir string, log *slog.Logger) (*recording, error) {
	for len(v.pending) > 0 {
		file := v.pending[0]
		v.pending = v.pending[1:]
		rec, err := planRecording(dir, file, log)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			rec.vendor = v.name
			v.usable = append(v.usable, rec)
			v.taken++
			return rec, nil
		}
	}
	if len(v.usable) == 0 {
		return nil, nil
	}
	rec := v.usable[v.taken%len(v.usable)]
	v.taken++
	return rec, nil
}

// planRecording loads and plans one recording; nil (and no error) when it
// cannot follow a load: no profile reads it, or it reports no device power.
func planRecording(dir, file string, log *slog.Logger) (*recording, error) {
	recs, err := sim.LoadSnmprec(filepath.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("demo: --vendors mixed: %w", err)
	}
	det, err := snmp.MatchWalk(snmp.Defs(), sim.Varbinds(recs))
	if err != nil {
		log.Debug("recording skipped: no profile reads it", "file", file, "err", err)
		return nil, nil
	}
	if n := polled(recs, det.Profile.Roots()); n > bigWalk {
		log.Debug("recording skipped: too large a walk to poll at the demo's interval", "file", file, "objects", n, "limit", bigWalk)
		return nil, nil
	}
	plan, err := sim.PlanRecording(file, recs, det.Profile)
	if err != nil {
		log.Debug("recording skipped", "file", file, "profile", det.Profile.Name(), "err", err)
		return nil, nil
	}
	return &recording{file: file, profile: det.Profile.Name(), plan: plan}, nil
}

// polled is how many of recs lie under roots: what one poll walks.
func polled(recs []sim.Record, roots []string) int {
	n := 0
	for _, r := range recs {
		oid := r.OID.String() + "."
		if slices.ContainsFunc(roots, func(root string) bool { return strings.HasPrefix(oid, root+".") }) {
			n++
		}
	}
	return n
}

// mixedPDUs gives every PDU of site a recorded walk of dir, round robin
// across the vendors of dir's MANIFEST.tsv (those with a PDU that records
// its power), sets its profile to auto, makes the inventory say what each
// recorded PDU is (fitRecordings), and returns the plans for the
// simulator and each PDU's recording.
func mixedPDUs(site *inventory.Site, dir string, log *slog.Logger) (map[string]*sim.RecordingPlan, map[string]*recording, error) {
	pools, err := pduVendors(dir)
	if err != nil {
		return nil, nil, err
	}
	plans, of := map[string]*sim.RecordingPlan{}, map[string]*recording{}
	turn := 0
	var failed error
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.PDUs {
			rec, err := nextRecording(&pools, &turn, dir, log)
			if err != nil {
				failed = err
				return false
			}
			p := &k.PDUs[i]
			p.SNMP.Profile = snmp.DefaultProfile
			plans[p.ID], of[p.ID] = rec.plan, rec
		}
		return true
	})
	if failed != nil {
		return nil, nil, failed
	}
	fit := fitRecordings(site, of)
	for _, rec := range of {
		rec.site = &fit
	}
	return plans, of, nil
}

// derating is what fitRecordings did to a site's racks.
type derating struct {
	racks, derated int // racks, and those whose budget was lowered
	// Of the racks derated, those whose limiting feed has a PDU with fewer
	// phases, a lower rating or a lower voltage than the inventory had.
	phases, rating, volts int
	before, after         float64 // the site's rack budgets, W
}

// fitRecordings makes the inventory true to the recordings: a PDU served by
// a recording takes its phases in use, its voltage and, where it reports
// one, its input rating (else the inventory's breaker stays), and a rack
// whose PDUs can then no longer carry its budget in 2N has the budget
// lowered to what they carry: each feed alone within inventory.DerateFactor
// of its breakers, the check inventory validation makes. (The reference
// site's 3-phase 32 A feeds with a single-phase recording on them put the
// whole load on L1: RedundancyLost and PhaseImbalance alerts that were true
// of a configuration the demo had made up.) The simulator's load follows
// the budget, so a derated rack draws what its PDUs can carry.
func fitRecordings(site *inventory.Site, of map[string]*recording) derating {
	var d derating
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		d.racks++
		d.before += k.BudgetWatts()
		was := slices.Clone(k.PDUs)
		for i := range k.PDUs {
			if rec := of[k.PDUs[i].ID]; rec != nil {
				fitPDU(&k.PDUs[i], rec.plan)
			}
		}
		carry, limiting := feedCarry(k)
		if budget := budgetUnder(carry); budget < k.BudgetKW {
			k.BudgetKW = budget
			d.derated++
			for i := range k.PDUs {
				p, old := k.PDUs[i], was[i]
				if p.Feed != limiting {
					continue
				}
				d.phases += b2i(p.Phases < old.Phases)
				d.rating += b2i(p.BreakerA < old.BreakerA)
				d.volts += b2i(p.VoltageV < old.VoltageV)
			}
		}
		d.after += k.BudgetWatts()
		return true
	})
	return d
}

// fitPDU makes p what plan's recorded PDU is. A voltage validation would
// refuse stays the inventory's.
func fitPDU(p *inventory.PDU, plan *sim.RecordingPlan) {
	p.Phases = plan.Phases()
	if v := plan.Volts(); v >= 100 && v <= 480 {
		p.VoltageV = v
	}
	if a, ok := plan.RatedAmps(); ok {
		p.BreakerA = a
	}
}

// feedCarry is the power k's weakest feed can carry alone (its PDUs'
// inventory.PDU.CapacityWatts summed), and that feed.
func feedCarry(k *inventory.Rack) (float64, string) {
	sum := map[string]float64{}
	var feeds []string
	for _, p := range k.PDUs {
		if _, ok := sum[p.Feed]; !ok {
			feeds = append(feeds, p.Feed)
		}
		sum[p.Feed] += p.CapacityWatts()
	}
	carry, limiting := math.Inf(1), ""
	for _, f := range feeds {
		if sum[f] < carry {
			carry, limiting = sum[f], f
		}
	}
	return carry, limiting
}

// budgetUnder is the largest budget in kW, in steps of 10 W, whose watts
// do not exceed carry (5.888 kW carried: a 5.88 kW budget).
func budgetUnder(carry float64) float64 {
	kw := math.Floor(carry/10) / 100
	for kw > 0 && kw*1000 > carry {
		kw -= 0.01
	}
	return kw
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nextRecording takes the next vendor's next recording, dropping vendors
// that have none.
func nextRecording(pools *[]*vendorPool, turn *int, dir string, log *slog.Logger) (*recording, error) {
	for len(*pools) > 0 {
		i := *turn % len(*pools)
		rec, err := (*pools)[i].take(dir, log)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			*pools = slices.Delete(*pools, i, i+1)
			continue
		}
		*turn = i + 1
		return rec, nil
	}
	return nil, fmt.Errorf("%w in %s: none reports a device power the simulator could drive", ErrNoRecordings, dir)
}

// pduVendors reads dir's MANIFEST.tsv: the PDU recordings of each vendor,
// vendors in the order they first appear.
func pduVendors(dir string) ([]*vendorPool, error) {
	abs, _ := filepath.Abs(dir)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%w: --vendors mixed serves the recorded walks of %s, which is missing (looked in %s): check out ../shared beside the repository, or name the folder with --recordings", ErrNoRecordings, dir, abs)
	}
	manifest := filepath.Join(dir, "MANIFEST.tsv")
	f, err := os.Open(manifest)
	if err != nil {
		return nil, fmt.Errorf("%w: --vendors mixed needs %s, which lists the walks and their vendors: %w", ErrNoRecordings, filepath.Join(abs, "MANIFEST.tsv"), err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", manifest, err)
	}
	file, kind, vendor := slices.Index(head, "file_name"), slices.Index(head, "device_kind"), slices.Index(head, "vendor")
	if file < 0 || kind < 0 || vendor < 0 {
		return nil, fmt.Errorf("demo: %s: want columns file_name, device_kind and vendor, got %s", manifest, strings.Join(head, ", "))
	}
	var pools []*vendorPool
	for line := 2; ; line++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", manifest, err)
		}
		if len(row) <= max(file, kind, vendor) || row[kind] != "pdu" {
			continue
		}
		j := slices.IndexFunc(pools, func(p *vendorPool) bool { return p.name == row[vendor] })
		if j < 0 {
			pools, j = append(pools, &vendorPool{name: row[vendor]}), len(pools)
		}
		pools[j].pending = append(pools[j].pending, row[file])
	}
	if len(pools) == 0 {
		return nil, fmt.Errorf("%w: %s lists no PDU", ErrNoRecordings, manifest)
	}
	return pools, nil
}

// recordedPDUs returns, for Config.Vendors, the recordings the simulator
// serves for the site's PDUs (none for VendorsAPC) and each PDU's, the
// inventory made true to them (fitRecordings).
func recordedPDUs(c Config, log *slog.Logger) (map[string]*sim.RecordingPlan, map[string]*recording, error) {
	return vendorPDUs(c.Site, c.Vendors, c.Recordings, log)
}

// vendorPDUs is recordedPDUs for a site, its vendors and the folder of
// recordings ("": DefaultRecordings), for the demo and for RunSim.
func vendorPDUs(site *inventory.Site, vendors, recordings string, log *slog.Logger) (map[string]*sim.RecordingPlan, map[string]*recording, error) {
	switch vendors {
	case "", VendorsAPC:
		return nil, nil, nil
	case VendorsMixed:
		dir := recordings
		if dir == "" {
			dir = DefaultRecordings
		}
		return mixedPDUs(site, dir, log)
	}
	return nil, nil, fmt.Errorf("--vendors %q: want %s or %s", vendors, VendorsAPC, VendorsMixed)
}

// line says, in one line, how many racks fitting the inventory to
// the recordings derated and why; "" when none.
func (f *derating) line() string {
	if f == nil || f.derated == 0 {
		return ""
	}
	var why []string
	for _, r := range []struct {
		n    int
		what string
	}{{f.phases, "single-phase"}, {f.rating, "a lower rating"}, {f.volts, "a lower voltage"}} {
		if r.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", r.n, r.what))
		}
	}
	return fmt.Sprintf("%d of %d racks derated to what their recorded PDUs carry on one feed at %.0f %% of their breakers (limiting PDUs: %s): budgets %.2f → %.2f MW",
		f.derated, f.racks, inventory.DerateFactor*100, strings.Join(why, ", "), f.before/1e6, f.after/1e6)
}

// vendorBanner says which recordings the PDUs serve: one "profile
// (file) ×N" a recording, in the order first given out.
func (d *Demo) vendorBanner(w io.Writer) {
	if d.recorded == nil {
		return
	}
	var order []*recording
	n := map[*recording]int{}
	d.site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, p := range k.PDUs {
			rec := d.recorded[p.ID]
			if rec != nil && n[rec] == 0 {
				order = append(order, rec)
			}
			n[rec]++
		}
		return true
	})
	parts := make([]string, len(order))
	for i, rec := range order {
		parts[i] = fmt.Sprintf("%s (%s, %s) ×%d", rec.profile, rec.vendor, rec.file, n[rec])
	}
	fmt.Fprintf(w, "  PDUs       recorded walks of real PDUs, each following its rack's load, profile auto-detected:\n             %s\n",
		strings.Join(parts, ",\n             "))
	if len(order) > 0 {
		if line := order[0].site.line(); line != "" {
			fmt.Fprintf(w, "  derated    %s\n", line)
		}
	}
}

// vendorSummary is the summary's part for a mixed-vendor site: racks whose
// draw is known, and by profile the PDUs read and what they draw.
func (d *Demo) vendorSummary(racks []power.Rack) string {
	if d.recorded == nil {
		return ""
	}
	type tally struct {
		pdus, read int
		watts      float64
	}
	by := map[string]*tally{}
	var profiles []string
	known := 0
	for _, k := range racks {
		if k.DrawWatts != nil {
			known++
		}
		for _, p := range k.PDUs {
			rec := d.recorded[p.ID]
			if rec == nil {
				continue
			}
			t := by[rec.profile]
			if t == nil {
				t = &tally{}
				by[rec.profile] = t
				profiles = append(profiles, rec.profile)
			}
			t.pdus++
			if p.PowerWatts != nil {
				t.read++
				t.watts += *p.PowerWatts
			}
		}
	}
	slices.Sort(profiles)
	parts := make([]string, len(profiles))
	for i, name := range profiles {
		t := by[name]
		parts[i] = fmt.Sprintf("%s %d/%d %.1f kW", name, t.read, t.pdus, t.watts/1000)
	}
	return fmt.Sprintf("\n  racks read %d/%d; PDUs read by profile: %s", known, len(racks), strings.Join(parts, ", "))
}
