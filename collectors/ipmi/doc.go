// Package ipmi reads servers' power, sensors and power-supply state from
// their BMCs over IPMI v2.0 (RMCP+), with github.com/bougou/go-ipmi's client.
//
// It is built in three layers, so that what a BMC answers can be tested
// apart from how it is asked:
//
//   - BMC (session.go) is the conversation: each method sends one kind of
//     request and returns the BMC's answer as bytes, undecoded. *Session is
//     the real one; tests replay answers captured from real peers
//     (testdata/*.txt).
//   - The parsers (parse.go) turn those bytes into values: a DCMI power
//     reading, the SDR's sensors, one sensor's reading. They are pure.
//   - The Collector (collector.go) keeps one session per BMC across polls,
//     asks what the SDR says is worth asking, and maps the answers onto
//     collectors' normalised readings (readings.go).
//
// Security: only IPMI v2.0 RMCP+ sessions are opened, with cipher suite 17
// (HMAC-SHA256, AES-CBC-128) unless suite 3 (HMAC-SHA1) is asked for
// explicitly; suite 0 (no authentication) and IPMI v1.5 are refused. The
// session asks for the User privilege only: every command here is a read.
//
// A value the BMC does not give — no reading, sensor unavailable, DCMI not
// supported, a completion code other than success — is left out of the
// readings, never reported as zero.
//
// Every power reading comes with its resolution (collectors.
// PowerResolutionWatts at its scope and index): a sensor's reading counts
// in steps of M × 10^R watts, often 2 to 14 W, and DCMI in whole watts.
// Forty PSUs of one model round alike, so the controller's cross-check
// allows for the steps of the readings it sums.
package ipmi
