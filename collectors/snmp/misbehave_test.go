package snmp

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	c "github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/sim"
)

// The tests of this file poll devices that misbehave (issue 8, point 6),
// each over a real UDP socket: the simulator's agent where it can
// misbehave so, else a rawAgent answering hand-built BER.

const (
	npsFixture = "testdata/rpdu2_nps.snmprec"
	rpdu2Dev   = "1.3.6.1.4.1.318.1.1.26.4.3.1."   // device status entry
	rpdu2Phase = "1.3.6.1.4.1.318.1.1.26.6.3.1."   // phase status entry
	rpdu2Out   = "1.3.6.1.4.1.318.1.1.26.9.4.3.1." // outlet metered status entry
)

// pollRaw polls the agent at addr once with profile p.
func pollRaw(t *testing.T, col *Collector, addr string, p Profile, timeout time.Duration, retries int) c.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return col.Poll(ctx, v2c(addr, timeout, retries), p)
}

// without returns rs less the readings of metric m in scope s at the
// given indexes.
func without(rs []c.Reading, m c.Metric, s c.Scope, idx ...int) []c.Reading {
	return slices.DeleteFunc(slices.Clone(rs), func(r c.Reading) bool {
		return r.Metric == m && r.Scope == s && slices.Contains(idx, r.Index)
	})
}

func newTestCollector() *Collector { return NewCollector(slog.New(slog.DiscardHandler)) }

// TestRawAgentServesTheFixture: the raw agent, behaving, is read as the
// parser reads its table, so that what the tests below take away is the
// misbehaviour's doing.
func TestRawAgentServesTheFixture(t *testing.T) {
	a := startRawAgent(t, rawTable(t, npsFixture), rawOptions{})
	col := newTestCollector()
	defer col.Close()
	st := pollRaw(t, col, a.addr, rpdu2Profile, time.Second, 0)
	if !st.OK || !slices.Equal(st.Readings, npsHost) {
		t.Fatalf("got ok=%v %s %v, want the fixture's host readings %v", st.OK, st.Err, st.Readings, npsHost)
	}
	if a.count(gosnmp.GetBulkRequest) == 0 || a.count(gosnmp.GetNextRequest) != 0 {
		t.Errorf("got %d GETBULK and %d GETNEXT, want GETBULK only", a.count(gosnmp.GetBulkRequest), a.count(gosnmp.GetNextRequest))
	}
}

// TestSlowAgentAnswersAfterTheTimeout: a device that answers after each
// request's timeout fails the poll as a timeout within Timeout × tries,
// with every reading unknown and an error that says no answer came in
// time; the late answers do not spoil the next poll once it is fast again.
func TestSlowAgentAnswersAfterTheTimeout(t *testing.T) {
	pdu, err := sim.NewRackPDU(sim.RackPDUConfig{Name: "pdu1", Load: func() float64 { return 3000 }})
	if err != nil {
		t.Fatal(err)
	}
	pdu.SetDelay(250 * time.Millisecond)
	addr := serveSim(t, map[string]*sim.Device{"public": pdu.Device})
	col := newTestCollector()
	defer col.Close()
	start := time.Now()
	st := pollRaw(t, col, addr, rpdu2Profile, 80*time.Millisecond, 1)
	took := time.Since(start)
	if st.OK || st.Reason != ReasonTimeout || len(st.Readings) != 0 {
		t.Fatalf("got ok=%v reason=%q %d readings, want a timeout and no readings", st.OK, st.Reason, len(st.Readings))
	}
	if !strings.HasPrefix(st.Err, "no answer in time") {
		t.Errorf("got error %q, want it to say no answer came in time", st.Err)
	}
	// Two tries of 80 ms, then the GETNEXT fallback's two: 320 ms.
	if took > 900*time.Millisecond {
		t.Errorf("took %v, want about 4 × 80 ms", took)
	}
	pdu.SetDelay(0)
	time.Sleep(300 * time.Millisecond) // the late answers arrive meanwhile
	st = pollRaw(t, col, addr, rpdu2Profile, time.Second, 1)
	if !st.OK {
		t.Fatalf("poll after the device recovered: %s: %s", st.Reason, st.Err)
	}
	if w, ok := reading(st.Readings, c.PowerWatts, c.ScopeDevice, 0); !ok || w < 2990 || w > 3010 {
		t.Errorf("got device power %v (present %v), want 3000 ± 10 W", w, ok)
	}
}

