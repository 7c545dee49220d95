package demo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
// its power), sets its profile to auto, and returns the plans for the
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
	return plans, of, nil
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
// serves for the site's PDUs (none for VendorsAPC) and each PDU's.
func recordedPDUs(c Config, log *slog.Logger) (map[string]*sim.RecordingPlan, map[string]*recording, error) {
	switch c.Vendors {
	case "", VendorsAPC:
		return nil, nil, nil
	case VendorsMixed:
		dir := c.Recordings
		if dir == "" {
			dir = DefaultRecordings
		}
		return mixedPDUs(c.Site, dir, log)
	}
	return nil, nil, fmt.Errorf("--vendors %q: want %s or %s", c.Vendors, VendorsAPC, VendorsMixed)
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
