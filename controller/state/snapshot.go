package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// snapshotFormat is the newest version of the snapshot layout this build
// writes and reads. Bump it when the layout changes, and keep reading the
// old ones.
//
// Format 3 adds the alert state, which a format-2 reader would drop without
// a word (it is no ignorable state: acks would be lost). A snapshot is
// written as format 3 only when it holds alert state, else as format 2: a
// node older than alerts refuses the first, as it refuses the RecordAlerts
// command that made it, and still reads the second during a rolling upgrade.
//
// Format 4 adds the API tokens and the audit trail, for the same reason: a
// format-3 reader would drop revocations. It is written only when there
// are tokens or audit records.
//
// Format 5 adds the halls of agents' tokens, which a format-4 reader would
// drop, letting those agents report for every hall. It is written only
// when some token has halls.
//
// Format 6 adds the servers' measured draws, which a format-5 reader would
// drop, placing on the declared power model where the others calibrate
// it. It is written when some draw is recorded, and (as the newest) when
// some token has halls: a format-5 reader then refuses a snapshot it could
// have read, which stops it during a rolling upgrade instead of letting
// it diverge.
const snapshotFormat = 6

// formatBeforeHalls is the format of a snapshot with tokens, none of which
// has halls.
const formatBeforeHalls = 4

// formatBeforeAccess is the format of a snapshot with alert state but
// neither tokens nor audit records.
const formatBeforeAccess = 3

// formatBeforeAlerts is the format of a snapshot without alert state.
const formatBeforeAlerts = 2

// snapshot is the serialised form of a View.
type snapshot struct {
	Format  int                `json:"format"`
	Index   uint64             `json:"index"`
	Updated time.Time          `json:"updated"`
	Site    *inventory.Site    `json:"site"`
	Budgets map[string]float64 `json:"rack_budgets_watts,omitempty"`
	// Since format 2.
	Placements []*Placement         `json:"placements,omitempty"` // by ID
	Keys       map[string]keyRecord `json:"idempotency_keys,omitempty"`
	Peaks      map[string]float64   `json:"rack_peaks_watts,omitempty"`
	PeakAt     map[string]time.Time `json:"rack_peaks_at,omitempty"`
	PeakSpan   time.Duration        `json:"rack_peaks_horizon,omitempty"`
	// Optional, in format 2: a reader that does not know it drops it, as
	// such a reader skips SetNodeAPI.
	Nodes map[string]string `json:"node_apis,omitempty"`
	// Optional likewise, since CBOR bodies: the codec each node announced
	// (SetNodeAPI.Reads), which a reader that does not know it drops as it
	// ignores the field in SetNodeAPI.
	Reads map[string]Codec `json:"node_reads,omitempty"`
	// Since format 3: written only when not empty.
	Alerts *alerts.State `json:"alerts,omitempty"`
	// Since format 4: written only when not empty.
	Tokens   []snapshotToken    `json:"tokens,omitempty"`
	Audit    []wire.AuditRecord `json:"audit,omitempty"`
	AuditSeq uint64             `json:"audit_seq,omitempty"`
	// Since format 6: written only when not empty.
	Draws map[string]drawRecord `json:"server_draws,omitempty"`
}

// snapshotToken is a token with its hash, which wire.Token never encodes.
type snapshotToken struct {
	wire.Token
	Hash string `json:"hash"`
}

// WriteTo writes the view as a snapshot that Machine.Restore reads back. The
// bytes are the same for equal states.
func (v *View) WriteTo(w io.Writer) (int64, error) {
	snap := snapshot{
		Format: formatBeforeAlerts, Index: v.index, Updated: v.updated,
		Site: v.site, Budgets: v.budgets,
		Placements: v.Placements(), Keys: v.keys.toMap(), Peaks: v.peaks, PeakAt: v.peakAt, PeakSpan: v.peakSpan, Nodes: v.nodes,
		Reads: v.reads,
	}
	if !alertsEmpty(v.alerts) {
		snap.Format, snap.Alerts = formatBeforeAccess, &v.alerts
	}
	if !accessEmpty(v.access) {
		snap.Format, snap.Audit, snap.AuditSeq = formatBeforeHalls, v.access.audit, v.access.lastSeq
		for _, t := range v.Tokens() {
			snap.Tokens = append(snap.Tokens, snapshotToken{Token: t, Hash: t.Hash})
			if len(t.Halls) > 0 {
				snap.Format = snapshotFormat
			}
		}
	}
	if len(v.draws) > 0 {
		snap.Format, snap.Draws = snapshotFormat, v.draws
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return 0, fmt.Errorf("write snapshot at index %d: %w", v.index, err)
	}
	n, err := w.Write(b)
	if err != nil {
		return int64(n), fmt.Errorf("write snapshot at index %d: %w", v.index, err)
	}
	return int64(n), nil
}