// TestSlowAgentPollBoundedInTime: a device that answers every request
// within its timeout, but slowly and without end, is stopped by the poll's
// deadline: the poll ends at it, as a timeout, with no readings.
func TestSlowAgentPollBoundedInTime(t *testing.T) {
	a := startRawAgent(t, rawTable(t, npsFixture), rawOptions{delay: 20 * time.Millisecond, next: endless(rpdu2Phase + "5.")})
	col := newTestCollector()
	defer col.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	st := col.Poll(ctx, v2c(a.addr, time.Second, 1), rpdu2Profile)
	took := time.Since(start)
	if st.OK || st.Reason != ReasonTimeout || len(st.Readings) != 0 {
		t.Fatalf("got ok=%v reason=%q %d readings (%s), want a timeout and no readings", st.OK, st.Reason, len(st.Readings), st.Err)
	}
	if took > 600*time.Millisecond {
		t.Errorf("took %v, want the poll's 300 ms deadline", took)
	}
	if a.count(gosnmp.GetNextRequest) != 0 {
		t.Errorf("got %d GETNEXT, want none: a poll out of time tries no fallback", a.count(gosnmp.GetNextRequest))
	}
}

// endless answers, for every OID under prefix, the one after it: a table
// that never ends.
func endless(prefix string) func(string) (rawEntry, bool) {
	return func(oid string) (rawEntry, bool) {
		rest, ok := strings.CutPrefix(oid, prefix)
		if !ok {
			return rawEntry{}, false
		}
		n, _ := strconv.Atoi(rest)
		return rawEntry{prefix + strconv.Itoa(n+1), berInteger(10)}, true
	}
}

// TestExceptionsInTheMiddleOfAWalk: noSuchInstance, noSuchObject and
// endOfMibView inside a column leave the readings they stand for, and
// those the column could not reach, absent; the poll goes on and the
// rest is read.
func TestExceptionsInTheMiddleOfAWalk(t *testing.T) {
	table := rawTable(t, npsFixture)
	phaseAmps := func(rs []c.Reading, idx ...int) []c.Reading {
		return without(rs, c.CurrentAmperes, c.ScopePhase, idx...)
	}
	tests := []struct {
		name  string
		table []rawEntry
		next  func(string) (rawEntry, bool)
		want  []c.Reading
	}{
		{
			// Phase 2's current is noSuchInstance; the walk goes on after it.
			name:  "noSuchInstance in a column",
			table: replaced(table, rpdu2Phase+"5.2", berNoSuchInstance),
			want:  phaseAmps(npsHost, 2),
		},
		{
			// After phase 1's current the agent says noSuchObject, naming
			// the OID it was asked about: the column ends there.
			name:  "noSuchObject echoing the request",
			table: table,
			next: func(oid string) (rawEntry, bool) {
				return rawEntry{oid, berNoSuchObject}, oid == rpdu2Phase+"5.1"
			},
			want: phaseAmps(npsHost, 2, 3),
		},
		{
			// The agent ends its view after phase 1's current.
			name:  "endOfMibView inside a column",
			table: table,
			next: func(oid string) (rawEntry, bool) {
				return rawEntry{oid, berEndOfMibView}, oid == rpdu2Phase+"5.1"
			},
			want: phaseAmps(npsHost, 2, 3),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startRawAgent(t, tt.table, rawOptions{next: tt.next})
			col := newTestCollector()
			defer col.Close()
			st := pollRaw(t, col, a.addr, rpdu2Profile, time.Second, 0)
			if !st.OK || !slices.Equal(st.Readings, tt.want) {
				t.Errorf("got ok=%v %s\n%v\nwant\n%v", st.OK, st.Err, st.Readings, tt.want)
			}
		})
	}
}

