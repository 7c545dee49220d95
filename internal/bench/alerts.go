package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/freeport"
	"github.com/dcplane/dcplane/internal/inventory"
)

// AlertsConfig is what Alerts measures.
type AlertsConfig struct {
	Racks    int           // racks of the reference site the demo runs; each run takes the next
	Interval time.Duration // the agent's poll interval (and the leader's evaluation tick)
	Runs     int           // overloads, one after the other; 1 if 0
	// Alertmanager is Debian's prometheus-alertmanager: a path, or a name
	// looked up in $PATH; "prometheus-alertmanager" if empty.
	Alertmanager string
	// Poll is how often the leader's API and Alertmanager's are asked
	// during a run: the figures' resolution. 25 ms if 0.
	Poll   time.Duration
	Logger *slog.Logger // the demo's; nil: discard
}

// AlertsResult is what Alerts reports: how long each step from a PDU's
// change to Alertmanager took, as min / median / p99 / max over the runs.
type AlertsResult struct {
	Racks        int     `json:"racks"`
	Interval     string  `json:"interval"`
	Runs         int     `json:"runs"`
	Alertmanager string  `json:"alertmanager"` // its --version's first line
	LoadAverage  string  `json:"load_average"` // /proc/loadavg's three, before and after
	GoalSeconds  float64 `json:"goal_seconds"` // one poll interval plus 1 s
	// GoalMet says whether every run's alert reached Alertmanager within
	// the goal of its PDU's change.
	GoalMet bool         `json:"goal_met"`
	Stages  []AlertStage `json:"stages"`
	PerRun  []AlertRun   `json:"per_run"`
}

// AlertStage is one step's latency from the PDU's change, in seconds.
type AlertStage struct {
	Name   string  `json:"name"`
	Min    float64 `json:"min_seconds"`
	Median float64 `json:"median_seconds"`
	P99    float64 `json:"p99_seconds"`
	Max    float64 `json:"max_seconds"`
}

// AlertRun is one run: the rack overloaded and, in seconds from the PDU's
// change (over budget, then back under), when the leader read it, when
// its alert fired or resolved there, and when Alertmanager had it.
type AlertRun struct {
	Rack string `json:"rack"`
	// FireRead, FireLeader, FireAlertmanager follow the overload;
	// ResolveRead, ResolveLeader, ResolveAlertmanager its release.
	FireRead            float64 `json:"fire_read_seconds"`
	FireLeader          float64 `json:"fire_leader_seconds"`
	FireAlertmanager    float64 `json:"fire_alertmanager_seconds"`
	ResolveRead         float64 `json:"resolve_read_seconds"`
	ResolveLeader       float64 `json:"resolve_leader_seconds"`
	ResolveAlertmanager float64 `json:"resolve_alertmanager_seconds"`
}

// Alerts starts Debian's Alertmanager and a demo of c.Racks racks
// delivering to it, then c.Runs times, each on the next rack: pins the
// rack's simulated PDUs 10 % over its budget and waits until
// RackOverBudget of that rack is active in Alertmanager's /api/v2/alerts,
// then releases it to its model's load (half its budget) and waits until
// the alert has left it. Each step is timed from the instant the load was
// changed in the simulator.
func Alerts(ctx context.Context, c AlertsConfig) (AlertsResult, error) {
	c.Runs, c.Racks = max(c.Runs, 1), max(c.Racks, 1)
	if c.Poll <= 0 {
		c.Poll = 25 * time.Millisecond
	}
	if c.Alertmanager == "" {
		c.Alertmanager = "prometheus-alertmanager"
	}
	bin, err := exec.LookPath(c.Alertmanager)
	if err != nil {
		return AlertsResult{}, fmt.Errorf("%w: %w", ErrNoAlertmanager, err)
	}
	c.Alertmanager = bin
	r := AlertsResult{Racks: c.Racks, Interval: c.Interval.String(), Runs: c.Runs,
		Alertmanager: amVersion(c.Alertmanager), GoalSeconds: (c.Interval + time.Second).Seconds()}
	before := loadAverage()
	dir, err := os.MkdirTemp("", "dcplane-bench-alerts-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	am, err := startAlertmanager(ctx, c.Alertmanager, dir)
	if err != nil {
		return r, err
	}
	defer am.stop()
	if err := os.Mkdir(filepath.Join(dir, "demo"), 0o700); err != nil {
		return r, err
	}
	site := inventory.Reference(c.Racks)
	d, err := demo.Start(ctx, demo.Config{Site: site, Dir: filepath.Join(dir, "demo"), HTTPAddr: "127.0.0.1:0",
		Interval: c.Interval, Level: 0.5, Alertmanagers: []string{am.url}, Logger: c.Logger})
	if err != nil {
		return r, err
	}
	defer d.Close()
	w := &alertWatch{demo: d, am: am.url, poll: c.Poll, timeout: 10*c.Interval + time.Minute,
		budgets: map[string]float64{}}
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		w.racks = append(w.racks, k.ID)
		w.budgets[k.ID] = k.BudgetWatts()
		return true
	})
	if err := w.ready(ctx); err != nil {
		return r, err
	}
	for i := range c.Runs {
		run, err := w.run(ctx, w.racks[i%len(w.racks)])
		if err != nil {
			return r, fmt.Errorf("run %d: %w", i+1, err)
		}
		r.PerRun = append(r.PerRun, run)
	}
	r.LoadAverage = before + ", " + loadAverage()
	r.summarise()
	return r, nil
}

