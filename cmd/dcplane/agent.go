package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

type agentOptions struct {
	*globalOptions
	name        string
	inventory   string
	credentials string
	sel         agent.Selection
	interval    time.Duration
	timeout     time.Duration
	workers     int
	bmcWorkers  int
	bmcTimeout  time.Duration
	buffer      int
	metricsAddr string
	tls         tlsFlags
}

func newAgentCmd(g *globalOptions) *cobra.Command {
	o := &agentOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Poll PDUs, cooling units and servers' BMCs and push their readings to the controller",
		Long: `Poll the devices of an inventory (or of one hall or row of it) over SNMP, and
the BMCs of its servers that name one over IPMI (RMCP+, with workers of their
own: --bmc-workers), and push normalised readings to the controller given by
--controller. Secrets are
read from the files or environment variables named in --credentials, never
from the command line. The agent's own metrics are on --metrics-addr.

The agent pushes over mutual TLS: --ca-file, --cert-file and --key-file name
the site CA and its agent certificate (dcplane tls issue --role agent), and
each controller must show a controller certificate of that CA naming the
host of its https:// URL. Without them the agent refuses to start, unless
--insecure is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "agent name reported to the controller (default: the CN of --cert-file, to which the controller binds it, else the host name)")
	f.StringVar(&o.inventory, "inventory", "", "site inventory file (required)")
	f.StringVar(&o.credentials, "credentials", "", "credentials file: names used in the inventory → how to authenticate (required)")
	f.StringVar(&o.sel.Hall, "hall", "", "poll only the devices of this hall")
	f.StringVar(&o.sel.Row, "row", "", "poll only the devices of this row")
	f.DurationVar(&o.interval, "interval", 10*time.Second, "time between polls of one device")
	f.DurationVar(&o.timeout, "timeout", 3*time.Second, "time one poll may take")
	f.IntVar(&o.workers, "workers", 32, "SNMP polls at once")
	f.IntVar(&o.bmcWorkers, "bmc-workers", 16, "BMC polls at once, beside the SNMP ones (BMCs are slow)")
	f.DurationVar(&o.bmcTimeout, "bmc-timeout", 20*time.Second, "time one BMC poll may take")
	f.IntVar(&o.buffer, "buffer", 1000, "batches kept while the controller does not answer")
	f.StringVar(&o.metricsAddr, "metrics-addr", "127.0.0.1:9310", "listen address of the agent's /metrics")
	o.tls.add(f, tlsutil.RoleAgent)
	requireFlag(cmd, "inventory", "FILE", "")
	requireFlag(cmd, "credentials", "FILE", "")
	return cmd
}

func (o *agentOptions) run(cmd *cobra.Command) error {
	log, err := o.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	client, err := o.pushClient(log)
	if err != nil {
		return err
	}
	site, err := inventory.LoadFile(o.inventory)
	if err != nil {
		return err
	}
	creds, err := agent.LoadCredentials(o.credentials)
	if err != nil {
		return err
	}
	targets, skipped := agent.Targets(site, o.sel, creds.SNMP, snmp.NewCollector(log))
	bmcs, bmcSkipped := agent.BMCTargets(site, o.sel, creds.IPMI, log)
	targets = append(targets, bmcs...)
	logSkipped(log, append(skipped, bmcSkipped...))
	if len(targets) == 0 {
		return errors.New("agent: no device to poll (check --hall, --row and the credentials file)")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a, err := agent.New(agent.Config{Name: o.name, Targets: targets, Pusher: client, Interval: o.interval,
		Timeout: o.timeout, Workers: o.workers, BMCWorkers: o.bmcWorkers, BMCTimeout: o.bmcTimeout, BufferBatches: o.buffer,
		Reasons: append(snmp.Reasons(), ipmi.Reasons()...), Registerer: reg, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.metricsAddr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	log.Info("agent polling", "devices", len(targets)-len(bmcs), "bmcs", len(bmcs), "controller", client.URL(), "metrics", "http://"+ln.Addr().String()+"/metrics")
	err = a.Run(cmd.Context())
	if cmd.Context().Err() != nil {
		return nil // interrupted: a clean stop
	}
	return err
}

// pushTimeout bounds one push to the controller.
const pushTimeout = 30 * time.Second

// pushClient is the agent's client of the controllers: over mutual TLS as
// an agent, to https:// URLs only, unless --insecure.
func (o *agentOptions) pushClient(log *slog.Logger) (*api.Client, error) {
	conf, err := o.tls.config(log, "dcplane agent", tlsutil.RoleAgent, tlsutil.RoleController)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: pushTimeout}
	if o.name == "" {
		o.name = defaultAgentName(conf)
	}
	if conf != nil {
		for _, u := range strings.Split(o.controller, ",") {
			if !strings.HasPrefix(strings.TrimSpace(u), "https://") {
				return nil, usageError{fmt.Errorf("--controller %q: with TLS, give the controllers' https:// URLs", u)}
			}
		}
		hc = tlsutil.HTTPClient(conf, pushTimeout)
	}
	c, err := api.NewClient(o.controller, hc)
	if err != nil {
		return nil, usageError{err}
	}
	// Without TLS an agent is known by a token of role agent (--token-file
	// or $DCPLANE_TOKEN); with TLS its certificate is enough.
	tok, err := o.token()
	if err != nil {
		return nil, err
	}
	c.UseToken(tok)
	return c, nil
}

// defaultAgentName is the name of an agent given no --name: its
// certificate's CN, the only name the controller takes its telemetry
// under, else the host name.
func defaultAgentName(conf *tls.Config) string {
	if conf != nil && len(conf.Certificates) > 0 && conf.Certificates[0].Leaf != nil {
		if cn := conf.Certificates[0].Leaf.Subject.CommonName; cn != "" {
			return cn
		}
	}
	host, _ := os.Hostname()
	return host
}

// logSkipped warns about devices the agent cannot poll, one line a device for
// the first few, then a count.
func logSkipped(log *slog.Logger, skipped []agent.Skipped) {
	for i, s := range skipped {
		if i == 5 {
			log.Warn("more devices skipped", "count", len(skipped)-i)
			return
		}
		log.Warn("device skipped", "device", s.Device, "reason", s.Reason)
	}
}
