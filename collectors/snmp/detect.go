package snmp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// ErrNoProfile means that no profile matches the device: it answered, but
// it is of no family dcplane knows.
var ErrNoProfile = errors.New("snmp: no profile matches the device")

// The objects detection reads.
const (
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
)

// Detection is what auto-detection found out about a device.
type Detection struct {
	SysDescr    string `json:"sys_descr"`
	SysObjectID string `json:"sys_object_id"`
	Profile     *Def   `json:"-"`
	// Why says how the profile was chosen: the sysObjectID prefix that
	// matched and the object probed, or why none was.
	Why string `json:"why"`
}

// Detect reads the device's sysDescr and sysObjectID and chooses its
// profile: the longest matching sysObjectID prefix whose probe (if it has
// one) answers, else the first probe-only match (vendor profiles first, the
// generic UPS-MIB and ENTITY-SENSOR-MIB ones last). A device no profile
// matches yields an error wrapping ErrNoProfile, with the Detection filled
// in but for its Profile.
func Detect(ctx context.Context, client Client, defs []*Def) (Detection, error) {
	pdus, err := client.Get(ctx, []string{oidSysDescr, oidSysObjectID})
	if err != nil {
		return Detection{}, err
	}
	var det Detection
	for _, p := range pdus {
		switch strings.TrimPrefix(p.Name, ".") {
		case oidSysDescr:
			det.SysDescr, _ = octets(p)
		case oidSysObjectID:
			det.SysObjectID = objectID(p)
		}
	}
	for _, c := range candidates(defs, det.SysObjectID) {
		ok, err := probe(ctx, client, c.rule.probe)
		if err != nil {
			return det, err
		}
		if ok {
			det.Profile, det.Why = c.def, c.why()
			return det, nil
		}
	}
	det.Why = fmt.Sprintf("no profile matches sysObjectID %s", orNone(det.SysObjectID))
	return det, fmt.Errorf("%w: %q (sysObjectID %s); supported: %s", ErrNoProfile,
		det.SysDescr, orNone(det.SysObjectID), strings.Join(Families(defs), "; "))
}

// objectID returns the OID a sysObjectID varbind holds. Some agents (HPE's
// G2 PDUs) send it as an OCTET STRING holding the dotted OID: that is
// accepted when it is one.
func objectID(p gosnmp.SnmpPDU) string {
	if s, ok := p.Value.(string); ok && p.Type == gosnmp.ObjectIdentifier {
		return trimDot(s)
	}
	if s, ok := octets(p); ok && oidPattern.MatchString(strings.TrimSpace(s)) {
		return trimDot(strings.TrimSpace(s))
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// candidate is one match rule of one profile that fits a sysObjectID.
type candidate struct {
	def  *Def
	rule matchRule
}

func (c candidate) why() string {
	var parts []string
	if c.rule.prefix != "" {
		parts = append(parts, "sysObjectID under "+c.rule.prefix)
	}
	if c.rule.probe != "" {
		parts = append(parts, "answers "+c.rule.probe)
	}
	return strings.Join(parts, " and ")
}

// candidates returns the rules that fit oid, most specific first: prefix
// rules by prefix length (longest first), then probe-only rules, those of
// generic profiles last. Order is otherwise the profiles' file order.
func candidates(defs []*Def, oid string) []candidate {
	var out []candidate
	for _, d := range defs {
		for _, r := range d.match {
			if r.prefix == "" || oidHasPrefix(oid, r.prefix) {
				out = append(out, candidate{d, r})
			}
		}
	}
	rank := func(c candidate) int {
		switch {
		case c.rule.prefix != "":
			return -1000 - strings.Count(c.rule.prefix, ".")
		case c.def.generic():
			return 1
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b candidate) int { return rank(a) - rank(b) })
	return out
}

// oidHasPrefix says whether oid is prefix or under it, sub-identifier by
// sub-identifier (1.3.6.1.4.1.318.1.3.41 is not under 1.3.6.1.4.1.318.1.3.4).
func oidHasPrefix(oid, prefix string) bool {
	return oid == prefix || strings.HasPrefix(oid, prefix+".")
}

// probe says whether the object oid exists on the device ("" always does).
func probe(ctx context.Context, client Client, oid string) (bool, error) {
	if oid == "" {
		return true, nil
	}
	pdus, err := client.Get(ctx, []string{oid})
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Status == gosnmp.NoSuchName: // SNMPv1-style answer
		return false, nil
	case err != nil:
		return false, err
	}
	return len(pdus) == 1 && !absent(pdus[0]), nil
}

// generic says whether d reads a standard MIB that many vendors implement.
func (d *Def) generic() bool { return d.kind == "generic" || strings.HasPrefix(d.name, "generic-") }

// Families lists what the profiles read, one "name (title)" each, for
// messages about devices no profile matches.
func Families(defs []*Def) []string {
	var out []string
	for _, d := range defs {
		out = append(out, d.name+" ("+d.title+")")
	}
	return out
}
