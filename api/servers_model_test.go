package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/calibration"
	"github.com/dcplane/dcplane/controller/state"
)

// The controller's node shows its power models on /v1/servers.
var _ api.PowerModeler = (*controller.Node)(nil)

// fakeModeler is fakeServerer with power models: S1's maximum calibrated
// by a measurement, S2 declared without a maximum and never measured.
type fakeModeler struct{ fakeServerer }

var measuredAt = time.Date(2026, 12, 1, 0, 5, 0, 0, time.UTC)

func (fakeModeler) ServerPower(id string) (state.ServerPower, bool) {
	switch id {
	case "S1":
		return state.ServerPower{
			Declared:   calibration.Model{IdleWatts: 120, MaxWatts: 400},
			Calibrated: calibration.Model{IdleWatts: 120, MaxWatts: 455, MaxMeasured: true},
			Measured:   calibration.Observed{MinWatts: 150, MaxWatts: 455, Known: true},
			MeasuredAt: measuredAt,
		}, true
	case "S2":
		return state.ServerPower{Declared: calibration.Model{IdleWatts: 90}, Calibrated: calibration.Model{IdleWatts: 90}}, true
	}
	return state.ServerPower{}, false
}

// TestServersPowerModel checks that GET /v1/servers shows placement's
// power model next to the declared one, with what was measured, unknown
// figures as null, and that the answer matches openapi.yaml.
func TestServersPowerModel(t *testing.T) {
	ts := httptest.NewServer(api.NewServer(&fakeModeler{}, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer ts.Close()
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Servers(t.Context(), "K1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PowerModel == nil || got[1].PowerModel == nil {
		t.Fatalf("got %+v, want two servers with power models", got)
	}
	m := got[0].PowerModel
	if m.DeclaredMaxWatts == nil || *m.DeclaredMaxWatts != 400 || m.MaxWatts == nil || *m.MaxWatts != 455 || !m.MaxMeasured ||
		m.IdleMeasured || m.IdleWatts != 120 || m.DeclaredIdleWatts != 120 ||
		m.MeasuredMaxWatts == nil || *m.MeasuredMaxWatts != 455 || m.MeasuredMinWatts == nil || *m.MeasuredMinWatts != 150 ||
		!m.MeasuredAt.Equal(measuredAt) {
		t.Errorf("S1: got %+v, want declared 120–400 W calibrated to 120–455 W, measured 150–455 W at %v", m, measuredAt)
	}
	if m := got[1].PowerModel; m.DeclaredMaxWatts != nil || m.MaxWatts != nil || m.MeasuredMaxWatts != nil || m.MeasuredMinWatts != nil ||
		!m.MeasuredAt.IsZero() || m.IdleWatts != 90 {
		t.Errorf("S2: got %+v, want no maximum and nothing measured: null, not 0", m)
	}
	h := api.NewServer(&fakeModeler{}, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	status, body, _ := do(t, specRouter(t), h, call{method: http.MethodGet, path: "/v1/servers?rack=K1"})
	var raw struct {
		Servers []map[string]json.RawMessage `json:"servers"`
	}
	if err := json.Unmarshal(body, &raw); status != http.StatusOK || err != nil || len(raw.Servers) != 2 {
		t.Fatalf("got %d %s, %v", status, body, err)
	}
	if pm := string(raw.Servers[1]["power_model"]); !strings.Contains(pm, `"max_watts":null`) || !strings.Contains(pm, `"declared_max_watts":null`) {
		t.Errorf("S2's power_model: got %s, want its unknown maximum as null", pm)
	}
}

// TestServersWithoutPowerModel checks that a Serverer without power
// models answers as before: no power_model.
func TestServersWithoutPowerModel(t *testing.T) {
	ts := httptest.NewServer(api.NewServer(&fakeServerer{}, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer ts.Close()
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Servers(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if s.PowerModel != nil {
			t.Errorf("%s: got %+v, want no power model", s.ID, s.PowerModel)
		}
	}
}
