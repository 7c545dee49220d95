package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/output"
	"github.com/dcplane/dcplane/internal/probe"
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

	// poll and detect stand in for a real snmp.Collector's in tests
	// (probe.SNMP's fields; nil: the real ones).
	poll   func(ctx context.Context, t snmp.Target, p snmp.Profile) collectors.Status
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
	f.StringVarP(&o.output, "output", "o", output.FormatTable, output.Help)
}

// run polls addr once and prints the readings to out, and what a person
// should know beside them to errOut.
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
	res, err := probe.SNMP{Poll: o.poll, Detect: o.detect}.Run(ctx, target, profile)
	probe.WriteNotes(errOut, addr, res, err == nil)
	if err != nil {
		return err
	}
	if o.output != output.FormatTable {
		return printProbeData(out, o.output, res.Readings)
	}
	return probe.WriteReadings(out, res.Readings)
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
	return output.Data(w, format, rs)
}
