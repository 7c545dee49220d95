package api_test

import (
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/dcplane/dcplane/controller/alerts"
)

// TestOpenAPIListsEveryAlertRule: the spec's AlertRule enum is the rules
// the controller has, no more and no fewer, so that a client generated
// from it takes every alert the API can answer.
func TestOpenAPIListsEveryAlertRule(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ref := doc.Components.Schemas["AlertRule"]
	if ref == nil || ref.Value == nil {
		t.Fatal("openapi.yaml has no AlertRule schema")
	}
	var spec []string
	for _, v := range ref.Value.Enum {
		s, _ := v.(string)
		spec = append(spec, s)
	}
	var rules []string
	for _, r := range alerts.Rules() {
		rules = append(rules, string(r.Rule))
	}
	slices.Sort(spec)
	slices.Sort(rules)
	if !slices.Equal(spec, rules) {
		t.Errorf("AlertRule enum: got %v, want the controller's rules %v", spec, rules)
	}
}
