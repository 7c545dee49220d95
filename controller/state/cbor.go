package state

import (
	"fmt"
	"math"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/wire"
)

// Codec is the newest encoding of command bodies a reader takes: what a
// node announces of itself (SetNodeAPI.Reads), and what the leader may
// write (EncodeFor) once every member reads it.
type Codec uint8

// The codecs, in the order releases learnt them.
const (
	// CodecJSON is JSON bodies only: what every release reads, and what a
	// node that announces nothing is taken to read.
	CodecJSON Codec = 1
	// CodecCBOR adds the compact CBOR bodies of the hot commands (Place,
	// RecordRackPeaks, Audited), in their body versions spec.cbor.
	CodecCBOR Codec = 2
	// CodecNewest is what this build reads.
	CodecNewest = CodecCBOR
)

// String names the codec as logs and reports do: json, cbor, or codec N
// for one this build does not know.
func (c Codec) String() string {
	switch c {
	case CodecJSON:
		return "json"
	case CodecCBOR:
		return "cbor"
	}
	return fmt.Sprintf("codec %d", uint8(c))
}

// Decoding limits of a CBOR body. A declared length is checked against the
// bytes present before anything is allocated, so the entry's own size
// bounds the allocation; these bound it tighter than that.
const (
	// maxCBORArray is above placement.MaxReplicas (a Place's assignments)
	// and any request's profile or a server's feeds.
	maxCBORArray = 1 << 16
	// maxCBORMap is above the servers of any site we know (a
	// RecordRackPeaks carries one draw per server; the reference site has
	// about 18,000): the library's default, said here so that it stays.
	maxCBORMap = 1 << 17
	// maxCBORNesting: an Audited holds a Place as a byte string, decoded
	// apart; a Place nests a request's labels and an assignment's feeds,
	// three levels deep.
	maxCBORNesting = 8
)

var (
	// cborEnc writes bodies that are the same bytes for equal commands:
	// map keys sorted, floats as they are (float64), no indefinite lengths.
	cborEnc = mustEncMode(cbor.EncOptions{Sort: cbor.SortBytewiseLexical, IndefLength: cbor.IndefLengthForbidden,
		ShortestFloat: cbor.ShortestFloatNone, NaNConvert: cbor.NaNConvertNone})
	// cborDec refuses what JSON could not carry (NaN, ±Inf), what the
	// encoder never writes (indefinite lengths, tags, duplicate keys), and
	// lengths past the limits above. Unknown keys are ignored, as JSON's
	// unknown fields are: a field older readers may skip does not raise the
	// body's version. A text string is taken as the bytes it holds, valid
	// UTF-8 or not, as the encoder wrote them from Go strings (an audit
	// record's request URI may hold any byte a client sent): refusing it
	// would stop every node at an entry the leader committed.
	cborDec = mustDecMode(cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF, IndefLength: cbor.IndefLengthForbidden,
		TagsMd: cbor.TagsForbidden, MaxArrayElements: maxCBORArray, MaxMapPairs: maxCBORMap, MaxNestedLevels: maxCBORNesting,
		NaN: cbor.NaNDecodeForbidden, Inf: cbor.InfDecodeForbidden, UTF8: cbor.UTF8DecodeInvalid})
)

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

// A time in a CBOR body is its Unix nanoseconds, absent for the zero time.
// minNano and maxNano bound what that holds; a command with a time outside
// (or at the epoch itself, whose 0 would read as absent) is written in its
// JSON version instead (cborFits).
var (
	minNano = time.Unix(0, math.MinInt64+1)
	maxNano = time.Unix(0, math.MaxInt64)
)

// nano is t as a CBOR body holds it, and whether it can.
func nano(t time.Time) (int64, bool) {
	if t.IsZero() {
		return 0, true
	}
	if t.Before(minNano) || t.After(maxNano) {
		return 0, false
	}
	n := t.UnixNano()
	return n, n != 0
}

// unnano is the time a CBOR body's nanoseconds stand for, in UTC.
func unnano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// stamps converts a command's times, remembering whether all of them fit.
type stamps struct{ fits bool }

func (s *stamps) of(t time.Time) int64 {
	n, ok := nano(t)
	s.fits = s.fits && ok
	return n
}

