package sim

import (
	"slices"
	"testing"
)

func TestViewNextNumericOrder(t *testing.T) {
	v := NewView()
	// Inserted out of order; string order would put .10 before .2 and .9.
	for _, s := range []string{"1.3.6.1.2.10", "1.3.6.1.2.9.1", "1.3.6.1.2.2", "1.3.6.1.2.1.0", "1.3.6.1.2.10.1"} {
		v.Set(MustOID(s), OctetString(s))
	}
	tests := []struct {
		from, want string
		ok         bool
	}{
		{"1", "1.3.6.1.2.1.0", true},
		{"1.3.6.1.2.1.0", "1.3.6.1.2.2", true},
		{"1.3.6.1.2.2", "1.3.6.1.2.9.1", true},
		{"1.3.6.1.2.3", "1.3.6.1.2.9.1", true},
		{"1.3.6.1.2.9.1", "1.3.6.1.2.10", true},
		{"1.3.6.1.2.10", "1.3.6.1.2.10.1", true},
		{"1.3.6.1.2.10.1", "", false},
		{"2", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			got, val, ok := v.Next(MustOID(tt.from))
			if ok != tt.ok {
				t.Fatalf("ok: got %v, want %v", ok, tt.ok)
			}
			if ok && (got.String() != tt.want || val.String() != tt.want) {
				t.Errorf("Next: got %v=%v, want %v", got, val, tt.want)
			}
		})
	}
}

func TestViewGetSetDelete(t *testing.T) {
	v := NewView()
	oid := MustOID("1.3.6.1.2.1.1.5.0")
	if _, ok := v.Get(oid); ok {
		t.Fatal("Get on empty view: got ok, want not found")
	}
	v.Set(oid, OctetString("a"))
	v.Set(oid, OctetString("b"))
	if got, _ := v.Get(oid); got.String() != "b" || v.Len() != 1 {
		t.Errorf("after two Sets: got %v (len %d), want b (len 1)", got, v.Len())
	}
	v.Delete(oid)
	if v.Len() != 0 {
		t.Errorf("Len after Delete: got %d, want 0", v.Len())
	}
}

func TestViewOverlayLive(t *testing.T) {
	rec := NewRecordedView([]Record{
		{OID: MustOID("1.3.6.1.2.1.1.1.0"), Value: OctetString("recorded descr")},
		{OID: MustOID("1.3.6.1.2.1.1.3.0"), Value: TimeTicks(1)},
		{OID: MustOID("1.3.6.1.4.1.318.1.1.26.4.3.1.5.1"), Value: Integer(114)},
		{OID: MustOID("1.3.6.1.2.1.1.3.0"), Value: TimeTicks(2)}, // duplicate: last wins
	})
	if got, _ := rec.Get(MustOID("1.3.6.1.2.1.1.3.0")); got.String() != "2" {
		t.Errorf("duplicate OID: got %v, want the last record (2)", got)
	}
	power := 100
	live := NewView()
	live.SetLive(MustOID("1.3.6.1.4.1.318.1.1.26.4.3.1.5.1"), func() Value { return Integer(power) })
	live.Set(MustOID("1.3.6.1.4.1.318.1.1.26.4.3.1.16.1"), Integer(7))
	rec.Overlay(live)

	var got []string
	rec.Walk(func(o OID, v Value) bool { got = append(got, o.String()+"="+v.String()); return true })
	want := []string{
		"1.3.6.1.2.1.1.1.0=recorded descr", "1.3.6.1.2.1.1.3.0=2",
		"1.3.6.1.4.1.318.1.1.26.4.3.1.5.1=100", "1.3.6.1.4.1.318.1.1.26.4.3.1.16.1=7",
	}
	if !slices.Equal(got, want) {
		t.Errorf("walk after overlay: got %v, want %v", got, want)
	}
	power = 250
	if v, _ := rec.Get(MustOID("1.3.6.1.4.1.318.1.1.26.4.3.1.5.1")); v.String() != "250" {
		t.Errorf("live value after change: got %v, want 250", v)
	}
}

func TestViewHasSubtree(t *testing.T) {
	v := NewView()
	v.Set(MustOID("1.3.6.1.2.1.1.1.0"), OctetString("x"))
	tests := []struct {
		prefix string
		want   bool
	}{
		{"1.3.6.1.2.1.1", true}, {"1.3.6.1.2.1.1.1", true}, {"1.3.6.1.2.1.1.1.0", true},
		{"1.3.6.1.2.1.1.2", false}, {"1.3.6.1.2.1.2", false}, {"1.3.6.1.2.1.1.1.0.1", false},
	}
	for _, tt := range tests {
		if got := v.hasSubtree(MustOID(tt.prefix)); got != tt.want {
			t.Errorf("hasSubtree(%s): got %v, want %v", tt.prefix, got, tt.want)
		}
	}
}

func TestParseOID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{".1.3.6.1", "1.3.6.1", true}, {"1.3.6.1", "1.3.6.1", true}, {"0.0", "0.0", true},
		{"", "", false}, {".", "", false}, {"1..3", "", false}, {"1.3.4294967296", "", false}, {"1.a", "", false},
	}
	for _, tt := range tests {
		got, err := ParseOID(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got.String() != tt.want) {
			t.Errorf("ParseOID(%q): got %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func BenchmarkViewNext(b *testing.B) {
	v := NewView()
	for i := range 10000 {
		v.Set(MustOID("1.3.6.1.4.1.318.1.1.26.9.4.3.1").Append(uint32(i%13), uint32(i)), Integer(i))
	}
	from := MustOID("1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.5000")
	for b.Loop() {
		v.Next(from)
	}
}
