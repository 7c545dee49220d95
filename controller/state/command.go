package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

// MessageType is the first byte of an encoded command: which command the body
// holds, possibly with the IgnoreUnknown bit set.
//
// # Encoding
//
// An encoded command is its type byte, a version byte, then the body:
// [type|IgnoreUnknown?][version]body. The version is that of the
// command's body, per type: a change that older readers would misread
// raises it (a field they would ignore does not), and a node that reads a
// body newer than it knows stops applying with an error naming the entry,
// the type and the version, instead of guessing. Entries written before
// versions existed have no version byte: the body follows the type byte at
// once, and always starts with '{', which no version byte can be (versions
// stay below 0x7b). Decode reads them as version 0, the same layout as 1.
//
// Bodies are JSON, but for the commands the placement path writes at every
// call (Place, RecordRackPeaks, and Audited around a Place), whose newest
// version (spec.cbor) is a compact CBOR body (cbor.go): JSON took about a
// quarter of the CPU of a placement through the API. Every older version
// is still read, so a log written by an older build replays.
//
// # Upgrades
//
// A node older than the CBOR versions stops applying at the first one it
// meets (ErrUnknownVersion). The leader therefore writes them only when
// every member of the Raft configuration reads them (EncodeFor with the
// cluster's Codec, store.Store decides): itself, and each other member
// whose SetNodeAPI announced Reads of CodecCBOR, which a node of this
// build does when it joins (at every start with --join) and when it
// leads (a leader of an older release refuses the announcement in a join
// request: the node joins again without it, unannounced). Until then it
// writes the JSON versions, which every release reads. So a rolling upgrade needs no order: upgrade the members one by
// one, restarting each with --join (a bootstrap node restarted without it
// announces itself when it next leads); the leader switches to CBOR once
// the last has announced. What it cannot protect: a node of an older build
// joining a cluster whose log already holds CBOR entries, or a member
// downgraded after it announced, stops applying at the first such entry;
// upgrade that node to this build instead.
type MessageType uint8

// legacyBody is the first byte of a body written without a version byte:
// JSON objects start with it, and versions stay below it.
const legacyBody = '{'

// The command types. Values are written to the Raft log and are only ever
// appended: never reuse, renumber or remove one. Zero is not a type, so that a
// zeroed buffer never decodes.
const (
	PutSiteType            MessageType = 1
	SetRackBudgetType      MessageType = 2
	PlaceType              MessageType = 3
	RemovePlacementType    MessageType = 4
	ConfirmReservationType MessageType = 5
	ExpireReservationsType MessageType = 6
	RecordRackPeaksType    MessageType = 7
	SetNodeAPIType         MessageType = 8
	RecordAlertsType       MessageType = 9
	CreateTokenType        MessageType = 10
	RevokeTokenType        MessageType = 11
	RecordAuditType        MessageType = 12
	AuditedType            MessageType = 13
)

// IgnoreUnknown is the high bit of the type byte. A node that does not know
// the type of a command carrying it skips the command (Decode returns Ignored)
// instead of failing with ErrUnknownCommand. Type values stay below it.
const IgnoreUnknown MessageType = 0x80

// spec describes one known command type.
type spec struct {
	name string
	// decode reads a JSON body, of any version up to version.
	decode func(body []byte) (Command, error)
	// version is the JSON body version this build writes (unless the
	// command says less: bodyVersioner) and the newest JSON one it reads;
	// every type starts at 1.
	version uint8
	// cbor, when not 0, is the version whose body is CBOR (read by
	// decodeCBOR, written by the command's marshalCBOR): above every JSON
	// version, and the newest this build reads and writes of the type.
	cbor       uint8
	decodeCBOR func(body []byte) (Command, error)
	// ignorable commands are written with the IgnoreUnknown bit, so that
	// nodes older than the type skip them. Only SetNodeAPI is: a node that
	// skips it cannot forward to the leader's API, and says so, but its
	// power and placement state stays the cluster's. The others change
	// state that every replica must hold to answer reads alike.
	ignorable bool
}

