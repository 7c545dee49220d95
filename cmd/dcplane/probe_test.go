package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/snmp"
)

var probeReadings = []collectors.Reading{
	{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 1140},
	{Metric: collectors.EnergyJoules, Scope: collectors.ScopeDevice, Value: 12_646_080_000},
	{Metric: collectors.PowerFactorRatio, Scope: collectors.ScopeDevice, Value: 0.96},
	{Metric: collectors.CurrentAmperes, Scope: collectors.ScopePhase, Index: 1, Value: 4.9},
	{Metric: collectors.TemperatureCelsius, Scope: collectors.ScopeSensor, Index: 2, Value: -0.5},
}

// runProbe runs `probe snmp ARGS` with poll as the poller and returns
// stdout, stderr and the error; it records the Target poll was given.
func runProbe(t *testing.T, st collectors.Status, args ...string) (string, string, snmp.Target, error) {
	t.Helper()
	var got snmp.Target
	o := &probeOptions{poll: func(_ context.Context, tg snmp.Target, _ snmp.Profile) collectors.Status {
		got = tg
		return st
	}, detect: func(_ context.Context, tg snmp.Target) (snmp.Detection, error) {
		p, _ := snmp.LookupProfile("apc-rpdu2")
		got = tg
		return snmp.Detection{SysDescr: "APC Web/SNMP Management Card", SysObjectID: "1.3.6.1.4.1.318.1.3.4.6",
			Profile: p.(*snmp.Def), Why: "sysObjectID under 1.3.6.1.4.1.318.1.3.4"}, nil
	}}
	parent := &cobra.Command{Use: "probe", SilenceUsage: true, SilenceErrors: true}
	parent.AddCommand(newProbeSNMPCmd(o))
	var out, errOut bytes.Buffer
	parent.SetOut(&out)
	parent.SetErr(&errOut)
	parent.SetArgs(append([]string{"snmp"}, args...))
	err := parent.ExecuteContext(t.Context())
	return out.String(), errOut.String(), got, err
}

