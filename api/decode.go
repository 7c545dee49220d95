package api

import (
	"github.com/fxamacker/cbor/v2"

	"github.com/dcplane/dcplane/controller/telemetry"
)

// batchDecoder decodes telemetry batches within bounds on their shape, so
// that what a body costs to decode follows from its bytes and from what a
// batch needs: a Batch nests five deep (batch, polls, poll, readings,
// reading), holds at most telemetry.MaxPollsPerPush polls and a poll as many
// readings (a PDU of 48 outlets sends about 300), and its only map has
// three keys. Duplicate keys are refused rather than one of them chosen.
var batchDecoder = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  8,
		MaxArrayElements: telemetry.MaxPollsPerPush,
		MaxMapPairs:      16, // the library's least
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
	if err != nil {
		panic(err) // the options above are constant
	}
	return dm
}()

// decodeBatch decodes a CBOR-encoded Batch into b. A body over one of
// batchDecoder's bounds is an error that names it.
func decodeBatch(data []byte, b *Batch) error { return batchDecoder.Unmarshal(data, b) }
