package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/snmp"
)

// Environment variables the probe reads secrets from when no file is given.
const (
	probeEnvCommunity = "DCPLANE_SNMP_COMMUNITY"
	probeEnvAuthPass  = "DCPLANE_SNMP_AUTH_PASSPHRASE"
	probeEnvPrivPass  = "DCPLANE_SNMP_PRIV_PASSPHRASE"
)

// probeOptions holds the flags of `dcplane probe snmp`.
type probeOptions struct {
	community     string
	communityFile string
	v3User        string
	level         string
	authProto     string
	authPassFile  string
	privProto     string
	privPassFile  string
	profile       string
	module        int
	timeout       time.Duration
	retries       int
	output        string

	// poll polls one device; nil means a real snmp.Collector. Tests replace it.
	poll func(ctx context.Context, t snmp.Target, p snmp.Profile) collectors.Status
	// detect finds the device's profile for --profile auto; nil means a
	// real snmp.Collector's. Tests replace it.
	detect func(ctx context.Context, t snmp.Target) (snmp.Detection, error)
}

// newProbeCmd returns `dcplane probe`, whose subcommands poll one device
// once and print what dcplane would read from it.
func newProbeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Poll one device once and print its normalised readings",
	}
	cmd.AddCommand(newProbeSNMPCmd(&probeOptions{}), newProbeIPMICmd(&probeIPMIOptions{}))
	return cmd
}

// newProbeSNMPCmd returns `dcplane probe snmp HOST:PORT` bound to o.
func newProbeSNMPCmd(o *probeOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snmp HOST:PORT",
		Short: "Poll a device over SNMP once and print its readings in base units",
		Long: `Poll a device over SNMP (v2c, or v3 with --v3-user) once through a profile
and print the normalised readings dcplane would collect, in base units
(W, VA, A, V, J, °C, %). Values the device does not have are left out.

Secrets: prefer --community-file or $` + probeEnvCommunity + ` to --community, which
other users can read in the process list. SNMPv3 passphrases are read from
--auth-passphrase-file/--priv-passphrase-file or $` + probeEnvAuthPass + `/$` + probeEnvPrivPass + `.

Exits non-zero when the device does not answer or its answer cannot be used.`,
		Example: `  DCPLANE_SNMP_COMMUNITY=public dcplane probe snmp 10.20.1.7:161
  dcplane probe snmp pdu-a07:161 --community-file /etc/dcplane/community -o json
  dcplane probe snmp pdu-a07:161 --v3-user dcplane --auth-proto SHA256 --priv-proto AES \
    --auth-passphrase-file auth.txt --priv-passphrase-file priv.txt`,
		Args: oneArg("HOST:PORT", "the device's address", "10.20.1.7:161"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0])
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func (o *probeOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.community, "community", "", "SNMPv2c community (visible to other users in the process list: prefer --community-file or $"+probeEnvCommunity+")")
	f.StringVar(&o.communityFile, "community-file", "", "file holding the SNMPv2c community (trailing newline ignored)")
	f.StringVar(&o.v3User, "v3-user", "", "SNMPv3 user; selects SNMPv3 (USM)")
	f.StringVar(&o.level, "security-level", string(snmp.AuthPriv), "SNMPv3 security level: authPriv, authNoPriv or noAuthNoPriv")
	f.StringVar(&o.authProto, "auth-proto", string(snmp.AuthSHA256), "SNMPv3 auth protocol: MD5, SHA, SHA224, SHA256, SHA384, SHA512")
	f.StringVar(&o.authPassFile, "auth-passphrase-file", "", "file holding the SNMPv3 auth passphrase (else $"+probeEnvAuthPass+")")
	f.StringVar(&o.privProto, "priv-proto", string(snmp.PrivAES), "SNMPv3 privacy protocol: DES, AES, AES192, AES256, AES192C, AES256C")
	f.StringVar(&o.privPassFile, "priv-passphrase-file", "", "file holding the SNMPv3 privacy passphrase (else $"+probeEnvPrivPass+")")
	f.StringVar(&o.profile, "profile", snmp.DefaultProfile, "device profile, auto to choose it from the device's sysObjectID: "+strings.Join(snmp.ProfileNames(), ", "))
	f.IntVar(&o.module, "module", 0, "unit of a daisy-chained group behind the address (0: the host)")
	f.DurationVar(&o.timeout, "timeout", snmp.DefaultTimeout, "time to wait for each answer")
	f.IntVar(&o.retries, "retries", 1, "times to resend a request that got no answer")
	f.StringVarP(&o.output, "output", "o", formatTable, outputHelp)
}

