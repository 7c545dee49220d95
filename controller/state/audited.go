package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
)

// Audited is a command together with the audit record of the API call
// that made it, in one log entry: the state applies the command and, in
// the same step, appends the record with what the command did. A crash
// can therefore never leave a change committed without its record, and a
// call costs one commit, not two (the command, then a RecordAudit).
//
// A command the state refuses refuses the whole entry: nothing changes
// but the index, and the record is not kept, so that the API records the
// call with the answer it gave (the call may also try again, as a
// placement refused for room taken meanwhile does, and record once).
type Audited struct {
	// Record is the call's record as the API knew it before serving it;
	// the state numbers it and sets its Result to what the command did.
	Record  wire.AuditRecord
	Command Command
}

// Type is AuditedType.
func (Audited) Type() MessageType { return AuditedType }
func (Audited) command()          {}

func init() {
	// Not ignorable: a node that skipped it would skip the command
	// inside it too. See the note in the commands table.
	// Version 2 is the CBOR body (auditedCBOR), whose command inside is
	// written in its own newest version too.
	commands[AuditedType] = spec{name: "Audited", decode: decodeAudited, version: 1, cbor: 2, decodeCBOR: decodeAuditedCBOR}
}

// auditedBody is Audited's body: the record, then the command inside as
// Encode would write it, its type byte (with IgnoreUnknown when its type
// has it) and body version apart from its JSON body.
type auditedBody struct {
	Record  wire.AuditRecord `json:"record"`
	Type    MessageType      `json:"type"`
	Version uint8            `json:"version"`
	Command json.RawMessage  `json:"command"`
}

// errNested refuses an Audited inside an Audited, or around nothing.
var errNested = errors.New("an audited entry holds one command, not another audited one or none")

// MarshalJSON writes the JSON body of an Audited command (version 1),
// with the command inside in its JSON version too: a reader of version 1
// may not read more.
func (c Audited) MarshalJSON() ([]byte, error) {
	t, version, inner, err := encodeInner(c.Command, CodecJSON)
	if err != nil {
		return nil, err
	}
	return json.Marshal(auditedBody{Record: c.Record, Type: t, Version: version, Command: inner})
}

// encodeInner is encodeParts of the command inside an Audited, which is
// neither an Audited nor nothing.
func encodeInner(cmd Command, reads Codec) (MessageType, uint8, []byte, error) {
	switch cmd.(type) {
	case nil, Audited:
		return 0, 0, nil, fmt.Errorf("encode Audited: %w: %w", ErrMalformedCommand, errNested)
	}
	return encodeParts(cmd, reads)
}

// decodeAudited reads an Audited JSON body, and the command inside it as
// Decode reads an entry: an unknown type fails unless it carries
// IgnoreUnknown, a body newer than this build reads fails.
func decodeAudited(body []byte) (Command, error) {
	var b auditedBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	if string(b.Command) == "null" {
		return nil, errNested
	}
	return decodeInner(b.Record, b.Type, b.Version, b.Command)
}

// decodeInner reads the command inside an Audited body and returns the
// Audited.
func decodeInner(rec wire.AuditRecord, t MessageType, version uint8, body []byte) (Command, error) {
	if t&^IgnoreUnknown == AuditedType || t == 0 || len(body) == 0 {
		return nil, errNested
	}
	inner, err := decodeParts(t, version, body)
	if err != nil {
		return nil, fmt.Errorf("the command inside: %w", err)
	}
	return Audited{Record: rec, Command: inner}, nil
}

// audited applies c.Command and, when the state takes it, appends the
// call's record with what it did, in the same new view.
func (v *View) audited(c Audited) (*View, error) {
	switch c.Command.(type) {
	case nil, Audited:
		return nil, fmt.Errorf("apply audited entry: %w: %w", errNested, ErrMalformedCommand)
	}
	if c.Record.At.IsZero() {
		return nil, fmt.Errorf("apply audited %v: the record has no time: %w", c.Command.Type(), ErrMalformedCommand)
	}
	n, err := v.next(c.Command)
	if err != nil {
		return nil, err
	}
	rec := c.Record
	rec.Result = outcome(c.Command)
	n.appendAudit(rec)
	return n, nil
}

// outcome says what an applied command did, for its call's record: short,
// since every replica keeps it, and naming what the call's answer would
// (a placement's ID, a token's).
func outcome(cmd Command) string {
	const done = "applied with its record: "
	switch c := cmd.(type) {
	case Place:
		what := "placed " + c.ID
		if c.Reserve {
			what = "reserved " + c.ID + " until " + normalTime(c.ExpiresAt).Format(time.RFC3339)
		}
		return done + what + ", " + strconv.Itoa(len(c.Assignments)) + " replica(s)"
	case RemovePlacement:
		return done + "removed " + c.ID
	case ConfirmReservation:
		return done + "confirmed " + c.ID
	case PutSite:
		if c.Site != nil {
			return done + "inventory of site " + strconv.Quote(c.Site.Name)
		}
	case SetRackBudget:
		return done + "budget of rack " + c.Rack + ": " + strconv.FormatFloat(c.Watts, 'f', -1, 64) + " W"
	case CreateToken:
		return done + "token " + c.Token.ID + " (" + c.Token.Name + ", " + string(c.Token.Role) + ") created"
	case RevokeToken:
		return done + "token " + c.ID + " revoked"
	}
	return done + cmd.Type().String()
}
