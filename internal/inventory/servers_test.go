package inventory_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// sub replaces the first old with new.
func sub(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func TestLoadServers(t *testing.T) {
	s, err := inventory.LoadFile("testdata/servers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k := s.Halls[0].Rows[0].Racks[0]
	if got := s.Count().Servers; got != 3 {
		t.Fatalf("got %d servers, want 3", got)
	}
	if want := map[string]string{"tier": "general", "owner": "team-a"}; !reflect.DeepEqual(k.Labels, want) {
		t.Errorf("got labels %v, want %v", k.Labels, want)
	}
	r7525, _ := inventory.LookupServerModel("dell-r7525-2s-7702")
	r6525, _ := inventory.LookupServerModel("dell-r6525-2s-7702")
	want := []inventory.Server{
		// Everything left out comes from the model, which stays named.
		{ID: "S1", U: 1, HeightU: 2, PSUFeeds: []string{"A", "B"}, NameplateW: r7525.NameplateW, Model: r7525.ID,
			CPUMillicores: r7525.CPUMillicores, MemoryMiB: r7525.MemoryMiB, IdleW: r7525.IdleW, MaxW: r7525.MaxW},
		// What the file says wins over the model.
		{ID: "S2", U: 3, HeightU: 1, PSUFeeds: []string{"A", "B"}, NameplateW: r6525.NameplateW, Model: r6525.ID,
			CPUMillicores: r6525.CPUMillicores, MemoryMiB: r6525.MemoryMiB, IdleW: 90, MaxW: r6525.MaxW},
		// No model: all written.
		{ID: "S3", U: 4, HeightU: 2, PSUFeeds: []string{"A"}, NameplateW: 1200,
			CPUMillicores: 64000, MemoryMiB: 262144, GPUs: 2, IdleW: 150, MaxW: 900},
	}
	for i := range want {
		if !reflect.DeepEqual(k.Servers[i], want[i]) {
			t.Errorf("server %d: got\n%+v\nwant\n%+v", i, k.Servers[i], want[i])
		}
	}
}

func TestServerDefaults(t *testing.T) {
	dgx, _ := inventory.LookupServerModel("nvidia-dgx-h100")
	const s2 = "{id: S2, u: 3, psu_feeds: [A, B], model: dell-r6525-2s-7702, idle_w: 90}"
	tests := []struct {
		name   string
		edit   func(string) string
		server int
		want   func(inventory.Server) error
	}{
		{"height of a server with no model is 1", sub("                height_u: 2\n", ""), 2, func(s inventory.Server) error {
			return expect("height_u", s.HeightU, 1)
		}},
		{"a GPU model's GPUs", sub(s2, "{id: S2, u: 10, psu_feeds: [A, B], model: nvidia-dgx-h100}"), 1, func(s inventory.Server) error {
			return errors.Join(expect("gpus", s.GPUs, dgx.GPUs), expect("height_u", s.HeightU, dgx.HeightU), expect("max_w", s.MaxW, dgx.MaxW))
		}},
		{"GPUs written as 0 stay 0", sub(s2, "{id: S2, u: 10, psu_feeds: [A, B], model: nvidia-dgx-h100, gpus: 0}"), 1, func(s inventory.Server) error {
			return expect("gpus", s.GPUs, 0)
		}},
		{"a height written wins over the model's", sub(s2, "{id: S2, u: 10, height_u: 1, psu_feeds: [A, B], model: dell-r7525-2s-7702}"), 1, func(s inventory.Server) error {
			return expect("height_u", s.HeightU, 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := inventory.Parse("site.yaml", []byte(tt.edit(readFile(t, "testdata/servers.yaml"))))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.want(s.Halls[0].Rows[0].Racks[0].Servers[tt.server]); err != nil {
				t.Error(err)
			}
		})
	}
}

func expect[T comparable](field string, got, want T) error {
	if got != want {
		return fmt.Errorf("%s: got %v, want %v", field, got, want)
	}
	return nil
}

// TestServerErrors breaks each rule on servers and rack labels and checks
// the problem is reported at the file, line and field at fault.
func TestServerErrors(t *testing.T) {
	const s1, s2, s3 = "site.yaml:19: halls[0].rows[0].racks[0].servers[0]", "site.yaml:20: halls[0].rows[0].racks[0].servers[1]", "halls[0].rows[0].racks[0].servers[2]"
	const k = "site.yaml:8: halls[0].rows[0].racks[0].labels"
	noModel := "- {id: S1, u: 1, psu_feeds: [A, B], cpu_millicores: 8000, memory_mib: 16384, idle_w: 50, max_w: 200}"
	tests := []struct {
		name string
		edit func(string) string
		want []string
	}{
		// Where a server sits.
		{"duplicate id", sub("id: S2,", "id: S1,"), []string{s2 + `.id: "S1" is already used at halls[0].rows[0].racks[0].servers[0] (line 19)`}},
		{"no id", sub("{id: S2, ", "{"), []string{s2 + ".id: is required"}},
		{"no u", sub("{id: S2, u: 3, ", "{id: S2, "), []string{s2 + ".u: is required"}},
		{"u 0", sub("u: 3,", "u: 0,"), []string{s2 + ".u: must be between 1 and 60, got 0"}},
		{"u above the rack", sub("u: 3,", "u: 61,"), []string{s2 + ".u: must be between 1 and 60, got 61"}},
		{"height 0", sub("height_u: 2", "height_u: 0"), []string{"site.yaml:23: " + s3 + ".height_u: must be between 1 and 60, got 0"}},
		{"height above any rack", sub("height_u: 2", "height_u: 70"), []string{"site.yaml:23: " + s3 + ".height_u: must be between 1 and 60, got 70"}},
		{"server through the top", sub("u: 4\n", "u: 60\n"), []string{"site.yaml:23: " + s3 + ".height_u: a 2U server at U60 would reach U61, above the top of the tallest rack (U60)"}},
		{"overlap with a 2U server", sub("u: 3,", "u: 2,"), []string{s2 + ".u: U2 is already taken by S1 at halls[0].rows[0].racks[0].servers[0] (line 19)"}},
		{"overlap from below", sub("u: 4\n", "u: 2\n"), []string{"site.yaml:22: " + s3 + ".u: U2 is already taken by S1 at halls[0].rows[0].racks[0].servers[0] (line 19)"}},
		{"overlap reported once", sub("u: 4\n", "u: 1\n"), []string{"site.yaml:22: " + s3 + ".u: U1 is already taken by S1"}},
		// Power supplies.
		{"no psu_feeds", sub("u: 3, psu_feeds: [A, B], ", "u: 3, "), []string{s2 + ".psu_feeds: is required (the rack's feeds its power supplies are plugged into, e.g. [A, B])"}},
		{"empty psu_feeds", sub("u: 3, psu_feeds: [A, B]", "u: 3, psu_feeds: []"), []string{s2 + ".psu_feeds: a server's power supplies are on 1 or 2 feeds, got 0"}},
		{"three psu_feeds", sub("u: 3, psu_feeds: [A, B]", "u: 3, psu_feeds: [A, B, A]"), []string{s2 + ".psu_feeds: a server's power supplies are on 1 or 2 feeds, got 3",
			s2 + `.psu_feeds[2]: feed "A" is listed twice`}},
		{"psu feed twice", sub("u: 3, psu_feeds: [A, B]", "u: 3, psu_feeds: [A, A]"), []string{s2 + `.psu_feeds[1]: feed "A" is listed twice`}},
		{"psu feed not on the rack", sub("u: 3, psu_feeds: [A, B]", "u: 3, psu_feeds: [A, C]"), []string{s2 + `.psu_feeds[1]: "C" is not one of the rack's feeds [A B]`}},
		{"nameplate 0", sub("nameplate_w: 1200", "nameplate_w: 0"), []string{"site.yaml:30: " + s3 + ".nameplate_w: must be greater than 0, got 0"}},
		{"nameplate too high", sub("nameplate_w: 1200", "nameplate_w: 30001"), []string{"site.yaml:30: " + s3 + ".nameplate_w: must be at most 30000, got 30001"}},
		// The model.
		{"unknown model", sub("dell-r6525-2s-7702", "dell-r6525-2s-7720"), []string{s2 + `.model: unknown model "dell-r6525-2s-7720"; did you mean dell-r6525-2s-7702?`}},
		{"unknown model far from any", sub("dell-r6525-2s-7702", "acme-1"), []string{s2 + `.model: unknown model "acme-1"; the catalogue has dell-c6615-4n-8534p, `}},
		{"unknown field", sub("idle_w: 90", "idel_w: 90"), []string{s2 + ".idel_w: unknown field; did you mean idle_w?"}},
		{"a value written over the model is checked", sub("idle_w: 90", "idle_w: 500"), []string{s2 + ".idle_w: must be at most max_w (404 W), got 500"}},
		// Resources and power of a server with no model.
		{"no model, no cpu", sub("                cpu_millicores: 64000\n", ""), []string{"site.yaml:21: " + s3 + ".cpu_millicores: is required (or name a model that gives it)"}},
		{"no model, no memory", sub("                memory_mib: 262144\n", ""), []string{"site.yaml:21: " + s3 + ".memory_mib: is required (or name a model that gives it)"}},
		{"no model, no idle", sub("                idle_w: 150\n", ""), []string{"site.yaml:21: " + s3 + ".idle_w: is required (or name a model that gives it)"}},
		{"no model, no max", sub("                max_w: 900\n", ""), []string{"site.yaml:21: " + s3 + ".max_w: is required (or name a model that gives it)"}},
		{"cpu 0", sub("cpu_millicores: 64000", "cpu_millicores: 0"), []string{"site.yaml:25: " + s3 + ".cpu_millicores: must be greater than 0, got 0"}},
		{"cpu negative", sub("cpu_millicores: 64000", "cpu_millicores: -1"), []string{"site.yaml:25: " + s3 + ".cpu_millicores: must be greater than 0, got -1"}},
		{"cpu beyond any server", sub("cpu_millicores: 64000", "cpu_millicores: 1024001"), []string{"site.yaml:25: " + s3 + ".cpu_millicores: must be at most 1024000, got 1024001"}},
		{"memory 0", sub("memory_mib: 262144", "memory_mib: 0"), []string{"site.yaml:26: " + s3 + ".memory_mib: must be greater than 0, got 0"}},
		{"memory beyond 64 TiB", sub("memory_mib: 262144", "memory_mib: 67108865"), []string{"site.yaml:26: " + s3 + ".memory_mib: must be at most 67108864, got 67108865"}},
		{"gpus negative", sub("gpus: 2", "gpus: -1"), []string{"site.yaml:27: " + s3 + ".gpus: must be between 0 and 16, got -1"}},
		{"gpus beyond any server", sub("gpus: 2", "gpus: 17"), []string{"site.yaml:27: " + s3 + ".gpus: must be between 0 and 16, got 17"}},
		{"idle 0", sub("idle_w: 150", "idle_w: 0"), []string{"site.yaml:28: " + s3 + ".idle_w: must be greater than 0, got 0"}},
		{"idle NaN", sub("idle_w: 150", "idle_w: .nan"), []string{"site.yaml:28: " + s3 + ".idle_w: must be greater than 0, got NaN"}},
		{"max beyond any server", sub("max_w: 900", "max_w: 15001"), []string{"site.yaml:29: " + s3 + ".max_w: must be at most 15000, got 15001"}},
		{"max negative", sub("max_w: 900", "max_w: -900"), []string{"site.yaml:29: " + s3 + ".max_w: must be greater than 0, got -900"}},
		{"idle above max", sub("idle_w: 150", "idle_w: 901"), []string{"site.yaml:28: " + s3 + ".idle_w: must be at most max_w (900 W), got 901"}},
		{"several at once", sub("- {id: S1, u: 1, psu_feeds: [A, B], model: dell-r7525-2s-7702}", "- {id: S1, u: 1, psu_feeds: [A, B]}"), []string{
			s1 + ".cpu_millicores: is required", s1 + ".memory_mib: is required", s1 + ".idle_w: is required", s1 + ".max_w: is required"}},
		{"a server with no model, in one line, that is fine but for idle", sub("- {id: S1, u: 1, psu_feeds: [A, B], model: dell-r7525-2s-7702}", strings.Replace(noModel, "idle_w: 50", "idle_w: 500", 1)),
			[]string{s1 + ".idle_w: must be at most max_w (200 W), got 500"}},
		// Rack labels.
		{"label with no value", sub("tier: general", `tier: ""`), []string{k + `.tier: a label needs a value`}},
		{"label with no name", sub("tier: general", `"": general`), []string{k + `: a label needs a name`}},
		{"label name too long", sub("tier: general", strings.Repeat("t", 64)+": general"), []string{k + "." + strings.Repeat("t", 64) + ": a label's name must be at most 63 characters, got 64"}},
		{"label value too long", sub("tier: general", "tier: "+strings.Repeat("g", 64)), []string{k + ".tier: a label's value must be at most 63 characters, got 64"}},
	}
	base := readFile(t, "testdata/servers.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.edit(base)
			if doc == base {
				t.Fatal("the edit changed nothing")
			}
			_, err := inventory.Parse("site.yaml", []byte(doc))
			if !errors.Is(err, inventory.ErrInvalid) {
				t.Fatalf("got %v, want an error that wraps ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error\n%v\nwant it to contain\n%s", err, w)
				}
			}
			if n := len(err.(*inventory.ValidationError).Problems); n != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%v", n, len(tt.want), err)
			}
		})
	}
}

