// Package freeport picks loopback addresses for the programs that dcplane's
// tests and benches start and that take an address, not a listener: etcd,
// Alertmanager, controllers run as processes. Such a port can only be free
// "a moment ago", and in CI, where the tests of every package run at once,
// the moment was once enough for another test's listener on port 0 to take
// the port etcd was about to bind (stop 17's CI failure). The ports are
// therefore drawn at random from below the kernel's ephemeral range, from
// which every listener on port 0 is given its port, and those chosen
// together are distinct.
package freeport
