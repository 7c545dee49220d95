package api

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/dcplane/dcplane/internal/tlsutil"
)

// Limit bounds what one client (a principal) may ask of the API: a token
// bucket of Rate requests a second that holds Burst, and at most InFlight
// requests at once. A zero field does not limit.
type Limit struct {
	Rate     float64
	Burst    int
	InFlight int
}

// Limits are the API's per-client limits: one for pushes of telemetry,
// one for every other call. A client is a token, a certificate, or, on
// the routes that need no credentials, an address. Each client has its
// own bucket, so that one flooding the API meets 429 while the others are
// served.
type Limits struct {
	API    Limit
	Ingest Limit
	// Guesses bounds, per address, the bearer tokens that fail to
	// authenticate: once an address has spent its burst, every call from
	// it that carries a token is refused with 429 (before the token is
	// looked at, so a right guess is not served either) until its bucket
	// refills. Certificates are not guessed, and are not held to it.
	Guesses Limit
}

// DefaultLimits are the limits NewServer applies unless WithLimits says
// otherwise. An agent pushes its polls' results as they come in, at most 5
// times a second (agent.Config.PushGap), and drains a backlog after an
// outage: up to 10 pushes a second (a burst of 50 first); no more than 4
// of its pushes are served at once. Other clients may make 10,000 calls a
// second with 256 in flight: a scheduler placing thousands of workloads a
// second through one token stays within them, a runaway loop does not.
func DefaultLimits() Limits {
	return Limits{
		API:     Limit{Rate: 10000, Burst: 10000, InFlight: 256},
		Ingest:  Limit{Rate: 10, Burst: 50, InFlight: 4},
		Guesses: Limit{Rate: 1, Burst: 20},
	}
}

// WithLimits sets the per-client limits (DefaultLimits otherwise).
func WithLimits(l Limits) ServerOption { return func(s *Server) { s.limits = l } }

// WithRegisterer registers the API's own metrics (what it refused for its
// limits) on reg.
func WithRegisterer(reg prometheus.Registerer) ServerOption {
	return func(s *Server) { s.reg = reg }
}

// ProblemTooManyRequests is the problem type of a call over its client's
// limits.
const ProblemTooManyRequests = "urn:dcplane:problem:too-many-requests"

// maxClients bounds how many clients the limiter remembers; past it, idle
// ones are forgotten, and if none is idle, new ones share one bucket.
const maxClients = 10000

// clientIdle is how long a client with nothing in flight is remembered.
const clientIdle = time.Minute

// limiter applies one Limit to each client.
type limiter struct {
	limit   Limit
	class   string // "api" or "ingest", for the metric
	refused *prometheus.CounterVec
	max     int // clients remembered: maxClients
	mu      sync.Mutex
	clients map[string]*client
}

// client is one client's bucket and requests in flight.
type client struct {
	bucket   *rate.Limiter
	inFlight int
	last     time.Time
}

func newLimiter(l Limit, class string, refused *prometheus.CounterVec) *limiter {
	return &limiter{limit: l, class: class, refused: refused, max: maxClients, clients: map[string]*client{}}
}

// admit takes a request of key (whose kind labels the metric) at now. It
// returns the function that ends the request, or how long the client
// should wait and which limit refused it.
func (l *limiter) admit(key, kind string, now time.Time) (done func(), wait time.Duration, which string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.client(key, now)
	c.last = now
	if l.limit.InFlight > 0 && c.inFlight >= l.limit.InFlight {
		l.refused.WithLabelValues(l.class, kind, "in-flight").Inc()
		return nil, time.Second, "in-flight"
	}
	if c.bucket != nil {
		r := c.bucket.ReserveN(now, 1)
		if d := r.DelayFrom(now); !r.OK() || d > 0 {
			r.CancelAt(now)
			l.refused.WithLabelValues(l.class, kind, "rate").Inc()
			return nil, max(d, time.Second), "rate"
		}
	}
	c.inFlight++
	return func() {
		l.mu.Lock()
		c.inFlight--
		l.mu.Unlock()
	}, 0, ""
}

// client returns key's client, made if new; l.mu is held.
func (l *limiter) client(key string, now time.Time) *client {
	if c := l.clients[key]; c != nil {
		return c
	}
	if len(l.clients) >= l.max {
		for k, c := range l.clients {
			if c.inFlight == 0 && now.Sub(c.last) > clientIdle {
				delete(l.clients, k)
			}
		}
		if len(l.clients) >= l.max {
			key = "overflow"
			if c := l.clients[key]; c != nil {
				return c
			}
		}
	}
	c := &client{}
	if l.limit.Rate > 0 {
		c.bucket = rate.NewLimiter(rate.Limit(l.limit.Rate), max(l.limit.Burst, 1))
	}
	l.clients[key] = c
	return c
}

// limits holds the server's limiters. Calls known only by their address
// have a table of their own (anon), so that a caller with many addresses
// fills that one and never pushes the principals' clients into the
// shared overflow bucket.
type limits struct {
	api, anon, ingest, guesses *limiter
}

