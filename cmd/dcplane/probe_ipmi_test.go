package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/collectors/ipmi/ipmitest"
)

// runProbeIPMI runs `probe ipmi ARGS` and returns stdout, stderr and the
// error.
func runProbeIPMI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	parent := &cobra.Command{Use: "probe", SilenceUsage: true, SilenceErrors: true}
	parent.AddCommand(newProbeIPMICmd(&probeIPMIOptions{}))
	var out, errOut bytes.Buffer
	parent.SetOut(&out)
	parent.SetErr(&errOut)
	parent.SetArgs(append([]string{"ipmi"}, args...))
	err := parent.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

func passwordFile(t *testing.T, pw string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestProbeIPMISim runs the probe against OpenIPMI's ipmi_sim and checks
// what it prints against ipmitool's reading of the same BMC.
func TestProbeIPMISim(t *testing.T) {
	sim := ipmitest.StartSim(t, ipmitest.ServerSensors())
	pw := passwordFile(t, ipmitest.Password)
	base := []string{sim.Addr, "--user", ipmitest.User, "--cipher-suite", "3", "--timeout", "2s"}

	t.Run("table", func(t *testing.T) {
		out, errOut, err := runProbeIPMI(t, append(base, "--password-file", pw)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		want := `SCOPE   INDEX  METRIC               VALUE  SOURCE
device  -      power_watts          540 W  sum of the PSUs' input power
psu     1      power_watts          300 W  sensor 30h "PSU1 Input" (10.1)
psu     2      power_watts          240 W  sensor 31h "PSU2 Input" (10.2)
psu     1      psu_present          1      sensor 40h "PSU1 Status" (10.1)
psu     1      psu_input_ok         1      sensor 40h "PSU1 Status" (10.1)
psu     1      psu_healthy          1      sensor 40h "PSU1 Status" (10.1)
psu     2      psu_present          1      sensor 41h "PSU2 Status" (10.2)
psu     2      psu_input_ok         1      sensor 41h "PSU2 Status" (10.2)
psu     2      psu_healthy          1      sensor 41h "PSU2 Status" (10.2)
sensor  1      temperature_celsius  -5 °C  sensor 50h "Inlet Temp" (55.1)
sensor  2      voltage_volts        12 V   sensor 51h "12V" (7.1)
sensor  3      power_watts          90 W   sensor 52h "CPU1 Power" (3.1)
psu     1      current_amperes      1.5 A  sensor 53h "PSU1 Current" (10.1)
sensor  4      temperature_celsius  35 °C  sensor 54h "Outlet Temp" (55.2)
`
		if out != want {
			t.Errorf("got\n%s\nwant\n%s", out, want)
		}
		for _, want := range []string{"cipher suite 3", "DCMI:     not available (completion code 0xd4", "1 SDR records not read"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
	})

	t.Run("json, password from the environment", func(t *testing.T) {
		t.Setenv(probeEnvIPMIPassword, ipmitest.Password)
		out, errOut, err := runProbeIPMI(t, append(base, "-o", "json")...)
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		var r ipmi.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		tool := sim.SDRReadings(t)
		checks := []struct {
			scope collectors.Scope
			index int
			name  string
		}{{collectors.ScopePSU, 1, "PSU1 Input"}, {collectors.ScopePSU, 2, "PSU2 Input"}, {collectors.ScopeSensor, 3, "CPU1 Power"}}
		for _, c := range checks {
			got, ok := jsonReading(r, collectors.PowerWatts, c.scope, c.index)
			if !ok || got.Value != tool[c.name].Value || !strings.Contains(got.Source, c.name) {
				t.Errorf("%s: got %+v (found %v), ipmitool %v W", c.name, got, ok, tool[c.name].Value)
			}
		}
		if len(r.Skipped) != 1 || r.Device == nil || r.Device.IPMIVersion != "2.0" {
			t.Errorf("got skipped %+v, device %+v; want Fan1 skipped and IPMI 2.0", r.Skipped, r.Device)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		_, _, err := runProbeIPMI(t, append(base, "--password-file", passwordFile(t, "not-it"))...)
		if err == nil || !strings.Contains(err.Error(), "reason: auth") || strings.Contains(err.Error(), "not-it") {
			t.Errorf("got %v, want an auth failure that does not show the password", err)
		}
	})

	t.Run("suite 17, which ipmi_sim lacks", func(t *testing.T) {
		_, _, err := runProbeIPMI(t, sim.Addr, "--user", ipmitest.User, "--password-file", pw)
		if err == nil || !strings.Contains(err.Error(), "reason: protocol") || !strings.Contains(err.Error(), "--cipher-suite 3") {
			t.Errorf("got %v, want a protocol failure that suggests suite 3", err)
		}
	})
}

func jsonReading(r ipmi.Report, m collectors.Metric, s collectors.Scope, i int) (ipmi.Found, bool) {
	for _, f := range r.Readings {
		if f.Metric == m && f.Scope == s && f.Index == i {
			return f, true
		}
	}
	return ipmi.Found{}, false
}

// TestProbeIPMIRefuses checks the flags that are refused before anything
// is sent.
func TestProbeIPMIRefuses(t *testing.T) {
	pw := passwordFile(t, "pw")
	t.Setenv(probeEnvIPMIPassword, "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"suite 0", []string{"bmc", "--user", "u", "--password-file", pw, "--cipher-suite", "0"}, "no authentication, integrity or encryption"},
		{"suite 1", []string{"bmc", "--user", "u", "--password-file", pw, "--cipher-suite", "1"}, "suite 1 is not supported"},
		{"no password flag", []string{"bmc", "--user", "u", "--password", "pw"}, "unknown flag: --password"},
		{"no password", []string{"bmc", "--user", "u"}, "$" + probeEnvIPMIPassword + " is empty"},
		{"no user", []string{"bmc", "--password-file", pw}, "--user is required"},
		{"output", []string{"bmc", "--user", "u", "--password-file", pw, "-o", "xml"}, "want table, json or yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runProbeIPMI(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	os.Unsetenv(probeEnvIPMIPassword)
	if _, _, err := runProbeIPMI(t, "bmc", "--user", "u"); err == nil || !strings.Contains(err.Error(), "--password-file or $"+probeEnvIPMIPassword) {
		t.Errorf("no password at all: got %v, want one naming --password-file and $%s", err, probeEnvIPMIPassword)
	}
}
