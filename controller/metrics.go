package controller

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// nodeMetrics exports the power accounting at scrape time, so a rack's draw
// series exists only while its draw is known: a stale rack has no draw
// sample (and dcplane_rack_telemetry_stale 1), never a 0.
type nodeMetrics struct {
	n        *Node
	polls    prometheus.Counter
	leader   *prometheus.Desc
	series   *prometheus.Desc
	rackDraw *prometheus.Desc
	rackBudg *prometheus.Desc
	rackStal *prometheus.Desc
	rowDraw  *prometheus.Desc
	rowBudg  *prometheus.Desc
	hallDraw *prometheus.Desc
	hallBudg *prometheus.Desc
	pduDraw  *prometheus.Desc
}

func newNodeMetrics(n *Node) *nodeMetrics {
	rack := []string{"hall", "row", "rack"}
	return &nodeMetrics{
		n: n,
		polls: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dcplane_controller_ingested_polls_total", Help: "Device polls received from agents.",
		}),
		leader:   prometheus.NewDesc("dcplane_controller_is_leader", "1 if this controller is the Raft leader.", nil, nil),
		series:   prometheus.NewDesc("dcplane_controller_telemetry_series", "Series in the telemetry window.", nil, nil),
		rackDraw: prometheus.NewDesc("dcplane_rack_power_watts", "Power a rack draws: the sum of its PDUs' input power. Absent while unknown.", rack, nil),
		rackBudg: prometheus.NewDesc("dcplane_rack_budget_watts", "A rack's power budget.", rack, nil),
		rackStal: prometheus.NewDesc("dcplane_rack_telemetry_stale", "1 if some PDU of the rack has stale telemetry, so its draw is unknown.", rack, nil),
		rowDraw:  prometheus.NewDesc("dcplane_row_power_watts", "Power a row draws. Absent while some rack of the row is stale.", []string{"hall", "row"}, nil),
		rowBudg:  prometheus.NewDesc("dcplane_row_budget_watts", "Sum of the row's rack budgets.", []string{"hall", "row"}, nil),
		hallDraw: prometheus.NewDesc("dcplane_hall_power_watts", "Power a hall draws. Absent while some rack of the hall is stale.", []string{"hall"}, nil),
		hallBudg: prometheus.NewDesc("dcplane_hall_budget_watts", "Sum of the hall's rack budgets.", []string{"hall"}, nil),
		pduDraw:  prometheus.NewDesc("dcplane_pdu_power_watts", "A PDU's input power. Absent while unknown.", []string{"hall", "row", "rack", "pdu", "feed"}, nil),
	}
}

func (m *nodeMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.polls.Describe(ch)
	for _, d := range []*prometheus.Desc{m.leader, m.series, m.rackDraw, m.rackBudg, m.rackStal, m.rowDraw, m.rowBudg, m.hallDraw, m.hallBudg, m.pduDraw} {
		ch <- d
	}
}

func (m *nodeMetrics) Collect(ch chan<- prometheus.Metric) {
	m.polls.Collect(ch)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	leader := 0.0
	if m.n.store.IsLeader() {
		leader = 1
	}
	gauge(m.leader, leader)
	_, series := m.n.tel.Stats()
	gauge(m.series, float64(series))
	rep, err := m.n.Report(context.Background())
	if err != nil || !m.n.store.IsLeader() {
		return // no inventory, or a follower: it has no telemetry
	}
	for _, k := range rep.Racks {
		gauge(m.rackBudg, k.BudgetWatts, k.Hall, k.Row, k.ID)
		stale := 1.0
		if k.DrawWatts != nil {
			gauge(m.rackDraw, *k.DrawWatts, k.Hall, k.Row, k.ID)
			stale = 0
		}
		gauge(m.rackStal, stale, k.Hall, k.Row, k.ID)
		for _, p := range k.PDUs {
			if p.PowerWatts != nil {
				gauge(m.pduDraw, *p.PowerWatts, k.Hall, k.Row, k.ID, p.ID, p.Feed)
			}
		}
	}
	for _, r := range rep.Rows {
		if r.Complete {
			gauge(m.rowDraw, r.DrawWatts, r.Hall, r.ID)
		}
		gauge(m.rowBudg, r.BudgetWatts, r.Hall, r.ID)
	}
	for _, h := range rep.Halls {
		if h.Complete {
			gauge(m.hallDraw, h.DrawWatts, h.ID)
		}
		gauge(m.hallBudg, h.BudgetWatts, h.ID)
	}
}