// TestServersValid checks edits that keep to the rules at their limits, so
// that a rule made stricter than it should be fails too.
func TestServersValid(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
	}{
		{"a server up to the top unit", sub("u: 4\n", "u: 59\n")},
		{"servers touching", sub("u: 4\n", "u: 4\n")},
		{"one feed", sub("u: 3, psu_feeds: [A, B]", "u: 3, psu_feeds: [B]")},
		{"idle equal to max", sub("idle_w: 150", "idle_w: 900")},
		{"no GPUs", sub("gpus: 2", "gpus: 0")},
		{"16 GPUs", sub("gpus: 2", "gpus: 16")},
		{"the largest server there is", func(s string) string {
			return strings.NewReplacer("cpu_millicores: 64000", "cpu_millicores: 1024000", "memory_mib: 262144", "memory_mib: 67108864",
				"max_w: 900", "max_w: 15000", "nameplate_w: 1200", "nameplate_w: 30000", "height_u: 2", "height_u: 57").Replace(s)
		}},
		{"a label at its longest", sub("tier: general", strings.Repeat("t", 63)+": "+strings.Repeat("g", 63))},
		{"no labels", sub("            labels: {tier: general, owner: team-a}\n", "")},
		{"no servers", func(s string) string {
			return s[:strings.Index(s, "            servers:")] + s[strings.Index(s, "        cooling:"):]
		}},
		// A rack's servers may together draw far more than its budget flat
		// out: racks are oversubscribed on maximum power as a rule, and the
		// controller keeps the measured draw under the budget. Three DGX H100
		// are 30.6 kW at most, in a 15 kW rack.
		{"oversubscribed rack", sub("            servers:\n", "            servers:\n"+
			"              - {id: G1, u: 20, psu_feeds: [A, B], model: nvidia-dgx-h100}\n"+
			"              - {id: G2, u: 28, psu_feeds: [A, B], model: nvidia-dgx-h100}\n"+
			"              - {id: G3, u: 36, psu_feeds: [A, B], model: nvidia-dgx-h100}\n")},
	}
	base := readFile(t, "testdata/servers.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := inventory.Parse("site.yaml", []byte(tt.edit(base))); err != nil {
				t.Errorf("got %v, want no error", err)
			}
		})
	}
}