// placeCBOR is Place's body since version 2. The keys are the body's
// format: never renumber or reuse one.
type placeCBOR struct {
	ID          string           `cbor:"1,keyasint"`
	Key         string           `cbor:"2,keyasint,omitempty"`
	Request     requestCBOR      `cbor:"3,keyasint"`
	Assignments []assignmentCBOR `cbor:"4,keyasint,omitempty"`
	Reserve     bool             `cbor:"5,keyasint,omitempty"`
	ExpiresAt   int64            `cbor:"6,keyasint,omitempty"`
	At          int64            `cbor:"7,keyasint,omitempty"`
}

// requestCBOR is placement.Request in a CBOR body: the same fields in the
// same order, so that each converts to the other and a field added to
// Request fails to compile here until it has its key.
type requestCBOR struct {
	Name          string            `cbor:"1,keyasint,omitempty"`
	System        string            `cbor:"2,keyasint,omitempty"`
	Replicas      int               `cbor:"3,keyasint,omitempty"`
	CPUMillicores int64             `cbor:"4,keyasint,omitempty"`
	MemoryMiB     int64             `cbor:"5,keyasint,omitempty"`
	GPUs          int               `cbor:"6,keyasint,omitempty"`
	Watts         float64           `cbor:"7,keyasint,omitempty"`
	Utilisation   float64           `cbor:"8,keyasint,omitempty"`
	Spread        placement.Domain  `cbor:"9,keyasint,omitempty"`
	Strategy      string            `cbor:"10,keyasint,omitempty"`
	BothFeeds     bool              `cbor:"11,keyasint,omitempty"`
	Profile       []float64         `cbor:"12,keyasint,omitempty"`
	Hall          string            `cbor:"13,keyasint,omitempty"`
	Row           string            `cbor:"14,keyasint,omitempty"`
	Labels        map[string]string `cbor:"15,keyasint,omitempty"`
	Priority      int               `cbor:"16,keyasint,omitempty"`
}

// assignmentCBOR is placement.Assignment in a CBOR body, converted
// likewise.
type assignmentCBOR struct {
	Replica int      `cbor:"1,keyasint,omitempty"`
	Server  string   `cbor:"2,keyasint,omitempty"`
	Rack    string   `cbor:"3,keyasint,omitempty"`
	Row     string   `cbor:"4,keyasint,omitempty"`
	Hall    string   `cbor:"5,keyasint,omitempty"`
	Feeds   []string `cbor:"6,keyasint,omitempty"`
	Watts   float64  `cbor:"7,keyasint,omitempty"`
}

// cborBody is a command with a CBOR body version (spec.cbor).
type cborBody interface {
	// marshalCBOR returns the command's CBOR body, or ok false when the
	// command holds what that body cannot (a time outside int64
	// nanoseconds): it is then written in its JSON version.
	marshalCBOR() (body []byte, ok bool, err error)
}

func (c Place) marshalCBOR() ([]byte, bool, error) {
	s := stamps{fits: true}
	b := placeCBOR{ID: c.ID, Key: c.Key, Request: requestCBOR(c.Request), Reserve: c.Reserve,
		ExpiresAt: s.of(c.ExpiresAt), At: s.of(c.At)}
	if !s.fits {
		return nil, false, nil
	}
	if len(c.Assignments) > 0 {
		b.Assignments = make([]assignmentCBOR, len(c.Assignments))
		for i, a := range c.Assignments {
			b.Assignments[i] = assignmentCBOR(a)
		}
	}
	body, err := cborEnc.Marshal(b)
	return body, true, err
}

func decodePlaceCBOR(body []byte) (Command, error) {
	var b placeCBOR
	if err := cborDec.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	c := Place{ID: b.ID, Key: b.Key, Request: placement.Request(b.Request), Reserve: b.Reserve,
		ExpiresAt: unnano(b.ExpiresAt), At: unnano(b.At)}
	if len(b.Assignments) > 0 {
		c.Assignments = make([]placement.Assignment, len(b.Assignments))
		for i, a := range b.Assignments {
			c.Assignments[i] = placement.Assignment(a)
		}
	}
	return c, nil
}

