package demo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dcplane/dcplane/sim"
)

// DefaultCurves is where the demo finds the real power curves its racks
// replay when --load-curves is not given: Google's 2019 PDU traces in
// ../shared/traces, relative to the working directory (the repository's
// root when run as the README says).
const DefaultCurves = "../shared/traces/google-power-2019"

// CurvesNone asks for the daily cosine load model instead of real curves.
const CurvesNone = "none"

// LoadCurves reads the power curves the racks replay from dir: none for
// CurvesNone. The default folder may be missing (a machine without
// ../shared still runs the demo, on the daily cosine, and why is said in
// the returned note); a folder named by the user (explicit) must hold
// curves, or it is an error naming it.
func LoadCurves(dir string, explicit bool) (curves []*sim.Curve, note string, err error) {
	if dir == CurvesNone {
		return nil, "racks follow a daily cosine with noise (--load-curves none)", nil
	}
	if dir == "" {
		dir = DefaultCurves
	}
	abs, _ := filepath.Abs(dir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, fmt.Sprintf("racks follow a daily cosine with noise: no real power curves at %s (--load-curves DIR replays a folder of traces like ../shared/traces/google-power-2019)", abs), nil
	}
	cs, err := sim.LoadCurves(dir)
	if err != nil {
		return nil, "", fmt.Errorf("--load-curves %s: %w", dir, err)
	}
	names := ""
	for i, c := range cs {
		if i > 0 {
			names += ", "
		}
		names += c.Name
	}
	return cs, fmt.Sprintf("racks replay real measured power curves (%s of %s, each rack from its own point, scaled to its level of budget)", names, abs), nil
}