// TestWrongValueTypes: values of a type the column does not take (a
// string, a Counter64, an IpAddress, an OID where an INTEGER belongs) are
// left out and counted as wrong_type, the rest read; a wrong type where
// the profile needs a number to make sense of the rows (the module column)
// fails the poll with an error saying the device answered.
func TestWrongValueTypes(t *testing.T) {
	table := rawTable(t, npsFixture)
	table = replaced(table, rpdu2Dev+"5.1", berTLV(0x04, []byte("2.5 kW")))
	table = replaced(table, rpdu2Phase+"5.1", berTLV(0x46, []byte{0x34}))         // Counter64 52
	table = replaced(table, rpdu2Phase+"6.1", berTLV(0x40, []byte{0, 0, 0, 230})) // IpAddress
	table = replaced(table, rpdu2Out+"7.1", berOID("1.3.6.1.180"))
	a := startRawAgent(t, table, rawOptions{})
	col := newTestCollector()
	defer col.Close()
	st := pollRaw(t, col, a.addr, rpdu2Profile, time.Second, 0)
	want := without(npsHost, c.PowerWatts, c.ScopeDevice, 0)
	want = without(want, c.CurrentAmperes, c.ScopePhase, 1)
	want = without(want, c.VoltageVolts, c.ScopePhase, 1)
	want = without(want, c.PowerWatts, c.ScopeOutlet, 1)
	if !st.OK || !slices.Equal(st.Readings, want) {
		t.Errorf("got ok=%v %s\n%v\nwant\n%v", st.OK, st.Err, st.Readings, want)
	}
	// The fixture's own two strings (a phase's PF, an outlet's energy) count too.
	if got := col.Rejected()[RejectType]; got != 4+2 {
		t.Errorf("got %d values rejected as %s (%v), want 6", got, RejectType, col.Rejected())
	}

	b := startRawAgent(t, replaced(rawTable(t, npsFixture), rpdu2Dev+"2.1", berTLV(0x04, []byte("1"))), rawOptions{})
	st = pollRaw(t, col, b.addr, rpdu2Profile, time.Second, 0)
	if st.OK || st.Reason != ReasonDecode || len(st.Readings) != 0 {
		t.Fatalf("module column a string: got ok=%v reason=%q %d readings, want a decode failure and no readings", st.OK, st.Reason, len(st.Readings))
	}
	if !strings.HasPrefix(st.Err, "the device answered, but") || !strings.Contains(st.Err, "OctetString") {
		t.Errorf("got error %q, want it to say the device answered, and with what", st.Err)
	}
}

// TestZeroLengthIntegers: numbers of no content octets (X.690 wants at
// least one), an INTEGER that gosnmp alone would fail the whole answer on
// and a Gauge32 it would read as 0, are left out as unknown; the rest of
// the device is read, at once, with GETBULK.
func TestZeroLengthIntegers(t *testing.T) {
	table := replaced(rawTable(t, npsFixture), rpdu2Phase+"7.1", berZeroLenInteger)
	table = replaced(table, "1.3.6.1.4.1.318.1.1.26.8.3.1.5.2", []byte{0x42, 0x00}) // bank 2's current, a Gauge32
	a := startRawAgent(t, table, rawOptions{})
	col := newTestCollector()
	defer col.Close()
	start := time.Now()
	st := pollRaw(t, col, a.addr, rpdu2Profile, time.Second, 1)
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("took %v, want at once: the device answered", took)
	}
	want := without(npsHost, c.PowerWatts, c.ScopePhase, 1)
	want = without(want, c.CurrentAmperes, c.ScopeBank, 2)
	if !st.OK || !slices.Equal(st.Readings, want) {
		t.Errorf("got ok=%v %s\n%v\nwant\n%v", st.OK, st.Err, st.Readings, want)
	}
	if n := a.count(gosnmp.GetNextRequest); n != 0 {
		t.Errorf("got %d GETNEXT, want none: a device that answers GETBULK has it", n)
	}
}

