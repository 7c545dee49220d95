package controller

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/wire"
)

// AdminTokenFile is the name of the file, in the data directory of the
// node that bootstraps a cluster, that holds the cluster's first admin
// token (mode 0600), as k3s writes its server token.
const AdminTokenFile = "admin-token"

// bootstrapTokenTimeout bounds the commit of the first admin token.
const bootstrapTokenTimeout = 30 * time.Second

// AuthEnabled says whether the API must authenticate every call: always,
// unless Config.NoAuth.
func (n *Node) AuthEnabled() bool { return !n.cfg.NoAuth }

// Token returns the token with this ID, revoked or not, with its hash.
func (n *Node) Token(id string) (wire.Token, bool) { return n.store.State().Token(id) }

// Tokens lists every token, without their hashes.
func (n *Node) Tokens(context.Context) ([]wire.Token, error) {
	ts := n.store.State().Tokens()
	for i := range ts {
		ts[i].Hash = ""
	}
	return ts, nil
}

// CreateToken makes a token of req's name and role, committed through the
// log, and returns it with its secret: the only time the secret is seen.
func (n *Node) CreateToken(ctx context.Context, req wire.TokenRequest, by string) (wire.NewToken, error) {
	secret, id, hash, err := newSecret()
	if err != nil {
		return wire.NewToken{}, err
	}
	tok := wire.Token{ID: id, Name: req.Name, Role: req.Role, Halls: req.Halls, CreatedBy: by}
	v, err := n.propose(ctx, state.CreateToken{Token: tok, Hash: hash, At: n.cfg.Now()})
	if err != nil {
		return wire.NewToken{}, n.leaderError(err)
	}
	tok, _ = v.Token(id)
	tok.Hash = ""
	n.log.Info("token created", "id", id, "name", req.Name, "role", req.Role, "halls", req.Halls, "by", by)
	return wire.NewToken{Token: tok, Secret: secret}, nil
}

// RevokeToken revokes a token; wire.ErrUnknownToken if none has the ID.
func (n *Node) RevokeToken(ctx context.Context, id, by string) error {
	if _, ok := n.Token(id); !ok {
		return fmt.Errorf("token %q: %w", id, wire.ErrUnknownToken)
	}
	_, err := n.propose(ctx, state.RevokeToken{ID: id, By: by, At: n.cfg.Now()})
	if errors.Is(err, state.ErrUnknownToken) {
		return fmt.Errorf("token %q: %w", id, wire.ErrUnknownToken)
	}
	if err != nil {
		return n.leaderError(err)
	}
	n.log.Info("token revoked", "id", id, "by", by)
	return nil
}

// newSecret makes a token's secret from 32 random bytes, its ID (in the
// secret) and its hash.
func newSecret() (secret, id, hash string, err error) {
	var b [6 + 32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", "", fmt.Errorf("controller: token: %w", err)
	}
	id = hex.EncodeToString(b[:6])
	secret = wire.TokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b[6:])
	return secret, id, wire.HashToken(secret), nil
}

// bootstrapAdminToken gives a new cluster its first admin token: on the
// node that bootstraps it (Config.Bootstrap), once it leads, when the
// state holds no token yet, it commits one and writes its secret to
// AdminTokenFile in the data directory, mode 0600, logging the file's path
// (never the secret). The file is written first: a token no one can read
// would lock the cluster.
func (n *Node) bootstrapAdminToken(ctx context.Context) {
	if !n.cfg.Bootstrap || n.cfg.NoAuth || len(n.store.State().Tokens()) > 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, bootstrapTokenTimeout)
	defer cancel()
	if err := n.store.Barrier(ctx); err != nil || len(n.store.State().Tokens()) > 0 {
		return // not the leader after all, or a token came with the log
	}
	secret, id, hash, err := newSecret()
	if err != nil {
		n.log.Error("cannot make the first admin token", "err", err)
		return
	}
	path := filepath.Join(n.cfg.DataDir, AdminTokenFile)
	if err := writeSecret(path, secret); err != nil {
		n.log.Error("cannot write the first admin token", "path", path, "err", err)
		return
	}
	tok := wire.Token{ID: id, Name: "bootstrap-admin", Role: wire.RoleAdmin, CreatedBy: "bootstrap:" + n.cfg.NodeID}
	if _, err := n.store.Apply(ctx, state.CreateToken{Token: tok, Hash: hash, At: n.cfg.Now()}); err != nil {
		n.log.Error("cannot commit the first admin token", "path", path, "err", err)
		return
	}
	n.log.Info("first admin token written: export DCPLANE_TOKEN=$(cat PATH), or dcplane --token-file PATH; create the others with dcplane token create",
		"path", path, "id", id)
}

// writeSecret writes secret to path, mode 0600 even where the file was.
func writeSecret(path, secret string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// bootstrapTokenPoll is how often BootstrapToken looks for the token.
const bootstrapTokenPoll = 20 * time.Millisecond

// BootstrapToken waits until this node, which bootstraps its cluster, has
// committed the first admin token, and returns its secret, read from
// AdminTokenFile: for the demo and tests, which act as the operator who
// reads the file. It fails at once on a node that does not bootstrap.
func (n *Node) BootstrapToken(ctx context.Context) (string, error) {
	if !n.cfg.Bootstrap || n.cfg.NoAuth {
		return "", errors.New("controller: only a node that bootstraps a cluster with authentication makes its first admin token")
	}
	t := time.NewTicker(bootstrapTokenPoll)
	defer t.Stop()
	for {
		for _, tok := range n.store.State().Tokens() {
			if tok.CreatedBy == "bootstrap:"+n.cfg.NodeID {
				b, err := os.ReadFile(filepath.Join(n.cfg.DataDir, AdminTokenFile))
				if err != nil {
					return "", fmt.Errorf("controller: the first admin token: %w", err)
				}
				return strings.TrimSpace(string(b)), nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("controller: waiting for the first admin token: %w", ctx.Err())
		case <-t.C:
		}
	}
}
