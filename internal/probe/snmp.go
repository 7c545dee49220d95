package probe

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/snmp"
)

// SNMP probes devices over SNMP. Its zero value polls and detects through
// a real snmp.Collector; tests set Poll and Detect.
type SNMP struct {
	Poll   func(ctx context.Context, t snmp.Target, p snmp.Profile) collectors.Status
	Detect func(ctx context.Context, t snmp.Target) (snmp.Detection, error)
}

// SNMPResult is what one probe found: the detection when the profile was
// chosen by the device (snmp.Auto), the profile polled, and its readings
// in base units.
type SNMPResult struct {
	Detection *snmp.Detection
	Profile   snmp.Profile
	Readings  []collectors.Reading
}

// Budget is how long a probe of t through profile may take in all: every
// walk of the profile may wait Timeout × (Retries+1), detection a few
// requests more.
func Budget(t snmp.Target, profile snmp.Profile) time.Duration {
	return t.Timeout * time.Duration(t.Retries+1) * time.Duration(len(profile.Roots())+8)
}

// Run polls t once through profile, first choosing the profile from the
// device when it is snmp.Auto, within Budget. A failure names its reason
// and what to check for it.
func (p SNMP) Run(ctx context.Context, t snmp.Target, profile snmp.Profile) (SNMPResult, error) {
	ctx, cancel := context.WithTimeout(ctx, Budget(t, profile))
	defer cancel()
	poll, detect := p.Poll, p.Detect
	if poll == nil || detect == nil {
		c := snmp.NewCollector(nil)
		if poll == nil {
			poll = c.Poll
		}
		if detect == nil {
			detect = c.Detect
		}
	}
	var res SNMPResult
	if _, auto := profile.(snmp.Auto); auto {
		det, err := detect(ctx, t)
		if err != nil {
			// An unknown device's error names it and lists what is supported.
			reason := snmp.Reason(err)
			return res, fmt.Errorf("%w (reason: %s)%s", err, reason, SNMPHint(reason))
		}
		res.Detection, profile = &det, det.Profile
	}
	res.Profile = profile
	st := poll(ctx, t, profile)
	if !st.OK {
		// st.Err names the address already.
		return res, fmt.Errorf("%s (reason: %s)%s", st.Err, st.Reason, SNMPHint(st.Reason))
	}
	res.Readings = st.Readings
	return res, nil
}

// SNMPHint says what to check for a failure's reason ("" when nothing
// useful can be said).
func SNMPHint(reason string) string {
	switch reason {
	case snmp.ReasonTimeout:
		return "; check the address and port, the community or SNMPv3 credentials (agents ignore wrong ones), and that the agent accepts this host"
	case snmp.ReasonAuth:
		return "; check the SNMPv3 user, protocols and passphrases"
	case snmp.ReasonRefused:
		return "; nothing listens on that UDP port"
	case snmp.ReasonNoSuchObject:
		return "; wrong --profile or --module?"
	}
	return ""
}

// WriteNotes writes to w, for a person, what res says beside its readings:
// the device and why its profile was chosen (also when the poll that
// followed failed: Run returns the detection with its error), that the
// device reports nothing dcplane uses, or that a poll which succeeded
// found none of the profile's values.
func WriteNotes(w io.Writer, addr string, res SNMPResult, polled bool) {
	if det := res.Detection; det != nil {
		fmt.Fprintf(w, "device:  %s\nsysObjectID: %s\nprofile: %s (%s): %s\n", det.SysDescr, det.SysObjectID, det.Profile.Name(), det.Profile.Title(), det.Why)
		if r := det.Profile.Reports(); r != "" {
			fmt.Fprintf(w, "%s answered: %s; it reports nothing dcplane uses\n", addr, r)
		}
	}
	if polled && len(res.Readings) == 0 {
		fmt.Fprintf(w, "%s answered, but reports none of the values of profile %s\n", addr, res.Profile.Name())
	}
}
