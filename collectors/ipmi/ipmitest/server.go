package ipmitest

import (
	"context"
	"sync"
	"testing"

	"github.com/bougou/go-ipmi/pkg/bmc"
	"github.com/bougou/go-ipmi/pkg/clock"
	"github.com/bougou/go-ipmi/pkg/hal/mock"
	"github.com/bougou/go-ipmi/pkg/handlers"
	"github.com/bougou/go-ipmi/pkg/server"
	"github.com/bougou/go-ipmi/pkg/transport/udp"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/dcplane/dcplane/collectors/ipmi/bmcsim"
)

// Handler answers one command: the answer's data and completion code.
type Handler func(req []byte) ([]byte, types.CompletionCode)

// ServerConfig configures a go-ipmi reference BMC.
type ServerConfig struct {
	// CipherSuites are the suites it offers; empty means 17 only.
	CipherSuites []types.CipherSuiteID
	// SDR is served by Get SDR; record IDs are 1, 2, … in order.
	SDR []Sensor
	// Handlers are registered over go-ipmi's standard ones, by command.
	Handlers map[types.Command]Handler
}

// Server is a running go-ipmi reference BMC (pkg/server) on Addr, whose
// user is User/Password with the Administrator privilege.
type Server struct {
	Addr string
}

// StartServer runs go-ipmi's BMC server in this process with cfg, until the
// test ends.
func StartServer(t testing.TB, cfg ServerConfig) *Server {
	t.Helper()
	info := bmc.DeviceInfo{DeviceID: 0x20, DeviceRevision: 1, FirmwareMajor: 2, FirmwareMinor: 0x15,
		IPMIVersion: 0x02, ManufacturerID: 0x1c4c, ProductID: 0x0101}
	var guid [16]byte
	copy(guid[:], "dcplane-test-bmc")
	h := mock.New()
	ctx := context.Background()
	for i, s := range cfg.SDR {
		if err := h.Storage().SDR().Write(ctx, uint16(i+1), s.Record(uint16(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	b := bmc.New(info, guid, h, bmc.WithClock(clock.Real))
	u, err := b.Users.Add(2, User)
	if err != nil {
		t.Fatal(err)
	}
	u.SetPassword([]byte(Password))
	u.Enabled = true
	u.ChannelAccess[1] = bmc.UserChannelAccess{MaxPrivilege: bmc.PrivilegeLevelAdministrator, Enabled: true}

	reg := handlers.NewRegistry()
	handlers.RegisterAllHandlers(reg)
	for cmd, fn := range cfg.Handlers {
		reg.RegisterFunc(cmd, func(_ context.Context, _ *handlers.HandlerContext, req []byte) ([]byte, types.CompletionCode, error) {
			data, cc := fn(req)
			return data, cc, nil
		})
	}
	suites := cfg.CipherSuites
	if len(suites) == 0 {
		suites = []types.CipherSuiteID{types.CipherSuiteID17}
	}
	conn, err := udp.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewServer(b, conn, server.WithHandlerRegistry(reg), server.WithCipherSuites(suites))
	sctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve(sctx)
	}()
	t.Cleanup(func() {
		cancel()
		_ = srv.Close()
		wg.Wait()
	})
	return &Server{Addr: conn.LocalAddr().String()}
}

// Readings holds the raw readings a Get Sensor Reading handler answers, by
// sensor number; the test changes them while the server runs.
type Readings struct {
	mu  sync.Mutex
	raw map[uint8][]byte
}

// Set makes sensor n answer data (the answer after the completion code).
func (r *Readings) Set(n uint8, data ...byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.raw == nil {
		r.raw = map[uint8][]byte{}
	}
	r.raw[n] = append([]byte(nil), data...)
}

// Handler answers Get Sensor Reading from r; an unknown sensor gets
// completion code CBh (not present).
func (r *Readings) Handler(req []byte) ([]byte, types.CompletionCode) {
	if len(req) < 1 {
		return nil, types.CodeRequestDataLengthInvalid
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	data, ok := r.raw[req[0]]
	if !ok {
		return nil, types.CodeRequestedDataNotPresent
	}
	return append([]byte(nil), data...), types.CodeOK
}

// DCMIPower is a DCMI Get Power Reading answer (see bmcsim.DCMIPower).
func DCMIPower(current, minimum, maximum, average uint16, windowMillis uint32, active bool) []byte {
	return bmcsim.DCMIPower(current, minimum, maximum, average, windowMillis, active)
}
