package controller

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	gometrics "github.com/armon/go-metrics"
	gmprometheus "github.com/armon/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/dcplane/dcplane/controller/store"
)

// raftSink is the process's go-metrics sink. hashicorp/raft reports its
// timings (commit time, FSM apply and enqueue time, RPC times, last contact)
// to go-metrics' global registry, so there is one sink per process, which
// every node's registry collects, renamed by raftTimings (e.g.
// dcplane_raft_commit_time_seconds, a summary).
// The per-node gauges in nodeMetrics (term, indexes, FSM pending) come
// from the store instead and are exact per node.
var raftSink struct {
	once sync.Once
	sink *gmprometheus.PrometheusSink
	err  error
}

// registerRaftMetrics installs the go-metrics sink once per process and
// registers it on reg.
func registerRaftMetrics(reg prometheus.Registerer) error {
	raftSink.once.Do(func() {
		// The sink registers itself: on a registry of its own, which
		// nobody gathers, so that each node's registry can collect it.
		raftSink.sink, raftSink.err = gmprometheus.NewPrometheusSinkFrom(gmprometheus.PrometheusOpts{
			Registerer: prometheus.NewRegistry(), Expiration: 10 * time.Minute, Name: "dcplane_raft_metrics_sink",
		})
		if raftSink.err != nil {
			return
		}
		conf := gometrics.DefaultConfig("dcplane")
		conf.EnableHostname = false
		conf.EnableRuntimeMetrics = false // the Go collector has them
		_, raftSink.err = gometrics.NewGlobal(conf, raftSink.sink)
	})
	if raftSink.err != nil {
		return fmt.Errorf("raft metrics: %w", raftSink.err)
	}
	return reg.Register(raftTimings{raftSink.sink})
}

// raftDescs are the node's Raft gauges, read from the store at scrape time.
type raftDescs struct {
	term, commit, applied, stateIdx, pending, contact, ready, halted *prometheus.Desc
	logStore                                                         *prometheus.Desc
	wal                                                              map[string]*prometheus.Desc // by raft-wal's metric name
}

func newRaftDescs() raftDescs {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("dcplane_raft_"+name, help, nil, nil)
	}
	return raftDescs{
		term:     d("term", "Current Raft term."),
		commit:   d("commit_index", "Highest log index this node knows committed."),
		applied:  d("applied_index", "Highest log index Raft handed to the state machine."),
		stateIdx: d("state_index", "Log index of the state this node serves (last command applied)."),
		pending:  d("fsm_pending", "Batches of committed entries queued for the state machine."),
		contact:  d("last_contact_seconds", "Seconds since this node last heard from the leader: 0 on the leader; absent if never."),
		ready:    d("ready", "1 once the node has caught up with the log and may serve its state."),
		halted:   d("fsm_halted", "1 if the node met a log entry it cannot apply and stopped applying (see its log and GET /v1/cluster)."),
		logStore: prometheus.NewDesc("dcplane_raft_log_store", "1, labelled with the store that holds this node's Raft log: wal (raft-wal) or bolt (raft-boltdb).", []string{"store"}, nil),
		wal:      walDescs(),
	}
}

// walDescs are the descriptors of raft-wal's own metrics, named
// dcplane_raft_wal_<its name>, counters with _total.
func walDescs() map[string]*prometheus.Desc {
	out := map[string]*prometheus.Desc{}
	for _, m := range store.LogStoreMetricDefinitions() {
		name := "dcplane_raft_wal_" + m.Name
		if m.Counter {
			name += "_total"
		}
		out[m.Name] = prometheus.NewDesc(name, "raft-wal: "+m.Help+" (absent when the log is in raft-boltdb).", nil, nil)
	}
	return out
}

func (r raftDescs) describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{r.term, r.commit, r.applied, r.stateIdx, r.pending, r.contact, r.ready, r.halted, r.logStore} {
		ch <- d
	}
	for _, d := range r.wal {
		ch <- d
	}
}

