package state

import (
	"cmp"
	"slices"
)

// A cowMap has cowFan × cowFan shards, in two levels. A write copies the
// top array of cowFan pointers, one leaf array of cowFan pointers and one
// shard of about len/cowFan² entries: a few dozen even with 100,000 keys,
// cheap enough for every Place of a state holding many thousands.
const (
	cowFan    = 64
	cowShards = cowFan * cowFan
)

// cowMap is a map from string keys that is copied on write, cheaply: set
// and del return a new map sharing all but one shard with the old, which
// stays as it was. The zero value is an empty map.
type cowMap[V any] struct {
	top *[cowFan]*[cowFan]map[string]V
	n   int
}

func shardOf(key string) int {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return int(h % cowShards)
}

// shard returns the shard of key, nil when it has none.
func (m cowMap[V]) shard(i int) map[string]V {
	if m.top == nil || m.top[i/cowFan] == nil {
		return nil
	}
	return m.top[i/cowFan][i%cowFan]
}

func (m cowMap[V]) get(key string) (V, bool) {
	v, ok := m.shard(shardOf(key))[key]
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
// (with the arrays on its path) and returns.
func (m cowMap[V]) copyShard(key string) (cowMap[V], map[string]V) {
	i := shardOf(key)
	var top [cowFan]*[cowFan]map[string]V
	if m.top != nil {
		top = *m.top
	}
	var leaf [cowFan]map[string]V
	if top[i/cowFan] != nil {
		leaf = *top[i/cowFan]
	}
	old := leaf[i%cowFan]
	s := make(map[string]V, len(old)+1)
	for k, v := range old {
		s[k] = v
	}
	leaf[i%cowFan] = s
	top[i/cowFan] = &leaf
	return cowMap[V]{top: &top, n: m.n}, s
}

// each calls fn for every entry, in no order.
func (m cowMap[V]) each(fn func(string, V)) {
	if m.top == nil {
		return
	}
	for _, leaf := range m.top {
		if leaf == nil {
			continue
		}
		for _, s := range leaf {
			for k, v := range s {
				fn(k, v)
			}
		}
	}
}

// sorted returns the keys in order.
func (m cowMap[V]) sorted() []string {
	out := make([]string, 0, m.n)
	m.each(func(k string, _ V) { out = append(out, k) })
	slices.SortFunc(out, cmp.Compare[string])
	return out
}

// toMap returns a plain copy, nil when empty.
func (m cowMap[V]) toMap() map[string]V {
	if m.n == 0 {
		return nil
	}
	out := make(map[string]V, m.n)
	m.each(func(k string, v V) { out[k] = v })
	return out
}

// cowOf builds a map from a plain one.
func cowOf[V any](in map[string]V) cowMap[V] {
	if len(in) == 0 {
		return cowMap[V]{}
	}
	var top [cowFan]*[cowFan]map[string]V
	for k, v := range in {
		i := shardOf(k)
		if top[i/cowFan] == nil {
			top[i/cowFan] = &[cowFan]map[string]V{}
		}
		leaf := top[i/cowFan]
		if leaf[i%cowFan] == nil {
			leaf[i%cowFan] = map[string]V{}
		}
		leaf[i%cowFan][k] = v
	}
	return cowMap[V]{top: &top, n: len(in)}
}
