// Command gen builds dcplane's Grafana dashboards with the Grafana
// Foundation SDK and writes them as JSON, one file a dashboard: `go generate
// ./dashboards` runs it into dashboards/. A panel is typed Go, so a broken
// one does not compile; a test in this folder fails while the committed
// files differ from what gen makes.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// board is one dashboard and the file it is written to.
type board struct {
	file  string
	build func() *dashboard.DashboardBuilder
}

// boards are every dashboard gen makes, in the order of the site's
// questions: how full is it, which rack, which feed, which row, what was
// placed, is dcplane itself well.
var boards = []board{
	{"dcplane-site.json", siteOverview},
	{"dcplane-racks.json", rackHeatMap},
	{"dcplane-feeds.json", feedsAndPhases},
	{"dcplane-cooling.json", rowCooling},
	{"dcplane-placement.json", placementBoard},
	{"dcplane-health.json", health},
}

func main() {
	out := flag.String("o", ".", "directory to write the dashboards' JSON files into")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "dashboards/gen:", err)
		os.Exit(1)
	}
}

// render builds every dashboard and returns its JSON by file name.
func render() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, b := range boards {
		d, err := b.build().Build()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.file, err)
		}
		if err := number(&d); err != nil {
			return nil, fmt.Errorf("%s: %w", b.file, err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // PromQL's < and > stay readable
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("%s: %w", b.file, err)
		}
		out[b.file] = buf.Bytes()
	}
	return out, nil
}

// number gives every panel and row an ID, in order from 1, and every query
// a reference from A, as Grafana's editor does: the builders leave them
// unset, and panels of the same ID confuse Grafana's links and editor.
func number(d *dashboard.Dashboard) error {
	id := uint32(0)
	for _, p := range d.Panels {
		id++
		switch {
		case p.RowPanel != nil:
			p.RowPanel.Id = id
		case p.Panel != nil:
			p.Panel.Id = cog.ToPtr(id)
			for i, t := range p.Panel.Targets {
				q, ok := t.(prometheus.Dataquery)
				if !ok {
					return fmt.Errorf("panel %q: query %d is a %T, want a Prometheus query", deref(p.Panel.Title), i, t)
				}
				q.RefId = cog.ToPtr(string(rune('A' + i)))
				p.Panel.Targets[i] = q
			}
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// write renders every dashboard into dir.
func write(dir string) error {
	files, err := render()
	if err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
