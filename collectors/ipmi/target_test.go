package ipmi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/internal/peer"
)

func TestParseCipherSuite(t *testing.T) {
	tests := []struct {
		in      string
		want    CipherSuite
		wantErr string // in the error; "" for none
	}{
		{"17", Suite17, ""},
		{" 3 ", Suite3, ""},
		{"0", 0, "no authentication, integrity or encryption"},
		{"1", 0, "suite 1 is not supported"},
		{"2", 0, "suite 2 is not supported"},
		{"16", 0, "suite 16 is not supported"},
		{"lanplus", 0, "not a cipher suite number"},
		{"", 0, "not a cipher suite number"},
	}
	for _, tt := range tests {
		got, err := ParseCipherSuite(tt.in)
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("ParseCipherSuite(%q): got %v, %v, want %v", tt.in, got, err, tt.want)
		case tt.wantErr != "" && (!errors.Is(err, ErrCipherSuite) || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseCipherSuite(%q): got %v, %v, want ErrCipherSuite saying %q", tt.in, got, err, tt.wantErr)
		}
	}
	if (Target{}).CipherSuite.orDefault() != Suite17 {
		t.Errorf("the zero cipher suite is not 17")
	}
}

func TestDefaultsWaitForSlowBMCs(t *testing.T) {
	// Some BMCs take over 5 s to answer; a setup step sent again before
	// its answer fails, so one wait must outlast them.
	if DefaultTimeout <= 5_500_000_000 {
		t.Errorf("DefaultTimeout %v is shorter than a slow BMC's answer (over 5 s)", DefaultTimeout)
	}
	if got := (Target{}).RequestBudget(); got != DefaultTimeout*2 {
		t.Errorf("RequestBudget: got %v, want %v", got, DefaultTimeout*2)
	}
	if got := (Target{Retries: -1}).RequestBudget(); got != DefaultTimeout {
		t.Errorf("RequestBudget without retries: got %v, want %v", got, DefaultTimeout)
	}
}

func TestPasswordIsNeverPrinted(t *testing.T) {
	p := NewPassword("hunter2-secret")
	var log bytes.Buffer
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "password", p, "target", Target{Password: p})
	j, _ := json.Marshal(Target{Password: p})
	outs := []string{fmt.Sprint(p), fmt.Sprintf("%s %q %x %d %#v %+v", p, p, p, p, p, Target{Password: p}), string(j), log.String()}
	for _, o := range outs {
		if strings.Contains(o, "hunter2") || !strings.Contains(o, "secret") {
			t.Errorf("printed: %s", o)
		}
	}
	if p.Reveal() != "hunter2-secret" {
		t.Errorf("Reveal: got %q", p.Reveal())
	}
}

