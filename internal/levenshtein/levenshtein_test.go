package levenshtein

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"H1-R01-K01", "H1-R01-K01", 0},
		{"H1-R01-K1", "H1-R01-K01", 1},   // an insertion
		{"H1-R01-K012", "H1-R01-K01", 1}, // a deletion
		{"H1-R01-K02", "H1-R01-K01", 1},  // a substitution
		{"profil", "profile", 1},
		{"apc-rpud2", "apc-rpdu2", 2}, // a transposition is two
		{"kW°", "kW", 1},              // runes, not bytes
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q): got %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q): got %d, want %d (symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}
