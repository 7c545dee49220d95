package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dcplane/dcplane/internal/tlsutil"
)

// tlsIssueOptions are the flags of tls issue.
type tlsIssueOptions struct {
	dir, role, name string
	ips, dns, halls []string
}

func newTLSCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tls", Short: "Mutual TLS: a site CA, and certificates that carry a role"}
	var dir, site string
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create the site CA in --dir (ca.crt, and ca.key mode 0600); never overwrites one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ca, err := tlsutil.NewCA(site)
			if err != nil {
				return err
			}
			if err := tlsutil.WriteCA(dir, ca); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "site CA written to %s/%s (key: %s/%s, keep it offline)\n", dir, tlsutil.CACertFile, dir, tlsutil.CAKeyFile)
			return nil
		},
	}
	initCmd.Flags().StringVar(&dir, "dir", ".", "directory of the CA")
	initCmd.Flags().StringVar(&site, "site", "site", "site name, in the CA's name")
	o := &tlsIssueOptions{}
	issue := &cobra.Command{
		Use:   "issue",
		Short: "Issue NAME.crt and NAME.key (0600) in --dir, signed by its CA, with a role: controller, agent or operator",
		Long: `Issue a certificate and key signed by the site CA in --dir. The role is in
the certificate (URI SAN dcplane:role:ROLE): controllers alone reach the Raft
port; a controller's --ip and --dns must name the addresses its peers dial.
The key is written to a file, never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := issue.Flags()
	f.StringVar(&o.dir, "dir", ".", "directory of the CA; the certificate is written there")
	f.StringVar(&o.role, "role", "", "controller, agent or operator")
	f.StringVar(&o.name, "name", "", "node, agent or user name: the certificate's common name and file names")
	f.StringSliceVar(&o.ips, "ip", nil, "IP addresses the holder is reached at (controllers)")
	f.StringSliceVar(&o.dns, "dns", nil, "DNS names the holder is reached at (controllers)")
	f.StringSliceVar(&o.halls, "hall", nil, "an agent's: a hall it may report for (repeat, or H1,H2); none: every hall")
	requireFlag(issue, "role", "ROLE", "controller, agent or operator")
	requireFlag(issue, "name", "NAME", "")
	cmd.AddCommand(initCmd, issue)
	return cmd
}

func (o *tlsIssueOptions) run(cmd *cobra.Command) error {
	r := tlsutil.Request{Role: tlsutil.Role(o.role), Name: o.name, DNS: o.dns, Halls: o.halls}
	for _, s := range o.ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return usageError{fmt.Errorf("--ip %q: not an IP address", s)}
		}
		r.IPs = append(r.IPs, ip)
	}
	ca, err := tlsutil.LoadCA(o.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("tls issue: no site CA in %s (%w); create one with 'dcplane tls init --dir %s'", o.dir, err, o.dir)
	}
	if err != nil {
		return err
	}
	cert, key, err := ca.Issue(r)
	if err != nil {
		return usageError{err}
	}
	if err := tlsutil.WritePair(o.dir, o.name, cert, key); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s certificate for %s written to %s/%s.crt (key: %s/%s.key)\n", o.role, o.name, o.dir, o.name, o.dir, o.name)
	return nil
}

// tlsFlags are the mutual TLS flags of a command that runs a controller or
// an agent: the files of its certificate, or --insecure.
type tlsFlags struct {
	files    tlsutil.Files
	insecure bool
}

// add declares the flags on f; role names the certificate in their help.
func (t *tlsFlags) add(f *pflag.FlagSet, role tlsutil.Role) {
	f.StringVar(&t.files.CA, "ca-file", "", "the site CA's certificate (dcplane tls init): the only CA whose certificates are trusted")
	f.StringVar(&t.files.Cert, "cert-file", "", "this "+string(role)+"'s certificate (dcplane tls issue --role "+string(role)+")")
	f.StringVar(&t.files.Key, "key-file", "", "this "+string(role)+"'s private key (a file, never a value)")
	f.BoolVar(&t.insecure, "insecure", false, "run without TLS: anyone who reaches the ports can do anything (tests, a lab)")
}

// errNoTLS is the refusal of a command given neither TLS files nor
// --insecure.
var errNoTLS = errors.New("no TLS: give --ca-file, --cert-file and --key-file, or --insecure to run in plaintext")

// config returns the tls.Config of a holder of role own that admits peers
// of the allowed roles, or nil with --insecure, said loudly on log. With
// neither files nor --insecure it refuses, saying how to make the files.
func (t *tlsFlags) config(log *slog.Logger, cmd string, own tlsutil.Role, allowed ...tlsutil.Role) (*tls.Config, error) {
	switch {
	case t.insecure && t.files.Given():
		return nil, usageError{errors.New("--insecure and --ca-file, --cert-file or --key-file: give the files for TLS, or --insecure for none")}
	case t.insecure:
		log.Warn("running WITHOUT TLS (--insecure): anyone who reaches this " + string(own) + "'s ports can read and change what it holds")
		return nil, nil
	case !t.files.Given():
		return nil, usageError{fmt.Errorf("%s: %w. Make them with:\n"+
			"  dcplane tls init --dir DIR --site SITE           # once per site: DIR/ca.crt, DIR/ca.key (keep it offline)\n"+
			"  dcplane tls issue --dir DIR --role %s --name NAME%s\n"+
			"and give --ca-file DIR/ca.crt --cert-file DIR/NAME.crt --key-file DIR/NAME.key", cmd, errNoTLS, own, ipHint(own))}
	}
	conf, err := t.files.ConfigAs(own, allowed...)
	if err != nil {
		return nil, usageError{err}
	}
	return conf, nil
}

func ipHint(r tlsutil.Role) string {
	if r == tlsutil.RoleController {
		return " --ip ADDR --dns NAME   # every address and name the others dial it at"
	}
	return ""
}

// The environment variables that name an operator's TLS files, for the
// commands that are clients of the controllers (as Consul's
// CONSUL_CACERT, CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY do).
const (
	envCAFile   = "DCPLANE_CA_FILE"
	envCertFile = "DCPLANE_CERT_FILE"
	envKeyFile  = "DCPLANE_KEY_FILE"
)

// operatorHTTPClient is the HTTP client of a command that talks to the
// controllers as an operator: over mutual TLS with the files named by
// DCPLANE_CA_FILE, DCPLANE_CERT_FILE and DCPLANE_KEY_FILE (an operator
// certificate), or nil, for api.NewClient's plain one, when none is set.
func operatorHTTPClient(timeout time.Duration) (*http.Client, error) {
	f := tlsutil.Files{CA: os.Getenv(envCAFile), Cert: os.Getenv(envCertFile), Key: os.Getenv(envKeyFile)}
	if !f.Given() {
		return nil, nil
	}
	conf, err := f.ConfigAs(tlsutil.RoleOperator, tlsutil.RoleController)
	if err != nil {
		return nil, fmt.Errorf("$%s, $%s, $%s: %w", envCAFile, envCertFile, envKeyFile, err)
	}
	return tlsutil.HTTPClient(conf, timeout), nil
}
