package alerts

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func firingAlert(id string, since time.Time) *Alert {
	return &Alert{ID: id, Rule: RackOverBudget, Severity: Critical, Status: StatusFiring,
		Object: Object{Kind: KindRack, Rack: "K1"}, Value: 15002, Limit: 15000, Unit: "W",
		ActiveSince: since, FiringSince: since}
}

func TestStateApply(t *testing.T) {
	const id = "RackOverBudget{rack=K1}"
	fire := Transition{Kind: Fired, ID: id, At: t0, Alert: firingAlert(id, t0)}
	ack := Transition{Kind: Acked, ID: id, At: t0.Add(time.Minute), By: "ana", Why: "on it"}
	tests := []struct {
		name    string
		ts      []Transition
		wantErr error
		check   func(t *testing.T, s State)
	}{
		{"fire", []Transition{fire}, nil, func(t *testing.T, s State) {
			if a := s.Firing[id]; a.Status != StatusFiring || !a.FiringSince.Equal(t0) {
				t.Errorf("got %+v, want firing since t0", a)
			}
		}},
		{"ack", []Transition{fire, ack}, nil, func(t *testing.T, s State) {
			if a := s.Firing[id].Ack; a == nil || a.By != "ana" || a.Why != "on it" || !a.At.Equal(t0.Add(time.Minute)) {
				t.Errorf("got ack %+v, want ana's at t0+1m", a)
			}
		}},
		{"fire again keeps since and ack", []Transition{fire, ack, {Kind: Fired, ID: id, At: t0.Add(time.Hour), Alert: firingAlert(id, t0.Add(time.Hour))}}, nil,
			func(t *testing.T, s State) {
				if a := s.Firing[id]; !a.FiringSince.Equal(t0) || a.Ack == nil {
					t.Errorf("got since %v ack %v, want t0 and the ack kept", a.FiringSince, a.Ack)
				}
			}},
		{"unack", []Transition{fire, ack, {Kind: Unacked, ID: id, At: t0}}, nil, func(t *testing.T, s State) {
			if a := s.Firing[id]; a.Ack != nil {
				t.Errorf("got ack %+v, want none", a.Ack)
			}
		}},
		{"resolve ends the ack with the alert", []Transition{fire, ack, {Kind: Resolved, ID: id, At: t0}, fire}, nil, func(t *testing.T, s State) {
			if a := s.Firing[id]; a.Ack != nil {
				t.Errorf("got ack %+v on a new firing, want none", a.Ack)
			}
		}},
		{"resolve twice", []Transition{fire, {Kind: Resolved, ID: id, At: t0}, {Kind: Resolved, ID: id, At: t0}}, nil, func(t *testing.T, s State) {
			if len(s.Firing) != 0 {
				t.Errorf("got %d firing, want 0", len(s.Firing))
			}
		}},
		{"ack of an alert not firing", []Transition{ack}, ErrNotFiring, nil},
		{"ack by no one", []Transition{fire, {Kind: Acked, ID: id, At: t0}}, ErrInvalidTransition, nil},
		{"fire without the alert", []Transition{{Kind: Fired, ID: id, At: t0}}, ErrInvalidTransition, nil},
		{"fire of another ID", []Transition{{Kind: Fired, ID: "x", At: t0, Alert: firingAlert(id, t0)}}, ErrInvalidTransition, nil},
		{"no ID", []Transition{{Kind: Resolved, At: t0}}, ErrInvalidTransition, nil},
		{"unknown kind", []Transition{{Kind: "snooze", ID: id, At: t0}}, ErrInvalidTransition, nil},
		{"silence", []Transition{{Kind: Silenced, ID: id, At: t0, Until: t0.Add(time.Hour), By: "ana", Why: "maintenance"}}, nil,
			func(t *testing.T, s State) {
				if !s.Silenced(id, t0.Add(59*time.Minute)) || s.Silenced(id, t0.Add(time.Hour)) {
					t.Errorf("got silenced %v at 59m and %v at 60m, want true then false",
						s.Silenced(id, t0.Add(59*time.Minute)), s.Silenced(id, t0.Add(time.Hour)))
				}
			}},
		{"a silence must end after it starts", []Transition{{Kind: Silenced, ID: id, At: t0, Until: t0, By: "ana"}}, ErrInvalidTransition, nil},
		{"unsilence", []Transition{{Kind: Silenced, ID: id, At: t0, Until: t0.Add(time.Hour), By: "ana"}, {Kind: Unsilenced, ID: id, At: t0}}, nil,
			func(t *testing.T, s State) {
				if s.Silenced(id, t0) {
					t.Error("got silenced, want not")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewState()
			var err error
			for _, tr := range tt.ts {
				if err = s.Apply(tr); err != nil {
					break
				}
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// TestStateJSON: a state and a transition survive the JSON of a Raft
// command and a snapshot, and a clone shares nothing.
func TestStateJSON(t *testing.T) {
	const id = "RackOverBudget{rack=K1}"
	s := NewState()
	for _, tr := range []Transition{
		{Kind: Fired, ID: id, At: t0, Alert: firingAlert(id, t0)},
		{Kind: Acked, ID: id, At: t0, By: "ana", Why: "on it"},
		{Kind: Silenced, ID: id, At: t0, Until: t0.Add(time.Hour), By: "ana"},
	} {
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		var back Transition
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(back); err != nil {
			t.Fatalf("apply %s: got %v, want no error", tr.Kind, err)
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("got %+v, want %+v", back, s)
	}
	c := s.Clone()
	c.Firing[id].Ack.By = "bob"
	delete(c.Silences, id)
	if s.Firing[id].Ack.By != "ana" || len(s.Silences) != 1 {
		t.Errorf("got the original changed through its clone")
	}
}
