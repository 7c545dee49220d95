package calibration

import (
	"math"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// observe folds readings into an Observed.
func observe(ws ...float64) Observed {
	var o Observed
	for _, w := range ws {
		o = o.Add(w)
	}
	return o
}

// TestObservedAdd checks that only draws of a server that is on count.
func TestObservedAdd(t *testing.T) {
	tests := []struct {
		name string
		ws   []float64
		want Observed
	}{
		{"nothing", nil, Observed{}},
		{"one reading", []float64{250}, Observed{MinWatts: 250, MaxWatts: 250, Known: true}},
		{"its lowest and highest", []float64{250, 410, 180, 300}, Observed{MinWatts: 180, MaxWatts: 410, Known: true}},
		{"off, unknown, absurd: not counted", []float64{0, 250, -5, math.NaN(), math.Inf(1), 0, 310}, Observed{MinWatts: 250, MaxWatts: 310, Known: true}},
		{"only a server that is off", []float64{0, 0}, Observed{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := observe(tt.ws...); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestCalibrate checks that a measurement moves a declared figure only
// where it proves it wrong, and in the one direction it proves.
func TestCalibrate(t *testing.T) {
	declared := Model{IdleWatts: 120, MaxWatts: 400}
	tests := []struct {
		name string
		d    Model
		o    Observed
		want Model
	}{
		{"nothing measured: declared", declared, Observed{}, declared},
		{"within the model: declared", declared, observe(150, 380), declared},
		{"drew more than its maximum: raised", declared, observe(150, 455), Model{IdleWatts: 120, MaxWatts: 455, MaxMeasured: true}},
		{"drew less than its idle: lowered", declared, observe(95, 300), Model{IdleWatts: 95, MaxWatts: 400, IdleMeasured: true}},
		{"both", declared, observe(95, 455), Model{IdleWatts: 95, MaxWatts: 455, IdleMeasured: true, MaxMeasured: true}},
		{"never ran at full load: the maximum stays", declared, observe(130, 200), declared},
		{"an unknown maximum stays unknown", Model{IdleWatts: 120}, observe(100, 455), Model{IdleWatts: 100, IdleMeasured: true}},
		{"a lowest draw of 0 says nothing", declared, Observed{MinWatts: 0, MaxWatts: 300, Known: true}, declared},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Calibrate(tt.d, tt.o); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDeclared checks the declared model: idle and maximum, and no
// nameplate for a maximum the server lacks.
func TestDeclared(t *testing.T) {
	tests := []struct {
		s    inventory.Server
		want Model
	}{
		{inventory.Server{IdleW: 110, MaxW: 420, NameplateW: 750}, Model{IdleWatts: 110, MaxWatts: 420}},
		{inventory.Server{IdleW: 110, NameplateW: 750}, Model{IdleWatts: 110}},
	}
	for _, tt := range tests {
		if got := Declared(&tt.s); got != tt.want {
			t.Errorf("Declared(%+v): got %+v, want %+v", tt.s, got, tt.want)
		}
	}
}