// Restore replaces the whole state with a snapshot written by View.WriteTo.
// The snapshot is read in full before the state is swapped, in one atomic
// store: readers see the old state or the new one, never a mix. On error the
// state is unchanged.
func (m *Machine) Restore(r io.Reader) error {
	v, err := readSnapshot(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v.epoch = m.view.Load().epoch + 1
	m.view.Store(v)
	return nil
}

func readSnapshot(r io.Reader) (*View, error) {
	var s snapshot
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return nil, fmt.Errorf("read snapshot: %w: %w", ErrSnapshotFormat, err)
	}
	if s.Format < 1 || s.Format > snapshotFormat {
		return nil, fmt.Errorf("read snapshot: format %d, want 1 to %d: %w", s.Format, snapshotFormat, ErrSnapshotFormat)
	}
	ps := make(map[string]*Placement, len(s.Placements))
	for _, p := range s.Placements {
		ps[p.ID] = p
	}
	v := &View{budgets: s.Budgets, keys: cowOf(s.Keys), peaks: s.Peaks, peakAt: s.PeakAt, peakSpan: s.PeakSpan, placements: cowOf(ps), nodes: s.Nodes, reads: s.Reads, draws: s.Draws}
	if s.Alerts != nil {
		v.alerts = s.Alerts.Clone()
	}
	v.access = access{audit: s.Audit, lastSeq: s.AuditSeq}
	for _, t := range s.Tokens {
		if v.access.tokens == nil {
			v.access.tokens = map[string]wire.Token{}
		}
		t.Token.Hash = t.Hash
		v.access.tokens[t.ID] = t.Token
	}
	if s.Site != nil {
		var err error
		if v, err = v.withSite(s.Site); err != nil {
			return nil, fmt.Errorf("read snapshot: %w: %w", ErrSnapshotFormat, err)
		}
	}
	v.index, v.updated = s.Index, s.Updated
	return v, nil
}

// KeepAudit reads a snapshot written by View.WriteTo, about to be
// restored in place of cur, and writes it again with cur's audit trail in
// place of its own, followed by rec, the record of the restore (its Result
// is set here: what was restored). A restore puts back the state of the
// past, but never rewinds the audit trail: the records made since the
// snapshot, and the restore's own, stay. The snapshot's own records are
// dropped (they are the trail as it was then: a prefix of cur's, for a
// snapshot of this cluster).
func KeepAudit(r io.Reader, cur *View, rec wire.AuditRecord) ([]byte, error) {
	v, err := readSnapshot(r)
	if err != nil {
		return nil, err
	}
	if rec.At.IsZero() {
		return nil, fmt.Errorf("keep the audit trail: the restore's record has no time: %w", ErrMalformedCommand)
	}
	dropped := len(v.access.audit)
	// Clipped: appending must not write into the backing array of cur,
	// whose next view may append there.
	v.access.audit, v.access.lastSeq = slices.Clip(cur.access.audit), cur.access.lastSeq
	rec.Result = fmt.Sprintf("restored a snapshot of index %d (updated %s); the audit trail kept (%d records), the snapshot's own %d dropped",
		v.index, normalTime(v.updated).Format(time.RFC3339), len(cur.access.audit), dropped)
	v.appendAudit(rec)
	var b bytes.Buffer
	if _, err := v.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Hash is the SHA-256, in hex, of the snapshot WriteTo writes: equal states
// have equal hashes, so replicas at the same index can be compared.
func (v *View) Hash() (string, error) {
	h := sha256.New()
	if _, err := v.WriteTo(h); err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Reindex reads a snapshot written by View.WriteTo, checks it, and writes it
// again labelled with another log index: a backup restored into a log whose
// later entries must apply on top of it, whatever index it was taken at.
func Reindex(r io.Reader, index uint64) ([]byte, error) {
	v, err := readSnapshot(r)
	if err != nil {
		return nil, err
	}
	v.index = index
	var b bytes.Buffer
	if _, err := v.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