func (r raftDescs) collect(ch chan<- prometheus.Metric, n *Node) {
	st := n.store.Status()
	gauge(ch, r.term, float64(st.Term))
	gauge(ch, r.commit, float64(st.CommitIndex))
	gauge(ch, r.applied, float64(st.AppliedIndex))
	gauge(ch, r.stateIdx, float64(st.StateIndex))
	gauge(ch, r.pending, float64(st.FSMPending))
	if !st.LastContact.IsZero() {
		gauge(ch, r.contact, max(time.Since(st.LastContact).Seconds(), 0))
	}
	err := n.store.Ready()
	gauge(ch, r.ready, b2f(err == nil))
	gauge(ch, r.halted, b2f(errors.Is(err, store.ErrHalted)))
	ch <- prometheus.MustNewConstMetric(r.logStore, prometheus.GaugeValue, 1, n.store.LogStore())
	for _, m := range n.store.LogStoreMetrics() {
		kind := prometheus.GaugeValue
		if m.Counter {
			kind = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(r.wal[m.Name], kind, float64(m.Value))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// raftTimings renames what the go-metrics sink exports into the house's
// conventions: snake_case, timings in seconds (go-metrics measures in
// milliseconds) with _seconds, counters with _total. dcplane_raft_commitTime
// becomes dcplane_raft_commit_time_seconds, dcplane_raft_fsm_apply
// dcplane_raft_fsm_apply_seconds. It yields no descriptors: the names come
// and go with what Raft reports.
type raftTimings struct{ sink prometheus.Collector }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// Describe yields nothing: an unchecked collector.
func (raftTimings) Describe(chan<- *prometheus.Desc) {}

// Collect renames the sink's metrics.
func (r raftTimings) Collect(ch chan<- prometheus.Metric) {
	in := make(chan prometheus.Metric)
	go func() { r.sink.Collect(in); close(in) }()
	for m := range in {
		if out, ok := renamed(m); ok {
			ch <- out
		}
	}
}

// renamed is m under the house's name and units; false for what it cannot
// read.
func renamed(m prometheus.Metric) (prometheus.Metric, bool) {
	match := fqName.FindStringSubmatch(m.Desc().String())
	var d dto.Metric
	if match == nil || m.Write(&d) != nil {
		return nil, false
	}
	orig := match[1]
	name := snake(orig)
	var names, values []string
	for _, l := range d.GetLabel() {
		names, values = append(names, l.GetName()), append(values, l.GetValue())
	}
	help := "hashicorp/raft's " + orig + ", from go-metrics."
	switch {
	case d.Summary != nil:
		scale := 1e-3 // timings, in milliseconds
		if strings.Contains(name, "num_") {
			scale = 1 // counts of logs
		} else {
			name += "_seconds"
		}
		q := map[float64]float64{}
		for _, v := range d.Summary.GetQuantile() {
			q[v.GetQuantile()] = v.GetValue() * scale
		}
		out, err := prometheus.NewConstSummary(prometheus.NewDesc(name, help, names, nil),
			d.Summary.GetSampleCount(), d.Summary.GetSampleSum()*scale, q, values...)
		return out, err == nil
	case d.Counter != nil:
		out, err := prometheus.NewConstMetric(prometheus.NewDesc(name+"_total", help, names, nil), prometheus.CounterValue, d.Counter.GetValue(), values...)
		return out, err == nil
	case d.Gauge != nil:
		out, err := prometheus.NewConstMetric(prometheus.NewDesc(name, help, names, nil), prometheus.GaugeValue, d.Gauge.GetValue(), values...)
		return out, err == nil
	}
	return nil, false
}

// snake turns camelCase into snake_case.
func snake(s string) string {
	var b strings.Builder
	for i, c := range s {
		if unicode.IsUpper(c) {
			if i > 0 && s[i-1] != '_' {
				b.WriteByte('_')
			}
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}
