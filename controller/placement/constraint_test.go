package placement

import (
	"slices"
	"testing"
)

// TestInfeasibleConstraint: a refusal names its binding constraint as a
// value, one of Constraints, so that refusals can be counted by reason
// without parsing Binding; a cluster without servers names none.
func TestInfeasibleConstraint(t *testing.T) {
	tests := []struct {
		name string
		c    *Cluster
		req  Request
		want string
	}{
		{"over the rack's budget", cluster(1, rack2N("K1", 0, 1000)), Request{Name: "w", Replicas: 1, Watts: 1100}, "rack-power"},
		{"more CPU than a server has", cluster(1, rack2N("K1", 0, 10000)),
			Request{Name: "w", Replicas: 1, Watts: 100, CPUMillicores: 1 << 30}, "cpu"},
		{"no server", &Cluster{}, req(1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, inf := place(t, tt.c, tt.req)
			if inf == nil {
				t.Fatal("got a placement, want a refusal")
			}
			if inf.Constraint != tt.want {
				t.Errorf("got constraint %q (%s), want %q", inf.Constraint, inf.Binding, tt.want)
			}
			if tt.want != "" && !slices.Contains(Constraints(), tt.want) {
				t.Errorf("got Constraints() %v, want it to hold %q", Constraints(), tt.want)
			}
		})
	}
	if got := Constraints(); len(got) != int(nConstraints) || got[cRackPower] != "rack-power" {
		t.Errorf("got Constraints() %v, want the %d names in order", got, nConstraints)
	}
}
