package probe

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/collectors/snmp"
)

func rpdu2(t *testing.T) *snmp.Def {
	t.Helper()
	p, err := snmp.LookupProfile("apc-rpdu2")
	if err != nil {
		t.Fatal(err)
	}
	return p.(*snmp.Def)
}

// TestRunAutoDetectsThenPolls: with profile auto, the device's detected
// profile is the one polled, and the result carries the detection; with
// a named profile, nothing is detected.
func TestRunAutoDetectsThenPolls(t *testing.T) {
	def := rpdu2(t)
	var polled snmp.Profile
	detected := 0
	p := SNMP{
		Poll: func(_ context.Context, _ snmp.Target, pr snmp.Profile) collectors.Status {
			polled = pr
			return collectors.Status{OK: true, Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Value: 5}}}
		},
		Detect: func(context.Context, snmp.Target) (snmp.Detection, error) {
			detected++
			return snmp.Detection{SysObjectID: "1.3.6.1.4.1.318.1.3.4.6", Profile: def, Why: "prefix"}, nil
		},
	}
	tg := snmp.Target{Address: "pdu:161", Timeout: time.Second}
	res, err := p.Run(context.Background(), tg, snmp.Auto{})
	if err != nil {
		t.Fatal(err)
	}
	if polled != snmp.Profile(def) || res.Profile != snmp.Profile(def) || res.Detection == nil || len(res.Readings) != 1 {
		t.Errorf("auto: got polled %v, result %+v, want the detected apc-rpdu2 polled and the detection kept", polled, res)
	}
	res, err = p.Run(context.Background(), tg, def)
	if err != nil || detected != 1 || res.Detection != nil {
		t.Errorf("a named profile: got %d detections, detection %v, err %v; want none detected", detected, res.Detection, err)
	}
}

// TestRunFailuresSayReasonAndWhatToCheck: a detection or a poll that fails
// is an error naming its reason and what to check; a poll failing after a
// detection keeps the detection, whose notes are still written.
func TestRunFailuresSayReasonAndWhatToCheck(t *testing.T) {
	def := rpdu2(t)
	tg := snmp.Target{Address: "pdu:161", Timeout: time.Second}
	p := SNMP{
		Poll: func(context.Context, snmp.Target, snmp.Profile) collectors.Status {
			return collectors.Status{Err: "pdu:161: no answer", Reason: snmp.ReasonTimeout}
		},
		Detect: func(context.Context, snmp.Target) (snmp.Detection, error) {
			return snmp.Detection{SysDescr: "APC Web/SNMP", SysObjectID: "1.3.6.1.4.1.318.1.3.4.6", Profile: def, Why: "prefix"}, nil
		},
	}
	res, err := p.Run(context.Background(), tg, snmp.Auto{})
	if err == nil || !strings.Contains(err.Error(), "(reason: timeout)") || !strings.Contains(err.Error(), "check the address and port") {
		t.Errorf("a poll that timed out: got %v, want its reason and what to check", err)
	}
	var notes bytes.Buffer
	WriteNotes(&notes, "pdu:161", res, err == nil)
	if got := notes.String(); !strings.Contains(got, "device:  APC Web/SNMP") || strings.Contains(got, "reports none") {
		t.Errorf("notes of a detection whose poll failed: got %q, want the device named and no 'reports none'", got)
	}
	p.Detect = func(context.Context, snmp.Target) (snmp.Detection, error) {
		return snmp.Detection{}, errors.New("pdu:161: no answer to sysObjectID")
	}
	if _, err := p.Run(context.Background(), tg, snmp.Auto{}); err == nil || !strings.Contains(err.Error(), "no answer to sysObjectID (reason: ") {
		t.Errorf("a detection that failed: got %v, want its error with its reason", err)
	}
}

// TestWriteNotesEmptyPoll: a poll that succeeded with no value of the
// profile says so; one with values does not.
func TestWriteNotesEmptyPoll(t *testing.T) {
	def := rpdu2(t)
	var b bytes.Buffer
	WriteNotes(&b, "pdu:161", SNMPResult{Profile: def}, true)
	if !strings.Contains(b.String(), "pdu:161 answered, but reports none of the values of profile apc-rpdu2") {
		t.Errorf("an empty poll: got %q, want it said", b.String())
	}
	b.Reset()
	WriteNotes(&b, "pdu:161", SNMPResult{Profile: def, Readings: []collectors.Reading{{Metric: collectors.PowerWatts}}}, true)
	if b.Len() != 0 {
		t.Errorf("a poll with a reading: got %q, want nothing", b.String())
	}
}

// TestBudgetCoversEveryWalkAndRetry: the probe's whole deadline grows with
// the profile's walks and the retries.
func TestBudgetCoversEveryWalkAndRetry(t *testing.T) {
	def := rpdu2(t)
	walks := time.Duration(len(def.Roots()) + 8)
	if got, want := Budget(snmp.Target{Timeout: time.Second, Retries: 2}, def), 3*time.Second*walks; got != want {
		t.Errorf("got %v, want %v (timeout × 3 tries × %d requests)", got, want, walks)
	}
}

// TestValueUnits: each value shows its unit; energy also in kWh; a ratio
// none.
func TestValueUnits(t *testing.T) {
	for _, c := range []struct {
		r    collectors.Reading
		want string
	}{
		{collectors.Reading{Metric: collectors.PowerWatts, Value: 1140}, "1140 W"},
		{collectors.Reading{Metric: collectors.PowerResolutionWatts, Value: 4}, "4 W"},
		{collectors.Reading{Metric: collectors.CurrentAmperes, Value: 4.9}, "4.9 A"},
		{collectors.Reading{Metric: collectors.VoltageVolts, Value: 230}, "230 V"},
		{collectors.Reading{Metric: collectors.ApparentPowerVA, Value: 1200}, "1200 VA"},
		{collectors.Reading{Metric: collectors.TemperatureCelsius, Value: -0.5}, "-0.5 °C"},
		{collectors.Reading{Metric: collectors.HumidityPercent, Value: 40}, "40 %"},
		{collectors.Reading{Metric: collectors.PowerWindowSeconds, Value: 60}, "60 s"},
		{collectors.Reading{Metric: collectors.EnergyJoules, Value: 12_646_080_000}, "12646080000 J (3512.8 kWh)"},
		{collectors.Reading{Metric: collectors.PowerFactorRatio, Value: 0.96}, "0.96"},
	} {
		if got := Value(c.r); got != c.want {
			t.Errorf("%s: got %q, want %q", c.r.Metric, got, c.want)
		}
	}
}

// TestHints: every reason a person can act on has a hint.
func TestHints(t *testing.T) {
	for _, r := range []string{snmp.ReasonTimeout, snmp.ReasonAuth, snmp.ReasonRefused, snmp.ReasonNoSuchObject} {
		if SNMPHint(r) == "" {
			t.Errorf("SNMP reason %s: got no hint, want what to check", r)
		}
	}
	if SNMPHint(snmp.ReasonOther) != "" {
		t.Errorf("SNMP reason other: got a hint, want none (nothing useful to say)")
	}
}

// TestIPMIHints: every IPMI reason a person can act on has a hint that
// names what to check.
func TestIPMIHints(t *testing.T) {
	for r, want := range map[string]string{ipmi.ReasonTimeout: "623", ipmi.ReasonAuth: "--user", ipmi.ReasonProtocol: "--cipher-suite 3", ipmi.ReasonRefused: "nothing listens"} {
		if got := IPMIHint(r); !strings.Contains(got, want) {
			t.Errorf("IPMI reason %s: got %q, want a hint naming %q", r, got, want)
		}
	}
}
