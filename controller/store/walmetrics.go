package store

import (
	"sync/atomic"

	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metrics"
)

// LogStoreMetric is one of the figures raft-wal reports about the log it
// keeps (its wal.MetricDefinitions): appends, entries and bytes written
// and read, segment rotations, truncations.
type LogStoreMetric struct {
	Name    string // raft-wal's, snake_case: log_appends, segment_rotations, …
	Help    string
	Counter bool // a count since the node started; else a gauge
	Value   uint64
}

// LogStoreMetricDefinitions are the metrics LogStoreMetrics gives, in its
// order, with zero values: every one raft-wal defines.
func LogStoreMetricDefinitions() []LogStoreMetric {
	var out []LogStoreMetric
	for _, d := range wal.MetricDefinitions.Counters {
		out = append(out, LogStoreMetric{Name: d.Name, Help: d.Desc, Counter: true})
	}
	for _, d := range wal.MetricDefinitions.Gauges {
		out = append(out, LogStoreMetric{Name: d.Name, Help: d.Desc})
	}
	return out
}

// LogStoreMetrics are raft-wal's figures for this node's log, in the order
// of LogStoreMetricDefinitions; none when the log is in raft-boltdb.
func (s *Store) LogStoreMetrics() []LogStoreMetric {
	if s.walStats == nil {
		return nil
	}
	out := LogStoreMetricDefinitions()
	for i := range out {
		if v := s.walStats.values[out[i].Name]; v != nil {
			out[i].Value = v.Load()
		}
	}
	return out
}

// walMetrics collects what raft-wal reports, for LogStoreMetrics. Its map
// is filled once, from raft-wal's definitions, and only read after: safe
// for raft-wal's concurrent writers without a lock.
type walMetrics struct{ values map[string]*atomic.Uint64 }

var _ metrics.Collector = (*walMetrics)(nil)

func newWALMetrics() *walMetrics {
	m := &walMetrics{values: map[string]*atomic.Uint64{}}
	for _, d := range LogStoreMetricDefinitions() {
		m.values[d.Name] = new(atomic.Uint64)
	}
	return m
}

// IncrementCounter adds delta to a counter raft-wal defines; it ignores
// any other name.
func (m *walMetrics) IncrementCounter(name string, delta uint64) {
	if v := m.values[name]; v != nil {
		v.Add(delta)
	}
}

// SetGauge sets a gauge raft-wal defines; it ignores any other name.
func (m *walMetrics) SetGauge(name string, val uint64) {
	if v := m.values[name]; v != nil {
		v.Store(val)
	}
}
