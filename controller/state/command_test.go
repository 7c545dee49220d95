package state

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
)

var at = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		typ  byte
	}{
		{"put site", PutSite{Site: inventory.Reference(4), At: at}, 1},
		{"set rack budget", SetRackBudget{Rack: "H1-R01-K01", Watts: 12500.5, At: at}, 2},
		{"ignored", Ignored{Raw: 0x80 | 0x7f, Body: []byte(`{"x":1}`)}, 0xff},
		// Not ignorable: a node without alerts must stop, not drop acks.
		{"record alerts", RecordAlerts{Transitions: []alerts.Transition{ack("X{}", "ann")}, At: at}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(tt.cmd)
			if err != nil {
				t.Fatalf("Encode: got %v, want nil", err)
			}
			if b[0] != tt.typ {
				t.Errorf("type byte: got %#x, want %#x", b[0], tt.typ)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: got %v, want nil", err)
			}
			again, err := Encode(got)
			if err != nil {
				t.Fatalf("Encode again: got %v, want nil", err)
			}
			if !bytes.Equal(again, b) {
				t.Errorf("re-encoded: got %s, want %s", again, b)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(tt.cmd) {
				t.Errorf("decoded type: got %T, want %T", got, tt.cmd)
			}
		})
	}
}

func TestDecodeSetRackBudgetFields(t *testing.T) {
	want := SetRackBudget{Rack: "H1-R01-K02", Watts: 9000, At: at}
	b, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	g := got.(SetRackBudget)
	if g.Rack != want.Rack || g.Watts != want.Watts || !g.At.Equal(want.At) {
		t.Errorf("got %+v, want %+v", g, want)
	}
}

func TestDecodeUnknownAndMalformed(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		ignored bool
	}{
		{"unknown type", []byte{0x7f, '{', '}'}, ErrUnknownCommand, false},
		{"zero type", []byte{0x00, '{', '}'}, ErrUnknownCommand, false},
		{"unknown type with ignore bit", []byte{0x80 | 0x7f, '{', '}'}, nil, true},
		{"unknown type with ignore bit, no body", []byte{0x80 | 0x40}, nil, true},
		{"empty", nil, ErrMalformedCommand, false},
		{"known type, bad body", []byte{byte(PutSiteType), '{'}, ErrMalformedCommand, false},
		{"known type with ignore bit", append([]byte{byte(SetRackBudgetType | IgnoreUnknown)}, `{"rack":"r","watts":1}`...), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := Decode(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err: got %v, want %v", err, tt.wantErr)
			}
			if _, ok := cmd.(Ignored); ok != tt.ignored {
				t.Errorf("ignored: got %v (%T), want %v", ok, cmd, tt.ignored)
			}
		})
	}
}

func TestDecodeKeepsUnknownFields(t *testing.T) {
	// A newer leader may add a field to a command's body; older nodes
	// ignore it.
	b := append([]byte{byte(SetRackBudgetType)}, `{"rack":"K","watts":5,"reason":"new"}`...)
	got, err := Decode(b)
	if err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if g := got.(SetRackBudget); g.Rack != "K" || g.Watts != 5 {
		t.Errorf("got %+v, want rack K, 5 W", g)
	}
}

func TestEncodeRejectsNil(t *testing.T) {
	if _, err := Encode(nil); !errors.Is(err, ErrMalformedCommand) {
		t.Errorf("got %v, want %v", err, ErrMalformedCommand)
	}
}

func TestMessageTypeString(t *testing.T) {
	tests := []struct {
		in   MessageType
		want string
	}{
		{PutSiteType, "PutSite"},
		{SetRackBudgetType | IgnoreUnknown, "SetRackBudget"},
		{0x33, "MessageType(51)"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%d: got %q, want %q", uint8(tt.in), got, tt.want)
		}
	}
}

func TestTypesStayBelowIgnoreBit(t *testing.T) {
	for typ := range commands {
		if typ&IgnoreUnknown != 0 || typ == 0 {
			t.Errorf("type %d: got a value with the ignore bit or zero, want 1..127", typ)
		}
	}
}
