package sim

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/peer"
)

func TestParseSnmprecValues(t *testing.T) {
	tests := []struct {
		line string
		want Value
	}{
		{"1.3.6.1.2.1.1.1.0|4|APC Web/SNMP |x| ", Value{gosnmp.OctetString, []byte("APC Web/SNMP |x| ")}},
		{"1.3.6.1.2.1.2.2.1.6.1|4x|000bdc34d106", Value{gosnmp.OctetString, []byte{0, 0x0b, 0xdc, 0x34, 0xd1, 0x06}}},
		{"1.3.6.1.2.1.1.2.0|6|.1.3.6.1.4.1.674.10903.200.3.1", Value{gosnmp.ObjectIdentifier, "1.3.6.1.4.1.674.10903.200.3.1"}},
		{"1.3.6.1.4.1.318.1.1.12.1.15.0|2|-1", Integer(-1)},
		{"1.3.6.1.4.1.1.0|2x|2d3132", Integer(-12)},
		{"1.3.6.1.2.1.4.20.1.3.10.25.15.63|64|255.255.255.0", Value{gosnmp.IPAddress, "255.255.255.0"}},
		{"1.3.6.1.4.1.1.1|64x|0a000001", Value{gosnmp.IPAddress, "10.0.0.1"}},
		{"1.3.6.1.2.1.2.2.1.10.1|65|4294967295", Counter32(4294967295)},
		{"1.3.6.1.2.1.2.2.1.5.1|66|100000000", Gauge32(100000000)},
		{"1.3.6.1.2.1.1.3.0|67|1367358324", TimeTicks(1367358324)},
		{"1.3.6.1.4.1.1.2|68x|9f780441200000", Value{gosnmp.Opaque, []byte{0x9f, 0x78, 0x04, 0x41, 0x20, 0, 0}}},
		{"1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615", Counter64(18446744073709551615)},
		{"1.3.6.1.4.1.1.3|5|", Value{Type: gosnmp.Null}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			recs, err := ParseSnmprec(strings.NewReader("# comment\n\n"+tt.line+"\r\n"), "t.snmprec")
			if err != nil {
				t.Fatalf("ParseSnmprec: got %v, want nil", err)
			}
			if len(recs) != 1 {
				t.Fatalf("records: got %d, want 1", len(recs))
			}
			if got := recs[0]; got.Value.Type != tt.want.Type || got.Value.String() != tt.want.String() {
				t.Errorf("value: got %v %v, want %v %v", got.Value.Type, got.Value, tt.want.Type, tt.want)
			}
			if got := recs[0].Line; got != 3 {
				t.Errorf("line: got %d, want 3", got)
			}
		})
	}
}

func TestParseSnmprecErrors(t *testing.T) {
	tests := []struct {
		name, line, wantMsg string
		wantTag             bool
	}{
		{"two fields", "1.3.6.1|2", "got 2 field(s)", false},
		{"bad oid", "1.3.x.1|2|1", "OID", false},
		{"unknown tag", "1.3.6.1|3|1", `tag "3"`, true},
		{"variation module", "1.3.6.1|2:numeric|1", `tag "2:numeric"`, true},
		{"not a number", "1.3.6.1|2|one", `tag 2 value "one"`, false},
		{"int32 overflow", "1.3.6.1|2|2147483648", "out of range", false},
		{"negative counter", "1.3.6.1|65|-1", `tag 65 value "-1"`, false},
		{"bad hex", "1.3.6.1|4x|0g", "bad hex", false},
		{"bad ip", "1.3.6.1|64|10.0.0", "not an IPv4", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSnmprec(strings.NewReader("1.3.6.1.2.1.1.5.0|4|ok\n"+tt.line+"\n"), "dev.snmprec")
			if err == nil {
				t.Fatal("ParseSnmprec: got nil error, want one")
			}
			if !errors.Is(err, ErrMalformedSnmprec) {
				t.Errorf("errors.Is(err, ErrMalformedSnmprec): got false, want true (%v)", err)
			}
			if got := errors.Is(err, ErrUnknownTag); got != tt.wantTag {
				t.Errorf("errors.Is(err, ErrUnknownTag): got %v, want %v", got, tt.wantTag)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "dev.snmprec:2: ") || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message: got %q, want dev.snmprec:2: … %s …", msg, tt.wantMsg)
			}
		})
	}
}

// TestLoadSharedRecordings parses every recording in ../shared/snmprec and
// checks that each data line gave one record.
func TestLoadSharedRecordings(t *testing.T) {
	dir := peer.Recordings(t)
	files := manifestFiles(t, dir)
	if len(files) < 30 {
		t.Fatalf("MANIFEST.tsv lists %d recordings, want at least 30", len(files))
	}
	known := map[string]struct{ records, distinct int }{
		"apc_ap8853.snmprec":   {68, 68},
		"apc_inrow-dx.snmprec": {737, 737},
		"dell-rpdu.snmprec":    {412, 412},
	}
	total := 0
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			recs, err := LoadSnmprec(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("LoadSnmprec: %v", err)
			}
			lines := dataLines(t, filepath.Join(dir, name))
			if len(recs) != lines {
				t.Errorf("records: got %d, want %d (data lines)", len(recs), lines)
			}
			total += len(recs)
			distinct := NewRecordedView(recs).Len()
			if k, ok := known[name]; ok && (len(recs) != k.records || distinct != k.distinct) {
				t.Errorf("records/distinct: got %d/%d, want %d/%d", len(recs), distinct, k.records, k.distinct)
			}
			if name == "stulz_wib8000.snmprec" && len(recs)-distinct != 3 { // three OIDs recorded twice
				t.Errorf("duplicates: got %d, want 3", len(recs)-distinct)
			}
		})
	}
	if total < 50000 {
		t.Errorf("records in all recordings: got %d, want at least 50000", total)
	}
}

func manifestFiles(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("open manifest: %v", err)
	}
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), "\t")
		if strings.HasSuffix(name, ".snmprec") {
			files = append(files, name)
		}
	}
	return files
}

// dataLines counts the non-blank, non-comment lines of a file.
func dataLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		if s := strings.TrimRight(line, "\r\n"); s != "" && !strings.HasPrefix(s, "#") {
			n++
		}
	}
	return n
}
