package state

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/calibration"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

// srvA is a server of rackA in serverSite: declared 200 W idle, 800 W max.
const srvA = rackA + "-S01"

// derived is a request whose watts are derived from the server's power
// model at half its utilisation, for one replica on the server of as.
func derived(name string) placement.Request {
	return placement.Request{Name: name, System: "portal", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024,
		Utilisation: 0.5, Spread: "server"}
}

// modelOf is placement's power model of server id in m's cluster.
func modelOf(t *testing.T, m *Machine, id string) (idle, maxW float64) {
	t.Helper()
	_, c := m.Cluster()
	for _, s := range c.Servers {
		if s.ID == id {
			return s.IdleWatts, s.MaxWatts
		}
	}
	t.Fatalf("server %s: not in the cluster", id)
	return 0, 0
}

// on is an assignment of one replica of w watts on srvA.
func on(w float64) []placement.Assignment {
	return []placement.Assignment{{Replica: 0, Server: srvA, Rack: rackA, Row: "H1-R01", Hall: "H1", Watts: w}}
}

func TestRecordDrawsCalibratesPlacement(t *testing.T) {
	tests := []struct {
		name                string
		draw                ServerDraw
		wantIdle, wantMax   float64
		wantIdleM, wantMaxM bool
	}{
		{"within the declared model: declared", ServerDraw{MinWatts: 300, MaxWatts: 700}, 200, 800, false, false},
		{"above the declared maximum: raised", ServerDraw{MinWatts: 300, MaxWatts: 1000}, 200, 1000, false, true},
		{"below the declared idle: lowered", ServerDraw{MinWatts: 150, MaxWatts: 700}, 150, 800, true, false},
		{"both", ServerDraw{MinWatts: 150, MaxWatts: 1000}, 150, 1000, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineWithServers(t)
			mustApply(t, m, RecordRackPeaks{Peaks: map[string]float64{}, Servers: map[string]ServerDraw{srvA: tt.draw}, At: t0})
			if idle, maxW := modelOf(t, m, srvA); idle != tt.wantIdle || maxW != tt.wantMax {
				t.Errorf("placement's model: got %v–%v W, want %v–%v W", idle, maxW, tt.wantIdle, tt.wantMax)
			}
			if idle, maxW := modelOf(t, m, rackA+"-S02"); idle != 200 || maxW != 800 {
				t.Errorf("another server's model: got %v–%v W, want the declared 200–800 W", idle, maxW)
			}
			p, ok := m.View().ServerPower(srvA)
			want := ServerPower{
				Declared:   calibration.Model{IdleWatts: 200, MaxWatts: 800},
				Calibrated: calibration.Model{IdleWatts: tt.wantIdle, MaxWatts: tt.wantMax, IdleMeasured: tt.wantIdleM, MaxMeasured: tt.wantMaxM},
				Measured:   calibration.Observed{MinWatts: tt.draw.MinWatts, MaxWatts: tt.draw.MaxWatts, Known: true},
				MeasuredAt: t0,
			}
			if !ok || p != want {
				t.Errorf("ServerPower: got %+v, %v, want %+v", p, ok, want)
			}
			// The derived watts follow the calibrated model: the state
			// refuses a replica given the declared model's watts where
			// the calibrated one asks more, and takes the calibrated.
			r := derived("web")
			declaredW, calibratedW := 200+0.5*(800-200), tt.wantIdle+0.5*(tt.wantMax-tt.wantIdle)
			err := applyErr(m, Place{ID: "p0", Request: r, Assignments: on(declaredW), At: t0})
			if refused := errors.Is(err, ErrOverbooked); refused != (calibratedW > declaredW) {
				t.Errorf("%v W where the calibrated model asks %v W: got %v", declaredW, calibratedW, err)
			}
			if err == nil {
				return
			}
			if err := applyErr(m, Place{ID: "p1", Request: r, Assignments: on(calibratedW), At: t0}); err != nil {
				t.Errorf("%v W, the calibrated model's: got %v, want nil", calibratedW, err)
			}
		})
	}
}

func TestRecordDrawsLeavesDeclaredWatts(t *testing.T) {
	m := machineWithServers(t)
	mustApply(t, m, RecordRackPeaks{Servers: map[string]ServerDraw{srvA: {MinWatts: 150, MaxWatts: 1000}}, At: t0})
	r := req("db", 1, 300)
	r.Spread = "server"
	if err := applyErr(m, Place{ID: "p1", Request: r, Assignments: on(300), At: t0}); err != nil {
		t.Errorf("declared 300 W on a calibrated server: got %v, want nil", err)
	}
	if p, _ := m.View().Placement("p1"); p == nil || p.Watts() != 300 {
		t.Errorf("got %+v, want the declared 300 W", p)
	}
}

