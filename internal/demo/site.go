package demo

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/deploy"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Site returns the site of n racks the demo runs: the bundled reference
// file for inventory.ReferenceRacks, else a generated one. n must be at
// least 1.
func Site(n int) (*inventory.Site, error) {
	if err := inventory.CheckReferenceRacks(n); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if n == inventory.ReferenceRacks {
		return inventory.Parse(deploy.ReferenceSiteName, deploy.ReferenceSite)
	}
	return inventory.Reference(n), nil
}

// CityWorkloads returns the bundled workloads the demo places: the city's
// information systems (deploy/workloads/city.yaml).
func CityWorkloads() ([]api.PlacementRequest, error) {
	return api.DecodeWorkloads(deploy.CityWorkloadsName, bytes.NewReader(deploy.CityWorkloads))
}

// Community reads the SNMP community kept in the file at path, first
// creating the file with a random one (readable only by its owner) if it
// does not exist.
func Community(path string) (snmp.Secret, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return newCommunity(path)
	}
	return snmp.LoadSecret(path, "")
}

// newCommunity makes a random SNMP community and keeps it in a file at path
// readable only by its owner, as a real deployment would.
func newCommunity(path string) (snmp.Secret, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return snmp.Secret{}, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		return snmp.Secret{}, err
	}
	return snmp.LoadSecret(path, "")
}

// Targets returns the agent targets of every device of a simulated site,
// which all answer to community, and the devices skipped (logged as
// warnings on log; nil discards).
func Targets(site *inventory.Site, community snmp.Secret, log *slog.Logger) ([]agent.Target, []agent.Skipped) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	creds := map[string]snmp.Credentials{}
	for _, name := range credentialNames(site) {
		creds[name] = snmp.Credentials{Community: community}
	}
	targets, skipped := agent.Targets(site, agent.Selection{}, creds, snmp.NewCollector(log))
	logSkipped(log, skipped)
	return targets, skipped
}

// credentialNames lists the credential names a site uses.
func credentialNames(s *inventory.Site) []string {
	seen := map[string]bool{}
	var out []string
	for _, ep := range s.Devices() {
		if !seen[ep.Credentials] {
			seen[ep.Credentials] = true
			out = append(out, ep.Credentials)
		}
	}
	return out
}

// logSkipped warns about devices the agent cannot poll, one line a device for
// the first few, then a count. (cmd/dcplane's agent command has the same
// function; both would be better as one in package agent.)
func logSkipped(log *slog.Logger, skipped []agent.Skipped) {
	for i, s := range skipped {
		if i == 5 {
			log.Warn("more devices skipped", "count", len(skipped)-i)
			return
		}
		log.Warn("device skipped", "device", s.Device, "reason", s.Reason)
	}
}