// commands is every command type this build knows.
var commands = map[MessageType]spec{
	PutSiteType:       {name: "PutSite", decode: decodeAs[PutSite], version: 1},
	SetRackBudgetType: {name: "SetRackBudget", decode: decodeAs[SetRackBudget], version: 1},
	// Version 2 is the CBOR body (placeCBOR).
	PlaceType:              {name: "Place", decode: decodeAs[Place], version: 1, cbor: 2, decodeCBOR: decodePlaceCBOR},
	RemovePlacementType:    {name: "RemovePlacement", decode: decodeAs[RemovePlacement], version: 1},
	ConfirmReservationType: {name: "ConfirmReservation", decode: decodeAs[ConfirmReservation], version: 1},
	ExpireReservationsType: {name: "ExpireReservations", decode: decodeAs[ExpireReservations], version: 1},
	// Version 2 adds the servers' measured draws, which a version-1
	// reader would ignore, placing on a power model other replicas have
	// calibrated. A command without them is written as version 1 in
	// JSON. Version 3 is the CBOR body (peaksCBOR), with or without them.
	RecordRackPeaksType: {name: "RecordRackPeaks", decode: decodeAs[RecordRackPeaks], version: 2, cbor: 3, decodeCBOR: decodePeaksCBOR},
	SetNodeAPIType:      {name: "SetNodeAPI", decode: decodeAs[SetNodeAPI], version: 1, ignorable: true},
	// Not ignorable: every replica must hold the alert state (acks,
	// silences) to answer reads of it alike and to hand it to a new leader.
	RecordAlertsType: {name: "RecordAlerts", decode: decodeAs[RecordAlerts], version: 1},
	// Not ignorable: a node that skipped a revocation would go on taking
	// the token, and one that skipped the audit would lose records.
	// Version 2 adds the token's halls, which a version-1 reader would
	// ignore, letting the agent report for every hall.
	CreateTokenType: {name: "CreateToken", decode: decodeAs[CreateToken], version: 2},
	RevokeTokenType: {name: "RevokeToken", decode: decodeAs[RevokeToken], version: 1},
	RecordAuditType: {name: "RecordAudit", decode: decodeAs[RecordAudit], version: 1},
	// AuditedType (a command with its call's audit record) is added by
	// audited.go's init: its decoder reads the command inside through this
	// table, which a literal entry would make an initialisation cycle.
}

// newest is the newest body version of the type this build reads.
func (s spec) newest() uint8 { return max(s.version, s.cbor) }

