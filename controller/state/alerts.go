package state

import (
	"fmt"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
)

// RecordAlerts commits changes of the alert state: alerts that fired or
// resolved and silences that expired, found by the leader's evaluation, or
// a person's ack or silence. The transitions apply in order, all or none:
// one the alert state refuses (an ack of an alert no longer firing) rejects
// the command with that error, wrapping alerts.ErrNotFiring or
// alerts.ErrInvalidTransition. Only transitions go through the log, never
// every evaluation.
type RecordAlerts struct {
	Transitions []alerts.Transition `json:"transitions"`
	At          time.Time           `json:"at"`
}

// Type is RecordAlertsType.
func (RecordAlerts) Type() MessageType { return RecordAlertsType }
func (RecordAlerts) command()          {}

// Alerts returns the replicated alert state: the firing alerts with their
// acks, and the silences. It is a copy: the caller may keep and change it.
func (v *View) Alerts() alerts.State { return v.alerts.Clone() }

// FiringAlerts is how many alerts fire.
func (v *View) FiringAlerts() int { return len(v.alerts.Firing) }

func (v *View) recordAlerts(c RecordAlerts) (*View, error) {
	if len(c.Transitions) == 0 || c.At.IsZero() {
		return nil, fmt.Errorf("record alerts: transitions and time are required: %w", ErrMalformedCommand)
	}
	st := v.alerts.Clone()
	for _, t := range c.Transitions {
		if err := st.Apply(normalTransition(t)); err != nil {
			return nil, fmt.Errorf("record alerts: %w", err)
		}
	}
	n := *v
	n.alerts = st
	n.updated = normalTime(c.At)
	return &n, nil
}

// normalTransition is t with every time in it normalised (see normalTime),
// so that a replica holds the same state whether it decoded the command or
// not.
func normalTransition(t alerts.Transition) alerts.Transition {
	t.At, t.Until = normalTime(t.At), normalTime(t.Until)
	if t.Alert != nil {
		a := *t.Alert
		a.ActiveSince, a.FiringSince, a.ClearSince = normalTime(a.ActiveSince), normalTime(a.FiringSince), normalTime(a.ClearSince)
		if a.Ack != nil {
			ack := *a.Ack
			ack.At = normalTime(ack.At)
			a.Ack = &ack
		}
		a.Silence = nil // the state keeps silences apart from alerts
		t.Alert = &a
	}
	return t
}

// alertsEmpty says whether an alert state holds nothing.
func alertsEmpty(s alerts.State) bool { return len(s.Firing) == 0 && len(s.Silences) == 0 }
