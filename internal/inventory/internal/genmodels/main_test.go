package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The CSV beside the repository (../shared/traces), as README describes.
var csvPath = filepath.Join("..", "..", "..", "..", "..", "shared", "traces", "specpower", "specpower-ssj2008.csv")

// TestCatalogueIsGenerated checks that servermodels_spec.go is what the
// generator makes of the CSV: nobody edited it by hand, and the picks and
// the table agree.
func TestCatalogueIsGenerated(t *testing.T) {
	f, err := os.Open(csvPath)
	if err != nil {
		// The policy of internal/peer: CI has ../shared, so there it fails.
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true, so this fails: %v", err)
		}
		t.Skipf("%v: the repository's checkout needs ../shared beside it", err)
	}
	defer f.Close()
	got, err := generate(f, picks)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "servermodels_spec.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("servermodels_spec.go differs from what the generator makes of the CSV: run go generate ./internal/inventory")
	}
}

const csvHeader = ",Benchmark,Hardware Vendor,System,Result,avg. watts @ 100%,avg. watts @ active idle,# Cores,Chips,# Cores Per Chip,# Threads Per Core,CPU Description,Processor MHz,Total Memory (GB),Power Supply Details,Published,Total Threads\n"

// row is a CSV row of a 2-socket server with 128 cores, 256 threads and
// 256 GB, idle at 100 W and 400 W flat out, its supplies and publication
// date as given.
func row(index, memoryGB, psu, published string) string {
	return index + `,power_ssj2008,Acme,"Acme X1 (EPYC, 2 GHz)",1.0,400.0,100.0,128,2,64,2,"AMD EPYC 7702, ",2000,` + memoryGB + `,"` + psu + `",` + published + ",256\n"
}

func TestGenerate(t *testing.T) {
	good := pick{row: 7, id: "acme-x1-2s-7702", heightU: 1, nodes: 1}
	tests := []struct {
		name, csv string
		pick      pick
		want      []string // each must appear in the source, or in the error
		wantErr   bool
	}{
		{"fields", row("7", "256", "2 x 800W Platinum", "Mar-2020"), good,
			[]string{`ID: "acme-x1-2s-7702"`, `CPU: "AMD EPYC 7702"`, "Sockets: 2", "Cores: 128", "Threads: 256", "HeightU: 1",
				"CPUMillicores: 256000", "MemoryMiB: 262144", "IdleW: 100", "MaxW: 400", "NameplateW: 800", "SpecRow: 7"}, false},
		{"rating with a lowercase w", row("7", "256", "1 x 1300w Great Wall Power", "Mar-2020"), good, []string{"NameplateW: 1300"}, false},
		{"rating with an underscore", row("7", "256", "DELTA_M_DPS-800AB-58A_800W_1U_P", "Mar-2020"), good, []string{"NameplateW: 800"}, false},
		{"rating below the maximum is not a nameplate", row("7", "256", "350W", "Mar-2020"), good, []string{"MaxW: 400, Published"}, false},
		{"shared supplies", row("7", "256", "Shared", "Mar-2020"), good, []string{"MaxW: 400, Published"}, false},
		{"no such row", row("8", "256", "", "Mar-2020"), good, []string{"no row 7"}, true},
		{"too old", row("7", "256", "", "Dec-2017"), good, []string{`published "Dec-2017"`}, true},
		{"memory lost its thousands", row("7", "1", "", "Mar-2020"), good, []string{"1 GB of memory for 2 sockets"}, true},
		{"no height", row("7", "256", "", "Mar-2020"), pick{row: 7, id: "x", nodes: 1}, []string{"needs a height"}, true},
		{"idle above max", strings.Replace(row("7", "256", "", "Mar-2020"), "400.0,100.0", "100.0,400.0", 1), good, []string{"want 0 < idle < max"}, true},
		{"not a number", strings.Replace(row("7", "256", "", "Mar-2020"), ",128,2,", ",many,2,", 1), good, []string{`column "# Cores"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := generate(strings.NewReader(csvHeader+tt.csv), []pick{tt.pick})
			got := string(src)
			if err != nil {
				got = err.Error()
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want an error: %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got\n%s\nwant it to contain %s", got, w)
				}
			}
		})
	}
}