// run polls addr once and prints the readings to out.
func (o *probeOptions) run(ctx context.Context, out, errOut io.Writer, addr string) error {
	if err := checkFormat(o.output); err != nil {
		return err
	}
	target, profile, err := o.target(addr)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	// Every walk of the profile may wait Timeout × (Retries+1); detection
	// a few requests more.
	budget := o.timeout * time.Duration(o.retries+1) * time.Duration(len(profile.Roots())+8)
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	collector := snmp.NewCollector(nil)
	poll, detect := o.poll, o.detect
	if poll == nil {
		poll = collector.Poll
	}
	if detect == nil {
		detect = collector.Detect
	}
	if _, auto := profile.(snmp.Auto); auto {
		det, err := detect(ctx, target)
		if err != nil {
			// An unknown device's error names it and lists what is supported.
			reason := snmp.Reason(err)
			return fmt.Errorf("%w (reason: %s)%s", err, reason, probeHint(reason))
		}
		fmt.Fprintf(errOut, "device:  %s\nsysObjectID: %s\nprofile: %s (%s): %s\n", det.SysDescr, det.SysObjectID, det.Profile.Name(), det.Profile.Title(), det.Why)
		if r := det.Profile.Reports(); r != "" {
			fmt.Fprintf(errOut, "%s answered: %s; it reports nothing dcplane uses\n", addr, r)
		}
		profile = det.Profile
	}
	st := poll(ctx, target, profile)
	if !st.OK {
		// st.Err names the address already.
		return fmt.Errorf("%s (reason: %s)%s", st.Err, st.Reason, probeHint(st.Reason))
	}
	if len(st.Readings) == 0 {
		fmt.Fprintf(errOut, "%s answered, but reports none of the values of profile %s\n", addr, profile.Name())
	}
	if o.output != formatTable {
		return printProbeData(out, o.output, st.Readings)
	}
	return printProbeTable(out, st.Readings)
}

// probeHint says what to check for a failure reason.
func probeHint(reason string) string {
	switch reason {
	case snmp.ReasonTimeout:
		return "; check the address and port, the community or SNMPv3 credentials (agents ignore wrong ones), and that the agent accepts this host"
	case snmp.ReasonAuth:
		return "; check the SNMPv3 user, protocols and passphrases"
	case snmp.ReasonRefused:
		return "; nothing listens on that UDP port"
	case snmp.ReasonNoSuchObject:
		return "; the device answered, but does not have what the profile reads: wrong --profile or --module?"
	}
	return ""
}

// target builds the snmp.Target and looks up the profile from the flags.
func (o *probeOptions) target(addr string) (snmp.Target, snmp.Profile, error) {
	profile, err := snmp.LookupProfile(o.profile)
	if err != nil {
		return snmp.Target{}, nil, err
	}
	if o.timeout <= 0 || o.retries < 0 {
		return snmp.Target{}, nil, fmt.Errorf("--timeout must be positive and --retries not negative")
	}
	creds, err := o.credentials()
	if err != nil {
		return snmp.Target{}, nil, err
	}
	t := snmp.Target{Address: addr, Timeout: o.timeout, Retries: o.retries, Module: o.module, Credentials: creds}
	return t, profile, nil
}

