package api_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// carryingController commits an inventory with the call's record, as a
// node does (wire.CallAudit), and then answers err.
type carryingController struct {
	tokenController
	carried []wire.AuditRecord
	err     error
}

func (f *carryingController) PutSite(ctx context.Context, _ *inventory.Site) (uint64, error) {
	ca := wire.CallAuditOf(ctx)
	if ca == nil {
		return 0, errors.New("the call carries no audit record")
	}
	rec, ok := ca.Record()
	if !ok {
		return 0, errors.New("the call's record was carried already")
	}
	f.carried = append(f.carried, rec)
	ca.Carry()
	return 7, f.err
}

// TestCarriedRecordIsNotWrittenTwice: a call whose record the controller
// committed with its command is not recorded again by the API, and the
// record handed down holds who called, what, with the body read so far and
// the status of success; a call that answers otherwise than that status
// after its command committed is recorded again, with its answer.
func TestCarriedRecordIsNotWrittenTwice(t *testing.T) {
	f := &carryingController{tokenController: tokenController{secret: "dcp_ab12_secret"}}
	ts := httptest.NewServer(api.NewServer(f, nil, slog.New(slog.DiscardHandler)))
	defer ts.Close()
	doc, _ := inventory.Marshal(inventory.Reference(1))
	if status, p := authCall(t, nil, "PUT", ts.URL+"/v1/inventory", f.secret, doc, api.MediaYAML); status != 200 {
		t.Fatalf("got %d %+v, want 200", status, p)
	}
	if len(f.recorded) != 0 {
		t.Errorf("records the API wrote: got %+v, want none: the command carried it", f.recorded)
	}
	if len(f.carried) != 1 {
		t.Fatalf("records carried: got %d, want 1", len(f.carried))
	}
	r := f.carried[0]
	if r.Who != "token:ab12 (root)" || r.Role != api.RoleAdmin || r.Method != "PUT" || r.Path != "/v1/inventory" ||
		r.Status != 200 || !strings.Contains(r.Input, "site:") || r.At.IsZero() {
		t.Errorf("carried record: got %+v, want who, role, call, its input and 200", r)
	}

	f.err = errors.New("encode failed after the commit")
	if status, _ := authCall(t, nil, "PUT", ts.URL+"/v1/inventory", f.secret, doc, api.MediaYAML); status != 500 {
		t.Fatalf("got %d, want 500", status)
	}
	if len(f.carried) != 2 || len(f.recorded) != 1 || f.recorded[0].Status != 500 {
		t.Errorf("got %d carried and %+v written, want the second call carried and its 500 answer recorded too", len(f.carried), f.recorded)
	}
}

// tokenMaker makes tokens without carrying the call's record, as a
// controller whose command was refused, or one that records apart, does.
type tokenMaker struct{ tokenController }

func (f *tokenMaker) CreateToken(_ context.Context, req wire.TokenRequest, by string) (wire.NewToken, error) {
	return wire.NewToken{Token: wire.Token{ID: "cd34", Name: req.Name, Role: req.Role, CreatedBy: by}, Secret: "dcp_cd34_TOPSECRET"}, nil
}
func (f *tokenMaker) RevokeToken(context.Context, string, string) error { return nil }
func (f *tokenMaker) Tokens(context.Context) ([]wire.Token, error)      { return nil, nil }

// TestTokensSecretStaysOutOfARecordTheAPIWrites: when the API writes the
// record of a token's creation itself (no command carried it), it keeps
// the token's ID, name and role, never its secret.
func TestTokensSecretStaysOutOfARecordTheAPIWrites(t *testing.T) {
	f := &tokenMaker{tokenController{secret: "dcp_ab12_secret"}}
	ts := httptest.NewServer(api.NewServer(f, nil, slog.New(slog.DiscardHandler)))
	defer ts.Close()
	if status, p := authCall(t, nil, "POST", ts.URL+"/v1/tokens", f.secret, []byte(`{"name":"ci","role":"viewer"}`), api.MediaJSON); status != 201 {
		t.Fatalf("got %d %+v, want 201", status, p)
	}
	if len(f.recorded) != 1 || strings.Contains(f.recorded[0].Result, "TOPSECRET") || !strings.Contains(f.recorded[0].Result, "cd34") {
		t.Errorf("records: got %+v, want one naming token cd34 without its secret", f.recorded)
	}
}
