package output

import (
	"strings"
	"testing"
)

// TestUnknownIsNotZero: a reading nobody has is "-", never 0.
func TestUnknownIsNotZero(t *testing.T) {
	w, r := 12345.0, 0.875
	for _, tt := range []struct{ got, want string }{
		{KW(nil), "-"}, {Pct(nil), "-"}, {KW(&w), "12.35"}, {Pct(&r), "87.5"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestTableAlignsNumbers: numbers (and "-") right-aligned, words left.
func TestTableAlignsNumbers(t *testing.T) {
	var b strings.Builder
	if err := Table(&b, []string{"RACK", "KW"}, [][]string{{"R1", "1.50"}, {"R10", "-"}, {"R2", "12.25"}}); err != nil {
		t.Fatal(err)
	}
	want := "RACK     KW\nR1     1.50\nR10       -\nR2    12.25\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestCheck(t *testing.T) {
	for _, f := range []string{FormatTable, FormatJSON, FormatYAML} {
		if err := Check(f); err != nil {
			t.Errorf("%s: got %v, want nil", f, err)
		}
	}
	if err := Check("xml"); err == nil || !strings.Contains(err.Error(), `-o "xml"`) {
		t.Errorf("xml: got %v, want an error naming it", err)
	}
}
