package ipmi

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// update rewrites the captures of testdata/ from the real peers:
//
//	go test ./collectors/ipmi -run 'TestIPMISim|TestGoIPMIServer' -update
var update = flag.Bool("update", false, "rewrite testdata/*.txt from the real peers")

// capture is what one BMC answered, as testdata/*.txt keeps it, one answer
// a line ('#' starts a comment):
//
//	authcaps HEX        the RMCP packet answering Get Channel Authentication Capabilities
//	open17 HEX          the RMCP+ packet answering an Open Session Request for cipher suite 17
//	device HEX          Get Device ID
//	dcmi HEX | dcmi cc XX
//	sdr HEX             one SDR record, in the repository's order
//	reading NN HEX | reading NN cc XX   Get Sensor Reading of sensor NN (hex)
//	ipmitool CSV        what `ipmitool -c sdr elist full` printed at the same time
//
// HEX is the answer's data, after the completion code.
type capture struct {
	authcaps []byte
	open17   []byte // the RMCP packet answering an Open Session Request for cipher suite 17
	device   *answer
	dcmi     *answer
	sdr      [][]byte
	readings map[uint8]answer
	ipmitool []string
}

// loadCapture reads testdata/name.
func loadCapture(t testing.TB, name string) *capture {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &capture{readings: map[uint8]answer{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if err := c.parseLine(strings.TrimSpace(sc.Text())); err != nil {
			t.Fatalf("testdata/%s:%d: %v", name, n, err)
		}
	}
	return c
}

func (c *capture) parseLine(line string) error {
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	kind, rest, _ := strings.Cut(line, " ")
	switch kind {
	case "ipmitool":
		c.ipmitool = append(c.ipmitool, rest)
		return nil
	case "reading":
		num, rest2, _ := strings.Cut(rest, " ")
		n, err := strconv.ParseUint(num, 16, 8)
		if err != nil {
			return err
		}
		a, err := parseAnswer(rest2)
		c.readings[uint8(n)] = a
		return err
	}
	a, err := parseAnswer(rest)
	if err != nil {
		return err
	}
	switch kind {
	case "authcaps":
		c.authcaps = a.data
	case "open17":
		c.open17 = a.data
	case "device":
		c.device = &a
	case "dcmi":
		c.dcmi = &a
	case "sdr":
		c.sdr = append(c.sdr, a.data)
	default:
		return fmt.Errorf("unknown line kind %q", kind)
	}
	return nil
}

// parseAnswer reads "HEX" or "cc XX".
func parseAnswer(s string) (answer, error) {
	if code, ok := strings.CutPrefix(s, "cc "); ok {
		cc, err := strconv.ParseUint(code, 16, 8)
		return answer{err: &CompletionError{Code: uint8(cc)}}, err
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	return answer{data: b}, err
}

func formatAnswer(a answer) string {
	var ce *CompletionError
	if errors.As(a.err, &ce) {
		return fmt.Sprintf("cc %02x", ce.Code)
	}
	return hex.EncodeToString(a.data)
}

// write saves c as testdata/name, under a header of comment lines.
func (c *capture) write(t testing.TB, name string, header ...string) {
	t.Helper()
	var b strings.Builder
	for _, h := range header {
		fmt.Fprintf(&b, "# %s\n", h)
	}
	if c.authcaps != nil {
		fmt.Fprintf(&b, "authcaps %s\n", hex.EncodeToString(c.authcaps))
	}
	if c.open17 != nil {
		fmt.Fprintf(&b, "open17 %s\n", hex.EncodeToString(c.open17))
	}
	if c.device != nil {
		fmt.Fprintf(&b, "device %s\n", formatAnswer(*c.device))
	}
	if c.dcmi != nil {
		fmt.Fprintf(&b, "dcmi %s\n", formatAnswer(*c.dcmi))
	}
	for _, r := range c.sdr {
		fmt.Fprintf(&b, "sdr %s\n", hex.EncodeToString(r))
	}
	nums := make([]int, 0, len(c.readings))
	for n := range c.readings {
		nums = append(nums, int(n))
	}
	sort.Ints(nums)
	for _, n := range nums {
		fmt.Fprintf(&b, "reading %02x %s\n", n, formatAnswer(c.readings[uint8(n)]))
	}
	for _, l := range c.ipmitool {
		fmt.Fprintf(&b, "ipmitool %s\n", l)
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// replay is a BMC that answers from a capture. A question the capture has
// no answer to fails the test. It counts the questions.
type replay struct {
	t testing.TB
	c *capture

	mu       sync.Mutex
	asked    map[string]int
	closed   bool
	politely bool // Close had time to tell the BMC
}

func newReplay(t testing.TB, c *capture) *replay {
	return &replay{t: t, c: c, asked: map[string]int{}}
}

func (r *replay) count(q string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked[q]++
}

// times returns how many times q was asked.
func (r *replay) times(q string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked[q]
}

func (r *replay) give(a *answer, q string) ([]byte, error) {
	r.count(q)
	if a == nil {
		r.t.Errorf("the capture has no answer to %s", q)
		return nil, ErrNoAnswer
	}
	return a.data, a.err
}

func (r *replay) DeviceID(context.Context) ([]byte, error)     { return r.give(r.c.device, "device") }
func (r *replay) PowerReading(context.Context) ([]byte, error) { return r.give(r.c.dcmi, "dcmi") }

func (r *replay) SDR(context.Context) ([][]byte, error) {
	r.count("sdr")
	return r.c.sdr, nil
}

func (r *replay) SensorReading(_ context.Context, n uint8) ([]byte, error) {
	a, ok := r.c.readings[n]
	if !ok {
		return r.give(nil, fmt.Sprintf("reading %02x", n))
	}
	return r.give(&a, "reading")
}

func (r *replay) Close(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed, r.politely = true, ctx.Err() == nil
	return nil
}

// recorder is a BMC that passes questions on and keeps the answers in a
// capture.
type recorder struct {
	BMC
	c *capture
}

func newRecorder(b BMC) *recorder {
	return &recorder{BMC: b, c: &capture{readings: map[uint8]answer{}}}
}

// kept keeps what is an answer: data, or a completion code.
func kept(data []byte, err error) *answer {
	var ce *CompletionError
	if err == nil || errors.As(err, &ce) {
		return &answer{data: data, err: err}
	}
	return nil
}

func (r *recorder) DeviceID(ctx context.Context) ([]byte, error) {
	data, err := r.BMC.DeviceID(ctx)
	r.c.device = kept(data, err)
	return data, err
}

func (r *recorder) PowerReading(ctx context.Context) ([]byte, error) {
	data, err := r.BMC.PowerReading(ctx)
	r.c.dcmi = kept(data, err)
	return data, err
}

func (r *recorder) SDR(ctx context.Context) ([][]byte, error) {
	recs, err := r.BMC.SDR(ctx)
	r.c.sdr = recs
	return recs, err
}

func (r *recorder) SensorReading(ctx context.Context, n uint8) ([]byte, error) {
	data, err := r.BMC.SensorReading(ctx, n)
	if a := kept(data, err); a != nil {
		r.c.readings[n] = *a
	}
	return data, err
}