func TestRecordDrawsKeepsAndIgnores(t *testing.T) {
	m := machineWithServers(t)
	mustApply(t, m, RecordRackPeaks{Servers: map[string]ServerDraw{srvA: {MinWatts: 150, MaxWatts: 1000}}, At: t0})
	// A command that leaves srvA out keeps what was recorded of it, and
	// a server the inventory lacks is not recorded.
	mustApply(t, m, RecordRackPeaks{Servers: map[string]ServerDraw{"no-such-server": {MinWatts: 1, MaxWatts: 5000}}, At: t0})
	if _, ok := m.View().ServerPower("no-such-server"); ok {
		t.Error("ServerPower of a server the inventory lacks: got true, want false")
	}
	if _, maxW := modelOf(t, m, srvA); maxW != 1000 {
		t.Errorf("left out: got %v W, want the 1000 W recorded before", maxW)
	}
	if got := len(m.View().draws); got != 1 {
		t.Errorf("draws held: got %d, want 1 (only the servers of the inventory)", got)
	}
	// A later draw replaces the earlier one.
	mustApply(t, m, RecordRackPeaks{Servers: map[string]ServerDraw{srvA: {MinWatts: 300, MaxWatts: 900}}, At: t0.Add(time.Hour)})
	if idle, maxW := modelOf(t, m, srvA); idle != 200 || maxW != 900 {
		t.Errorf("replaced: got %v–%v W, want 200–900 W", idle, maxW)
	}
}

func TestRecordDrawsRejects(t *testing.T) {
	m := machineWithServers(t)
	for _, d := range []ServerDraw{
		{MinWatts: 0, MaxWatts: 900},
		{MinWatts: -1, MaxWatts: 900},
		{MinWatts: math.NaN(), MaxWatts: 900},
		{MinWatts: 300, MaxWatts: math.NaN()},
		{MinWatts: 300, MaxWatts: math.Inf(1)},
		{MinWatts: 500, MaxWatts: 400},
	} {
		err := applyErr(m, RecordRackPeaks{Peaks: map[string]float64{rackA: 900}, Servers: map[string]ServerDraw{srvA: d}, At: t0})
		if !errors.Is(err, ErrMalformedCommand) {
			t.Errorf("%+v: got %v, want %v", d, err, ErrMalformedCommand)
		}
	}
	if idle, maxW := modelOf(t, m, srvA); len(m.View().draws) != 0 || idle != 200 || maxW != 800 {
		t.Errorf("a refused command changed the state: %d draws, a model of %v–%v W", len(m.View().draws), idle, maxW)
	}
	if _, ok := m.View().RackPeakWatts(rackA); ok {
		t.Error("a refused command recorded its rack's peak")
	}
}

func TestSnapshotKeepsDraws(t *testing.T) {
	m := machineWithServers(t)
	var plain bytes.Buffer
	if _, err := m.View().WriteTo(&plain); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte(`"format":6`)) {
		t.Errorf("a snapshot without draws: got format 6, want an older one for older readers")
	}
	mustApply(t, m, RecordRackPeaks{Servers: map[string]ServerDraw{srvA: {MinWatts: 150, MaxWatts: 1000}}, At: t0})
	var a bytes.Buffer
	if _, err := m.View().WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(a.Bytes(), []byte(`"format":6`)) {
		t.Errorf("a snapshot with draws: got %.40s…, want format 6", a.Bytes())
	}
	r := New()
	if err := r.Restore(bytes.NewReader(a.Bytes())); err != nil {
		t.Fatalf("restore: got %v, want nil", err)
	}
	var b bytes.Buffer
	if _, err := r.View().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("snapshot after restore differs:\n%s\n%s", a.Bytes(), b.Bytes())
	}
	if idle, maxW := modelOf(t, r, srvA); idle != 150 || maxW != 1000 {
		t.Errorf("restored cluster: got %v–%v W, want 150–1000 W", idle, maxW)
	}
	want, _ := m.View().ServerPower(srvA)
	if got, ok := r.View().ServerPower(srvA); !ok || got != want {
		t.Errorf("restored ServerPower: got %+v, want %+v", got, want)
	}
	// The same commands, but for a server the inventory lacks: the same
	// index, time and horizon, no draw.
	m0 := machineWithServers(t)
	mustApply(t, m0, RecordRackPeaks{Servers: map[string]ServerDraw{"no-such-server": {MinWatts: 150, MaxWatts: 1000}}, At: t0})
	h1, _ := m.View().Hash()
	h0, _ := m0.View().Hash()
	if h1 == h0 {
		t.Error("the hash does not cover the draws")
	}
}

