package inventory

import (
	"fmt"
	"hash/fnv"
)

// The reference site's racks are 48U: servers from U1 up to U46, the top two
// units left to the top-of-rack switches, which the inventory does not list.
const referenceServerU = 46

// stack is a number of servers of one model, one above the other.
type stack struct {
	model string
	n     int
}

// rackFit is one way the reference site fills a rack: stacks of servers from
// the bottom up, and how often racks are filled that way (out of the sum of
// the weights). Each fit's servers draw 5–35 % of a 15 kW budget idle and
// 0.95–1.5 times it flat out: racks are oversubscribed on maximum power, as
// real ones are, since their servers seldom all run flat out at once.
type rackFit struct {
	weight int
	stacks []stack
}

// referenceFits are the CPU racks' fits: most racks a generation of 1U
// two-socket servers of one vendor with a few 2U ones, some denser racks of
// newer servers or multi-node enclosures, fewer to a rack.
var referenceFits = []rackFit{
	{7, []stack{{"lenovo-sr665-2s-7763", 2}, {"lenovo-sr645-2s-7763", 42}}},
	{7, []stack{{"dell-r7525-2s-7702", 2}, {"dell-r6525-2s-7702", 42}}},
	{7, []stack{{"dell-r740-2s-8280", 2}, {"lenovo-sr630-2s-8176", 42}}},
	{4, []stack{{"fujitsu-rx2540-m6-2s-8380", 2}, {"huawei-1288h-v5-2s-8280", 42}}},
	{5, []stack{{"dell-r7615-1s-9654p", 2}, {"lenovo-sr635-v3-1s-9754", 42}}},
	{5, []stack{{"gigabyte-r282-z90-2s-7773x", 2}, {"quanta-d43k-2s-7763", 42}}},
	{2, []stack{{"hpe-dl380-g10p-2s-8380", 4}, {"hpe-dl360-g10p-2s-8380", 30}}},
	{2, []stack{{"ieit-nf5280m7-2s-8592", 2}, {"inspur-nf5180m6-2s-8380", 30}}},
	{1, []stack{{"hpe-dl380-g11-2s-8480", 2}, {"hpe-dl360-g11-2s-8480", 26}}},
	{1, []stack{{"hpe-dl365-g11-2s-9654", 24}}},
	{1, []stack{{"dell-r6725-2s-9845", 24}}},
	{1, []stack{{"supermicro-as2125hs-2s-9754", 20}}},
	{1, []stack{{"lenovo-sr650-v3-2s-8490h", 22}}},
	{1, []stack{{"dell-c6615-4n-8534p", 10}, {"lenovo-sd530-4n-8276l", 8}}},
	{1, []stack{{"hpe-xl225n-g10p-4n-7763", 9}}},
}

// referenceGPUFits are the GPU racks' fits, taken in turn: two 8-GPU servers
// within the rack's 30 kW, since training runs them near their maximum.
var referenceGPUFits = [][]stack{
	{{"nvidia-dgx-h100", 2}},
	{{"nvidia-dgx-b200", 2}},
	{{"nvidia-dgx-a100", 2}},
	{{"nvidia-dgx-h100", 2}},
}

// referenceFit picks a CPU rack's fit from a hash of its ID: the same rack
// gets the same servers whatever the size of the site, with no randomness.
func referenceFit(rackID string) []stack {
	total := 0
	for _, f := range referenceFits {
		total += f.weight
	}
	h := fnv.New32a()
	h.Write([]byte(rackID))
	w := int(h.Sum32() % uint32(total))
	for _, f := range referenceFits {
		if w < f.weight {
			return f.stacks
		}
		w -= f.weight
	}
	panic("unreachable")
}

// referenceServers stacks a rack's servers from U1 up, on feeds A and B,
// naming them after the rack: H1-R01-K01-S01 and up. Only their model is
// set: applyDefaults gives them its values.
func referenceServers(rackID string, stacks []stack) []Server {
	var out []Server
	u := 1
	for _, st := range stacks {
		m := serverModels[st.model]
		for range st.n {
			out = append(out, Server{ID: fmt.Sprintf("%s-S%02d", rackID, len(out)+1), U: u, PSUFeeds: []string{"A", "B"}, Model: m.ID})
			u += m.HeightU
		}
	}
	if u-1 > referenceServerU {
		panic(fmt.Sprintf("inventory: reference rack %s takes %dU, more than %d", rackID, u-1, referenceServerU))
	}
	return out
}