// TestValidateBuiltServers checks the rules on a site built in code, which
// has no file and no lines: what is missing is reported all the same.
func TestValidateBuiltServers(t *testing.T) {
	s := inventory.Reference(1)
	k := &s.Halls[0].Rows[0].Racks[0]
	k.Servers = append(k.Servers, inventory.Server{ID: "X", U: 47, PSUFeeds: []string{"A"}})
	err := s.Validate()
	p := fmt.Sprintf("halls[0].rows[0].racks[0].servers[%d]", len(k.Servers)-1)
	for _, w := range []string{p + ".cpu_millicores: is required", p + ".max_w: is required", p + ".height_u: must be between 1 and 60, got 0"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("got %v, want it to contain %s", err, w)
		}
	}
}

// TestRevalidateLoaded checks that a loaded site, changed, is validated
// again as strictly, its problems named by file and field (Parse keeps no
// line numbers once the file has loaded).
func TestRevalidateLoaded(t *testing.T) {
	s, err := inventory.LoadFile("testdata/servers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("got %v, want the loaded site valid as it is", err)
	}
	s.Halls[0].Rows[0].Racks[0].Servers[1].U = 2
	want := "testdata/servers.yaml: halls[0].rows[0].racks[0].servers[1].u: U2 is already taken by S1"
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestMarshalNesting checks the way Marshal puts together the levels it
// encodes apart: names written over several lines (block scalars) stay
// inside their item, and an empty list stays written.
func TestMarshalNesting(t *testing.T) {
	s := inventory.Reference(2)
	s.Name = "city\ndpc"
	s.Halls[0].ID = "hall\none"
	s.Halls[0].Rows[0].ID = "row\n\n  one"
	s.Halls[0].Rows[0].Racks[0].ID = "rack\none\n"
	b, err := inventory.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := inventory.Parse("back.yaml", b)
	if err != nil {
		t.Fatalf("got %v reading back\n%s", err, b)
	}
	if !reflect.DeepEqual(back.Halls, s.Halls) || back.Name != s.Name {
		t.Errorf("got a different site after a round trip through\n%s", b)
	}
	s.Halls[1].Rows[0].Racks = nil
	if b, err = inventory.Marshal(s); err != nil || !strings.Contains(string(b), "\n        racks: []\n") {
		t.Errorf("got %v,\n%s\nwant the row's empty list of racks written", err, b)
	}
}

// TestServersJSON checks that the JSON form, which the controller replicates
// through Raft, holds every server's values expanded from its model and
// reads back as a valid, equal site.
func TestServersJSON(t *testing.T) {
	site := inventory.Reference(46) // with two GPU racks
	b, err := json.Marshal(site)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"model":"`, `"cpu_millicores":`, `"memory_mib":`, `"idle_w":`, `"max_w":`, `"height_u":`, `"gpus":8`, `"labels":{"tier":"gpu"}`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("got no %s in the JSON form", w)
		}
	}
	var back inventory.Site
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Errorf("got %v from the site read back, want it valid", err)
	}
	if !reflect.DeepEqual(back.Halls, site.Halls) {
		t.Error("got a different site back from JSON")
	}
}

