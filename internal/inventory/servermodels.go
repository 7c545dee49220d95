package inventory

import (
	"maps"
	"slices"
)

//go:generate go run ./internal/genmodels -csv ../../../shared/traces/specpower/specpower-ssj2008.csv -out servermodels_spec.go

// ServerModel is an entry of the server model catalogue: what placement needs
// to know of a kind of server. A server that names a model takes, for every
// one of these fields it leaves out, the model's value.
//
// CPUMillicores counts hardware threads: 1000 for each thread (a vCPU), as
// Kubernetes counts a CPU. A multi-node enclosure (Nodes > 1) is one model and
// one server of the inventory: SPECpower measures the enclosure as a whole, so
// its resources and power are the sum over its nodes.
type ServerModel struct {
	ID      string `json:"id"`
	Vendor  string `json:"vendor"`
	System  string `json:"system"` // as its source names it
	CPU     string `json:"cpu"`
	Sockets int    `json:"sockets"` // over all nodes
	Cores   int    `json:"cores"`
	Threads int    `json:"threads"`
	Nodes   int    `json:"nodes"`
	HeightU int    `json:"height_u"`

	CPUMillicores int64   `json:"cpu_millicores"`
	MemoryMiB     int64   `json:"memory_mib"`
	GPUs          int     `json:"gpus,omitempty"`
	IdleW         float64 `json:"idle_w"`
	MaxW          float64 `json:"max_w"`
	// NameplateW is the rating of one of its power supplies (with 1+1
	// redundant supplies, the most it may draw), 0 when the source does not
	// say.
	NameplateW float64 `json:"nameplate_w,omitempty"`

	Published string `json:"published"` // month of the result or datasheet, e.g. Mar-2021
	// SpecRow is the model's row in specpower-ssj2008.csv (the value of its
	// first, index column), or -1 for a model that SPECpower did not measure.
	SpecRow int `json:"spec_row"`
}

// gpuModels are the catalogue's GPU servers. SPECpower measures none, so
// their figures come from NVIDIA's datasheets and user guides: maximum
// power, CPUs, memory and height as published. Idle power is not published:
// the idle figures are estimates (eight idle SXM GPUs at about 100 W each,
// plus CPUs, memory, NVSwitches, NICs and fans), to be replaced by
// measurements.
var gpuModels = []ServerModel{
	// DGX A100 datasheet: 8 A100 SXM4, 2 AMD EPYC 7742 (128 cores),
	// 1 TB memory, 6U, "6.5 kW max".
	{ID: "nvidia-dgx-a100", Vendor: "NVIDIA", System: "DGX A100", CPU: "AMD EPYC 7742", Sockets: 2, Cores: 128, Threads: 256, Nodes: 1, HeightU: 6,
		CPUMillicores: 256_000, MemoryMiB: 1 << 20, GPUs: 8, IdleW: 1200, MaxW: 6500, Published: "May-2020", SpecRow: -1},
	// DGX H100 datasheet: 8 H100 SXM5, 2 Intel Xeon Platinum 8480C
	// (112 cores), 2 TB memory, 8U, "~10.2 kW max" (six 3.3 kW supplies, 4+2).
	{ID: "nvidia-dgx-h100", Vendor: "NVIDIA", System: "DGX H100", CPU: "Intel Xeon Platinum 8480C", Sockets: 2, Cores: 112, Threads: 224, Nodes: 1, HeightU: 8,
		CPUMillicores: 224_000, MemoryMiB: 2 << 20, GPUs: 8, IdleW: 1800, MaxW: 10_200, Published: "Mar-2023", SpecRow: -1},
	// DGX B200 user guide: 8 B200, 2 Intel Xeon Platinum 8570 (112 cores),
	// 2 TB memory, 10U, six 3.3 kW supplies; datasheet "~14.3 kW max".
	{ID: "nvidia-dgx-b200", Vendor: "NVIDIA", System: "DGX B200", CPU: "Intel Xeon Platinum 8570", Sockets: 2, Cores: 112, Threads: 224, Nodes: 1, HeightU: 10,
		CPUMillicores: 224_000, MemoryMiB: 2 << 20, GPUs: 8, IdleW: 2000, MaxW: 14_300, Published: "Mar-2024", SpecRow: -1},
}

// serverModels indexes the catalogue by ID.
var serverModels = func() map[string]*ServerModel {
	m := map[string]*ServerModel{}
	for _, list := range [][]ServerModel{specModels, gpuModels} {
		for i := range list {
			if _, dup := m[list[i].ID]; dup {
				panic("inventory: server model " + list[i].ID + " is in the catalogue twice")
			}
			m[list[i].ID] = &list[i]
		}
	}
	return m
}()

// serverModelIDs are the catalogue's IDs, sorted.
var serverModelIDs = slices.Sorted(maps.Keys(serverModels))

// ServerModels returns the server model catalogue, sorted by ID.
func ServerModels() []ServerModel {
	out := make([]ServerModel, len(serverModelIDs))
	for i, id := range serverModelIDs {
		out[i] = *serverModels[id]
	}
	return out
}

// LookupServerModel returns the catalogue's model with the given ID.
func LookupServerModel(id string) (ServerModel, bool) {
	if m, ok := serverModels[id]; ok {
		return *m, true
	}
	return ServerModel{}, false
}
