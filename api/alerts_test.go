package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/power"
)

const alertID = "RackOverBudget{site=s,hall=H1,row=R1,rack=K1}"

// fakeAlerter is a Controller, an Alerter and a Forecaster with canned
// answers; it records the last ack or silence.
type fakeAlerter struct {
	fakeController
	by, why string
	d       time.Duration
}

func sampleAlerts() []alerts.Alert {
	ack := &alerts.Ack{By: "ann", At: at, Why: "on it"}
	return []alerts.Alert{
		{ID: alertID, Rule: alerts.RackOverBudget, Severity: alerts.Critical, Status: alerts.StatusFiring,
			Object: alerts.Object{Kind: alerts.KindRack, Site: "s", Hall: "H1", Row: "R1", Rack: "K1"}, Value: 16500, Limit: 15000, Unit: "W",
			Summary: "over", Runbook: "shed", ActiveSince: at, FiringSince: at, Ack: ack},
		{ID: "RackPowerWarning{site=s,hall=H2,row=R2,rack=K2}", Rule: alerts.RackPowerWarning, Severity: alerts.Warning, Status: alerts.StatusPending,
			Object: alerts.Object{Kind: alerts.KindRack, Site: "s", Hall: "H2", Row: "R2", Rack: "K2"}, Value: 12500, Limit: 12000, Unit: "W",
			Summary: "near", Runbook: "look", ActiveSince: at},
	}
}

func (f *fakeAlerter) Alerts(context.Context) (*api.AlertList, error) {
	return &api.AlertList{At: at, Alerts: sampleAlerts()}, nil
}

func (f *fakeAlerter) AckAlert(_ context.Context, id, by, why string) (*alerts.Alert, error) {
	if id != alertID {
		return nil, alerts.ErrNotFiring
	}
	f.by, f.why = by, why
	a := sampleAlerts()[0]
	a.Ack = &alerts.Ack{By: by, At: at, Why: why}
	return &a, nil
}

func (f *fakeAlerter) SilenceAlert(_ context.Context, id, by, why string, d time.Duration) (*alerts.Silence, error) {
	if !strings.HasPrefix(id, "Rack") {
		return nil, api.ErrUnknownRule
	}
	f.by, f.why, f.d = by, why, d
	return &alerts.Silence{By: by, At: at, Until: at.Add(d), Why: why}, nil
}

func (f *fakeAlerter) Forecast(context.Context) (*api.ForecastReport, error) {
	days, peak := 12, 15100.0
	return &api.ForecastReport{At: at, HistorySince: at.Add(-30 * 24 * time.Hour), HorizonDays: 90, Objects: []api.ForecastObject{
		{Kind: "hall", ID: "H1", Status: api.ForecastBeyond, BudgetWatts: 30000, PeakWatts: &peak, HistoryDays: 30},
		{Kind: "row", ID: "R1", Hall: "H1", Status: api.ForecastBeyond, BudgetWatts: 30000, PeakWatts: &peak, HistoryDays: 30},
		{Kind: "rack", ID: "K1", Hall: "H1", Row: "R1", Status: api.ForecastWithin, DaysToFull: &days, BudgetWatts: 15000, PeakWatts: &peak, HistoryDays: 30},
		{Kind: "rack", ID: "K2", Hall: "H2", Row: "R2", Status: api.ForecastUnknown, BudgetWatts: 15000, HistoryDays: 1, Why: "1 day"},
	}}, nil
}

