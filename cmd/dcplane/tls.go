package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/tlsutil"
)

// tlsIssueOptions are the flags of tls issue.
type tlsIssueOptions struct {
	dir, role, name string
	ips, dns        []string
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
	cmd.AddCommand(initCmd, issue)
	return cmd
}

func (o *tlsIssueOptions) run(cmd *cobra.Command) error {
	r := tlsutil.Request{Role: tlsutil.Role(o.role), Name: o.name, DNS: o.dns}
	for _, s := range o.ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return usageError{fmt.Errorf("--ip %q: not an IP address", s)}
		}
		r.IPs = append(r.IPs, ip)
	}
	ca, err := tlsutil.LoadCA(o.dir)
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
