package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
)

// Alerts lists the pending and firing alerts that pass f.
func (c *Client) Alerts(ctx context.Context, f AlertFilter) (*AlertList, error) {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "severity": f.Severity, "rule": f.Rule,
		"hall": f.Hall, "row": f.Row, "rack": f.Rack} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out AlertList
	return &out, c.do(ctx, http.MethodGet, "/v1/alerts?"+q.Encode(), "", nil, &out)
}

// AckAlert acknowledges the firing alert id as by, with a reason.
func (c *Client) AckAlert(ctx context.Context, id, by, reason string) (*alerts.Alert, error) {
	body, err := json.Marshal(AckRequest{Reason: reason})
	if err != nil {
		return nil, fmt.Errorf("api: encode ack: %w", err)
	}
	var out alerts.Alert
	return &out, c.do(ctx, http.MethodPost, "/v1/alerts/"+url.PathEscape(id)+"/ack", MediaJSON, body, &out, HeaderUser, by)
}

// SilenceAlert silences notifications of alert id for d, as by, with a
// reason.
func (c *Client) SilenceAlert(ctx context.Context, id, by, reason string, d time.Duration) (*alerts.Silence, error) {
	body, err := json.Marshal(SilenceRequest{For: d.String(), Reason: reason})
	if err != nil {
		return nil, fmt.Errorf("api: encode silence: %w", err)
	}
	var out alerts.Silence
	return &out, c.do(ctx, http.MethodPost, "/v1/alerts/"+url.PathEscape(id)+"/silence", MediaJSON, body, &out, HeaderUser, by)
}

// Forecast returns the days-to-full of the racks, rows and halls that pass f.
func (c *Client) Forecast(ctx context.Context, f ForecastFilter) (*ForecastReport, error) {
	q := url.Values{}
	if f.Hall != "" {
		q.Set("hall", f.Hall)
	}
	if f.Row != "" {
		q.Set("row", f.Row)
	}
	var out ForecastReport
	return &out, c.do(ctx, http.MethodGet, "/v1/forecast?"+q.Encode(), "", nil, &out)
}