// TestMendEmptyNumbers: only a varbind's value of a number type and length
// 0 becomes a NULL; the message is otherwise untouched, and one that is not
// an SNMPv1/v2c message (v3, truncated) is left alone.
func TestMendEmptyNumbers(t *testing.T) {
	vbs := []rawEntry{
		{"1.3.6.1.2", berZeroLenInteger}, {"1.3.6.1.3", []byte{0x46, 0x00}}, // mended
		{"1.3.6.1.4", berInteger(0)}, {"1.3.6.1.5", []byte{0x04, 0x00}}, {"1.3.6.1.6", berNoSuchInstance}, // not
	}
	msg := berResponse(7, "public", 0, vbs)
	want := berResponse(7, "public", 0, []rawEntry{
		{"1.3.6.1.2", []byte{0x05, 0x00}}, {"1.3.6.1.3", []byte{0x05, 0x00}}, vbs[2], vbs[3], vbs[4]})
	if n := mendEmptyNumbers(msg); n != 2 || string(msg) != string(want) {
		t.Errorf("mended %d: got % x, want 2: % x", n, msg, want)
	}
	v3 := berResponse(7, "public", 0, vbs)
	v3[4] = 3 // the version octet
	if n := mendEmptyNumbers(v3); n != 0 {
		t.Errorf("an SNMPv3 message: mended %d, want none", n)
	}
	cut := berResponse(7, "public", 0, vbs)
	if n := mendEmptyNumbers(cut[:len(cut)-3]); n != 0 {
		t.Errorf("a truncated message: mended %d, want none", n)
	}
}

// FuzzMendEmptyNumbers: any datagram, never a panic, and only 0x02…0x47
// tags turned into NULL: the length never changes.
func FuzzMendEmptyNumbers(f *testing.F) {
	f.Add(berResponse(1, "public", 0, []rawEntry{{"1.3.6.1.2", berZeroLenInteger}}))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := slices.Clone(b)
		n := mendEmptyNumbers(b)
		changed := 0
		for i := range b {
			if b[i] != orig[i] {
				changed++
				if b[i] != 0x05 || i+1 >= len(b) || b[i+1] != 0 {
					t.Fatalf("octet %d: %#x -> %#x", i, orig[i], b[i])
				}
			}
		}
		if changed != n {
			t.Fatalf("reported %d mended, changed %d", n, changed)
		}
	})
}

// TestBadOIDOrder: an agent whose column answers repeat an OID, go back,
// or never end fails the poll as a decode error naming what it did, within
// a bound of time and of varbinds (MaxWalkVarbinds).
func TestBadOIDOrder(t *testing.T) {
	col5 := rpdu2Phase + "5."
	tests := []struct {
		name string
		next func(string) (rawEntry, bool)
		want string
	}{
		{"repeating", func(oid string) (rawEntry, bool) {
			if !strings.HasPrefix(oid, col5) {
				return rawEntry{}, false
			}
			return rawEntry{oid, berInteger(10)}, true
		}, "OIDs must increase"},
		{"going back", func(oid string) (rawEntry, bool) {
			return rawEntry{col5 + "1", berInteger(10)}, oid == col5+"2"
		}, "OIDs must increase"},
		{"endless", endless(col5), "does not end its tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startRawAgent(t, rawTable(t, npsFixture), rawOptions{next: tt.next})
			col := newTestCollector()
			defer col.Close()
			start := time.Now()
			st := pollRaw(t, col, a.addr, rpdu2Profile, time.Second, 0)
			took := time.Since(start)
			if st.OK || st.Reason != ReasonDecode || len(st.Readings) != 0 {
				t.Fatalf("got ok=%v reason=%q %d readings, want a decode failure and no readings", st.OK, st.Reason, len(st.Readings))
			}
			if !strings.HasPrefix(st.Err, "the device answered, but") || !strings.Contains(st.Err, tt.want) {
				t.Errorf("got error %q, want it to say the device answered and %q", st.Err, tt.want)
			}
			// At least one varbind of the column per GETBULK.
			if n := a.count(gosnmp.GetBulkRequest); n > MaxWalkVarbinds {
				t.Errorf("got %d GETBULK, want at most %d", n, MaxWalkVarbinds)
			}
			if took > 8*time.Second {
				t.Errorf("took %v", took)
			}
			if n := a.count(gosnmp.GetNextRequest); n != 0 {
				t.Errorf("got %d GETNEXT, want none: a device that answers GETBULK has it", n)
			}
		})
	}
}

