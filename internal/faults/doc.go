// Package faults holds the controller cluster's fault tests: real
// `dcplane controller` processes on loopback (or in network namespaces, for
// partitions) under a write storm of placements and linearizable reads,
// while the tests kill, pause, partition and restart them. Each test records
// what its clients saw and checks it with porcupine against a model of the
// set of placed idempotency keys, then checks that every node converges to
// the same state hash.
//
// The tests are slow (seconds of failover each) and need root for network
// namespaces, so they build only with the faults tag:
//
//	go test -tags faults -timeout 8m ./internal/faults/
//
// .ci/run runs them after the README's test command. FAULTS_KEEP=1 keeps the
// nodes' data and logs, and writes porcupine's visualisation of a history
// that is not linearizable, under $TMPDIR.
package faults