// TestMarshalServers checks that servers are written one to a line with
// only what differs from their model, and read back the same.
func TestMarshalServers(t *testing.T) {
	doc := sub("{id: S2, u: 3, psu_feeds: [A, B], model: dell-r6525-2s-7702, idle_w: 90}", "{id: S2, u: 10, psu_feeds: [A, B], model: nvidia-dgx-h100, gpus: 0}")(readFile(t, "testdata/servers.yaml"))
	s, err := inventory.Parse("site.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	b, err := inventory.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"\n            labels: {owner: team-a, tier: general}\n",
		"\n              - {id: S1, u: 1, psu_feeds: [A, B], model: dell-r7525-2s-7702}\n",
		"\n              - {id: S2, u: 10, psu_feeds: [A, B], model: nvidia-dgx-h100, gpus: 0}\n",
		"\n              - {id: S3, u: 4, height_u: 2, psu_feeds: [A], nameplate_w: 1200, cpu_millicores: 64000, memory_mib: 262144, gpus: 2, idle_w: 150, max_w: 900}\n",
	} {
		if !strings.Contains(string(b), w) {
			t.Errorf("got\n%s\nwant it to contain%s", b, w)
		}
	}
	back, err := inventory.Parse("back.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Halls, s.Halls) {
		t.Errorf("got\n%+v\nafter a round trip, want\n%+v", back.Halls[0].Rows[0].Racks[0].Servers, s.Halls[0].Rows[0].Racks[0].Servers)
	}
	// IDs that would read as something else unquoted.
	for i, id := range []string{"007", "yes", "1e3", "null", "a: b", "[x]"} {
		s.Halls[0].Rows[0].Racks[0].Servers[i%3].ID = id
		if b, err = inventory.Marshal(s); err == nil {
			back, err = inventory.Parse("back.yaml", b)
		}
		if err != nil || back.Halls[0].Rows[0].Racks[0].Servers[i%3].ID != id {
			t.Errorf("server ID %q: got %v after a round trip", id, err)
		}
	}
}

// TestParseAlias checks that a file using YAML anchors and aliases is read
// (by the strict decoder: the fast path leaves aliases to it).
func TestParseAlias(t *testing.T) {
	doc := strings.NewReplacer(`snmp: {address: "127.0.0.1:16100"`, `snmp: &ep {address: "127.0.0.1:16100"`,
		`snmp: {address: "127.0.0.1:16101", profile: apc-rpdu2, credentials: snmp-ro}`, `snmp: *ep`).Replace(readFile(t, "testdata/servers.yaml"))
	s, err := inventory.Parse("site.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Halls[0].Rows[0].Racks[0].PDUs; p[1].SNMP != p[0].SNMP {
		t.Errorf("got %+v, want the aliased endpoint %+v", p[1].SNMP, p[0].SNMP)
	}
}