// summarise fills the stages and the goal from the runs.
func (r *AlertsResult) summarise() {
	stage := func(name string, f func(AlertRun) float64) AlertStage {
		xs := make([]time.Duration, len(r.PerRun))
		for i, run := range r.PerRun {
			xs[i] = time.Duration(f(run) * float64(time.Second))
		}
		slices.Sort(xs)
		if len(xs) == 0 {
			return AlertStage{Name: name}
		}
		return AlertStage{Name: name, Min: xs[0].Seconds(), Median: percentile(xs, 0.5).Seconds(),
			P99: percentile(xs, 0.99).Seconds(), Max: xs[len(xs)-1].Seconds()}
	}
	r.Stages = []AlertStage{
		stage("over budget: the leader reads it", func(a AlertRun) float64 { return a.FireRead }),
		stage("over budget: RackOverBudget fires on the leader", func(a AlertRun) float64 { return a.FireLeader }),
		stage("over budget: RackOverBudget active in Alertmanager", func(a AlertRun) float64 { return a.FireAlertmanager }),
		stage("back under: the leader reads it", func(a AlertRun) float64 { return a.ResolveRead }),
		stage("back under: RackOverBudget resolves on the leader", func(a AlertRun) float64 { return a.ResolveLeader }),
		stage("back under: RackOverBudget gone from Alertmanager", func(a AlertRun) float64 { return a.ResolveAlertmanager }),
	}
	r.GoalMet = len(r.PerRun) > 0 && r.Stages[2].Max <= r.GoalSeconds
}

// Header names the columns of Rows.
func (AlertsResult) Header() []string {
	return []string{"FROM THE PDU'S CHANGE TO", "MIN s", "MEDIAN s", "P99 s", "MAX s"}
}

// Rows are the stages as table cells, for people.
func (r AlertsResult) Rows() [][]string {
	rows := make([][]string, 0, len(r.Stages))
	f := func(x float64) string { return fmt.Sprintf("%.2f", x) }
	for _, s := range r.Stages {
		rows = append(rows, []string{s.Name, f(s.Min), f(s.Median), f(s.P99), f(s.Max)})
	}
	return rows
}

// Summary says over what the figures are, and whether the goal holds.
func (r AlertsResult) Summary() string {
	met := "met"
	if !r.GoalMet {
		met = "NOT met"
	}
	return fmt.Sprintf("figures: over %d runs, each on its own rack of %d (cycling), poll interval %s\n"+
		"goal: RackOverBudget in Alertmanager within one poll interval plus 1 s (%.2f s) of the PDU's change: %s (max %.2f s)\n"+
		"alertmanager: %s\nload average (1, 5, 15 min) before, after: %s\n",
		r.Runs, r.Racks, r.Interval, r.GoalSeconds, met, r.Stages[2].Max, r.Alertmanager, r.LoadAverage)
}

// alertWatch runs the overloads of Alerts on a demo and watches for their
// effects on its leader and in Alertmanager.
type alertWatch struct {
	demo    *demo.Demo
	am      string
	poll    time.Duration
	timeout time.Duration
	racks   []string
	budgets map[string]float64 // watts, by rack
}

// ready waits until the leader reads every rack and Alertmanager holds
// no RackOverBudget: the runs start from a quiet site.
func (w *alertWatch) ready(ctx context.Context) error {
	_, err := w.watch(ctx, time.Now(), "every rack read, no RackOverBudget", func(ctx context.Context) (bool, error) {
		for _, id := range w.racks {
			k, err := w.demo.Client().Rack(ctx, id)
			if err != nil || k.DrawWatts == nil {
				return false, err
			}
			if on, err := w.inAlertmanager(ctx, id); err != nil || on {
				return false, err
			}
		}
		return true, nil
	})
	return err
}

// run overloads rack, waits for its alert, releases it and waits for the
// alert to resolve.
func (w *alertWatch) run(ctx context.Context, rack string) (AlertRun, error) {
	r, err := w.demo.Sim().Rack(rack)
	if err != nil {
		return AlertRun{}, err
	}
	budget := w.budgets[rack]
	at := time.Now()
	r.Set(1.1 * budget)
	fire, err := w.watch(ctx, at, "RackOverBudget of "+rack+" in Alertmanager",
		w.read(rack, func(d float64) bool { return d >= budget }), w.leaderFiring(rack, true), w.alertmanager(rack, true))
	if err != nil {
		r.Release()
		return AlertRun{}, err
	}
	at = time.Now()
	r.Release()
	res, err := w.watch(ctx, at, "RackOverBudget of "+rack+" resolved in Alertmanager",
		w.read(rack, func(d float64) bool { return d < budget }), w.leaderFiring(rack, false), w.alertmanager(rack, false))
	if err != nil {
		return AlertRun{}, err
	}
	return AlertRun{Rack: rack, FireRead: fire[0], FireLeader: fire[1], FireAlertmanager: fire[2],
		ResolveRead: res[0], ResolveLeader: res[1], ResolveAlertmanager: res[2]}, nil
}