func TestAlertEndpoints(t *testing.T) {
	router := specRouter(t)
	fa := &fakeAlerter{fakeController: fakeController{report: func() (*power.Report, error) { return sampleReport(), nil }}}
	srv := api.NewServer(fa, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	esc := "/v1/alerts/RackOverBudget%7Bsite=s,hall=H1,row=R1,rack=K1%7D"
	tests := []struct {
		name       string
		call       call
		user       string
		wantStatus int
		wantIn     []string
		wantOut    []string // substrings the body must not have
	}{
		{"list", call{method: "GET", path: "/v1/alerts"}, "", 200, []string{alertID, `"by":"ann"`, "RackPowerWarning"}, nil},
		{"list firing", call{method: "GET", path: "/v1/alerts?status=firing"}, "", 200, []string{alertID}, []string{"RackPowerWarning"}},
		{"list by hall", call{method: "GET", path: "/v1/alerts?hall=H2"}, "", 200, []string{"RackPowerWarning"}, []string{alertID}},
		{"list by rack and rule", call{method: "GET", path: "/v1/alerts?rack=K1&rule=RackOverBudget&severity=critical"}, "", 200, []string{alertID}, []string{"K2"}},
		{"unknown rule", call{method: "GET", path: "/v1/alerts?rule=Nope"}, "", 422, []string{`"field":"rule"`}, nil},
		{"bad severity", call{method: "GET", path: "/v1/alerts?severity=page"}, "", 422, []string{`"field":"severity"`}, nil},
		{"ack", call{method: "POST", path: esc + "/ack", ctype: api.MediaJSON, body: []byte(`{"reason":"moving load"}`)}, "bob", 200,
			[]string{`"by":"bob"`, `"why":"moving load"`}, nil},
		{"ack without body", call{method: "POST", path: esc + "/ack"}, "bob", 200, []string{`"by":"bob"`}, nil},
		{"ack not firing", call{method: "POST", path: "/v1/alerts/TelemetryStale%7B%7D/ack"}, "bob", 404, []string{`"field":"id"`}, nil},
		{"ack without user", call{method: "POST", path: esc + "/ack"}, "", 422, []string{`"field":"X-Dcplane-User"`}, nil},
		{"ack with a long reason", call{method: "POST", path: esc + "/ack", ctype: api.MediaJSON,
			body: []byte(`{"reason":"` + strings.Repeat("x", 1025) + `"}`)}, "bob", 422, []string{`"field":"reason"`}, nil},
		{"ack not JSON", call{method: "POST", path: esc + "/ack", ctype: "text/plain", body: []byte(`x`)}, "bob", 415, nil, nil},
		{"silence", call{method: "POST", path: esc + "/silence", ctype: api.MediaJSON, body: []byte(`{"for":"2h","reason":"works"}`)}, "bob", 200,
			[]string{`"until":"2026-11-23T14:00:00Z"`}, nil},
		{"silence for nothing", call{method: "POST", path: esc + "/silence", ctype: api.MediaJSON, body: []byte(`{"for":"0s"}`)}, "bob", 422,
			[]string{`"field":"for"`}, nil},
		{"silence too long", call{method: "POST", path: esc + "/silence", ctype: api.MediaJSON, body: []byte(`{"for":"721h"}`)}, "bob", 422,
			[]string{`"field":"for"`}, nil},
		{"silence of no rule", call{method: "POST", path: "/v1/alerts/Nope%7B%7D/silence", ctype: api.MediaJSON, body: []byte(`{"for":"1h"}`)}, "bob", 422,
			[]string{`"field":"id"`}, nil},
		{"forecast", call{method: "GET", path: "/v1/forecast"}, "", 200, []string{`"days_to_full":12`, `"why":"1 day"`}, nil},
		{"forecast of a hall", call{method: "GET", path: "/v1/forecast?hall=H1"}, "", 200, []string{`"id":"H1"`, `"id":"R1"`, `"id":"K1"`}, []string{`"id":"K2"`}},
		{"forecast of a row", call{method: "GET", path: "/v1/forecast?row=R1"}, "", 200, []string{`"id":"R1"`, `"id":"K1"`}, []string{`"id":"H1"`, `"id":"K2"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Handler(srv)
			if tt.user != "" {
				h = withHeader(srv, api.HeaderUser, tt.user)
			}
			status, body, _ := do(t, router, h, tt.call)
			if status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", status, body, tt.wantStatus)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(string(body), w) {
					t.Errorf("got %s, want %s in it", body, w)
				}
			}
			for _, w := range tt.wantOut {
				if strings.Contains(string(body), w) {
					t.Errorf("got %s, want no %s in it", body, w)
				}
			}
		})
	}
	if fa.by != "bob" || fa.d != 2*time.Hour || fa.why != "works" {
		t.Errorf("last silence: got %q, %v, %q, want bob's for 2h, works", fa.by, fa.d, fa.why)
	}
}

// withHeader sets a request header before h serves the request.
func withHeader(h http.Handler, k, v string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set(k, v)
		h.ServeHTTP(w, r)
	})
}

// TestAlertClient drives the endpoints through the Go client, which sends
// the user and escapes the ID.
func TestAlertClient(t *testing.T) {
	fa := &fakeAlerter{fakeController: fakeController{report: func() (*power.Report, error) { return sampleReport(), nil }}}
	ts := httptest.NewServer(api.NewServer(fa, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer ts.Close()
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if l, err := c.Alerts(ctx, api.AlertFilter{Severity: "warning"}); err != nil || len(l.Alerts) != 1 {
		t.Errorf("alerts: got %+v, %v, want the warning", l, err)
	}
	if a, err := c.AckAlert(ctx, alertID, "ann", "why"); err != nil || a.Ack.By != "ann" || fa.why != "why" {
		t.Errorf("ack: got %+v, %v, want ann's", a, err)
	}
	if s, err := c.SilenceAlert(ctx, alertID, "ann", "", 90*time.Minute); err != nil || fa.d != 90*time.Minute || s.By != "ann" {
		t.Errorf("silence: got %+v, %v (%v), want 90m", s, err, fa.d)
	}
	if f, err := c.Forecast(ctx, api.ForecastFilter{Row: "R2"}); err != nil || len(f.Objects) != 1 || f.Objects[0].ID != "K2" {
		t.Errorf("forecast of R2: got %+v, %v, want K2 alone", f, err)
	}
}
