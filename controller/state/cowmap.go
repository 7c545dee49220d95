package state

import (
	"cmp"
	"slices"
)

// cowShards is how many shards a cowMap has. A write copies the array of
// shard pointers and one shard, about len/cowShards entries: cheap enough
// for a Place a command on a state of many thousands of placements.
const cowShards = 128

// cowMap is a map from string keys that is copied on write, cheaply: set
// and del return a new map sharing all but one shard with the old, which
// stays as it was. The zero value is an empty map.
type cowMap[V any] struct {
	shards *[cowShards]map[string]V
	n      int
}

func shardOf(key string) int {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return int(h % cowShards)
}

func (m cowMap[V]) get(key string) (V, bool) {
	if m.shards == nil {
		var zero V
		return zero, false
	}
	v, ok := m.shards[shardOf(key)][key]
	return v, ok
}

// len is the number of entries.
func (m cowMap[V]) len() int { return m.n }

// set returns a map with key set to v.
func (m cowMap[V]) set(key string, v V) cowMap[V] {
	out, s := m.copyShard(key)
	if _, ok := s[key]; !ok {
		out.n++
	}
	s[key] = v
	return out
}

// del returns a map without key.
func (m cowMap[V]) del(key string) cowMap[V] {
	if _, ok := m.get(key); !ok {
		return m
	}
	out, s := m.copyShard(key)
	delete(s, key)
	out.n--
	return out
}

// copyShard returns a map sharing m's shards but key's, which it copies
// and returns.
func (m cowMap[V]) copyShard(key string) (cowMap[V], map[string]V) {
	var shards [cowShards]map[string]V
	if m.shards != nil {
		shards = *m.shards
	}
	i := shardOf(key)
	s := make(map[string]V, len(shards[i])+1)
	for k, v := range shards[i] {
		s[k] = v
	}
	shards[i] = s
	return cowMap[V]{shards: &shards, n: m.n}, s
}

// sorted returns the keys in order.
func (m cowMap[V]) sorted() []string {
	out := make([]string, 0, m.n)
	if m.shards == nil {
		return out
	}
	for _, s := range m.shards {
		for k := range s {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, cmp.Compare[string])
	return out
}

// toMap returns a plain copy, nil when empty.
func (m cowMap[V]) toMap() map[string]V {
	if m.n == 0 {
		return nil
	}
	out := make(map[string]V, m.n)
	for _, s := range m.shards {
		for k, v := range s {
			out[k] = v
		}
	}
	return out
}

// cowOf builds a map from a plain one.
func cowOf[V any](in map[string]V) cowMap[V] {
	if len(in) == 0 {
		return cowMap[V]{}
	}
	var shards [cowShards]map[string]V
	for k, v := range in {
		i := shardOf(k)
		if shards[i] == nil {
			shards[i] = map[string]V{}
		}
		shards[i][k] = v
	}
	return cowMap[V]{shards: &shards, n: len(in)}
}
