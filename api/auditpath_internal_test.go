package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAuditPathIsText: a request URI holding bytes that are not UTF-8 (a
// client may send any in a query string) is kept as text, those bytes
// replaced, short or cut: the record is then the same in the log's JSON,
// its CBOR and the snapshot.
func TestAuditPathIsText(t *testing.T) {
	for _, q := range []string{"a=\xff\xfe", "a=" + strings.Repeat("\xff", 2*auditPathCut)} {
		r := &http.Request{URL: &url.URL{Path: "/v1/placements", RawQuery: q}}
		got := auditPath(r)
		if !utf8.ValidString(got) || !strings.HasPrefix(got, "/v1/placements?a=") || !strings.Contains(got, "\uFFFD") && len(q) < auditPathCut {
			t.Errorf("query of %d bytes: got %q, want valid UTF-8 naming the path, the bytes replaced", len(q), got)
		}
	}
}
