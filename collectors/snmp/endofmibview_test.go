package snmp

import (
	"slices"
	"testing"
	"time"

	c "github.com/dcplane/dcplane/collectors"
)

// TestEndOfMibViewEndsAColumn: an endOfMibView ends its column even when
// it names an OID inside the column after the one asked for (an agent that
// names the row it would have sent, not the request's): the rows it and
// those after it stand for are absent, not read as values or walked on to.
func TestEndOfMibViewEndsAColumn(t *testing.T) {
	a := startRawAgent(t, rawTable(t, npsFixture), rawOptions{next: func(oid string) (rawEntry, bool) {
		return rawEntry{rpdu2Phase + "5.2", berEndOfMibView}, oid == rpdu2Phase+"5.1"
	}})
	col := newTestCollector()
	defer col.Close()
	st := pollRaw(t, col, a.addr, rpdu2Profile, time.Second, 0)
	want := without(npsHost, c.CurrentAmperes, c.ScopePhase, 2, 3)
	if !st.OK || !slices.Equal(st.Readings, want) {
		t.Errorf("got ok=%v %s\n%v\nwant\n%v", st.OK, st.Err, st.Readings, want)
	}
}
