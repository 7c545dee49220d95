package controller

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/whatif"
)

// nodeMetrics exports the power accounting at scrape time, so a rack's draw
// series exists only while its draw is known: a stale rack has no draw
// sample (and dcplane_rack_telemetry_stale 1), never a 0. Rollups (row, hall,
// site) export their draw only when every rack is known, and always the
// known part as a lower bound with the count of stale racks, so one silent
// PDU does not blank a hall's panel.
type nodeMetrics struct {
	n        *Node
	polls    prometheus.Counter
	unknown  prometheus.Counter
	leader   *prometheus.Desc
	series   *prometheus.Desc
	rackDraw *prometheus.Desc
	rackBudg *prometheus.Desc
	rackStal *prometheus.Desc
	pduDraw  *prometheus.Desc
	levels   [3]levelDescs // row, hall, site
	raft     raftDescs
	// transitions counts the alert transitions this node committed, by
	// kind; firing is the leader's firing alerts by rule.
	transitions *prometheus.CounterVec
	firing      *prometheus.Desc
	// rackPlaced and rackReserved are the declared power of the
	// placements and live reservations on a rack's servers.
	rackPlaced, rackReserved *prometheus.Desc
	place                    *placementMetrics
	feeds                    feedMetrics
	cooling                  coolingMetrics
	forecast                 forecastMetrics
}

// levelDescs are the metrics of one rollup level.
type levelDescs struct {
	draw, known, budget, stale *prometheus.Desc
}

func newLevelDescs(level string, labels []string) levelDescs {
	name := "dcplane_" + level + "_"
	return levelDescs{
		draw:   prometheus.NewDesc(name+"power_watts", "Power the "+level+" draws. Absent while some rack of it has stale telemetry.", labels, nil),
		known:  prometheus.NewDesc(name+"power_known_watts", "Power drawn by the racks of the "+level+" whose draw is known: a lower bound while some are stale.", labels, nil),
		budget: prometheus.NewDesc(name+"budget_watts", "Sum of the rack budgets of the "+level+".", labels, nil),
		stale:  prometheus.NewDesc(name+"stale_racks", "Racks of the "+level+" whose draw is unknown (stale telemetry).", labels, nil),
	}
}

func newNodeMetrics(n *Node) *nodeMetrics {
	rack := []string{"hall", "row", "rack"}
	return &nodeMetrics{
		n: n,
		polls: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dcplane_controller_ingested_polls_total", Help: "Device polls received from agents.",
		}),
		unknown: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dcplane_controller_unknown_device_polls_total", Help: "Polls received for devices not in the inventory, and dropped.",
		}),
		leader:   prometheus.NewDesc("dcplane_controller_is_leader", "1 if this controller is the Raft leader.", nil, nil),
		series:   prometheus.NewDesc("dcplane_controller_telemetry_series", "Series in the telemetry window.", nil, nil),
		rackDraw: prometheus.NewDesc("dcplane_rack_power_watts", "Power a rack draws: the sum of its PDUs' input power. Absent while unknown.", rack, nil),
		rackBudg: prometheus.NewDesc("dcplane_rack_budget_watts", "A rack's power budget.", rack, nil),
		rackStal: prometheus.NewDesc("dcplane_rack_telemetry_stale", "1 if some PDU of the rack has stale telemetry, so its draw is unknown.", rack, nil),
		pduDraw:  prometheus.NewDesc("dcplane_pdu_power_watts", "A PDU's input power. Absent while unknown.", []string{"hall", "row", "rack", "pdu", "feed"}, nil),
		levels: [3]levelDescs{
			newLevelDescs("row", []string{"hall", "row"}),
			newLevelDescs("hall", []string{"hall"}),
			newLevelDescs("site", []string{"site"}),
		},
		raft: newRaftDescs(),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_alert_transitions_total",
			Help: "Changes of the alert state this controller committed, by kind: fired, resolved, acked, unacked, silenced, unsilenced.",
		}, []string{"kind"}),
		firing: prometheus.NewDesc("dcplane_alerts_firing", "Alerts firing, by rule (alertname) and severity; silenced ones included. Exported by the leader.",
			[]string{"alertname", "severity"}, nil),
		rackPlaced:   prometheus.NewDesc("dcplane_rack_placed_watts", "Declared power of the placements on a rack's servers (reservations not included).", rack, nil),
		rackReserved: prometheus.NewDesc("dcplane_rack_reserved_watts", "Declared power of the live reservations on a rack's servers.", rack, nil),
		place:        newPlacementMetrics(),
		feeds:        newFeedMetrics(),
		cooling:      newCoolingMetrics(),
		forecast:     newForecastMetrics(),
	}
}