func TestProbeTable(t *testing.T) {
	out, _, _, err := runProbe(t, collectors.Status{OK: true, Readings: probeReadings}, "pdu:161", "--community", "public")
	if err != nil {
		t.Fatal(err)
	}
	want := `SCOPE   INDEX  METRIC               VALUE
device  -      power_watts          1140 W
device  -      energy_joules        12646080000 J (3512.8 kWh)
device  -      power_factor_ratio   0.96
phase   1      current_amperes      4.9 A
sensor  2      temperature_celsius  -0.5 °C
`
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestProbeJSON(t *testing.T) {
	for _, tc := range []struct {
		readings []collectors.Reading
		wantErr  string
	}{{probeReadings, ""}, {nil, "reports none of the values"}} {
		out, errOut, _, err := runProbe(t, collectors.Status{OK: true, Readings: tc.readings}, "pdu:161", "--community", "public", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var got []collectors.Reading
		if err := json.Unmarshal([]byte(out), &got); err != nil || got == nil {
			t.Fatalf("got %q (%v), want a JSON array", out, err)
		}
		if !slices.Equal(got, tc.readings) && len(tc.readings) > 0 {
			t.Errorf("got %v, want %v", got, tc.readings)
		}
		if !strings.Contains(errOut, tc.wantErr) {
			t.Errorf("stderr: got %q, want %q in it", errOut, tc.wantErr)
		}
	}
}

func TestProbeFailure(t *testing.T) {
	st := collectors.Status{Reason: snmp.ReasonTimeout, Err: "poll pdu:161: walk: request timeout"}
	_, _, _, err := runProbe(t, st, "pdu:161", "--community", "public")
	if err == nil || !strings.Contains(err.Error(), "poll pdu:161") || !strings.Contains(err.Error(), "reason: timeout") {
		t.Errorf("got %v, want an error naming the address and the reason", err)
	}
}

func TestProbeCredentials(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	commFile, authFile, privFile := file("c", "s3cret\n"), file("a", "authpass123\n"), file("p", "privpass123\n")
	ok := collectors.Status{OK: true}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(snmp.Credentials) bool
		wantErr string
	}{
		{name: "community flag", args: []string{"--community", "public"},
			check: func(c snmp.Credentials) bool { return c.Community.Reveal() == "public" && c.USM == nil }},
		{name: "community file", args: []string{"--community-file", commFile},
			check: func(c snmp.Credentials) bool { return c.Community.Reveal() == "s3cret" }},
		{name: "community env", env: map[string]string{probeEnvCommunity: "fromenv"},
			check: func(c snmp.Credentials) bool { return c.Community.Reveal() == "fromenv" }},
		{name: "both community flags", args: []string{"--community", "a", "--community-file", commFile}, wantErr: "not both"},
		{name: "none", wantErr: probeEnvCommunity},
		{name: "v3 files", args: []string{"--v3-user", "ops", "--auth-proto", "sha-512", "--priv-proto", "aes256",
			"--auth-passphrase-file", authFile, "--priv-passphrase-file", privFile},
			check: func(c snmp.Credentials) bool {
				u := c.USM
				return u.User == "ops" && u.Level == snmp.AuthPriv && u.AuthProtocol == snmp.AuthSHA512 && u.PrivProtocol == snmp.PrivAES256 &&
					u.AuthPassphrase.Reveal() == "authpass123" && u.PrivPassphrase.Reveal() == "privpass123"
			}},
		{name: "v3 env", args: []string{"--v3-user", "ops"},
			env: map[string]string{probeEnvAuthPass: "authpass123", probeEnvPrivPass: "privpass123"},
			check: func(c snmp.Credentials) bool {
				return c.USM.AuthProtocol == snmp.AuthSHA256 && c.USM.PrivProtocol == snmp.PrivAES && c.USM.PrivPassphrase.Reveal() == "privpass123"
			}},
		{name: "v3 authNoPriv needs no priv passphrase", args: []string{"--v3-user", "ops", "--security-level", "authNoPriv", "--auth-passphrase-file", authFile},
			check: func(c snmp.Credentials) bool { return c.USM.Level == snmp.AuthNoPriv && c.USM.PrivPassphrase.IsZero() }},
		{name: "v3 without priv passphrase", args: []string{"--v3-user", "ops", "--auth-passphrase-file", authFile}, wantErr: probeEnvPrivPass},
		{name: "bad auth protocol", args: []string{"--v3-user", "ops", "--auth-proto", "sha3"}, wantErr: "sha3"},
		{name: "unknown profile", args: []string{"--community", "x", "--profile", "nope"}, wantErr: "apc-rpdu2"},
		{name: "bad output", args: []string{"--community", "x", "-o", "xml"}, wantErr: "want table, json or yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{probeEnvCommunity, probeEnvAuthPass, probeEnvPrivPass} {
				t.Setenv(k, tt.env[k])
				if _, set := tt.env[k]; !set {
					os.Unsetenv(k) // t.Setenv restores it afterwards
				}
			}
			_, _, target, err := runProbe(t, ok, append([]string{"pdu:161"}, tt.args...)...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(target.Credentials) {
				t.Errorf("got %+v, %v, want credentials that pass the check", target.Credentials, err)
			}
		})
	}
}

// TestProbeSilentDevice runs the real collector against a UDP port that
// never answers: the command must fail quickly with reason timeout.
func TestProbeSilentDevice(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parent := &cobra.Command{Use: "probe", SilenceUsage: true, SilenceErrors: true}
	parent.AddCommand(newProbeSNMPCmd(&probeOptions{}))
	parent.SetOut(&bytes.Buffer{})
	parent.SetArgs([]string{"snmp", conn.LocalAddr().String(), "--community", "public", "--timeout", "100ms", "--retries", "0"})
	start := time.Now()
	err = parent.ExecuteContext(t.Context())
	if err == nil || !strings.Contains(err.Error(), "reason: timeout") || time.Since(start) > 3*time.Second {
		t.Errorf("got %v after %v, want a timeout error within 3 s", err, time.Since(start))
	}
}

// TestProbeUnknownDevice: a device no profile matches is named, with what
// is supported, and the command fails with reason nosuchobject.
func TestProbeUnknownDevice(t *testing.T) {
	o := &probeOptions{detect: func(context.Context, snmp.Target) (snmp.Detection, error) {
		return snmp.Detection{}, fmt.Errorf("%w: %q (sysObjectID 1.3.6.1.4.1.99999); supported: apc-rpdu2 (APC)", snmp.ErrNoProfile, "Mystery box")
	}}
	parent := &cobra.Command{Use: "probe", SilenceUsage: true, SilenceErrors: true}
	parent.AddCommand(newProbeSNMPCmd(o))
	parent.SetOut(&bytes.Buffer{})
	parent.SetErr(&bytes.Buffer{})
	parent.SetArgs([]string{"snmp", "pdu:161", "--community", "public"})
	err := parent.ExecuteContext(t.Context())
	for _, want := range []string{"Mystery box", "supported: apc-rpdu2", "reason: nosuchobject"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q in it", err, want)
		}
	}
}