// String names the type, for logs and errors.
func (t MessageType) String() string {
	if s, ok := commands[t&^IgnoreUnknown]; ok {
		return s.name
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// Command is a change to the replicated state. The set is closed: Decode must
// know every command, so only this package defines them.
type Command interface {
	// Type is the command's type, without the IgnoreUnknown bit.
	Type() MessageType
	command()
}

// PutSite replaces the whole site inventory. Apply rejects a site that fails
// inventory validation. Budget overrides of racks that the new site still has
// are kept; the others are dropped.
type PutSite struct {
	Site *inventory.Site `json:"site"`
	At   time.Time       `json:"at"` // when the change was asked for
}

// Type is PutSiteType.
func (PutSite) Type() MessageType { return PutSiteType }
func (PutSite) command()          {}

// SetRackBudget overrides the inventory's power budget of one rack.
type SetRackBudget struct {
	Rack  string    `json:"rack"`
	Watts float64   `json:"watts"`
	At    time.Time `json:"at"` // when the change was asked for
}

// Type is SetRackBudgetType.
func (SetRackBudget) Type() MessageType { return SetRackBudgetType }
func (SetRackBudget) command()          {}

// Place commits a placement decided by the leader's engine: the request and
// the server of each replica. With Reserve set it is a reservation, which
// holds its capacity until ExpiresAt unless confirmed. Apply re-checks every
// hard limit against the committed state, so a decision made on an older
// view can never overbook: it is refused with ErrOverbooked instead.
type Place struct {
	ID          string                 `json:"id"`
	Key         string                 `json:"key,omitempty"` // idempotency key of the request, if any
	Request     placement.Request      `json:"request"`
	Assignments []placement.Assignment `json:"assignments"`
	Reserve     bool                   `json:"reserve,omitempty"`
	ExpiresAt   time.Time              `json:"expires_at,omitzero"` // reservations only
	At          time.Time              `json:"at"`
}

// Type is PlaceType.
func (Place) Type() MessageType { return PlaceType }
func (Place) command()          {}

// RemovePlacement removes a placement or a reservation and frees what it held.
type RemovePlacement struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// Type is RemovePlacementType.
func (RemovePlacement) Type() MessageType { return RemovePlacementType }
func (RemovePlacement) command()          {}

// ConfirmReservation turns a live reservation into a placement.
type ConfirmReservation struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// Type is ConfirmReservationType.
func (ConfirmReservation) Type() MessageType { return ConfirmReservationType }
func (ConfirmReservation) command()          {}

// ExpireReservations removes every reservation whose ExpiresAt is at or
// before At, and forgets idempotency keys older than the retention. The
// leader sends it periodically: expiry is a log entry, so every replica
// frees the same reservations at the same index.
type ExpireReservations struct {
	At time.Time `json:"at"`
}

// Type is ExpireReservationsType.
func (ExpireReservations) Type() MessageType { return ExpireReservationsType }
func (ExpireReservations) command()          {}

// RecordRackPeaks commits the leader's summary of each rack's measured peak
// draw over the recent horizon, so that a new leader keeps it. Racks left
// out keep their previous peak; a peak of a rack the inventory does not have
// is ignored.
type RecordRackPeaks struct {
	Peaks map[string]float64 `json:"peaks"` // rack ID → watts
	// Horizon is how far back each peak looks (0: DefaultPeakHorizon).
	// Placements made within it before At may not be in the peaks yet.
	Horizon time.Duration `json:"horizon,omitempty"`
	At      time.Time     `json:"at"`
	// Servers is, since body version 2, each server's lowest and highest
	// measured input power over the same horizon, from which every
	// replica calibrates placement's power model of it. Servers left out
	// keep what was recorded of them; a server the inventory does not
	// have is ignored.
	Servers map[string]ServerDraw `json:"servers,omitempty"` // server ID → draw
}

// ServerDraw is the lowest and highest input power a server's BMC
// measured while the server was on, in watts: both above 0, the lowest
// not above the highest.
type ServerDraw struct {
	MinWatts float64 `json:"min_watts"`
	MaxWatts float64 `json:"max_watts"`
}

// Type is RecordRackPeaksType.
func (RecordRackPeaks) Type() MessageType { return RecordRackPeaksType }
func (RecordRackPeaks) command()          {}

// bodyVersion is 1 unless c carries servers' draws: nodes older than
// calibration keep applying the racks' peaks.
func (c RecordRackPeaks) bodyVersion() uint8 {
	if len(c.Servers) == 0 {
		return 1
	}
	return 2
}

// Ignored is what Decode returns for a command of a type this build does not
// know, written with the IgnoreUnknown bit. Applying it changes nothing but
// the index.
type Ignored struct {
	Raw     MessageType     // the type byte as written, with IgnoreUnknown
	Version uint8           // the body's version; 0 when written without one
	Body    json.RawMessage // the body, kept for logs and re-encoding
}

// Type is the unknown type, without the IgnoreUnknown bit.
func (c Ignored) Type() MessageType { return c.Raw &^ IgnoreUnknown }
func (Ignored) command()            {}

// Encode writes a command as its type byte, its body's version and its
// body, in the newest version this build writes: for a cluster that may
// hold older nodes, EncodeFor.
func Encode(cmd Command) ([]byte, error) { return EncodeFor(cmd, CodecNewest) }

// EncodeFor writes a command as Encode does, for readers that take bodies
// up to codec reads: below CodecCBOR, in the newest JSON version (see
// MessageType's Upgrades).
func EncodeFor(cmd Command, reads Codec) ([]byte, error) {
	t, version, body, err := encodeParts(cmd, reads)
	if err != nil {
		return nil, err
	}
	return header(t, version, body), nil
}

// encodeParts returns cmd's type byte (with IgnoreUnknown when its type
// has it), its body's version and its body, for readers of reads.
func encodeParts(cmd Command, reads Codec) (MessageType, uint8, []byte, error) {
	if cmd == nil {
		return 0, 0, nil, fmt.Errorf("encode: nil command: %w", ErrMalformedCommand)
	}
	if ig, ok := cmd.(Ignored); ok {
		return ig.Raw | IgnoreUnknown, ig.Version, ig.Body, nil
	}
	s, ok := commands[cmd.Type()]
	if !ok {
		return 0, 0, nil, fmt.Errorf("encode %v: %w", cmd.Type(), ErrUnknownCommand)
	}
	t := cmd.Type()
	if s.ignorable {
		t |= IgnoreUnknown
	}
	if c, ok := cmd.(cborBody); ok && s.cbor != 0 && reads >= CodecCBOR {
		body, fits, err := c.marshalCBOR()
		if err != nil {
			return 0, 0, nil, fmt.Errorf("encode %v: %w", t, err)
		}
		if fits {
			return t, s.cbor, body, nil
		}
	}
	body, err := json.Marshal(cmd)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("encode %v: %w", t, err)
	}
	version := s.version
	if v, ok := cmd.(bodyVersioner); ok {
		version = v.bodyVersion()
	}
	return t, version, body, nil
}

// bodyVersioner is a command whose body may be written in an older
// version than its type's newest: the oldest that holds what it carries,
// so that nodes not yet upgraded keep applying the log until a command
// needs the new version.
type bodyVersioner interface {
	// bodyVersion is the version to write the command's body in.
	bodyVersion() uint8
}

// header prepends the type and the version to body; version 0 of a body
// that says so itself (empty, or starting with legacyBody) is written
// without it, as before versions existed. An ignored command read with an
// explicit version 0 before another body keeps it: without it, the body's
// first byte would read as the version.
func header(t MessageType, version uint8, body []byte) []byte {
	if version == 0 && (len(body) == 0 || body[0] == legacyBody) {
		return append([]byte{byte(t)}, body...)
	}
	return append([]byte{byte(t), version}, body...)
}

// Decode reads a command written by Encode, or by a release that wrote no
// version byte. An unknown type fails with ErrUnknownCommand unless it
// carries the IgnoreUnknown bit, in which case Decode returns an Ignored
// command; a known type whose body is newer than this build reads fails
// with ErrUnknownVersion. Either error names the type and the version.
func Decode(b []byte) (Command, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("decode: empty command: %w", ErrMalformedCommand)
	}
	raw, version, body := MessageType(b[0]), uint8(0), b[1:]
	if len(body) > 0 && body[0] != legacyBody {
		version, body = body[0], body[1:]
	}
	return decodeParts(raw, version, body)
}