// TestNoGetBulkFallsBackToGetNext: a device that ignores GETBULK, or
// answers it with an error-status, is read with GETNEXT, and remembered:
// its next polls send no GETBULK. Another device at another address is
// still read with GETBULK.
func TestNoGetBulkFallsBackToGetNext(t *testing.T) {
	refuse := func(answer bool, status byte) func(a *rawAgent, req *gosnmp.SnmpPacket) (byte, []rawEntry, bool) {
		return func(a *rawAgent, req *gosnmp.SnmpPacket) (byte, []rawEntry, bool) {
			if req.PDUType == gosnmp.GetBulkRequest {
				return status, nil, answer
			}
			return a.serve(req)
		}
	}
	tests := []struct {
		name   string
		handle func(a *rawAgent, req *gosnmp.SnmpPacket) (byte, []rawEntry, bool)
	}{
		{"ignores GETBULK", refuse(false, 0)},
		{"answers genErr", refuse(true, byte(gosnmp.GenErr))},
		{"answers noSuchName", refuse(true, byte(gosnmp.NoSuchName))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := startRawAgent(t, rawTable(t, npsFixture), rawOptions{handle: tt.handle})
			good := startRawAgent(t, rawTable(t, npsFixture), rawOptions{})
			col := newTestCollector()
			defer col.Close()
			for poll := 1; poll <= 3; poll++ {
				st := pollRaw(t, col, old.addr, rpdu2Profile, 100*time.Millisecond, 0)
				if !st.OK || !slices.Equal(st.Readings, npsHost) {
					t.Fatalf("poll %d: got ok=%v %s %v, want the fixture's readings", poll, st.OK, st.Err, st.Readings)
				}
			}
			if n := old.count(gosnmp.GetBulkRequest); n != 1 {
				t.Errorf("got %d GETBULK over 3 polls, want 1: the first poll's, then GETNEXT only", n)
			}
			if old.count(gosnmp.GetNextRequest) == 0 {
				t.Error("got no GETNEXT")
			}
			if st := pollRaw(t, col, good.addr, rpdu2Profile, time.Second, 0); !st.OK || good.count(gosnmp.GetNextRequest) != 0 {
				t.Errorf("another device: got ok=%v (%s), %d GETNEXT, want it read with GETBULK", st.OK, st.Err, good.count(gosnmp.GetNextRequest))
			}
		})
	}

	// A poll too short to try GETNEXT after its GETBULK timed out: the next
	// poll starts with GETNEXT, and the device is remembered.
	short := startRawAgent(t, rawTable(t, npsFixture), rawOptions{handle: refuse(false, 0)})
	{
		col := newTestCollector()
		defer col.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		st := col.Poll(ctx, v2c(short.addr, time.Second, 0), rpdu2Profile)
		cancel()
		if st.Reason != ReasonTimeout || short.count(gosnmp.GetNextRequest) != 0 {
			t.Fatalf("short poll: got reason %q (%s), %d GETNEXT, want a timeout and none", st.Reason, st.Err, short.count(gosnmp.GetNextRequest))
		}
		for poll := 2; poll <= 3; poll++ {
			if st := pollRaw(t, col, short.addr, rpdu2Profile, time.Second, 0); !st.OK || !slices.Equal(st.Readings, npsHost) {
				t.Fatalf("short poll, then poll %d: got ok=%v %s, want the fixture's readings", poll, st.OK, st.Err)
			}
		}
		if n := short.count(gosnmp.GetBulkRequest); n != 1 {
			t.Errorf("short poll: got %d GETBULK over 3 polls, want the first poll's alone", n)
		}
	}

	// A device that refuses our access answers GETNEXT the same: no fallback.
	denied := startRawAgent(t, rawTable(t, npsFixture), rawOptions{handle: refuse(true, byte(gosnmp.AuthorizationError))})
	{
		col := newTestCollector()
		defer col.Close()
		if st := pollRaw(t, col, denied.addr, rpdu2Profile, 100*time.Millisecond, 0); st.Reason != ReasonAuth || denied.count(gosnmp.GetNextRequest) != 0 {
			t.Errorf("authorizationError: got reason %q (%s), %d GETNEXT, want auth and none", st.Reason, st.Err, denied.count(gosnmp.GetNextRequest))
		}
	}

	// A device that answered GETBULK and then stops is down or busy: its
	// poll fails as a timeout, without a GETNEXT walk doubling its cost.
	var stopped atomic.Bool
	was := startRawAgent(t, rawTable(t, npsFixture), rawOptions{handle: func(a *rawAgent, req *gosnmp.SnmpPacket) (byte, []rawEntry, bool) {
		if stopped.Load() {
			return 0, nil, false
		}
		return a.serve(req)
	}})
	col := newTestCollector()
	defer col.Close()
	if st := pollRaw(t, col, was.addr, rpdu2Profile, time.Second, 0); !st.OK { // a loaded -race run can take more than 50 ms
		t.Fatalf("device answering GETBULK: %s", st.Err)
	}
	stopped.Store(true)
	if st := pollRaw(t, col, was.addr, rpdu2Profile, 50*time.Millisecond, 0); st.Reason != ReasonTimeout || was.count(gosnmp.GetNextRequest) != 0 {
		t.Errorf("device that stopped answering: got reason %q (%s), %d GETNEXT, want a timeout and none", st.Reason, st.Err, was.count(gosnmp.GetNextRequest))
	}

	// A device that answers nothing at all is down, not without GETBULK.
	silent, _ := silentAgent(t)
	col = newTestCollector()
	defer col.Close()
	if st := pollRaw(t, col, silent, rpdu2Profile, 50*time.Millisecond, 0); st.Reason != ReasonTimeout {
		t.Errorf("silent device: got reason %q (%s), want timeout", st.Reason, st.Err)
	}
	if len(col.bulk) != 0 {
		t.Errorf("silent device: remembered as %v", col.bulk)
	}
}

