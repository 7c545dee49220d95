package ipmitest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/peer"
)

// The user of every simulated BMC.
const (
	User     = "admin"
	Password = "secret"
)

// startTimeout bounds the wait for a peer to answer after it starts.
const startTimeout = 20 * time.Second

// Sim is a running OpenIPMI ipmi_sim: one BMC over RMCP+ on Addr, which
// offers cipher suites up to 3 (OpenIPMI 2.0.33 has no SHA-256, so no
// suite 17) and no DCMI.
type Sim struct {
	Addr string
	dir  string
	log  string
	done chan struct{}
}

// StartSim runs ipmi_sim with one BMC whose SDR holds sensors, as
// ../shared/PEERS.md starts it, and waits until ipmitool can open a session
// with it. A missing ipmi_sim or ipmitool fails the test under CI=true and
// skips it elsewhere.
func StartSim(t testing.TB, sensors []Sensor) *Sim {
	t.Helper()
	bin := peer.Require(t, "ipmi_sim", "openipmi")
	peer.Require(t, "ipmitool", "ipmitool")
	dir := t.TempDir()
	s := &Sim{Addr: freeUDPAddr(t), dir: dir, log: filepath.Join(dir, "ipmi_sim.log"), done: make(chan struct{})}
	for _, sn := range sensors {
		if sn.File != "" {
			s.Set(t, sn.File, int(sn.Raw))
		}
	}
	host, port, _ := net.SplitHostPort(s.Addr)
	lan := fmt.Sprintf(`name "dcplane-sim"
set_working_mc 0x20
  startlan 1
    addr %s %s
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
user 2 true "%s" "%s" admin 10 none md2 md5 straight
`, host, port, User, Password)
	write(t, filepath.Join(dir, "lan.conf"), lan)
	write(t, filepath.Join(dir, "sim.emu"), s.emu(sensors))
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "-c", filepath.Join(dir, "lan.conf"), "-f", filepath.Join(dir, "sim.emu"), "-n", "-s", state)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ipmi_sim: %v", err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
	})
	s.waitAnswers(t)
	return s
}

// emu is the simulator's command file: the BMC, its SDR, its sensors.
func (s *Sim) emu(sensors []Sensor) string {
	var b strings.Builder
	b.WriteString("mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nsel_enable 0x20 1000 0x0a\n")
	for i, sn := range sensors {
		b.WriteString("main_sdr_add 0x20")
		for _, x := range sn.Record(uint16(i + 1)) {
			fmt.Fprintf(&b, " 0x%02x", x)
		}
		b.WriteString("\n")
	}
	for _, sn := range sensors {
		reading := byte(0x01)
		if sn.Discrete {
			reading = 0x6f
		}
		fmt.Fprintf(&b, "sensor_add 0x20 0 0x%02x 0x%02x 0x%02x", sn.Number, sn.Type, reading)
		if sn.File != "" {
			fmt.Fprintf(&b, " poll 1000 file %q", filepath.Join(s.dir, sn.File))
			if sn.DependsOn != 0 {
				fmt.Fprintf(&b, " depends=0x20,0,0x%02x,0", sn.DependsOn)
			}
		}
		b.WriteString("\n")
		// Polled sensors too: until its first read of the file, ipmi_sim
		// would show 0.
		if !sn.Discrete {
			fmt.Fprintf(&b, "sensor_set_value 0x20 0 0x%02x 0x%02x 0\n", sn.Number, sn.Raw)
		}
		if sn.Discrete {
			for bit := 0; bit < 8; bit++ {
				if sn.Raw&(1<<bit) != 0 {
					fmt.Fprintf(&b, "sensor_set_bit 0x20 0 0x%02x %d 1 0\n", sn.Number, bit)
				}
			}
		}
	}
	b.WriteString("mc_enable 0x20\n")
	return b.String()
}

// Set writes v as the content of the sim's polled file name; ipmi_sim
// reads it within a second.
func (s *Sim) Set(t testing.TB, name string, v int) {
	t.Helper()
	write(t, filepath.Join(s.dir, name), strconv.Itoa(v)+"\n")
}

// IPMItool runs ipmitool against the sim over lanplus with cipher suite 3
// and returns its output; args follow the connection options.
func (s *Sim) IPMItool(t testing.TB, args ...string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.Addr)
	base := []string{"-I", "lanplus", "-H", host, "-p", port, "-U", User, "-P", Password, "-C", "3", "-N", "1", "-R", "2"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ipmitool", append(base, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ipmitool %s: %v\n%s\nipmi_sim log:\n%s", strings.Join(args, " "), err, out, s.tail())
	}
	return string(out)
}

// Reading is one sensor as ipmitool prints it.
type Reading struct {
	Value float64
	Unit  string // "Watts", "degrees C"…
	State string // "ok", "ns" (no reading)…
}

// SDRReadings returns what `ipmitool -c sdr elist full` prints of each
// numeric sensor, by name. A sensor without a reading has no value: it is
// left out.
func (s *Sim) SDRReadings(t testing.TB) map[string]Reading {
	t.Helper()
	out := map[string]Reading{}
	sc := bufio.NewScanner(strings.NewReader(s.IPMItool(t, "-c", "sdr", "elist", "full")))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) < 4 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		out[f[0]] = Reading{Value: v, Unit: f[2], State: f[3]}
	}
	return out
}

// waitAnswers waits until ipmitool opens a session with the sim.
func (s *Sim) waitAnswers(t testing.TB) {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.Addr)
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		out, err := exec.CommandContext(ctx, "ipmitool", "-I", "lanplus", "-H", host, "-p", port,
			"-U", User, "-P", Password, "-C", "3", "-N", "1", "-R", "1", "mc", "info").CombinedOutput()
		cancel()
		if err == nil {
			return
		}
		select {
		case <-s.done:
			t.Fatalf("ipmi_sim exited before answering; log:\n%s", s.tail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("ipmi_sim on %s did not answer within %v: %v\n%s\nlog:\n%s", s.Addr, startTimeout, err, out, s.tail())
		}
	}
}

// tail returns the end of the sim's log, for failure messages.
func (s *Sim) tail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freeUDPAddr returns 127.0.0.1:PORT for a UDP port that was free a moment
// ago.
func freeUDPAddr(t testing.TB) string {
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

func write(t testing.TB, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}
