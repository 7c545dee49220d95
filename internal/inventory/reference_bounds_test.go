package inventory

import (
	"strings"
	"testing"
)

// TestCheckReferenceRacks pins the bounds a person's --racks is held to,
// on both sides of each.
func TestCheckReferenceRacks(t *testing.T) {
	for _, n := range []int{1, ReferenceRacks, MaxReferenceRacks} {
		if err := CheckReferenceRacks(n); err != nil {
			t.Errorf("CheckReferenceRacks(%d): got %v, want nil", n, err)
		}
	}
	for _, n := range []int{0, -1, MaxReferenceRacks + 1, 1_000_000_000} {
		err := CheckReferenceRacks(n)
		if err == nil || !strings.Contains(err.Error(), "want 1 to 1600") {
			t.Errorf("CheckReferenceRacks(%d): got %v, want an error naming the range", n, err)
		}
	}
}

// TestLargestReferenceSiteLoads proves MaxReferenceRacks true: the largest
// site CheckReferenceRacks allows survives Marshal and Parse, limits and all.
func TestLargestReferenceSiteLoads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and parses a 1,600-rack site")
	}
	b, err := Marshal(Reference(MaxReferenceRacks))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("max.yaml", b)
	if err != nil {
		t.Fatalf("Parse of Reference(%d): %v", MaxReferenceRacks, err)
	}
	got := 0
	s.Racks(func(*Hall, *Row, *Rack) bool { got++; return true })
	if got != MaxReferenceRacks {
		t.Errorf("racks: got %d, want %d", got, MaxReferenceRacks)
	}
}
