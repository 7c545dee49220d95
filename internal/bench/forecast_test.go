package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/controller/forecast"
)

// writeTrace writes a trace of one PDU, a sample every 5 minutes for
// days days (5 minutes apart, as Google's), at a load of base plus a daily bump.
func writeTrace(t *testing.T, days int, base float64) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("index,time,pdu,measured_power_util\n")
	for i := 0; i < days*288; i++ {
		u := base
		if h := i % 288; h >= 120 && h < 216 {
			u += 0.1
		}
		fmt.Fprintf(&b, "%d,%d,pduX,%.3f\n", i, int64(i)*300_000_000, u)
	}
	p := filepath.Join(t.TempDir(), "trace.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestForecastBench(t *testing.T) {
	tests := []struct {
		name          string
		days          int
		wantFit, want int // fit and test days
		wantErr       error
	}{
		{"three weeks: 14 and 7", 21, 14, 7, nil},
		{"nine days: 6 and 3", 9, 6, 3, nil},
		{"too short", 3, 0, 0, forecast.ErrShortHistory},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Forecast(context.Background(), ForecastConfig{Trace: writeTrace(t, tt.days, 0.5)})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			p := r.PDUs[0]
			if len(r.PDUs) != 1 || p.PDU != "pduX" || p.FitDays != tt.wantFit || p.TestDays != tt.want {
				t.Fatalf("got %+v, want pduX fitted on %d days, tested on %d", r.PDUs, tt.wantFit, tt.want)
			}
			// A flat daily cycle is forecast exactly: 0.6 of 15 kW.
			if p.MAPE > 0.1 || len(p.Days) != tt.want || p.Days[0].Actual != 9000 {
				t.Errorf("got MAPE %.3f %%, days %+v, want ~0 and actual peaks of 9000 W", p.MAPE, p.Days)
			}
			if rows := r.Rows(); len(rows) != 1 || rows[0][0] != "pduX" || !strings.Contains(r.Summary(), "pduX") {
				t.Errorf("got rows %v and summary %q, want pduX in both", rows, r.Summary())
			}
		})
	}
	if _, err := Forecast(context.Background(), ForecastConfig{Trace: filepath.Join(t.TempDir(), "none.csv")}); err == nil {
		t.Errorf("a missing trace: got nil, want an error")
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("a,b\n"), 0o600) //nolint:errcheck // read back below
	if _, err := Forecast(context.Background(), ForecastConfig{Trace: bad}); !errors.Is(err, forecast.ErrBadTrace) {
		t.Errorf("not a trace: got %v, want %v", err, forecast.ErrBadTrace)
	}
}
