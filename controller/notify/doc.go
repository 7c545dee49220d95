// Package notify delivers dcplane's alerts to Alertmanager, through its v2
// API and Alertmanager's own Go client
// (github.com/prometheus/alertmanager/api/v2/client).
//
// The leader hands the Notifier the active alerts of each evaluation;
// the Notifier decides what to post and a goroutine per Alertmanager posts
// it:
//
//	n, err := notify.New(notify.Config{
//		Alertmanagers: o.alertmanagers,     // --alertmanager URL, repeatable
//		Registerer: reg, Logger: log,
//	})
//	go n.Run(ctx)                           // for the process's life
//	// on becoming leader, after ev.Restore(st):
//	n.Restore(slices.Collect(maps.Values(st.Firing)))
//	// each evaluation:
//	res := ev.Evaluate(in, now)
//	n.Send(res.Active, now)
//
// What it sends:
//
//   - A firing alert (Alert.Notify: firing and not silenced) with the
//     alert's Labels (alertname, severity, site, hall, row, rack, pdu,
//     phase, feed, unit, agent) and Annotations (summary, runbook, value,
//     limit, held, acknowledged), StartsAt its FiringSince and EndsAt now +
//     3 × Config.ResendInterval: were the leader to die and no one send it
//     again, Alertmanager resolves it by itself at EndsAt.
//   - Again every ResendInterval while it fires, with its newest value;
//     not between (deduplication): an evaluation a second does not post a
//     second.
//   - Resolved (EndsAt the time of the Send that no longer lists it) once
//     it stops being notifiable: it resolved, left the inventory, or was
//     silenced in dcplane.
//
// Every update goes to every Alertmanager (an HA pair deduplicates it
// itself). Each has its own bounded queue, in which a newer update of an
// alert replaces the one waiting, and its own exponential backoff after a
// failed post; a post Alertmanager refuses as invalid (4xx) is dropped,
// not retried. A queue past Config.QueueCapacity drops its oldest update.
//
// Alertmanager takes a resolve only when its EndsAt has passed on its own
// clock (a later one reads as an update of a firing alert, whose EndsAt it
// keeps): the controllers' and Alertmanagers' clocks must agree (NTP).
//
// A new leader calls Restore with the replicated firing alerts: the next
// Send posts those still firing at once (re-sent by the new leader) and
// resolves those that no longer are, so that an alert that cleared during
// a failover does not wait for its EndsAt.
//
// Metrics (on Config.Registerer), by target (the Alertmanager's URL):
// dcplane_notify_alerts_sent_total, dcplane_notify_errors_total{reason},
// dcplane_notify_alerts_dropped_total, dcplane_notify_queue_length and
// dcplane_notify_latency_seconds.
package notify