// TestEnergyCounterResetAndWrap: a device's energy counter that is reset
// (rPDU2's is resettable by the user) or wraps past its INTEGER's maximum
// is read poll by poll as what it is, a counter: never a negative energy,
// and nothing in dcplane derives a rate from it (power is read from the
// device's own power columns), so the drop shows no negative or spiking
// power.
func TestEnergyCounterResetAndWrap(t *testing.T) {
	counter := []int64{12345, 12400, 3, 2147483646, -2147483647, 5}
	var at atomic.Int64 // the poll the agent answers
	a := startRawAgent(t, rawTable(t, npsFixture), rawOptions{handle: func(a *rawAgent, req *gosnmp.SnmpPacket) (byte, []rawEntry, bool) {
		status, vbs, ok := a.serve(req)
		for i := range vbs {
			if vbs[i].oid == rpdu2Dev+"9.1" {
				vbs[i].tlv = berInteger(counter[at.Load()])
			}
		}
		return status, vbs, ok
	}})
	col := newTestCollector()
	defer col.Close()
	for poll := range counter {
		at.Store(int64(poll))
		st := pollRaw(t, col, a.addr, rpdu2Profile, time.Second, 0)
		if !st.OK {
			t.Fatalf("poll %d: %s", poll, st.Err)
		}
		e, ok := reading(st.Readings, c.EnergyJoules, c.ScopeDevice, 0)
		switch want := float64(counter[poll]) * 360000; {
		case counter[poll] < 0 && ok:
			t.Errorf("poll %d: a counter gone negative read as %v J, want it absent", poll, e)
		case counter[poll] >= 0 && (!ok || e != want):
			t.Errorf("poll %d: got energy %v (present %v), want %v J", poll, e, ok, want)
		}
		if w, _ := reading(st.Readings, c.PowerWatts, c.ScopeDevice, 0); w != 2500 {
			t.Errorf("poll %d: got device power %v W, want the device's own 2500 W", poll, w)
		}
	}
	if got := col.Rejected()[RejectNegative]; got != 1 {
		t.Errorf("got %d values rejected as negative (%v), want 1: the wrapped counter", got, col.Rejected())
	}
}

