package snmp

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gosnmp/gosnmp"

	c "github.com/dcplane/dcplane/collectors"
)

// TestProfilesLoad loads the built-in profiles: a broken file fails here
// (and Defs panics at start-up), with its line.
func TestProfilesLoad(t *testing.T) {
	defs, err := loadProfiles(builtinFS())
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) < 10 {
		t.Errorf("profiles: got %d, want at least 10", len(defs))
	}
}

const goodProfile = "name: x\ntitle: X\nkind: pdu\nmatch:\n  - sysobjectid: 1.3.6.1.4.1.9\ntables:\n  - name: t\n    entry: 1.3.6.1.4.1.9.1.1\n    index: [number]\n    columns:\n      - {col: 2, metric: power_watts}\n"

func TestProfileLoaderErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown field", strings.Replace(goodProfile, "title: X", "titel: X", 1), "x.yaml: line 2: unknown field \"titel\""},
		{"unknown metric", strings.Replace(goodProfile, "power_watts", "power_wats", 1), "x.yaml:11: table \"t\": column 2: unknown metric"},
		{"bad scale", strings.Replace(goodProfile, "metric: power_watts}", "metric: power_watts, scale: -3}", 1), "x.yaml:11"},
		{"bad OID", strings.Replace(goodProfile, "sysobjectid: 1.3.6.1.4.1.9", "sysobjectid: 1.3.x", 1), "x.yaml:5"},
		{"bad kind", strings.Replace(goodProfile, "kind: pdu", "kind: toaster", 1), "x.yaml:1: kind"},
		{"only on an unnamed index", strings.Replace(goodProfile, "index: [number]", "index: [number]\n    only: {inlet: 1}", 1), "x.yaml:7"},
		{"not YAML", "name: [", "x.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadProfiles(fstest.MapFS{"x.yaml": {Data: []byte(tt.yaml)}, "shared/s.yaml": {Data: []byte("name: s\n")}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q in it", err, tt.want)
			}
		})
	}
}

// TestDetectLongestPrefix: of two prefixes that fit, the longer wins;
// a prefix is matched by sub-identifiers, not characters.
func TestDetectLongestPrefix(t *testing.T) {
	mk := func(name, prefix string) *Def {
		return &Def{name: name, match: []matchRule{{prefix: prefix}}}
	}
	defs := []*Def{mk("short", "1.3.6.1.4.1.318"), mk("long", "1.3.6.1.4.1.318.1.3.4"), mk("other", "1.3.6.1.4.1.3181")}
	tests := []struct{ oid, want string }{
		{"1.3.6.1.4.1.318.1.3.4.6", "long"},
		{"1.3.6.1.4.1.318.1.3.4", "long"},
		{"1.3.6.1.4.1.318.1.3.41", "short"},
		{"1.3.6.1.4.1.318.2", "short"},
		{"1.3.6.1.4.1.3181.1", "other"},
	}
	for _, tt := range tests {
		client := &walkClient{pdus: []gosnmp.SnmpPDU{{Name: "." + oidSysObjectID, Type: gosnmp.ObjectIdentifier, Value: "." + tt.oid}}}
		det, err := Detect(context.Background(), client, defs)
		if err != nil || det.Profile.name != tt.want {
			t.Errorf("%s: got %v (%v), want %s", tt.oid, det.Profile, err, tt.want)
		}
	}
}

// TestImpossibleValues: saturated integers, negative power and values
// beyond any rack device are rejected and counted by reason.
func TestImpossibleValues(t *testing.T) {
	tests := []struct {
		name   string
		raw    gosnmp.SnmpPDU
		reason string
	}{
		{"2^31-1", vOf(dev+"5.1", gosnmp.Integer, 2147483647), RejectImpossible},
		{"2^32-1", vOf(dev+"5.1", gosnmp.Gauge32, uint(4294967295)), RejectImpossible},
		{"2^31-1 energy", vOf(dev+"9.1", gosnmp.Integer, 2147483647), RejectImpossible},
		{"negative power", vInt(dev+"5.1", -20), RejectNegative},
		{"3 MW on a rack PDU", vInt(dev+"5.1", 300000), RejectImpossible},
		{"a string", vOf(dev+"5.1", gosnmp.OctetString, []byte("1")), RejectType},
	}
	for _, tt := range tests {
		res, err := rpdu2Profile.parse(hostRow(tt.raw), 0)
		if err != nil || len(res.readings) != 0 || res.rejected[tt.reason] != 1 {
			t.Errorf("%s: got %v %v, rejected %v, want none and 1 %s", tt.name, res.readings, err, res.rejected, tt.reason)
		}
	}
	res, _ := rpdu2Profile.parse(hostRow(vInt(dev+"5.1", 114)), 0)
	if len(res.readings) != 1 || res.readings[0] != rd(c.PowerWatts, c.ScopeDevice, 0, 1140) {
		t.Errorf("a real value: got %v, want 1140 W", res.readings)
	}
}

// FuzzParse feeds the engine arbitrary varbinds: it must never panic, and
// never report a value the plausibility rules refuse.
func FuzzParse(f *testing.F) {
	f.Add("1.3.6.1.4.1.318.1.1.26.4.3.1.5.1", int64(114), uint8(0), 0)
	f.Add("1.3.6.1.4.1.318.1.1.27.1.4.1.2.1.3.1.25", int64(-1), uint8(1), 2)
	f.Add("1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.5", int64(4294967295), uint8(2), 1)
	types := []gosnmp.Asn1BER{gosnmp.Integer, gosnmp.Gauge32, gosnmp.OctetString, gosnmp.Counter64, gosnmp.NoSuchInstance, gosnmp.Null}
	f.Fuzz(func(t *testing.T, oid string, v int64, typ uint8, module int) {
		p := gosnmp.SnmpPDU{Name: oid, Type: types[int(typ)%len(types)]}
		switch p.Type {
		case gosnmp.Integer:
			p.Value = int(v)
		case gosnmp.Gauge32:
			p.Value = uint(uint32(v))
		case gosnmp.OctetString:
			p.Value = []byte(oid)
		case gosnmp.Counter64:
			p.Value = uint64(v)
		}
		pdus := []gosnmp.SnmpPDU{vInt(dev+"2.1", 1), p, {Name: oid + ".1", Type: p.Type, Value: p.Value}}
		for _, d := range Defs() {
			rs, _ := d.Parse(pdus, module%4)
			for _, r := range rs {
				if plausible(r.Metric, r.Value, r.Value) != "" {
					t.Errorf("%s: implausible reading %v", d.name, r)
				}
			}
		}
	})
}

// FuzzLoadProfile feeds the loader arbitrary YAML: an error or a valid
// profile, never a panic.
func FuzzLoadProfile(f *testing.F) {
	f.Add(goodProfile)
	f.Add("name: a\nkind: ups\nreports: nothing\n")
	f.Add("tables: [{columns: [{scale: 1/0}]}]")
	f.Fuzz(func(t *testing.T, y string) {
		_, _ = loadProfiles(fstest.MapFS{"f.yaml": {Data: []byte(y)}, "shared/s.yaml": {Data: []byte("name: s\n")}})
	})
}
