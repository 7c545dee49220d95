package snmp

// Helpers that start real SNMP agents for the tests: Debian's snmpsimd
// (replaying recorded walks) and net-snmp's snmpd (SNMPv3 users). Each runs
// on a free UDP port of 127.0.0.1 and is killed when its test ends.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/internal/peer"
)

const (
	installHint  = "apt-get install snmpsim snmpd"
	startTimeout = 20 * time.Second
	sysDescr     = "1.3.6.1.2.1.1.1.0"
	sysName      = "1.3.6.1.2.1.1.5.0"
)

// freeUDPAddr returns 127.0.0.1:PORT for a UDP port that was free a moment
// ago.
func freeUDPAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// peerDir makes a scratch directory that a daemon which drops to nobody
// can read and write (t.TempDir's parents are private to root).
func peerDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// agentProcess is a running peer agent process.
type agentProcess struct {
	addr   string
	log    string
	exited chan struct{}
}

// startPeer runs cmd with its output in logPath and kills it when the test
// ends. The goroutine that waits for it ends when the process does.
func startPeer(t *testing.T, addr, logPath string, cmd *exec.Cmd) *agentProcess {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	p := &agentProcess{addr: addr, log: logPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// waitAnswers polls target with a GET of sysDescr until it answers, the
// process exits, or startTimeout passes. Each try waits at most 200 ms for
// an answer; tries are at least 50 ms apart, so that an agent still starting
// (port unreachable at once) is not hammered.
func (p *agentProcess) waitAnswers(t *testing.T, target Target) {
	t.Helper()
	target.Timeout, target.Retries = 200*time.Millisecond, 0
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		if lastErr = tryGet(ctx, target); lastErr == nil {
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited before answering; log:\n%s", filepath.Base(p.log), p.tail())
		case <-ctx.Done():
			t.Fatalf("agent on %s did not answer within %v: %v; log:\n%s", p.addr, startTimeout, lastErr, p.tail())
		case <-tick.C:
		}
	}
}

func tryGet(ctx context.Context, target Target) error {
	s, err := Dial(ctx, target)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.Get(ctx, []string{sysDescr})
	return err
}

// tail returns the end of the peer's log, for failure messages.
func (p *agentProcess) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// startSnmpsim serves the given recordings (name → file in the recordings
// directory); each answers to the community of its name.
func startSnmpsim(t *testing.T, recordings map[string]string) *agentProcess {
	t.Helper()
	bin := peer.Require(t, "snmpsimd", "snmpsim")
	src := peer.Recordings(t)
	dir := peerDir(t, "dcplane-snmpsim-")
	data, cache := filepath.Join(dir, "data"), filepath.Join(dir, "cache")
	for _, d := range []string{data, cache} {
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	var community string
	for name, file := range recordings {
		copyFile(t, filepath.Join(src, file), filepath.Join(data, name+".snmprec"))
		community = name
	}
	addr := freeUDPAddr(t)
	args := []string{"--data-dir=" + data, "--cache-dir=" + cache, "--agent-udpv4-endpoint=" + addr}
	if os.Geteuid() == 0 {
		args = append(args, "--process-user=nobody", "--process-group=nogroup")
	}
	p := startPeer(t, addr, filepath.Join(dir, "snmpsimd.log"), exec.Command(bin, args...))
	p.waitAnswers(t, Target{Address: addr, Credentials: Credentials{Community: NewSecret(community)}})
	return p
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b := readRecording(t, from)
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readRecording reads a recorded walk of ../shared/snmprec. A missing one
// follows the policy of internal/peer: under CI=true the test fails, since
// CI checks ../shared out; elsewhere it is skipped. (peer.Recordings checks
// the folder; a file missing from it is checked here.)
func readRecording(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return b
	case os.Getenv("CI") == "true":
		tb.Fatalf("CI=true, so this fails: recording missing: %v", err)
	default:
		tb.Skipf("recording missing (CI=true would fail): %v", err)
	}
	return nil
}

// The SNMPv3 user of startSnmpd, as PEERS.md configures it.
const (
	v3User     = "v3user"
	v3AuthPass = "authpass123"
	v3PrivPass = "privpass123"
	v3SysName  = "dcplane-test"
)

// startSnmpd runs net-snmp's snmpd in the foreground with a config of its
// own: one authPriv user (SHA-256, AES) and sysName dcplane-test.
func startSnmpd(t *testing.T) *agentProcess {
	t.Helper()
	bin := peer.Require(t, "snmpd", "snmpd")
	dir := peerDir(t, "dcplane-snmpd-")
	conf := filepath.Join(dir, "snmpd.conf")
	body := fmt.Sprintf("createUser %s SHA-256 %s AES %s\nrouser %s priv\nsysName %s\n",
		v3User, v3AuthPass, v3PrivPass, v3User, v3SysName)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	persist := filepath.Join(dir, "persist")
	if err := os.Mkdir(persist, 0o700); err != nil {
		t.Fatal(err)
	}
	addr := freeUDPAddr(t)
	// -I -smux: no SMUX listener (as root snmpd would open TCP *:199).
	cmd := exec.Command(bin, "-f", "-Lo", "-C", "-I", "-smux", "-c", conf, "-p", filepath.Join(dir, "pid"),
		"--persistentDir="+persist, "udp:"+addr)
	cmd.Env = append(os.Environ(), "MIBS=", "MIBDIRS="+dir) // no MIB parsing noise in the log
	p := startPeer(t, addr, filepath.Join(dir, "snmpd.log"), cmd)
	p.waitAnswers(t, v3Target(addr, v3AuthPass, v3PrivPass))
	if strings.Contains(p.tail(), "Unknown token") {
		t.Fatalf("snmpd rejected an option; log:\n%s", p.tail())
	}
	return p
}

// v3Target is an authPriv SHA-256/AES target of startSnmpd's user.
func v3Target(addr, authPass, privPass string) Target {
	return Target{Address: addr, Timeout: time.Second, Credentials: Credentials{USM: &USM{
		User: v3User, Level: AuthPriv,
		AuthProtocol: AuthSHA256, AuthPassphrase: NewSecret(authPass),
		PrivProtocol: PrivAES, PrivPassphrase: NewSecret(privPass),
	}}}
}

// recordingCase is one poll of a recording that snmpsimd serves.
type recordingCase struct {
	name       string
	community  string // which recording
	module     int
	want       []collectors.Reading
	wantReason string // "" for a poll that succeeds
}

// pollRecordings polls each case through the Collector with profile p and
// checks its status and readings.
func pollRecordings(t *testing.T, addr string, p Profile, tests []recordingCase) {
	t.Helper()
	collector := NewCollector(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			target := Target{Address: addr, Module: tt.module, Credentials: Credentials{Community: NewSecret(tt.community)}}
			got := collector.Poll(ctx, target, p)
			if got.OK != (tt.wantReason == "") || got.Reason != tt.wantReason {
				t.Fatalf("status: got OK=%v reason %q (%s), want reason %q", got.OK, got.Reason, got.Err, tt.wantReason)
			}
			if !slices.Equal(got.Readings, tt.want) {
				t.Errorf("readings:\n got %v\nwant %v", got.Readings, tt.want)
			}
		})
	}
}

// policyTB records whether a test would have failed or been skipped, and
// stops the goroutine as testing.T does.
type policyTB struct {
	testing.TB
	failed, skipped bool
}

func (p *policyTB) Helper() {}

func (p *policyTB) Fatalf(string, ...any) { p.failed = true; runtime.Goexit() }

func (p *policyTB) Skipf(string, ...any) { p.skipped = true; runtime.Goexit() }

// TestMissingRecording checks the peer policy for a recording that is not
// there: a failure under CI=true, a skip elsewhere, so that a missing
// recording turns CI red rather than green.
func TestMissingRecording(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.snmprec")
	tests := []struct {
		ci                    string
		wantFailed, wantSkips bool
	}{
		{"true", true, false},
		{"", false, true},
		{"false", false, true},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			tb := &policyTB{TB: t}
			done := make(chan struct{})
			go func() { defer close(done); readRecording(tb, missing) }()
			<-done
			if tb.failed != tt.wantFailed || tb.skipped != tt.wantSkips {
				t.Errorf("got failed %v skipped %v, want %v and %v", tb.failed, tb.skipped, tt.wantFailed, tt.wantSkips)
			}
		})
	}
}