// credentials reads the community or the SNMPv3 user from flags, files and
// the environment.
func (o *probeOptions) credentials() (snmp.Credentials, error) {
	if o.v3User != "" {
		usm, err := o.usm()
		return snmp.Credentials{USM: usm}, err
	}
	if o.community != "" {
		if o.communityFile != "" {
			return snmp.Credentials{}, errors.New("give --community or --community-file, not both")
		}
		return snmp.Credentials{Community: snmp.NewSecret(o.community)}, nil
	}
	c, err := snmp.LoadSecret(o.communityFile, probeEnvCommunity)
	if errors.Is(err, snmp.ErrNoSecret) {
		return snmp.Credentials{}, fmt.Errorf("no SNMP credentials: give --community-file, $%s or --community (v2c), or --v3-user (v3)", probeEnvCommunity)
	}
	if err != nil {
		return snmp.Credentials{}, fmt.Errorf("community: %w", err)
	}
	return snmp.Credentials{Community: c}, nil
}

// usm builds the SNMPv3 user, reading only the passphrases its level needs.
func (o *probeOptions) usm() (*snmp.USM, error) {
	level, err := snmp.ParseSecurityLevel(o.level)
	if err != nil {
		return nil, err
	}
	u := &snmp.USM{User: o.v3User, Level: level}
	if level == snmp.NoAuthNoPriv {
		return u, nil
	}
	if u.AuthProtocol, err = snmp.ParseAuthProtocol(o.authProto); err != nil {
		return nil, err
	}
	if u.AuthPassphrase, err = snmp.LoadSecret(o.authPassFile, probeEnvAuthPass); err != nil {
		return nil, fmt.Errorf("auth passphrase (--auth-passphrase-file or $%s): %w", probeEnvAuthPass, err)
	}
	if level == snmp.AuthNoPriv {
		return u, nil
	}
	if u.PrivProtocol, err = snmp.ParsePrivProtocol(o.privProto); err != nil {
		return nil, err
	}
	if u.PrivPassphrase, err = snmp.LoadSecret(o.privPassFile, probeEnvPrivPass); err != nil {
		return nil, fmt.Errorf("priv passphrase (--priv-passphrase-file or $%s): %w", probeEnvPrivPass, err)
	}
	return u, nil
}

// printProbeData writes the readings as a JSON or YAML list (never null).
func printProbeData(w io.Writer, format string, rs []collectors.Reading) error {
	if rs == nil {
		rs = []collectors.Reading{}
	}
	return printData(w, format, rs)
}

// printProbeTable writes one line per reading: scope, index, metric, value
// with its unit.
func printProbeTable(w io.Writer, rs []collectors.Reading) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCOPE\tINDEX\tMETRIC\tVALUE")
	for _, r := range rs {
		idx := "-"
		if r.Scope != collectors.ScopeDevice {
			idx = strconv.Itoa(r.Index)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Scope, idx, r.Metric, probeValue(r))
	}
	return tw.Flush()
}

// probeUnit is the unit shown after a value of metric m.
func probeUnit(m collectors.Metric) string {
	switch m {
	case collectors.PowerWatts, collectors.CoolingOutputWatts, collectors.PowerMinWatts,
		collectors.PowerMaxWatts, collectors.PowerAverageWatts:
		return "W"
	case collectors.PowerWindowSeconds:
		return "s"
	case collectors.ApparentPowerVA:
		return "VA"
	case collectors.CurrentAmperes:
		return "A"
	case collectors.VoltageVolts:
		return "V"
	case collectors.EnergyJoules:
		return "J"
	case collectors.TemperatureCelsius, collectors.SupplyAirCelsius, collectors.ReturnAirCelsius:
		return "°C"
	case collectors.HumidityPercent, collectors.FanSpeedPercent:
		return "%"
	}
	return ""
}

// probeValue formats a reading's value with its unit; energy also in kWh.
func probeValue(r collectors.Reading) string {
	s := strconv.FormatFloat(r.Value, 'f', -1, 64)
	if u := probeUnit(r.Metric); u != "" {
		s += " " + u
	}
	if r.Metric == collectors.EnergyJoules {
		s += " (" + strconv.FormatFloat(r.Value/3.6e6, 'f', 1, 64) + " kWh)"
	}
	return s
}
