package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/whatif"
)

// ErrUnreachable is returned when no answer came from the controller at
// all: nothing listens there, the network is down, or the call timed out.
var ErrUnreachable = errors.New("api: cannot reach the controller")

// Client talks to a controller's API.
type Client struct {
	base *url.URL
	http *http.Client
}

// NewClient returns a client of the controller at baseURL (http://host:port).
// A nil httpClient means one with a 30 s timeout.
func NewClient(baseURL string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: controller URL %q: want http://host:port", baseURL)
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: u, http: httpClient}, nil
}

// URL is the controller's base URL, any password in it redacted.
func (c *Client) URL() string { return c.base.Redacted() }

// RackFilter narrows GET /v1/racks; empty fields match everything.
type RackFilter struct{ Hall, Row, Status string }

// Racks lists racks with their draw against budget.
func (c *Client) Racks(ctx context.Context, f RackFilter) (*RackList, error) {
	q := url.Values{}
	for k, v := range map[string]string{"hall": f.Hall, "row": f.Row, "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out RackList
	return &out, c.do(ctx, http.MethodGet, "/v1/racks?"+q.Encode(), "", nil, &out)
}

// Rack returns one rack.
func (c *Client) Rack(ctx context.Context, id string) (*power.Rack, error) {
	var out power.Rack
	return &out, c.do(ctx, http.MethodGet, "/v1/racks/"+url.PathEscape(id), "", nil, &out)
}

// Power returns the site, hall and row rollups.
func (c *Client) Power(ctx context.Context) (*PowerSummary, error) {
	var out PowerSummary
	return &out, c.do(ctx, http.MethodGet, "/v1/power", "", nil, &out)
}

// PutInventory replaces the site inventory with the YAML (or JSON) document.
func (c *Client) PutInventory(ctx context.Context, doc []byte) (*InventoryResult, error) {
	var out InventoryResult
	return &out, c.do(ctx, http.MethodPut, "/v1/inventory", MediaYAML, doc, &out)
}

// Push sends a batch of polls, CBOR-encoded and gzip-compressed.
func (c *Client) Push(ctx context.Context, b *Batch) (*IngestResult, error) {
	body, err := EncodeBatch(b)
	if err != nil {
		return nil, err
	}
	var out IngestResult
	return &out, c.do(ctx, http.MethodPost, "/v1/telemetry", MediaCBOR, body, &out, "Content-Encoding", "gzip")
}

// EncodeBatch encodes a batch as Push sends it: CBOR, then gzip. The
// readings' repeated metric and scope names compress well.
func EncodeBatch(b *Batch) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := cbor.NewEncoder(zw).Encode(b); err != nil {
		return nil, fmt.Errorf("api: encode batch: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("api: encode batch: %w", err)
	}
	return buf.Bytes(), nil
}

// do sends a request and decodes a JSON answer into out, or returns the
// answer's *Problem.
func (c *Client) do(ctx context.Context, method, path, ctype string, body []byte, out any, headers ...string) error {
	u := c.base.String() + path
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("api: %s %s: %w", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", MediaJSON+", "+MediaProblem)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ctx.Err() == nil {
			err = ue.Err // the cause, without the URL repeated
		}
		return fmt.Errorf("%w at %s: %w", ErrUnreachable, c.base.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("api: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return problemOf(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("api: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func problemOf(resp *http.Response, data []byte) error {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var p Problem
	if mt == MediaProblem && json.Unmarshal(data, &p) == nil && p.Status != 0 {
		return &p
	}
	return &Problem{Type: "about:blank", Title: http.StatusText(resp.StatusCode), Status: resp.StatusCode,
		Detail: strings.TrimSpace(string(data[:min(len(data), 512)]))}
}

// PlaceOptions are the query switches of a placement request.
type PlaceOptions struct {
	DryRun, Explain bool
	// Key is the Idempotency-Key: the same request sent again with the
	// same key gets the first answer and places nothing twice.
	Key string
}

// Place asks for a placement (or a dry run of one).
func (c *Client) Place(ctx context.Context, req *PlacementRequest, o PlaceOptions) (*Placement, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("api: encode placement request: %w", err)
	}
	q := url.Values{}
	if o.DryRun {
		q.Set("dry_run", "true")
	}
	if o.Explain {
		q.Set("explain", "true")
	}
	var out Placement
	return &out, c.do(ctx, http.MethodPost, "/v1/placements?"+q.Encode(), MediaJSON, body, &out, idempotency(o.Key)...)
}

// Reserve asks for a reservation that holds for req.TTL unless confirmed.
func (c *Client) Reserve(ctx context.Context, req *PlacementRequest, key string) (*Placement, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("api: encode reservation request: %w", err)
	}
	var out Placement
	return &out, c.do(ctx, http.MethodPost, "/v1/reservations", MediaJSON, body, &out, idempotency(key)...)
}

func idempotency(key string) []string {
	if key == "" {
		return nil
	}
	return []string{"Idempotency-Key", key}
}

// Placements lists placements and reservations, of one system if not "".
func (c *Client) Placements(ctx context.Context, system string) (*PlacementList, error) {
	q := url.Values{}
	if system != "" {
		q.Set("system", system)
	}
	var out PlacementList
	return &out, c.do(ctx, http.MethodGet, "/v1/placements?"+q.Encode(), "", nil, &out)
}

// Placement returns one placement or reservation.
func (c *Client) Placement(ctx context.Context, id string) (*Placement, error) {
	var out Placement
	return &out, c.do(ctx, http.MethodGet, "/v1/placements/"+url.PathEscape(id), "", nil, &out)
}

// RemovePlacement removes a placement or reservation.
func (c *Client) RemovePlacement(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/placements/"+url.PathEscape(id), "", nil, nil)
}

// ConfirmReservation turns a reservation into a placement.
func (c *Client) ConfirmReservation(ctx context.Context, id string) (*Placement, error) {
	var out Placement
	return &out, c.do(ctx, http.MethodPost, "/v1/reservations/"+url.PathEscape(id)+"/confirm", "", nil, &out)
}

// WhatIfFeedOff asks what would break if feed were switched off (in hall,
// or everywhere when hall is "").
func (c *Client) WhatIfFeedOff(ctx context.Context, feed, hall string) (*whatif.Report, error) {
	q := url.Values{"feed": {feed}}
	if hall != "" {
		q.Set("hall", hall)
	}
	var out whatif.Report
	return &out, c.do(ctx, http.MethodGet, "/v1/whatif/feed-off?"+q.Encode(), "", nil, &out)
}

// WhatIfCoolingOff asks what would break if a cooling unit failed.
func (c *Client) WhatIfCoolingOff(ctx context.Context, unit string) (*whatif.Report, error) {
	var out whatif.Report
	return &out, c.do(ctx, http.MethodGet, "/v1/whatif/cooling-off?"+url.Values{"unit": {unit}}.Encode(), "", nil, &out)
}
