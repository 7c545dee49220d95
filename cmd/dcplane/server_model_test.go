package main

import (
	"testing"

	"github.com/dcplane/dcplane/api"
)

// TestModelOf checks the MODEL W column of 'server ls': the figures
// placement uses, those a measurement set marked, unknown as "-".
func TestModelOf(t *testing.T) {
	w := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		m    *api.PowerModel
		want string
	}{
		{"no model", nil, "-"},
		{"declared", &api.PowerModel{IdleWatts: 72.3, MaxWatts: w(393)}, "72/393"},
		{"maximum measured", &api.PowerModel{IdleWatts: 72.3, MaxWatts: w(520), MaxMeasured: true}, "72/520*"},
		{"idle measured", &api.PowerModel{IdleWatts: 61, IdleMeasured: true, MaxWatts: w(393)}, "61*/393"},
		{"no maximum", &api.PowerModel{IdleWatts: 90}, "90/-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := modelOf(tt.m); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
