package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/whatif"
	"github.com/dcplane/dcplane/internal/inventory"
)

// ErrUnreachable is returned when no answer came from the controller at
// all: nothing listens there, the network is down, or the call timed out.
var ErrUnreachable = errors.New("api: cannot reach the controller")

// SchemeError reports a controller URL whose scheme the controller does not
// speak: https:// where it answers plain HTTP, or http:// where it answers
// only HTTPS. Another controller of the list would not answer better.
type SchemeError struct {
	URL    string // the URL as given, any password redacted
	Want   string // the same URL with the other scheme
	Answer string // what answered: AnswerPlainHTTP, AnswerHTTPSOnly or AnswerNotTLS
}

// What a SchemeError's controller answered.
const (
	AnswerPlainHTTP = "plain HTTP"
	AnswerHTTPSOnly = "only HTTPS"
	AnswerNotTLS    = "not TLS" // some other protocol, or HTTP in a way Go does not recognise
)

func (e *SchemeError) Error() string {
	if e.Answer == AnswerNotTLS {
		return fmt.Sprintf("api: the controller at %s does not answer TLS: if it serves plain HTTP, use %s", e.URL, e.Want)
	}
	return fmt.Sprintf("api: the controller at %s answers %s: use %s", e.URL, e.Answer, e.Want)
}

// schemeError returns the SchemeError of base if the request's error, or
// the answer's status and body, show that its scheme is the wrong one;
// else nil.
func schemeError(base *url.URL, err error, status int, body []byte) error {
	var answer string
	var rec tls.RecordHeaderError
	switch {
	case base.Scheme == "https" && errors.Is(err, http.ErrSchemeMismatch):
		answer = AnswerPlainHTTP
	case base.Scheme == "https" && errors.As(err, &rec):
		answer = AnswerNotTLS // "first record does not look like a TLS handshake"
	case base.Scheme == "http" && err == nil && status == http.StatusBadRequest &&
		bytes.Contains(body, []byte("HTTP request to an HTTPS server")):
		answer = AnswerHTTPSOnly // what Go's TLS server answers plain HTTP
	default:
		return nil
	}
	want := *base
	want.Scheme = map[string]string{"https": "http", "http": "https"}[base.Scheme]
	return &SchemeError{URL: base.Redacted(), Want: want.Redacted(), Answer: answer}
}

// Client talks to a controller cluster's API. It sends each request to one
// controller and moves on to the next of its list when that one does not
// answer, or to the leader a not-leader answer names; it sticks to the one
// that answered.
type Client struct {
	bases []*url.URL
	cur   atomic.Int32 // index in bases of the controller in use
	http  *http.Client
	token atomic.Pointer[string] // the bearer token sent, if any
}

// UseToken makes the client send secret as its bearer token on every
// request ("" sends none). The client never logs it, nor puts it in an
// error.
func (c *Client) UseToken(secret string) { c.token.Store(&secret) }

// NewClient returns a client of the controllers at baseURLs, a
// comma-separated list of http://host:port. A nil httpClient means one with
// a 30 s timeout.
func NewClient(baseURLs string, httpClient *http.Client) (*Client, error) {
	c := &Client{http: httpClient}
	for _, b := range strings.Split(baseURLs, ",") {
		u, err := parseBase(b)
		if err != nil {
			return nil, err
		}
		c.bases = append(c.bases, u)
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	return c, nil
}

func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: controller URL %q: want http://host:port", s)
	}
	return u, nil
}

// URL is the base URL of the controller in use, any password in it
// redacted.
func (c *Client) URL() string { return c.base().Redacted() }

