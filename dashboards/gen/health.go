package main

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// p99 is the 99th percentile of a histogram over five minutes, by the
// labels given.
func p99(by, histogram string) string {
	return fmt.Sprintf("histogram_quantile(0.99, sum by (le, %s) (rate(%s_bucket[5m])))", by, histogram)
}

// health shows whether dcplane itself is well: the Raft cluster, the
// controllers' intake of telemetry, the agents' polling and buffering,
// and the delivery of alerts to Alertmanager.
func health() *dashboard.DashboardBuilder {
	b := newBoard("dcplane-health", "dcplane: controller and agent health",
		"Raft (leader, term, commit latency, lag), telemetry intake, agents' polls, errors and buffers, alert delivery.")
	section(b, "Raft", raftPanels()...)
	section(b, "Agents", agentPanels()...)
	return section(b, "Alert delivery", deliveryPanels()...)
}

// raftPanels show the cluster: one leader, every node ready, commit
// latency, elections, how far the state machine lags.
func raftPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		statPanel("Leaders", "Controllers that are the Raft leader: 1, or the cluster cannot commit.", "none", 4, 5).
			WithTarget(instant("sum(dcplane_controller_is_leader)", "")).
			Thresholds(steps(red, at(1, green), at(2, red))).
			Mappings([]dashboard.ValueMapping{valueText("0", "NO LEADER", red)}),
		statPanel("Ready", "Per controller: 1 once it has caught up with the log and may serve its state.", "none", 4, 5).
			WithTarget(instant("max by (instance) (dcplane_raft_ready)", "{{instance}}")).
			Thresholds(steps(red, at(1, green))).
			Mappings([]dashboard.ValueMapping{valueText("0", "catching up", red, "1", "ready", green)}),
		graph("Commit latency", "Time a Raft log entry takes to commit, per controller: mean over 5 min and p99.", "s", 8, 8).
			WithTarget(query("sum by (instance) (rate(dcplane_raft_commit_time_seconds_sum[5m])) / "+
				"sum by (instance) (rate(dcplane_raft_commit_time_seconds_count[5m]))", "{{instance}} mean")).
			WithTarget(query(`max by (instance) (dcplane_raft_commit_time_seconds{quantile="0.99"})`, "{{instance}} p99")).Min(0),
		graph("Term and leader changes",
			"The Raft term per controller (a step is an election) and how often each became leader.", "none", 8, 8).
			WithTarget(query("max by (instance) (dcplane_raft_term)", "{{instance}} term")).
			WithTarget(query("sum by (instance) (increase(dcplane_raft_state_leader_total[1h]))", "{{instance}} became leader, last hour")),
		graph("Apply lag and last contact",
			"Log entries committed but not yet applied, state machine batches queued, and seconds since each follower heard from the leader.",
			"none", 12, 8).
			WithTarget(query("max by (instance) (dcplane_raft_commit_index - dcplane_raft_applied_index)", "{{instance}} entries not applied")).
			WithTarget(query("max by (instance) (dcplane_raft_fsm_pending)", "{{instance}} batches pending")).
			WithTarget(query("max by (instance) (dcplane_raft_last_contact_seconds)", "{{instance}} last contact (s)")).Min(0),
		graph("Telemetry intake",
			"Device polls the controllers take in per second; those of devices not in the inventory; polls refused and readings dropped, by reason.",
			"reqps", 12, 8).
			WithTarget(query(rate("instance", "dcplane_controller_ingested_polls_total", ""), "{{instance}} ingested")).
			WithTarget(query(rate("instance", "dcplane_controller_unknown_device_polls_total", ""), "{{instance}} unknown device")).
			WithTarget(query(rate("reason", "dcplane_controller_telemetry_refused_polls_total", ""), "refused: {{reason}}")).
			WithTarget(query(rate("reason", "dcplane_controller_telemetry_dropped_readings_total", ""), "readings dropped: {{reason}}")).Min(0),
	}
}

// agentPanels show the agents: polls, errors, their durations, the buffer
// of batches not yet pushed, and pushes.
func agentPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("Polls by result", "Polls of devices per second, by result, per agent.", "reqps", 8, 8).
			WithTarget(query(rate("instance, result", "dcplane_agent_polls_total", ""), "{{instance}} {{result}}")).Min(0),
		graph("Poll errors by reason", "Failed polls per second, by reason (timeout, refused, auth, decode, …).", "reqps", 8, 8).
			WithTarget(query(rate("reason", "dcplane_agent_poll_errors_total", ""), "{{reason}}")).Min(0),
		graph("Poll duration p99", "Time one poll of one device takes, 99th percentile, by protocol.", "s", 8, 8).
			WithTarget(query(p99("protocol", "dcplane_agent_poll_duration_seconds"), "{{protocol}}")).Min(0),
		graph("Buffer",
			"Batches waiting to be pushed to the controllers against what the buffer holds; batches dropped (oldest first) when it is full.",
			"none", 8, 8).
			WithTarget(query("max by (instance) (dcplane_agent_buffer_batches)", "{{instance}} waiting")).
			WithTarget(query("max by (instance) (dcplane_agent_buffer_capacity_batches)", "{{instance}} capacity")).
			WithTarget(query("sum by (instance) (increase(dcplane_agent_buffer_dropped_batches_total[5m]))", "{{instance}} dropped, 5 min")).Min(0),
		graph("Pushes by result", "Pushes of batches to the controllers per second: ok, error (retried), rejected (dropped).", "reqps", 8, 8).
			WithTarget(query(rate("instance, result", "dcplane_agent_pushes_total", ""), "{{instance}} {{result}}")).Min(0),
		statPanel("Agent state", "Per agent: whether its last push reached a controller, devices it polls, devices in backoff.", "none", 8, 8).
			WithTarget(instant("max by (instance) (dcplane_agent_controller_reachable)", "{{instance}} reachable")).
			WithTarget(instant("max by (instance) (dcplane_agent_targets)", "{{instance}} devices")).
			WithTarget(instant("max by (instance) (dcplane_agent_devices_in_backoff)", "{{instance}} in backoff")).
			Thresholds(steps(blue)),
	}
}

// deliveryPanels show the leader's delivery of alerts to each
// Alertmanager.
func deliveryPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("Alerts delivered and failed",
			"Alerts each Alertmanager accepted per second, failed posts by reason, updates dropped from a full queue (controllers started with --alertmanager).",
			"reqps", 12, 8).
			WithTarget(query(rate("target", "dcplane_notify_alerts_sent_total", ""), "{{target}} sent")).
			WithTarget(query(rate("target, reason", "dcplane_notify_errors_total", ""), "{{target}} failed: {{reason}}")).
			WithTarget(query(rate("target", "dcplane_notify_alerts_dropped_total", ""), "{{target}} dropped")).Min(0),
		graph("Delivery queue and latency", "Alert updates waiting for each Alertmanager, and the p99 time of a post.", "none", 12, 8).
			WithTarget(query("max by (target) (dcplane_notify_queue_length)", "{{target}} queued")).
			WithTarget(query(p99("target", "dcplane_notify_latency_seconds"), "{{target}} post p99 (s)")).Min(0),
	}
}
