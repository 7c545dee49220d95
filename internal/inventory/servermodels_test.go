package inventory_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

var modelID = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)

// TestServerModels checks the catalogue's entries make sense: each could be
// written out in a file and pass validation, and says where it comes from.
func TestServerModels(t *testing.T) {
	models := inventory.ServerModels()
	if n := len(models); n < 15 || n > 35 {
		t.Errorf("got %d models, want a spread of 15 to 35", n)
	}
	if !slices.IsSortedFunc(models, func(a, b inventory.ServerModel) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("got models out of order, want them sorted by ID")
	}
	gpu := 0
	for _, m := range models {
		var errs []string
		check := func(ok bool, format string, args ...any) {
			if !ok {
				errs = append(errs, fmt.Sprintf(format, args...))
			}
		}
		check(modelID.MatchString(m.ID), "ID %q is not lowercase words joined by -", m.ID)
		check(m.Vendor != "" && m.System != "" && m.CPU != "", "vendor %q, system %q, CPU %q: want all three", m.Vendor, m.System, m.CPU)
		check(m.Sockets >= 1 && m.Cores >= m.Sockets && m.Threads >= m.Cores, "%d sockets, %d cores, %d threads", m.Sockets, m.Cores, m.Threads)
		check(m.CPUMillicores == int64(m.Threads)*1000, "%d millicores for %d threads, want 1000 a thread", m.CPUMillicores, m.Threads)
		check(m.MemoryMiB >= 16<<10, "%d MiB of memory", m.MemoryMiB)
		check(m.IdleW > 0 && m.IdleW < m.MaxW && m.MaxW <= 15000, "idle %v W, max %v W", m.IdleW, m.MaxW)
		check(m.NameplateW == 0 || m.NameplateW >= m.MaxW, "nameplate %v W below max %v W", m.NameplateW, m.MaxW)
		check(m.HeightU >= 1 && m.HeightU <= 10 && m.Nodes >= 1, "%dU, %d nodes", m.HeightU, m.Nodes)
		year, err := strconv.Atoi(m.Published[strings.LastIndexByte(m.Published, '-')+1:])
		check(err == nil && year >= 2018, "published %q, want 2018 or later", m.Published)
		if m.GPUs > 0 {
			gpu++
			check(m.SpecRow == -1, "a GPU model from SPECpower row %d: SPECpower measures none", m.SpecRow)
		} else {
			check(m.SpecRow >= 0, "SPECpower row %d", m.SpecRow)
		}
		site := inventory.Reference(1)
		site.Halls[0].Rows[0].Racks[0].Servers = []inventory.Server{{ID: "X", U: 1, PSUFeeds: []string{"A", "B"}, Model: m.ID}}
		b, err := inventory.Marshal(site)
		if err == nil {
			_, err = inventory.Parse("model.yaml", b)
		}
		check(err == nil, "a server of this model in a file: %v", err)
		if len(errs) > 0 {
			t.Errorf("%s: %s", m.ID, strings.Join(errs, "; "))
		}
	}
	if gpu < 2 {
		t.Errorf("got %d GPU models, want at least 2", gpu)
	}
}

func TestLookupServerModel(t *testing.T) {
	m, ok := inventory.LookupServerModel("hpe-dl360-g10p-2s-8380")
	if !ok || m.SpecRow != 452 || m.MaxW != 651 || m.IdleW != 119 || m.MemoryMiB != 256<<10 || m.CPUMillicores != 160_000 {
		t.Errorf("got %+v, %v; want SPECpower row 452: 651 W max, 119 W idle, 256 GB, 160 threads", m, ok)
	}
	if _, ok := inventory.LookupServerModel("hpe-dl360"); ok {
		t.Error("got a model for an ID not in the catalogue")
	}
	all := inventory.ServerModels()
	all[0].MaxW = -1
	if m, _ := inventory.LookupServerModel(all[0].ID); m.MaxW == -1 {
		t.Error("changing what ServerModels returned changed the catalogue")
	}
}