// watch asks each check every w.poll until each has once said true, and
// returns in seconds since at when each first did. It gives up after
// w.timeout, naming what it waited for.
//
// The checks are stages of one chain (each follows the one before it), so
// a round asks them last first and stamps all it saw with the round's end:
// asked first to last, a stage could be seen after the next one had
// already been (the leader resolving between the two questions), and the
// figures would put Alertmanager before the leader that told it.
func (w *alertWatch) watch(ctx context.Context, at time.Time, what string, checks ...func(context.Context) (bool, error)) ([]float64, error) {
	seen := make([]float64, len(checks))
	done := make([]bool, len(checks))
	deadline := at.Add(w.timeout)
	for {
		left := 0
		var now []int
		for i := len(checks) - 1; i >= 0; i-- {
			if done[i] {
				continue
			}
			ok, err := checks[i](ctx)
			if err != nil {
				return nil, fmt.Errorf("waiting for %s: %w", what, err)
			}
			if done[i] = ok; ok {
				now = append(now, i)
			} else {
				left++
			}
		}
		end := time.Since(at).Seconds()
		for _, i := range now {
			seen[i] = end
		}
		if left == 0 {
			return seen, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waiting for %s: not there after %v", what, w.timeout)
		}
		if err := sleepCtx(ctx, w.poll); err != nil {
			return nil, err
		}
	}
}

// read is a check: the leader reads rack's draw as ok says.
func (w *alertWatch) read(rack string, ok func(watts float64) bool) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		k, err := w.demo.Client().Rack(ctx, rack)
		if err != nil {
			return false, err
		}
		return k.DrawWatts != nil && ok(*k.DrawWatts), nil
	}
}

// leaderFiring is a check: the leader's RackOverBudget of rack fires (want)
// or does not (!want).
func (w *alertWatch) leaderFiring(rack string, want bool) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		l, err := w.demo.Client().Alerts(ctx, api.AlertFilter{Rule: string(alerts.RackOverBudget), Rack: rack,
			Status: string(alerts.StatusFiring)})
		if err != nil {
			return false, err
		}
		return (len(l.Alerts) > 0) == want, nil
	}
}

// alertmanager is a check: Alertmanager holds rack's RackOverBudget
// active (want) or not (!want).
func (w *alertWatch) alertmanager(rack string, want bool) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		on, err := w.inAlertmanager(ctx, rack)
		return on == want, err
	}
}

// inAlertmanager says whether Alertmanager's /api/v2/alerts holds
// RackOverBudget of rack active.
func (w *alertWatch) inAlertmanager(ctx context.Context, rack string) (bool, error) {
	q := url.Values{"filter": {`alertname="` + string(alerts.RackOverBudget) + `"`, `rack="` + rack + `"`}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.am+"/api/v2/alerts?"+q.Encode(), nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("alertmanager %s: %w", w.am, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("alertmanager %s: GET /api/v2/alerts: %s", w.am, resp.Status)
	}
	var got []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return false, fmt.Errorf("alertmanager %s: GET /api/v2/alerts: %w", w.am, err)
	}
	for _, a := range got {
		if a.Labels["rack"] == rack && a.Labels["alertname"] == string(alerts.RackOverBudget) && a.Status.State == "active" {
			return true, nil
		}
	}
	return false, nil
}

// alertmanagerProc is a running Alertmanager.
type alertmanagerProc struct {
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startAlertmanager runs bin on loopback with its data under dir and a
// route to a receiver that sends nothing (the bench reads its API), and
// returns once it is ready.
func startAlertmanager(ctx context.Context, bin, dir string) (*alertmanagerProc, error) {
	conf := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(conf, []byte("route:\n  receiver: none\nreceivers:\n  - name: none\n"), 0o600); err != nil {
		return nil, err
	}
	addr := freeport.Addr()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.path="+filepath.Join(dir, "alertmanager"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("alertmanager %s: %w", bin, err)
	}
	p := &alertmanagerProc{url: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("alertmanager %s exited before it was ready:\n%s", bin, out.String())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("alertmanager %s not ready at %s after 30 s:\n%s", bin, p.url, out.String())
		}
	}
}

// stop kills Alertmanager and waits for it: its state is thrown away.
func (p *alertmanagerProc) stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// amVersion is the first line of bin --version.
func amVersion(bin string) string {
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		return "alertmanager (version unknown)"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// lockedBuffer is a log a child process writes while it is read.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ErrNoAlertmanager is returned by Alerts when its Alertmanager program
// is not found.
var ErrNoAlertmanager = errors.New("bench: prometheus-alertmanager not found (apt-get install -y prometheus-alertmanager)")
