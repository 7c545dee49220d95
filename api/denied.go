package api

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Reasons a call is denied (401 or 403), as /metrics and the log name
// them: a bounded set, so that the metric's series are too.
const (
	denyNoAuthenticator = "no-authenticator"  // 401: this server authenticates no one
	denyNoCredentials   = "no-credentials"    // 401: neither a token nor a certificate
	denyNotBearer       = "not-bearer"        // 401: an Authorization header of another scheme
	denyUnknownToken    = "unknown-token"     // 401: a token the cluster never made
	denyRevokedToken    = "revoked-token"     // 401
	denyUnknownCertRole = "unknown-cert-role" // 401: a certificate of a role the API does not know
	denyForwardedAgent  = "forwarded-agent"   // 401: a forwarded agent whose halls or name cannot be read
	denyRole            = "role"              // 403: the caller's role may not call the route
	denyAgentName       = "agent-name"        // 403: a batch under another name than the caller's
	denyHallsUnenforced = "halls-unenforced"  // 403: a hall-bound agent, and a controller that cannot hold it to them
)

// Bounds of the denial log: each address gets at most deniedLogRate lines
// a second (a burst of deniedLogBurst); what it is refused beyond them is
// counted, and the count said in its next line. The metric counts every
// denial.
const (
	deniedLogRate  = 2
	deniedLogBurst = 5
	// deniedAddresses bounds the addresses remembered; past it, those
	// quiet for deniedIdle are forgotten, and if none is, new ones share
	// one bucket.
	deniedAddresses = 4096
	deniedIdle      = time.Minute
	// deniedPathCut bounds the path a line keeps.
	deniedPathCut = 256
)

// denials logs and counts the calls the API refuses for who makes them.
// They are not put in the audit trail: that is replicated through Raft,
// and whoever can reach the API could fill the log with refusals.
type denials struct {
	log        *slog.Logger
	denied     *prometheus.CounterVec
	suppressed prometheus.Counter
	mu         sync.Mutex
	addrs      map[string]*denialLog
}

// denialLog is one address's budget of log lines.
type denialLog struct {
	bucket     *rate.Limiter
	suppressed int // lines not written since the last one
	last       time.Time
}

func newDenials(log *slog.Logger, reg prometheus.Registerer) *denials {
	d := &denials{log: log, addrs: map[string]*denialLog{},
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_api_denied_requests_total",
			Help: "Calls answered 401 or 403, by route pattern and reason (no-credentials, not-bearer, unknown-token, revoked-token, unknown-cert-role, forwarded-agent, no-authenticator, role, agent-name, halls-unenforced).",
		}, []string{"route", "reason"}),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dcplane_api_denied_log_lines_suppressed_total",
			Help: "Denied calls not logged because their address was over its lines a second; each is still counted in dcplane_api_denied_requests_total.",
		}),
	}
	if reg != nil {
		reg.MustRegister(d.denied, d.suppressed)
	}
	return d
}

// note logs and counts a denial of r, whose route is pattern: who made it
// ("" when unknown: then its address says), why (reason), and detail, the
// answer's explanation, which never holds a secret (the API's problems
// name a token by its ID, never by its secret).
func (d *denials) note(r *http.Request, pattern string, status int, who, reason, detail string) {
	if pattern == "" {
		pattern = "/"
	}
	d.denied.WithLabelValues(pattern, reason).Inc()
	addr := addressOf(r)
	write, suppressed := d.take(addr, time.Now())
	if !write {
		d.suppressed.Inc()
		return
	}
	attrs := []any{"status", status, "address", strings.TrimPrefix(addr, "address:"), "method", r.Method,
		"path", cutTo([]byte(r.URL.Path), deniedPathCut), "reason", reason, "detail", detail}
	if who != "" {
		attrs = append(attrs, "who", who)
	}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	d.log.Warn("call denied", attrs...)
}

// take says whether addr may have a line at now, and how many of its
// lines were suppressed since its last one.
func (d *denials) take(addr string, now time.Time) (bool, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.addrs[addr]
	if l == nil {
		if len(d.addrs) >= deniedAddresses {
			for k, o := range d.addrs {
				if now.Sub(o.last) > deniedIdle {
					delete(d.addrs, k)
				}
			}
		}
		if len(d.addrs) >= deniedAddresses {
			addr = "overflow"
			l = d.addrs[addr]
		}
		if l == nil {
			l = &denialLog{bucket: rate.NewLimiter(deniedLogRate, deniedLogBurst)}
			d.addrs[addr] = l
		}
	}
	l.last = now
	if !l.bucket.AllowN(now, 1) {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.suppressed = 0
	return true, n
}

// refuse answers p, a 401 or 403, to r and notes the denial for reason.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, pattern, who, reason string, p *Problem) {
	if s.denials != nil {
		s.denials.note(r, pattern, p.Status, who, reason, p.Detail)
	}
	s.problem(w, r, p)
}
