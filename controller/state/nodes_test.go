package state

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDecodeVersions(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		want    string // in the error
	}{
		{"legacy: no version byte", append([]byte{byte(SetRackBudgetType)}, `{"rack":"K","watts":5}`...), nil, ""},
		{"version 1", append([]byte{byte(SetRackBudgetType), 1}, `{"rack":"K","watts":5}`...), nil, ""},
		{"body version too new", append([]byte{byte(SetRackBudgetType), 2}, `{"rack":"K","watts":5}`...),
			ErrUnknownVersion, "SetRackBudget body version 2: this build reads up to version 1"},
		{"unknown type names its version", append([]byte{0x70, 3}, `{}`...), ErrUnknownCommand, "type 112, body version 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := Decode(tt.in)
			if !errors.Is(err, tt.wantErr) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %v containing %q", err, tt.wantErr, tt.want)
			}
			if err == nil {
				if c := cmd.(SetRackBudget); c.Rack != "K" || c.Watts != 5 {
					t.Errorf("got %+v, want rack K, 5 W", c)
				}
			}
		})
	}
}

func TestEncodeWritesVersion(t *testing.T) {
	b, err := Encode(SetRackBudget{Rack: "K", Watts: 1, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != byte(SetRackBudgetType) || b[1] != 1 || b[2] != '{' {
		t.Errorf("header: got % x, want 02 01 7b", b[:3])
	}
	b, err = Encode(SetNodeAPI{Node: "n1", URL: "http://127.0.0.1:1", At: at})
	if err != nil {
		t.Fatal(err)
	}
	if MessageType(b[0]) != SetNodeAPIType|IgnoreUnknown {
		t.Errorf("SetNodeAPI type byte: got %#x, want %#x (ignorable)", b[0], byte(SetNodeAPIType|IgnoreUnknown))
	}
	ig := Ignored{Raw: 0x90, Version: 4, Body: []byte(`{}`)}
	b, err = Encode(ig)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil || got.(Ignored).Version != 4 || !bytes.Equal(got.(Ignored).Body, ig.Body) {
		t.Errorf("ignored round trip: got %+v, %v, want %+v", got, err, ig)
	}
}

func TestSetNodeAPI(t *testing.T) {
	m := New()
	steps := []struct {
		cmd     SetNodeAPI
		wantErr error
		want    map[string]string
	}{
		{SetNodeAPI{Node: "n1", URL: "http://127.0.0.1:8080", At: at}, nil, map[string]string{"n1": "http://127.0.0.1:8080"}},
		{SetNodeAPI{Node: "n2", URL: "https://c2:8080", At: at}, nil, map[string]string{"n1": "http://127.0.0.1:8080", "n2": "https://c2:8080"}},
		{SetNodeAPI{Node: "n1", URL: "127.0.0.1:8080", At: at}, ErrMalformedCommand, map[string]string{"n1": "http://127.0.0.1:8080", "n2": "https://c2:8080"}},
		{SetNodeAPI{Node: "", URL: "http://x:1", At: at}, ErrMalformedCommand, map[string]string{"n1": "http://127.0.0.1:8080", "n2": "https://c2:8080"}},
		{SetNodeAPI{Node: "n1", At: at}, nil, map[string]string{"n2": "https://c2:8080"}},
	}
	for i, s := range steps {
		v, err := m.Apply(uint64(i+1), s.cmd)
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("step %d: got %v, want %v", i, err, s.wantErr)
		}
		if got := v.NodeAPIs(); len(got) != len(s.want) {
			t.Fatalf("step %d: got %v, want %v", i, got, s.want)
		}
		for id, u := range s.want {
			if got, ok := v.NodeAPI(id); !ok || got != u {
				t.Errorf("step %d: NodeAPI(%s): got %q, %v, want %q", i, id, got, ok, u)
			}
		}
	}
}

func TestHash(t *testing.T) {
	cmds := append(history(), SetNodeAPI{Node: "n1", URL: "http://127.0.0.1:8080", At: at})
	a, b := New(), New()
	for i, c := range cmds {
		a.Apply(uint64(i+1), c) //nolint:errcheck // rejections are part of the history
		b.Apply(uint64(i+1), c) //nolint:errcheck
	}
	ha, err := a.View().Hash()
	if err != nil {
		t.Fatal(err)
	}
	if hb, _ := b.View().Hash(); hb != ha || len(ha) != 64 {
		t.Errorf("equal states: got %s and %s, want one 64-digit hash", ha, hb)
	}
	// The node directory is part of the state: a restore keeps it.
	var buf bytes.Buffer
	if _, err := a.View().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	if hr, _ := r.View().Hash(); hr != ha {
		t.Errorf("restored: got %s, want %s", hr, ha)
	}
	if u, ok := r.View().NodeAPI("n1"); !ok || u != "http://127.0.0.1:8080" {
		t.Errorf("restored NodeAPI(n1): got %q, %v, want the URL kept", u, ok)
	}
	b.Apply(uint64(len(cmds)+1), SetNodeAPI{Node: "n1", URL: "http://127.0.0.1:9090", At: at}) //nolint:errcheck
	if hb, _ := b.View().Hash(); hb == ha {
		t.Errorf("different states: got the same hash %s, want different", hb)
	}
}

func TestPutSiteKeepsNodeAPIs(t *testing.T) {
	m := New()
	m.Apply(1, SetNodeAPI{Node: "n1", URL: "http://127.0.0.1:8080", At: at}) //nolint:errcheck
	v, err := m.Apply(2, history()[0])
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := v.NodeAPI("n1"); !ok || u != "http://127.0.0.1:8080" {
		t.Errorf("after PutSite: got %q, %v, want the URL kept", u, ok)
	}
}