// TestImpossibleValuesOverUDP: saturated integers and negative power in
// power columns, and a rack PDU reporting more than ten times what its
// own ratings allow, are left out and counted by reason; the real values
// beside them are read.
func TestImpossibleValuesOverUDP(t *testing.T) {
	table := rawTable(t, npsFixture)
	table = replaced(table, rpdu2Dev+"5.1", berInteger(2147483647))
	table = replaced(table, rpdu2Phase+"7.1", berTLV(0x42, []byte{0, 0xff, 0xff, 0xff, 0xff})) // Gauge32 4294967295
	table = replaced(table, rpdu2Out+"7.1", berInteger(-20))
	a := startRawAgent(t, table, rawOptions{})
	col := newTestCollector()
	defer col.Close()
	st := pollRaw(t, col, a.addr, rpdu2Profile, time.Second, 0)
	want := without(npsHost, c.PowerWatts, c.ScopeDevice, 0)
	want = without(want, c.PowerWatts, c.ScopePhase, 1)
	want = without(want, c.PowerWatts, c.ScopeOutlet, 1)
	if !st.OK || !slices.Equal(st.Readings, want) {
		t.Errorf("got ok=%v %s\n%v\nwant\n%v", st.OK, st.Err, st.Readings, want)
	}

	// A Sentry3 tower of two 30 A infeeds at 208 V: 12,480 W in all.
	const infeed = "1.3.6.1.4.1.1718.3.2.2.1."
	sentry := []rawEntry{
		{infeed + "7.1.1", berInteger(1000)}, {infeed + "7.1.2", berInteger(70000)}, // 10 A; 700 A > 10 × 60 A
		{infeed + "10.1.1", berInteger(30)}, {infeed + "10.1.2", berInteger(30)},
		{infeed + "11.1.1", berInteger(2080)}, {infeed + "11.1.2", berInteger(2080)},
		{infeed + "12.1.1", berInteger(2000)}, {infeed + "12.1.2", berInteger(200000)}, // 200 kW > 10 × 12,480 W
	}
	b := startRawAgent(t, sentry, rawOptions{})
	st = pollRaw(t, col, b.addr, lookupDef("sentry3"), time.Second, 0)
	if !st.OK {
		t.Fatalf("sentry3: %s", st.Err)
	}
	for _, r := range []struct {
		m   c.Metric
		idx int
		v   float64
		ok  bool
	}{{c.CurrentAmperes, 1, 10, true}, {c.PowerWatts, 1, 2000, true}, {c.CurrentAmperes, 2, 0, false}, {c.PowerWatts, 2, 0, false}} {
		if v, ok := reading(st.Readings, r.m, c.ScopePhase, r.idx); ok != r.ok || v != r.v {
			t.Errorf("sentry3 infeed %d %s: got %v (present %v), want %v (present %v)", r.idx, r.m, v, ok, r.v, r.ok)
		}
	}
	got := col.Rejected()
	for reason, n := range map[string]int{RejectImpossible: 2, RejectNegative: 1, RejectOverCapacity: 2} {
		if got[reason] != n {
			t.Errorf("rejected %s: got %d, want %d (all: %v)", reason, got[reason], n, got)
		}
	}
}

// reading returns the value of one reading of rs.
func reading(rs []c.Reading, m c.Metric, s c.Scope, idx int) (float64, bool) {
	for _, r := range rs {
		if r.Metric == m && r.Scope == s && r.Index == idx {
			return r.Value, true
		}
	}
	return 0, false
}

// TestKeptSessionServesAfterAPollCutByItsDeadline: a poll that its
// context's deadline cuts while a request waits may end the request by
// moving the socket's deadline to now (when the context's timer wins the
// race with gosnmp's own read deadline, capped at the same instant); the
// session is kept, and the next poll of the device, once it answers again,
// is read through it: the cut leaves no deadline in the past behind
// (gosnmp sets a read deadline per request, never a write one). Five cuts,
// so that the context's timer wins at least once.
func TestKeptSessionServesAfterAPollCutByItsDeadline(t *testing.T) {
	pdu, err := sim.NewRackPDU(sim.RackPDUConfig{Name: "pdu1", Load: func() float64 { return 3000 }})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveSim(t, map[string]*sim.Device{"public": pdu.Device})
	col := newTestCollector()
	defer col.Close()
	if st := pollRaw(t, col, addr, rpdu2Profile, time.Second, 0); !st.OK {
		t.Fatalf("first poll: %s: %s", st.Reason, st.Err)
	}
	for cut := 1; cut <= 5; cut++ {
		pdu.SetDelay(300 * time.Millisecond)
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Millisecond)
		st := col.Poll(ctx, v2c(addr, 2*time.Second, 0), rpdu2Profile)
		cancel()
		if st.OK {
			t.Fatalf("cut %d: a poll cut at 60 ms by a device answering in 300 ms: got ok, want it cut", cut)
		}
		pdu.SetDelay(0)
		time.Sleep(350 * time.Millisecond) // the late answer arrives meanwhile
		if st := pollRaw(t, col, addr, rpdu2Profile, time.Second, 0); !st.OK {
			t.Fatalf("the poll after cut %d: got %s: %s, want the device read through its kept session", cut, st.Reason, st.Err)
		}
	}
}