func TestPutSiteKeepsDrawsOfItsServers(t *testing.T) {
	m := machineWithServers(t)
	other := rackB + "-S01"
	mustApply(t, m, RecordRackPeaks{Servers: map[string]ServerDraw{
		srvA: {MinWatts: 150, MaxWatts: 1000}, other: {MinWatts: 150, MaxWatts: 1000}}, At: t0})
	// The new inventory drops other and declares srvA a bigger server.
	s := serverSite()
	s.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		switch k.ID {
		case rackA:
			k.Servers[0].MaxW = 1200
		case rackB:
			k.Servers = k.Servers[1:]
		}
		return true
	})
	mustApply(t, m, PutSite{Site: s, At: t0.Add(time.Minute)})
	if idle, maxW := modelOf(t, m, srvA); idle != 150 || maxW != 1200 {
		t.Errorf("kept and calibrated anew: got %v–%v W, want 150–1200 W", idle, maxW)
	}
	if got := len(m.View().draws); got != 1 {
		t.Errorf("draws kept: got %d, want 1 (only the servers of the inventory)", got)
	}
}

// TestRecordRackPeaksOldBodies checks that the bodies RecordRackPeaks was
// written in before servers' draws (without a version byte, and version
// 1) still decode and apply, that for readers of JSON a command without
// draws is still written as version 1 and one with draws as version 2,
// and that either is version 3 (CBOR) for readers of it.
func TestRecordRackPeaksOldBodies(t *testing.T) {
	body := `{"peaks":{"` + rackA + `":4321.5},"horizon":3600000000000,"at":"2026-11-30T09:00:00Z"}`
	for _, b := range [][]byte{
		append([]byte{byte(RecordRackPeaksType)}, body...),
		append([]byte{byte(RecordRackPeaksType), 1}, body...),
	} {
		cmd, err := Decode(b)
		if err != nil {
			t.Fatalf("decode % x…: got %v, want nil", b[:2], err)
		}
		m := machineWithServers(t)
		mustApply(t, m, cmd)
		if w, ok := m.View().RackPeakWatts(rackA); !ok || w != 4322 {
			t.Errorf("% x…: peak got %v, %v, want 4322", b[:2], w, ok)
		}
		if _, maxW := modelOf(t, m, srvA); maxW != 800 {
			t.Errorf("% x…: model got max %v W, want the declared 800 W", b[:2], maxW)
		}
	}
	for _, tt := range []struct {
		cmd   RecordRackPeaks
		codec Codec
		want  byte
	}{
		{RecordRackPeaks{Peaks: map[string]float64{rackA: 1}, At: t0}, CodecJSON, 1},
		{RecordRackPeaks{Servers: map[string]ServerDraw{srvA: {MinWatts: 1, MaxWatts: 2}}, At: t0}, CodecJSON, 2},
		{RecordRackPeaks{Peaks: map[string]float64{rackA: 1}, At: t0}, CodecCBOR, 3},
		{RecordRackPeaks{Servers: map[string]ServerDraw{srvA: {MinWatts: 1, MaxWatts: 2}}, At: t0}, CodecCBOR, 3},
	} {
		b, err := EncodeFor(tt.cmd, tt.codec)
		if err != nil {
			t.Fatal(err)
		}
		if b[1] != tt.want {
			t.Errorf("%d draws: got body version %d, want %d", len(tt.cmd.Servers), b[1], tt.want)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("decode: got %v, want nil", err)
		}
		if g := got.(RecordRackPeaks); len(g.Servers) != len(tt.cmd.Servers) || g.Servers[srvA] != tt.cmd.Servers[srvA] {
			t.Errorf("round trip: got %+v, want %+v", g, tt.cmd)
		}
	}
	if _, err := Decode(append([]byte{byte(RecordRackPeaksType), 4}, body...)); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("version 4: got %v, want %v", err, ErrUnknownVersion)
	}
}

// TestRecordDrawsThroughTheLogIsDeterministic checks that replicas that
// decode the draws from the log hold the same state as the leader.
func TestRecordDrawsThroughTheLogIsDeterministic(t *testing.T) {
	cmds := []Command{
		PutSite{Site: serverSite(), At: t0},
		RecordRackPeaks{Peaks: map[string]float64{rackA: 5000}, Servers: map[string]ServerDraw{
			srvA: {MinWatts: 150.25, MaxWatts: 1000.5}, rackB + "-S02": {MinWatts: 210, MaxWatts: 640}}, At: t0},
	}
	if a, b := run(t, cmds, false), run(t, cmds, true); !bytes.Equal(a, b) {
		t.Errorf("through the log:\n%s\ndirect:\n%s", b, a)
	}
}