func TestLoadPassword(t *testing.T) {
	dir := t.TempDir()
	file := func(body string) string {
		f := filepath.Join(dir, fmt.Sprintf("p%d", len(body)))
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Setenv("DCPLANE_TEST_IPMI_PW", "from-env")
	t.Setenv("DCPLANE_TEST_IPMI_EMPTY", "")
	tests := []struct {
		name, path, env, want string
		wantErr               bool
	}{
		{"file, newline trimmed", file("s3cret pw\r\n"), "DCPLANE_TEST_IPMI_PW", "s3cret pw", false},
		{"environment", "", "DCPLANE_TEST_IPMI_PW", "from-env", false},
		{"empty file", file(""), "", "", true},
		{"empty variable", "", "DCPLANE_TEST_IPMI_EMPTY", "", true},
		{"missing file", filepath.Join(dir, "none"), "", "", true},
		{"neither", "", "DCPLANE_TEST_IPMI_UNSET", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LoadPassword(tt.path, tt.env)
			if (err != nil) != tt.wantErr || p.Reveal() != tt.want {
				t.Errorf("got %q, %v, want %q (error %v)", p.Reveal(), err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := LoadPassword("", ""); !errors.Is(err, ErrNoPassword) {
		t.Errorf("nothing given: got %v, want ErrNoPassword", err)
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("dial: %w", ErrAuth), ReasonAuth},
		{fmt.Errorf("dial: %w", ErrCipherSuite), ReasonProtocol},
		{ErrIPMIv15, ReasonProtocol},
		{fmt.Errorf("x: %w", ErrSuiteRejected), ReasonProtocol},
		{fmt.Errorf("x: %w", ErrNoAnswer), ReasonTimeout},
		{fmt.Errorf("x: %w: %w", ErrTooSlow, ErrAuth), ReasonTimeout},
		{context.DeadlineExceeded, ReasonTimeout},
		{context.Canceled, ReasonOther},
		{fmt.Errorf("read: %w", syscall.ECONNREFUSED), ReasonRefused},
		{fmt.Errorf("x: %w", ErrDecode), ReasonDecode},
		{ErrConfig, ReasonConfig},
		// No ephemeral port left for the socket: this host's limit, which
		// Go takes for a timeout (EAGAIN), and go-ipmi wraps as it does.
		{fmt.Errorf("init udp connection failed, err: %w", localError(&net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("connect", syscall.EAGAIN)})), ReasonLocal},
		{fmt.Errorf("x: %w: %w", ErrNoAnswer, localError(os.NewSyscallError("socket", syscall.EMFILE))), ReasonLocal},
		{localError(os.NewSyscallError("connect", syscall.ECONNREFUSED)), ReasonRefused},
		{errors.New("something else"), ReasonOther},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v): got %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestHandshakeRefusals sorts the RMCP+ status codes a BMC refuses a
// handshake step with, and reads the one in ipmi_sim's captured answer to
// an Open Session Request for suite 17 (two payload bytes, which go-ipmi
// cannot unpack).
func TestHandshakeRefusals(t *testing.T) {
	tests := []struct {
		code types.RmcpStatusCode
		want error
	}{
		{types.RmcpStatusCodeInvalidAuthAlg, ErrSuiteRejected},
		{types.RmcpStatusCodeInvalidIntegrityAlg, ErrSuiteRejected},
		{types.RmcpStatusCodeInvalidConfidentAlg, ErrSuiteRejected},
		{types.RmcpStatusCodeNoCipherSuiteMatch, ErrSuiteRejected},
		{types.RmcpStatusCodeUnauthorizedName, ErrAuth}, // ipmi_sim's answer to an unknown user
		{types.RmcpStatusCodeInvalidIntegrityCheckValue, ErrAuth},
		{types.RmcpStatusCodeUnauthorizedRoleOfPriLevel, ErrAuth},
		{types.RmcpStatusCodeNoResToCreateSess, nil},
	}
	for _, tt := range tests {
		got := rmcpStatusClass(tt.code)
		if (tt.want == nil && (got == ErrAuth || got == ErrSuiteRejected)) || (tt.want != nil && got != tt.want) {
			t.Errorf("status %#02x (%s): got %v, want %v", uint8(tt.code), tt.code, got, tt.want)
		}
	}
	open17 := loadCapture(t, "ipmi_sim.txt").open17
	if code, ok := setupStatus(open17); !ok || code != types.RmcpStatusCodeInvalidAuthAlg {
		t.Errorf("ipmi_sim's answer to suite 17: got status %#02x (%v), want 04h (invalid authentication algorithm)", uint8(code), ok)
	}
	if _, ok := setupStatus(loadCapture(t, "ipmi_sim.txt").authcaps); ok {
		t.Errorf("a v1.5 answer read as a setup answer")
	}
}

// TestDialOutOfFiles: a poll whose socket this host cannot open (here, no
// file descriptor left) fails at once with ReasonLocal, not as a BMC
// timeout: nothing was sent.
func TestDialOutOfFiles(t *testing.T) {
	c, err := NewCollector(Target{Address: "127.0.0.1:9", User: "u", Password: NewPassword("p"), Timeout: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var st collectors.Status
	var took time.Duration
	peer.WithoutDescriptors(t, func() {
		start := time.Now()
		st = c.Poll(context.Background())
		took = time.Since(start)
	})
	if st.OK || st.Reason != ReasonLocal || took > 500*time.Millisecond {
		t.Errorf("got OK %v, reason %q (%s) after %v; want reason %q at once", st.OK, st.Reason, st.Err, took, ReasonLocal)
	}
}