func (c *Client) base() *url.URL { return c.bases[int(c.cur.Load())%len(c.bases)] }

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
// answer's *Problem. It tries the controller in use, then the leader a
// not-leader answer names, then the other controllers of the list in turn:
// on no answer (only for a request that is safe to send twice, or one that
// never left: the connection was refused), and on a 503 that says this node
// cannot serve it (not the leader, catching up, halted). When every
// controller said so, it waits a second (an election, a restart) and tries
// them once more.
func (c *Client) do(ctx context.Context, method, path, ctype string, body []byte, out any, headers ...string) error {
	again := method != http.MethodPost || slices.Contains(headers, "Idempotency-Key") || path == "/v1/telemetry"
	var err error
	for round := 0; round < 2; round++ {
		var busy bool
		if busy, err = c.round(ctx, again, method, path, ctype, body, out, headers); err == nil || !busy {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
	return err
}

// round tries each controller once (and a named leader once more), as do
// says. busy reports that the last error was a 503 that may pass.
func (c *Client) round(ctx context.Context, again bool, method, path, ctype string, body []byte, out any, headers []string) (busy bool, err error) {
	n, start := len(c.bases), int(c.cur.Load())
	var leader *url.URL
	for tried, hops := 0, 0; tried < n || leader != nil; {
		u, idx := leader, -1
		if u == nil {
			idx = (start + tried) % n
			u, tried = c.bases[idx], tried+1
		} else {
			leader, hops = nil, hops+1
			idx = slices.IndexFunc(c.bases, func(b *url.URL) bool { return b.String() == u.String() })
		}
		if err = c.send(ctx, u, method, path, ctype, body, out, headers); err == nil {
			if idx >= 0 {
				c.cur.Store(int32(idx))
			}
			return false, nil
		}
		if ctx.Err() != nil {
			return false, err
		}
		var p *Problem
		switch {
		case errors.As(err, &p) && p.Status == http.StatusServiceUnavailable &&
			(p.Type == ProblemNotLeader || p.Type == ProblemCatchingUp || p.Type == ProblemHalted):
			busy = true
			if lu, e := parseBase(p.Leader); p.Leader != "" && e == nil && hops == 0 && lu.String() != u.String() {
				leader = lu
			}
		case errors.Is(err, ErrUnreachable) && (again || refused(err)):
			busy = false
		default:
			return false, err
		}
	}
	return busy, err
}

// refused says whether a request failed before it was sent: the connection
// was not made.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// send sends one request to the controller at base.
func (c *Client) send(ctx context.Context, base *url.URL, method, path, ctype string, body []byte, out any, headers []string) error {
	u := base.String() + path
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("api: %s %s: %w", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", MediaJSON+", "+MediaProblem)
	if t := c.token.Load(); t != nil && *t != "" {
		req.Header.Set("Authorization", "Bearer "+*t)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if se := schemeError(base, err, 0, nil); se != nil {
		return se
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ctx.Err() == nil {
			err = ue.Err // the cause, without the URL repeated
		}
		return fmt.Errorf("%w at %s: %w", ErrUnreachable, base.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("api: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		if se := schemeError(base, nil, resp.StatusCode, data); se != nil {
			return se
		}
		return problemOf(resp, data)
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
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

// Cluster returns what the controller in use knows of the cluster. It is
// answered by that controller itself, even while it catches up.
func (c *Client) Cluster(ctx context.Context) (*ClusterStatus, error) {
	var out ClusterStatus
	return &out, c.do(ctx, http.MethodGet, "/v1/cluster", "", nil, &out)
}

// Join adds a node to the cluster; joining again is harmless.
func (c *Client) Join(ctx context.Context, req JoinRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("api: encode join request: %w", err)
	}
	return c.do(ctx, http.MethodPost, "/v1/cluster/join", MediaJSON, body, nil, "Idempotency-Key", "join-"+req.ID)
}

// RemoveNode takes a node out of the cluster.
func (c *Client) RemoveNode(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/cluster/members/"+url.PathEscape(id), "", nil, nil)
}

// TransferLeadership asks the leader to hand over to another voter.
func (c *Client) TransferLeadership(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/cluster/transfer-leadership", "", nil, nil)
}

// Snapshot returns a backup of the whole replicated state.
func (c *Client) Snapshot(ctx context.Context) ([]byte, error) {
	var out []byte
	return out, c.do(ctx, http.MethodGet, "/v1/cluster/snapshot", "", nil, &out)
}

// RestoreSnapshot replaces the state on every node with a backup's.
func (c *Client) RestoreSnapshot(ctx context.Context, snap []byte) error {
	return c.do(ctx, http.MethodPut, "/v1/cluster/snapshot", MediaJSON, snap, nil)
}

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Site returns the replicated inventory, as the controller in use has it.
func (c *Client) Site(ctx context.Context) (*inventory.Site, error) {
	var out inventory.Site
	return &out, c.do(ctx, http.MethodGet, "/v1/inventory", "", nil, &out)
}
