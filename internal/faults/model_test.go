//go:build faults

package faults

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// TestModelCatches checks the checker on small hand-made histories: the
// model must refuse a lost acknowledged write, a stale read and a key
// placed twice, and accept a write of unknown outcome either way.
func TestModelCatches(t *testing.T) {
	place := func(client int, key string, call, ret int64, status string) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: input{Place: true, Key: key, System: "s"}, Call: call, Output: output{Status: status}, Return: ret}
	}
	read := func(client int, call, ret int64, keys ...string) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: input{System: "s"}, Call: call, Output: output{Status: readDone, Keys: keys}, Return: ret}
	}
	tests := []struct {
		name    string
		history []porcupine.Operation
		want    porcupine.CheckResult
	}{
		{"acknowledged then read", []porcupine.Operation{place(0, "a", 0, 10, placed), read(1, 20, 30, "a")}, porcupine.Ok},
		{"lost acknowledged write", []porcupine.Operation{place(0, "a", 0, 10, placed), read(1, 20, 30)}, porcupine.Illegal},
		{"stale read after a newer one", []porcupine.Operation{place(0, "a", 0, 5, unknown), read(1, 10, 20, "a"), read(1, 30, 40)}, porcupine.Illegal},
		{"refused yet placed", []porcupine.Operation{place(0, "a", 0, 10, refused), read(1, 20, 30, "a")}, porcupine.Illegal},
		{"placed twice", []porcupine.Operation{place(0, "a", 0, 10, placed),
			{ClientId: 1, Input: input{System: "s"}, Call: 20, Output: output{Status: readDone, Keys: []string{"a"}, Dups: []string{"a"}}, Return: 30}}, porcupine.Illegal},
		{"unknown, seen", []porcupine.Operation{place(0, "a", 0, 100, unknown), read(1, 20, 30, "a")}, porcupine.Ok},
		{"unknown, never seen", []porcupine.Operation{place(0, "a", 0, 100, unknown), read(1, 20, 30)}, porcupine.Ok},
		{"concurrent read sees it or not", []porcupine.Operation{place(0, "a", 0, 30, placed), read(1, 10, 20)}, porcupine.Ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := porcupine.CheckOperationsTimeout(placementModel, tt.history, checkTimeout); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
