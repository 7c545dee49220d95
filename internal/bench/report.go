package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
)

// Machine is the machine and the toolchain a bench ran on: every bench's
// output starts with it, since its figures mean nothing without it.
type Machine struct {
	CPU       string  `json:"cpu"`        // the model name in /proc/cpuinfo; "" where there is none
	Cores     int     `json:"cores"`      // logical CPUs usable by the process (runtime.NumCPU)
	MemoryGiB float64 `json:"memory_gib"` // MemTotal of /proc/meminfo; 0 where there is none
	GoVersion string  `json:"go_version"` // runtime.Version()
	Platform  string  `json:"platform"`   // GOOS/GOARCH
}

// ThisMachine describes the machine this process runs on.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	m.CPU = procField("/proc/cpuinfo", "model name")
	var kb float64
	if _, err := fmt.Sscan(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), &kb); err == nil {
		m.MemoryGiB = kb / (1 << 20)
	}
	return m
}

// String is the machine as the first line of a bench's output.
func (m Machine) String() string {
	cpu := m.CPU
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	mem := "memory unknown"
	if m.MemoryGiB > 0 {
		mem = fmt.Sprintf("%.1f GiB RAM", m.MemoryGiB)
	}
	return fmt.Sprintf("machine: %s, %d cores, %s; %s %s", cpu, m.Cores, mem, m.GoVersion, m.Platform)
}

// procField is the value of the first "key: value" line of a /proc file
// whose key is key, "" if there is none.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Spread is a figure over the runs of a bench: its least, median and
// greatest value. One run gives one value three times.
type Spread struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	Runs   int     `json:"runs"`
}

// SpreadOf is the spread of xs (the median of an even count is the mean
// of the middle two); the zero Spread for none.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := s[len(s)/2]
	if len(s)%2 == 0 {
		mid = (s[len(s)/2-1] + mid) / 2
	}
	return Spread{Min: s[0], Median: mid, Max: s[len(s)-1], Runs: len(s)}
}

// Cell is the spread as a table cell, "min / median / max", each with the
// given number of decimals.
func (s Spread) Cell(decimals int) string {
	f := func(x float64) string { return fmt.Sprintf("%.*f", decimals, x) }
	return f(s.Min) + " / " + f(s.Median) + " / " + f(s.Max)
}

// SpreadHeader is the line under Machine that says how to read the cells
// of Spread.Cell: the figures over runs runs (a word for them: "runs",
// "rounds", "windows").
func SpreadHeader(runs int, of string) string {
	return fmt.Sprintf("figures: min / median / max over %d %s", runs, of)
}

// deterministic is the line a bench whose figures do not vary prints where
// others give their spread: a replay of the same input decides the same.
const deterministic = "figures: deterministic (the same input gives the same figures on every run: no spread to give)\n"
