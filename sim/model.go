package sim

import (
	"errors"
	"hash/fnv"
	"math"
	"slices"
	"time"
)

// ErrBadConfig is wrapped by the errors of device model constructors.
var ErrBadConfig = errors.New("sim: invalid device configuration")

// apcTime is how APC management cards print timestamps.
const apcTime = "01/02/2006 15:04:05"

// sysInfo is what a model puts in the MIB-II system group.
type sysInfo struct {
	descr, objectID, name, contact, location string
}

var sysGroup = MustOID("1.3.6.1.2.1.1")

// addSystem fills the system group; sysUpTime counts from start on now.
func addSystem(v *View, s sysInfo, start time.Time, now func() time.Time) error {
	oid, err := ParseOID(s.objectID)
	if err != nil {
		return errors.Join(ErrBadConfig, err)
	}
	v.Set(sysGroup.Append(1, 0), OctetString(s.descr))
	v.Set(sysGroup.Append(2, 0), ObjectIdentifier(oid))
	v.SetLive(sysGroup.Append(3, 0), func() Value {
		return TimeTicks(uint32(now().Sub(start) / (10 * time.Millisecond)))
	})
	v.Set(sysGroup.Append(4, 0), OctetString(s.contact))
	v.Set(sysGroup.Append(5, 0), OctetString(s.name))
	v.Set(sysGroup.Append(6, 0), OctetString(s.location))
	v.Set(sysGroup.Append(7, 0), Integer(72)) // application + end-to-end
	return nil
}

// apportion splits total into integer parts proportional to weights that
// add up to total exactly (largest remainder method), so that values a
// collector reads at the MIB's resolution sum as the physical ones do.
func apportion(total int, weights []float64) []int {
	out := make([]int, len(weights))
	if len(weights) == 0 {
		return out
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		share := float64(total) / float64(len(weights))
		if sum > 0 {
			share = float64(total) * w / sum
		}
		out[i] = int(math.Floor(share))
		given += out[i]
		rems[i] = rem{i, share - float64(out[i])}
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return -cmpFloat(a.r, b.r) })
	for k := 0; given < total; k = (k + 1) % len(rems) {
		out[rems[k].i]++
		given++
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// spread returns a deterministic weight in [lo, hi) for item i of a named
// device: how unevenly servers load a PDU's outlets.
func spread(name string, i int, lo, hi float64) float64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
	return lo + (hi-lo)*float64(h.Sum64()>>11)/float64(1<<53)
}

// round rounds half away from zero to an int.
func round(f float64) int { return int(math.Round(f)) }

// tenthsF converts °C to tenths of °F.
func tenthsF(c float64) int { return round((c*9/5 + 32) * 10) }