// peaksCBOR is RecordRackPeaks' body since version 3.
type peaksCBOR struct {
	Peaks   map[string]float64        `cbor:"1,keyasint,omitempty"`
	Horizon int64                     `cbor:"2,keyasint,omitempty"` // nanoseconds
	At      int64                     `cbor:"3,keyasint,omitempty"`
	Servers map[string]serverDrawCBOR `cbor:"4,keyasint,omitempty"`
}

// serverDrawCBOR is a ServerDraw in a CBOR body: [min, max] watts.
type serverDrawCBOR struct {
	_        struct{} `cbor:",toarray"`
	MinWatts float64
	MaxWatts float64
}

func (c RecordRackPeaks) marshalCBOR() ([]byte, bool, error) {
	s := stamps{fits: true}
	b := peaksCBOR{Peaks: c.Peaks, Horizon: int64(c.Horizon), At: s.of(c.At)}
	if !s.fits {
		return nil, false, nil
	}
	if len(c.Servers) > 0 {
		b.Servers = make(map[string]serverDrawCBOR, len(c.Servers))
		for id, d := range c.Servers {
			b.Servers[id] = serverDrawCBOR{MinWatts: d.MinWatts, MaxWatts: d.MaxWatts}
		}
	}
	body, err := cborEnc.Marshal(b)
	return body, true, err
}

func decodePeaksCBOR(body []byte) (Command, error) {
	var b peaksCBOR
	if err := cborDec.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	c := RecordRackPeaks{Peaks: b.Peaks, Horizon: time.Duration(b.Horizon), At: unnano(b.At)}
	if len(b.Servers) > 0 {
		c.Servers = make(map[string]ServerDraw, len(b.Servers))
		for id, d := range b.Servers {
			c.Servers[id] = ServerDraw{MinWatts: d.MinWatts, MaxWatts: d.MaxWatts}
		}
	}
	return c, nil
}

// auditedCBOR is Audited's body since version 2: the record, then the
// command inside as its type byte, body version and body, the body in
// whichever encoding that version has (CBOR for the hot commands).
type auditedCBOR struct {
	Record  auditRecordCBOR `cbor:"1,keyasint"`
	Type    MessageType     `cbor:"2,keyasint"`
	Version uint8           `cbor:"3,keyasint,omitempty"`
	Command []byte          `cbor:"4,keyasint"`
}

// auditRecordCBOR is wire.AuditRecord in a CBOR body, field by field.
type auditRecordCBOR struct {
	Seq    uint64    `cbor:"1,keyasint,omitempty"`
	At     int64     `cbor:"2,keyasint,omitempty"`
	Who    string    `cbor:"3,keyasint,omitempty"`
	Role   wire.Role `cbor:"4,keyasint,omitempty"`
	Node   string    `cbor:"5,keyasint,omitempty"`
	Method string    `cbor:"6,keyasint,omitempty"`
	Path   string    `cbor:"7,keyasint,omitempty"`
	Input  string    `cbor:"8,keyasint,omitempty"`
	Status int       `cbor:"9,keyasint,omitempty"`
	Result string    `cbor:"10,keyasint,omitempty"`
}

func (c Audited) marshalCBOR() ([]byte, bool, error) {
	s := stamps{fits: true}
	r := c.Record
	b := auditedCBOR{Record: auditRecordCBOR{Seq: r.Seq, At: s.of(r.At), Who: r.Who, Role: r.Role, Node: r.Node,
		Method: r.Method, Path: r.Path, Input: r.Input, Status: r.Status, Result: r.Result}}
	if !s.fits {
		return nil, false, nil
	}
	var err error
	if b.Type, b.Version, b.Command, err = encodeInner(c.Command, CodecCBOR); err != nil {
		return nil, false, err
	}
	body, err := cborEnc.Marshal(b)
	return body, true, err
}

func decodeAuditedCBOR(body []byte) (Command, error) {
	var b auditedCBOR
	if err := cborDec.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	r := b.Record
	rec := wire.AuditRecord{Seq: r.Seq, At: unnano(r.At), Who: r.Who, Role: r.Role, Node: r.Node,
		Method: r.Method, Path: r.Path, Input: r.Input, Status: r.Status, Result: r.Result}
	return decodeInner(rec, b.Type, b.Version, b.Command)
}
