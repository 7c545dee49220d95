package levenshtein

import (
	"slices"
	"testing"
)

func TestNearest(t *testing.T) {
	have := []string{"H1-R01-K01", "H1-R01-K02", "H1-R01-K10", "H1-R01-K11", "H1-R02-K01", "H2-R07-K03"}
	tests := []struct {
		want string
		n    int
		got  []string
	}{
		{"H1-R01-K01", 1, []string{"H1-R01-K01"}},
		{"h1-r01-k02", 3, []string{"H1-R01-K02"}},
		{"h1-r1-k1", 2, []string{"H1-R01-K01"}},
		{"H1-R01-K12", 2, []string{"H1-R01-K10", "H1-R01-K11"}},
		{"H1-R01-K13", 4, []string{"H1-R01-K10", "H1-R01-K11", "H1-R01-K01", "H1-R01-K02"}},
		{"H9-R01-K01", 3, []string{"H1-R01-K01", "H1-R01-K02", "H1-R01-K11"}},
		{"K01", 3, []string{}},
		{"x", 3, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Nearest(tt.want, have, tt.n); !slices.Equal(got, tt.got) {
				t.Errorf("got %q, want %q", got, tt.got)
			}
		})
	}
}

func TestNameKey(t *testing.T) {
	for in, want := range map[string]string{"H1-R01-K01": "h1-r1-k1", "R10": "r10", "R00": "r0", "a0b": "a0b", "007": "7", "": ""} {
		if got := string(nameKey(in)); got != want {
			t.Errorf("nameKey(%q): got %q, want %q", in, got, want)
		}
	}
}