// decodeParts is Decode of an entry taken apart: its type byte as written,
// its body's version and its body.
func decodeParts(raw MessageType, version uint8, body []byte) (Command, error) {
	s, ok := commands[raw&^IgnoreUnknown]
	switch {
	case !ok && raw&IgnoreUnknown != 0:
		return Ignored{Raw: raw, Version: version, Body: bytes.Clone(body)}, nil
	case !ok:
		return nil, fmt.Errorf("decode type %d, body version %d: this build knows types 1 to %d: %w",
			uint8(raw), version, maxType(), ErrUnknownCommand)
	case version > s.newest():
		return nil, fmt.Errorf("decode %s body version %d: this build reads up to version %d: %w",
			s.name, version, s.newest(), ErrUnknownVersion)
	}
	decode := s.decode
	if s.cbor != 0 && version == s.cbor {
		decode = s.decodeCBOR
	}
	cmd, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s body version %d: %w: %w", s.name, version, ErrMalformedCommand, err)
	}
	return cmd, nil
}

// maxType is the highest command type this build knows.
func maxType() MessageType {
	var m MessageType
	for t := range commands {
		m = max(m, t)
	}
	return m
}

// decodeAs unmarshals a JSON body into a command of type T.
func decodeAs[T Command](body []byte) (Command, error) {
	var c T
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, err
	}
	return c, nil
}
