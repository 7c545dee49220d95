package probe

import (
	"context"
	"fmt"
	"io"

	"github.com/dcplane/dcplane/collectors/ipmi"
)

// IPMI opens a session with the BMC of t, polls it once as the agent does
// and closes it. A failure names its reason and what to check for it.
func IPMI(ctx context.Context, t ipmi.Target) (ipmi.Report, error) {
	c, err := ipmi.NewCollector(t, nil)
	if err != nil {
		return ipmi.Report{}, err
	}
	defer c.Close()
	r, err := c.Report(ctx)
	if err != nil {
		reason := ipmi.Reason(err)
		return ipmi.Report{}, fmt.Errorf("%w (reason: %s)%s", err, reason, IPMIHint(reason))
	}
	return r, nil
}

// IPMIHint says what to check for a failure's reason ("" when nothing
// useful can be said).
func IPMIHint(reason string) string {
	switch reason {
	case ipmi.ReasonTimeout:
		return "; check the address and UDP port (623), that the BMC's LAN channel is enabled for IPMI, and raise --timeout for a slow BMC"
	case ipmi.ReasonAuth:
		return "; check --user and the password, and that the user may log in over LAN"
	case ipmi.ReasonProtocol:
		return "; the BMC did not accept the cipher suite (try --cipher-suite 3 on an old BMC), or offers only IPMI v1.5, which is refused"
	case ipmi.ReasonRefused:
		return "; nothing listens on that UDP port"
	}
	return ""
}

// WriteIPMIHeader writes the BMC's identity and the session's terms.
func WriteIPMIHeader(w io.Writer, addr string, r ipmi.Report) {
	if d := r.Device; d != nil {
		fmt.Fprintf(w, "BMC:      %s, manufacturer %d, product %#04x, firmware %s, IPMI %s\n",
			addr, d.ManufacturerID, d.ProductID, d.Firmware, d.IPMIVersion)
	}
	fmt.Fprintf(w, "session:  IPMI v2.0 RMCP+, cipher suite %d\n", r.CipherSuite)
	fmt.Fprintf(w, "DCMI:     %s\n", r.DCMI)
}

// WriteIPMIFootnotes lists what is unknown and why, and counts the SDR
// records not read.
func WriteIPMIFootnotes(w io.Writer, r ipmi.Report) {
	for _, u := range r.Unknown {
		fmt.Fprintf(w, "unknown:  %s: %s\n", u.Source, u.Why)
	}
	if n := len(r.Skipped); n > 0 {
		fmt.Fprintf(w, "%d SDR records not read (fans, other discrete sensors…); -o json lists them\n", n)
	}
}
