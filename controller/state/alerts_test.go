package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
)

const overID = "RackOverBudget{site=dc,rack=" + rackA + "}"

func fired(id string, when time.Time) alerts.Transition {
	a := &alerts.Alert{ID: id, Rule: alerts.RackOverBudget, Severity: alerts.Critical, Status: alerts.StatusFiring,
		Object: alerts.Object{Kind: alerts.KindRack, Site: "dc", Rack: rackA}, Value: 16500, Limit: 15000, Unit: "W",
		ActiveSince: when, FiringSince: when}
	return alerts.Transition{Kind: alerts.Fired, ID: id, At: when, Alert: a}
}

func ack(id, by string) alerts.Transition {
	return alerts.Transition{Kind: alerts.Acked, ID: id, At: at.Add(time.Minute), By: by, Why: "on it"}
}

func record(ts ...alerts.Transition) RecordAlerts { return RecordAlerts{Transitions: ts, At: at} }

func TestRecordAlerts(t *testing.T) {
	silence := alerts.Transition{Kind: alerts.Silenced, ID: overID, At: at, By: "bob", Until: at.Add(2 * time.Hour)}
	tests := []struct {
		name    string
		before  []Command
		cmd     Command
		wantErr error
		firing  int
		ackBy   string // of overID, when firing
		silent  bool   // overID silenced at at
	}{
		{"fired", nil, record(fired(overID, at)), nil, 1, "", false},
		{"fired and acked", nil, record(fired(overID, at), ack(overID, "ann")), nil, 1, "ann", false},
		{"acked later", []Command{record(fired(overID, at))}, record(ack(overID, "ann")), nil, 1, "ann", false},
		{"resolved takes its ack", []Command{record(fired(overID, at), ack(overID, "ann"))},
			record(alerts.Transition{Kind: alerts.Resolved, ID: overID, At: at}), nil, 0, "", false},
		{"ack of what does not fire", nil, record(ack(overID, "ann")), alerts.ErrNotFiring, 0, "", false},
		// All or none: the fire before the refused ack is not kept.
		{"all or none", nil, record(fired(overID, at), ack("Other{}", "ann")), alerts.ErrNotFiring, 0, "", false},
		{"ack without who", []Command{record(fired(overID, at))}, record(ack(overID, "")), alerts.ErrInvalidTransition, 1, "", false},
		{"silenced", nil, record(silence), nil, 0, "", true},
		{"no transitions", nil, record(), ErrMalformedCommand, 0, "", false},
		{"no time", nil, RecordAlerts{Transitions: []alerts.Transition{fired(overID, at)}}, ErrMalformedCommand, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			mustApply(t, m, tt.before...)
			v, err := m.Apply(m.View().Index()+1, tt.cmd)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Apply: got %v, want %v", err, tt.wantErr)
			}
			st := v.Alerts()
			if got := len(st.Firing); got != tt.firing || v.FiringAlerts() != tt.firing {
				t.Errorf("firing: got %d (%d), want %d", got, v.FiringAlerts(), tt.firing)
			}
			if a, ok := st.Firing[overID]; ok {
				by := ""
				if a.Ack != nil {
					by = a.Ack.By
				}
				if by != tt.ackBy {
					t.Errorf("ack by: got %q, want %q", by, tt.ackBy)
				}
			}
			if got := st.Silenced(overID, at); got != tt.silent {
				t.Errorf("silenced: got %v, want %v", got, tt.silent)
			}
		})
	}
}

// TestAlertsCopied: what Alerts returns is the caller's to change.
func TestAlertsCopied(t *testing.T) {
	m := New()
	mustApply(t, m, record(fired(overID, at), ack(overID, "ann")))
	st := m.View().Alerts()
	delete(st.Firing, overID)
	if m.View().FiringAlerts() != 1 {
		t.Fatalf("the view's alert state changed with its copy")
	}
}

// alertNow is a time in another zone and with a monotonic reading, as the
// leader's clock gives them.
var alertNow = time.Now().In(time.FixedZone("X", 3600))

// alertHistory fires, acks and silences at alertNow.
func alertHistory() []Command {
	now := alertNow
	f := fired(overID, now)
	f.Alert.ClearSince = now.Add(time.Second)
	f.Alert.Ack = &alerts.Ack{By: "x", At: now}
	return append(history()[:1],
		record(f),
		record(alerts.Transition{Kind: alerts.Acked, ID: overID, At: now, By: "ann", Why: "moving load"}),
		record(alerts.Transition{Kind: alerts.Silenced, ID: "Other{}", At: now, By: "bob", Until: now.Add(time.Hour)}),
	)
}

func TestRecordAlertsDeterministic(t *testing.T) {
	direct := run(t, alertHistory(), false)
	if wire := run(t, alertHistory(), true); !bytes.Equal(wire, direct) {
		t.Errorf("through the wire: a snapshot of %d bytes, want the %d bytes of the commands applied directly", len(wire), len(direct))
	}
	// Times are held in UTC, as every other command's.
	m := New()
	mustApply(t, m, alertHistory()...)
	st := m.View().Alerts()
	a := st.Firing[overID]
	for name, tm := range map[string]time.Time{"at": a.FiringSince, "active": a.ActiveSince, "clear": a.ClearSince,
		"ack": a.Ack.At, "silence": st.Silences["Other{}"].Until} {
		if tm.Location() != time.UTC {
			t.Errorf("%s: got %v, want it in UTC", name, tm)
		}
	}
}

func TestSnapshotKeepsAlerts(t *testing.T) {
	tests := []struct {
		name       string
		cmds       []Command
		wantFormat int
	}{
		{"no alert state: the format before alerts", history()[:1], formatBeforeAlerts},
		{"alert state", alertHistory(), formatBeforeAccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := run(t, tt.cmds, true)
			var head struct {
				Format int `json:"format"`
			}
			if err := json.Unmarshal(snap, &head); err != nil || head.Format != tt.wantFormat {
				t.Errorf("format: got %d, %v, want %d", head.Format, err, tt.wantFormat)
			}
			m := New()
			if err := m.Restore(bytes.NewReader(snap)); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := m.View().WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), snap) {
				t.Errorf("restored:\n%s\nwant\n%s", got.Bytes(), snap)
			}
		})
	}
	m := New()
	if err := m.Restore(bytes.NewReader(run(t, alertHistory(), true))); err != nil {
		t.Fatal(err)
	}
	st := m.View().Alerts()
	a, ok := st.Firing[overID]
	if !ok || a.Ack == nil || a.Ack.By != "ann" || a.Ack.Why != "moving load" {
		t.Errorf("restored firing alert: got %+v (ok %v), want it acked by ann, moving load", a, ok)
	}
	if s, ok := st.Silences["Other{}"]; !ok || s.By != "bob" {
		t.Errorf("restored silence: got %+v, %v, want bob's", s, ok)
	}
	// A PutSite keeps the alert state: the evaluator resolves what left.
	mustApply(t, m, history()[0])
	if m.View().FiringAlerts() != 1 {
		t.Errorf("after a new inventory: got %d firing, want 1", m.View().FiringAlerts())
	}
}