func (m *nodeMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.polls.Describe(ch)
	m.unknown.Describe(ch)
	m.transitions.Describe(ch)
	for _, d := range []*prometheus.Desc{m.leader, m.series, m.rackDraw, m.rackBudg, m.rackStal, m.pduDraw, m.firing, m.rackPlaced, m.rackReserved} {
		ch <- d
	}
	for _, l := range m.levels {
		ch <- l.draw
		ch <- l.known
		ch <- l.budget
		ch <- l.stale
	}
	m.raft.describe(ch)
	m.place.describe(ch)
	m.feeds.describe(ch)
	m.cooling.describe(ch)
	m.forecast.describe(ch)
}

func (m *nodeMetrics) Collect(ch chan<- prometheus.Metric) {
	m.polls.Collect(ch)
	m.unknown.Collect(ch)
	m.transitions.Collect(ch)
	m.place.collect(ch)
	leader := 0.0
	if m.n.store.IsLeader() {
		leader = 1
	}
	gauge(ch, m.leader, leader)
	m.raft.collect(ch, m.n)
	_, series := m.n.tel.Stats()
	gauge(ch, m.series, float64(series))
	rep, err := m.n.Report(context.Background())
	if leader == 1 {
		m.collectFiring(ch)
	}
	if err != nil || leader == 0 {
		return // no inventory, or a follower: it has no telemetry
	}
	m.collectRacks(ch, rep)
	for _, r := range rep.Rows {
		m.levels[0].collect(ch, r, r.Hall, r.ID)
	}
	for _, h := range rep.Halls {
		m.levels[1].collect(ch, h, h.ID)
	}
	m.levels[2].collect(ch, rep.Site, rep.Site.ID)
	m.collectSite(ch)
}

// collectSite exports, on the leader, the phases and failover margins, the
// cooling and the forecasts, from the telemetry window at one time.
func (m *nodeMetrics) collectSite(ch chan<- prometheus.Metric) {
	site := m.n.store.State().Site()
	if site == nil {
		return
	}
	now := m.n.cfg.Now()
	devices := alerts.ReadDevices(site, m.n.tel, now)
	m.feeds.collect(ch, site, devices, whatif.WindowReadings{Window: m.n.tel, At: now})
	m.cooling.collect(ch, site, devices, m.n.tel, now)
	if fc, err := m.n.Forecast(context.Background()); err == nil {
		m.forecast.collect(ch, fc)
	}
}

func (m *nodeMetrics) collectRacks(ch chan<- prometheus.Metric, rep *power.Report) {
	for _, k := range rep.Racks {
		gauge(ch, m.rackBudg, k.BudgetWatts, k.Hall, k.Row, k.ID)
		gauge(ch, m.rackPlaced, k.PlacedWatts, k.Hall, k.Row, k.ID)
		gauge(ch, m.rackReserved, k.ReservedWatts, k.Hall, k.Row, k.ID)
		stale := 1.0
		if k.DrawWatts != nil {
			gauge(ch, m.rackDraw, *k.DrawWatts, k.Hall, k.Row, k.ID)
			stale = 0
		}
		gauge(ch, m.rackStal, stale, k.Hall, k.Row, k.ID)
		for _, p := range k.PDUs {
			if p.PowerWatts != nil {
				gauge(ch, m.pduDraw, *p.PowerWatts, k.Hall, k.Row, k.ID, p.ID, p.Feed)
			}
		}
	}
}

func (l levelDescs) collect(ch chan<- prometheus.Metric, r power.Rollup, labels ...string) {
	if r.Complete {
		gauge(ch, l.draw, r.DrawWatts, labels...)
	}
	gauge(ch, l.known, r.DrawWatts, labels...)
	gauge(ch, l.budget, r.BudgetWatts, labels...)
	gauge(ch, l.stale, float64(r.StaleRacks), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// collectFiring exports the firing alerts by rule, every rule with its
// count, 0 included: a panel of them never goes blank. The replicated
// state is what fires (the evaluator commits each change there).
func (m *nodeMetrics) collectFiring(ch chan<- prometheus.Metric) {
	count := map[alerts.Rule]int{}
	for _, a := range m.n.store.State().Alerts().Firing {
		count[a.Rule]++
	}
	for _, r := range alerts.Rules() {
		gauge(ch, m.firing, float64(count[r.Rule]), string(r.Rule), string(r.Severity))
	}
}
