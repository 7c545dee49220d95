package forecast

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrBadTrace is wrapped by every error ParseTrace returns for input that
// is not a power trace.
var ErrBadTrace = errors.New("forecast: not a power trace")

// traceHeader is the header of Google's 2019 power traces.
const traceHeader = "index,time,pdu,measured_power_util"

// ParseTrace reads a power trace in the format of Google's 2019 power data
// (`index,time,pdu,measured_power_util`: time in microseconds from the
// start of the trace, utilisation as a share of the PDU's capacity) and
// returns each PDU's samples in file order, at origin plus their time. It
// reads only r: the caller opens the file.
func ParseTrace(r io.Reader, origin time.Time) (map[string][]Sample, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	cr.ReuseRecord = true
	out := map[string][]Sample{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			if line == 1 {
				return nil, fmt.Errorf("empty: %w", ErrBadTrace)
			}
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadTrace, err)
		}
		if line == 1 {
			if got := strings.Join(rec, ","); got != traceHeader {
				return nil, fmt.Errorf("line 1: header %q, want %q: %w", got, traceHeader, ErrBadTrace)
			}
			continue
		}
		s, pdu, err := traceRecord(rec, origin)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w: %w", line, err, ErrBadTrace)
		}
		out[pdu] = append(out[pdu], s)
	}
}

// traceRecord reads one line of a trace.
func traceRecord(rec []string, origin time.Time) (Sample, string, error) {
	us, err := strconv.ParseInt(rec[1], 10, 64)
	if err != nil || us < 0 {
		return Sample{}, "", fmt.Errorf("time %q is not a count of microseconds", rec[1])
	}
	if rec[2] == "" {
		return Sample{}, "", errors.New("no PDU named")
	}
	u, err := strconv.ParseFloat(rec[3], 64)
	if err != nil || math.IsNaN(u) || math.IsInf(u, 0) || u < 0 {
		return Sample{}, "", fmt.Errorf("utilisation %q is not a share ≥ 0", rec[3])
	}
	return Sample{At: origin.Add(time.Duration(us) * time.Microsecond), Value: u}, strings.Clone(rec[2]), nil
}