func newLimits(l Limits, reg prometheus.Registerer) *limits {
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dcplane_api_throttled_requests_total",
		Help: "Requests refused with 429 for their client's limits, by class (api, ingest, auth), kind of client (token, cert, address) and limit (rate, in-flight, guesses: an address past its bearer tokens that failed).",
	}, []string{"class", "kind", "limit"})
	if reg != nil {
		reg.MustRegister(refused)
	}
	return &limits{api: newLimiter(l.API, "api", refused), anon: newLimiter(l.API, "api", refused),
		ingest: newLimiter(l.Ingest, "ingest", refused), guesses: newLimiter(l.Guesses, "auth", refused)}
}

// spent says whether key's bucket is empty at now, without taking from it.
func (l *limiter) spent(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[key]
	if c == nil || c.bucket == nil || c.bucket.TokensAt(now) >= 1 {
		return false, 0
	}
	return true, max(time.Duration((1-c.bucket.TokensAt(now))/float64(l.limit.Rate)*float64(time.Second)), time.Second)
}

// take takes one from key's bucket at now (which may go below empty: the
// guesses a spent address keeps making delay its release).
func (l *limiter) take(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.client(key, now)
	c.last = now
	if c.bucket != nil {
		c.bucket.AllowN(now, 1)
	}
}

// refuseGuesser answers 429 and returns true when r carries a bearer
// token and its address has spent its Guesses: a caller trying tokens
// gets no answer about any of them until its bucket refills.
func (s *Server) refuseGuesser(w http.ResponseWriter, r *http.Request) bool {
	if s.lim.guesses.limit.Rate <= 0 || r.Header.Get("Authorization") == "" {
		return false
	}
	key := guesser(r)
	spent, wait := s.lim.guesses.spent(key, time.Now())
	if !spent {
		return false
	}
	s.lim.guesses.refused.WithLabelValues("auth", "address", "guesses").Inc()
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.problem(w, r, &Problem{Type: ProblemTooManyRequests, Title: "Too many requests", Status: http.StatusTooManyRequests,
		Detail: fmt.Sprintf("%s sent more bearer tokens that are not this cluster's than %g a second (burst %d); calls with a token from it are refused for %d s",
			key, s.lim.guesses.limit.Rate, s.lim.guesses.limit.Burst, secs)})
	return true
}

// guessed counts a call of r's that failed to authenticate against its
// address's Guesses.
func (s *Server) guessed(r *http.Request) {
	if s.lim.guesses.limit.Rate > 0 && r.Header.Get("Authorization") != "" {
		s.lim.guesses.take(guesser(r), time.Now())
	}
}

// guesser names, for the Guesses limit, the address r's token came from:
// its caller's, or, for a call a follower forwarded (vouched for by its
// controller certificate), the address the follower took it from, so that
// one client's guesses through a follower do not spend the follower's
// bucket for every client it forwards.
func guesser(r *http.Request) string {
	if r.Header.Get(HeaderForwarded) != "" && r.TLS != nil {
		if role, err := tlsutil.PeerRole(r.TLS); err == nil && Role(role) == RoleController {
			first, _, _ := strings.Cut(r.Header.Get("X-Forwarded-For"), ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return addressKey(a.String())
			}
		}
	}
	return addressOf(r)
}

// statusOf remembers the status written through it.
type statusOf struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController (the reverse proxy's flushes) reach
// the writer beneath.
func (w *statusOf) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusOf) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// admit applies the limits of r's client, or answers 429 with Retry-After
// and returns nil. The client is its principal, through any follower that
// forwarded the call; on routes that need no credentials, its address.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, pattern string) (done func()) {
	key, kind := clientOf(r)
	l := s.lim.api
	switch {
	case pattern == "POST /v1/telemetry":
		l = s.lim.ingest
	case kind == "address":
		l = s.lim.anon
	}
	done, wait, which := l.admit(key, kind, time.Now())
	if done != nil {
		return done
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	detail := fmt.Sprintf("%s has %d calls in flight, the most one client may have; retry in %d s", key, l.limit.InFlight, secs)
	if which == "rate" {
		detail = fmt.Sprintf("%s is over %g calls a second (burst %d); retry in %d s", key, l.limit.Rate, l.limit.Burst, secs)
	}
	s.problem(w, r, &Problem{Type: ProblemTooManyRequests, Title: "Too many requests", Status: http.StatusTooManyRequests, Detail: detail})
	return nil
}

// clientOf names r's client for the limits, and its kind: "token" or
// "cert" (a forwarded call counts as its first caller's), else the
// caller's address.
func clientOf(r *http.Request) (key, kind string) {
	if p, ok := PrincipalOf(r.Context()); ok && p.Who != "anonymous" {
		key, _, _ = strings.Cut(p.Who, " via ")
		kind, _, _ = strings.Cut(key, ":")
		return key, kind
	}
	return addressOf(r), "address"
}

// addressOf names r's caller by its address: an IPv4 address, or the /64
// of an IPv6 one (a single host is commonly given a whole /64, and would
// otherwise be as many clients as it likes).
func addressOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return addressKey(host)
}

// addressKey is the client key of a caller at host: "address:" and the
// host, or the /64 of an IPv6 one.
func addressKey(host string) string {
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		host = p.String()
	}
	return "address:" + host
}
