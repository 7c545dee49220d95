package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/internal/output"
	"github.com/dcplane/dcplane/internal/probe"
)

// probeEnvIPMIPassword is the environment variable `probe ipmi` reads the
// BMC password from when no file is given.
const probeEnvIPMIPassword = "DCPLANE_IPMI_PASSWORD"

// probeIPMIOptions holds the flags of `dcplane probe ipmi`. There is no
// password flag: other users can read a command line.
type probeIPMIOptions struct {
	user         string
	passwordFile string
	cipherSuite  string
	timeout      time.Duration
	retries      int
	output       string
}

// newProbeIPMICmd returns `dcplane probe ipmi HOST[:PORT]` bound to o.
func newProbeIPMICmd(o *probeIPMIOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ipmi HOST[:PORT]",
		Short: "Poll a server's BMC over IPMI once and print what it reports",
		Long: `Open an IPMI v2.0 (RMCP+) session with a BMC, poll it once as the agent
does, and print the normalised readings dcplane would collect, each with the
sensor (or DCMI) it came from: the server's input power (DCMI Get Power
Reading, or else the SDR's power sensors), its power supplies' input power
and state, and its power, current, voltage and temperature sensors. Values
the BMC does not give are listed as unknown, never shown as 0.

Cipher suite 17 (SHA-256, AES) is used unless --cipher-suite 3 is given for
an old BMC; suite 0 and IPMI v1.5 are refused. The password is read from
--password-file or $` + probeEnvIPMIPassword + `; there is no flag for it.

Exits non-zero when the BMC does not answer, refuses the session, or offers
only what is refused.`,
		Example: `  DCPLANE_IPMI_PASSWORD=... dcplane probe ipmi 10.30.4.17 --user monitor
  dcplane probe ipmi bmc-r07-u12:623 --user monitor --password-file /etc/dcplane/bmc-pw -o json
  dcplane probe ipmi old-bmc --user ADMIN --password-file pw --cipher-suite 3 --timeout 10s`,
		Args: oneArg("HOST[:PORT]", "the BMC's address", "bmc-r07-u12:623"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0])
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func (o *probeIPMIOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.user, "user", "", "BMC user name (required); the User privilege is enough")
	f.StringVar(&o.passwordFile, "password-file", "", "file holding the BMC password (trailing newline ignored); else $"+probeEnvIPMIPassword)
	f.StringVar(&o.cipherSuite, "cipher-suite", "17", "RMCP+ cipher suite: 17, or 3 for BMCs without SHA-256")
	f.DurationVar(&o.timeout, "timeout", ipmi.DefaultTimeout, "time to wait for each answer (some BMCs take over 5 s)")
	f.IntVar(&o.retries, "retries", ipmi.DefaultRetries, "times to resend a request that got no answer")
	f.StringVarP(&o.output, "output", "o", output.FormatTable, output.Help)
}

// target builds the ipmi.Target from the flags and the password's source.
func (o *probeIPMIOptions) target(addr string) (ipmi.Target, error) {
	if err := checkFormat(o.output); err != nil {
		return ipmi.Target{}, err
	}
	if o.user == "" {
		return ipmi.Target{}, errors.New("--user is required")
	}
	if o.timeout <= 0 || o.retries < 0 {
		return ipmi.Target{}, errors.New("--timeout must be positive and --retries not negative")
	}
	cs, err := ipmi.ParseCipherSuite(o.cipherSuite)
	if err != nil {
		return ipmi.Target{}, fmt.Errorf("--cipher-suite: %w", err)
	}
	pw, err := ipmi.LoadPassword(o.passwordFile, probeEnvIPMIPassword)
	if errors.Is(err, ipmi.ErrNoPassword) {
		return ipmi.Target{}, fmt.Errorf("no BMC password: give --password-file or $%s", probeEnvIPMIPassword)
	}
	if err != nil {
		return ipmi.Target{}, err
	}
	retries := o.retries
	if retries == 0 {
		retries = -1 // ipmi.Target reads 0 as "the default"
	}
	return ipmi.Target{Address: addr, User: o.user, Password: pw, CipherSuite: cs, Timeout: o.timeout, Retries: retries}, nil
}

// run polls addr once and prints the report.
func (o *probeIPMIOptions) run(ctx context.Context, out, errOut io.Writer, addr string) error {
	target, err := o.target(addr)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	r, err := probe.IPMI(ctx, target)
	if err != nil {
		return err
	}
	if o.output != output.FormatTable {
		if r.Readings == nil {
			r.Readings = []ipmi.Found{}
		}
		return output.Data(out, o.output, r)
	}
	probe.WriteIPMIHeader(errOut, addr, r)
	if err := probe.WriteIPMI(out, r.Readings); err != nil {
		return err
	}
	probe.WriteIPMIFootnotes(errOut, r)
	return nil
}
