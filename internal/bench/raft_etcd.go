package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dcplane/dcplane/internal/freeport"
)

// The anchor is etcd, Debian's etcd-server (3.4), reached over its gRPC API
// by the small unary client below: HTTP/2 without TLS from net/http and the
// few protobuf fields of Put, Range and Status encoded by hand. The Go
// client (go.etcd.io/etcd/client/v3) would bring grpc-go, zap and etcd's API
// modules into the dcplane binary for one benchmark; this talks the same
// protocol, over one multiplexed connection as that client does.

// etcdCluster is three etcd members started by the bench.
type etcdCluster struct {
	procs   []*exec.Cmd
	exited  []chan struct{} // closed when the member's process has ended
	logs    []string
	clients []*etcdClient
	leader  int
}

// etcdTries is how many clusters startEtcd starts, each on new ports, before
// it gives up: a member whose port was taken between freeport choosing it
// and etcd binding it (by any other program on the machine: CI runs the
// tests of every package at once) exits at once, and a new cluster on new
// ports is the way on, not a minute's wait for a leader that cannot come.
const etcdTries = 3

// startEtcd starts a 3-member etcd cluster on loopback with its data under
// dir and waits until every member is healthy and a leader is known.
func startEtcd(ctx context.Context, bin, dir string) (*etcdCluster, error) {
	var errs []error
	for try := range etcdTries {
		e, err := startEtcdOnce(ctx, bin, filepath.Join(dir, fmt.Sprintf("try%d", try+1)))
		if err == nil {
			return e, nil
		}
		errs = append(errs, fmt.Errorf("try %d: %w", try+1, err))
		if ctx.Err() != nil || !errors.Is(err, errEtcdExited) {
			break
		}
	}
	return nil, fmt.Errorf("bench: start etcd: %w", errors.Join(errs...))
}

// errEtcdExited is a member that ended before the cluster had a leader.
var errEtcdExited = errors.New("etcd member exited")

func startEtcdOnce(ctx context.Context, bin, dir string) (_ *etcdCluster, err error) {
	e := &etcdCluster{leader: -1}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addrs := freeport.Addrs(6)
	var peers, clients []string
	for i := range 3 {
		peers, clients = append(peers, "http://"+addrs[2*i]), append(clients, "http://"+addrs[2*i+1])
	}
	var initial []string
	for i, p := range peers {
		initial = append(initial, fmt.Sprintf("e%d=%s", i+1, p))
	}
	for i := range 3 {
		cmd := exec.Command(bin, "--name", fmt.Sprintf("e%d", i+1), "--data-dir", filepath.Join(dir, fmt.Sprintf("e%d", i+1)),
			"--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
			"--listen-peer-urls", peers[i], "--initial-advertise-peer-urls", peers[i],
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", "dcplane-bench", "--logger", "zap", "--log-level", "error")
		logPath := filepath.Join(dir, fmt.Sprintf("e%d.log", i+1))
		if cmd.Stderr, err = os.Create(logPath); err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			cmd.Stderr.(*os.File).Close()
			return nil, fmt.Errorf("bench: start etcd: %w", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		e.procs, e.exited, e.logs = append(e.procs, cmd), append(e.exited, exited), append(e.logs, logPath)
		e.clients = append(e.clients, newEtcdClient(clients[i]))
	}
	var gone error
	err = waitUntil(ctx, "etcd leader", func() bool {
		for i, ex := range e.exited {
			select {
			case <-ex:
				gone = fmt.Errorf("%w: e%d (%s, client %s, peer %s): %s", errEtcdExited, i+1, e.procs[i].ProcessState, clients[i], peers[i], logTail(e.logs[i], 400))
				return true
			default:
			}
		}
		for i, c := range e.clients {
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			member, leader, err := c.status(sctx)
			cancel()
			if err != nil {
				return false
			}
			if member == leader {
				e.leader = i
			}
		}
		return e.leader >= 0
	})
	if gone != nil {
		return nil, gone
	}
	return e, err
}

// logTail is the last n bytes of the file at path, for an error.
func logTail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return strings.TrimSpace(string(b))
}

// stop kills the members and waits for them. Their data is thrown away
// and checked before, so nothing is lost by not stopping them gently; and
// a leader that is sent SIGTERM tries to hand its leadership over to the
// others, stopping too, for some 7 s.
func (e *etcdCluster) stop() {
	for _, p := range e.procs {
		_ = p.Process.Kill()
	}
	for i, p := range e.procs {
		<-e.exited[i]
		if f, ok := p.Stderr.(*os.File); ok {
			f.Close()
		}
	}
	for _, c := range e.clients {
		c.hc.CloseIdleConnections()
	}
}

// etcdVersion is the first line of `etcd --version`.
func etcdVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "etcd (version unknown)"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// raftEtcd measures etcd with the same modes as dcplane: puts of distinct
// keys, as large as dcplane's command, sent to the leader.
func raftEtcd(ctx context.Context, c RaftConfig, dir string, r *RaftResult, run *raftRun) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	r.Etcd = etcdVersion(c.Etcd)
	e, err := startEtcd(ctx, c.Etcd, dir)
	if err != nil {
		return err
	}
	defer e.stop()
	leader := e.clients[e.leader]
	acked := 0
	for mode, clients := range c.Clients {
		key := func(i int) string { return fmt.Sprintf("bench/%d/%08d", mode, i) }
		value := bytes.Repeat([]byte("w"), max(r.CommandBytes-len(key(0)), 1))
		m := driveRaft(ctx, "etcd", clients, c.Commands, func(ctx context.Context, i int) error {
			return leader.put(ctx, key(i), value)
		})
		acked += m.commands - m.errors
		run.modes = append(run.modes, m)
	}
	ch := e.check(ctx, acked)
	ch.Run = run.n
	run.checks = append(run.checks, ch)
	return nil
}

// check waits until every member holds every acknowledged key (each mode
// put distinct keys under bench/).
func (e *etcdCluster) check(ctx context.Context, acked int) RaftCheck {
	ch := RaftCheck{System: "etcd", Acknowledged: acked}
	counts := make([]uint64, len(e.clients))
	err := waitUntil(ctx, "etcd members holding every key", func() bool {
		all := true
		for i, c := range e.clients {
			n, err := c.count(ctx, "bench/")
			counts[i] = n
			all = all && err == nil && n >= uint64(acked)
		}
		return all
	})
	if err != nil {
		ch.Lost, ch.Detail = acked, fmt.Sprintf("keys on each member: %v", counts)
		return ch
	}
	ch.Detail = fmt.Sprintf("every member holds every acknowledged key (%v, by a serializable count on each)", counts)
	return ch
}

// etcdClient calls one etcd member's gRPC API.
type etcdClient struct {
	base string
	hc   *http.Client
}

func newEtcdClient(base string) *etcdClient {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &etcdClient{base: base, hc: &http.Client{Transport: &http.Transport{Protocols: &p}, Timeout: 30 * time.Second}}
}

// put is KV.Put{key, value}.
func (c *etcdClient) put(ctx context.Context, key string, value []byte) error {
	_, err := c.call(ctx, "/etcdserverpb.KV/Put", pbBytes(pbBytes(nil, 1, []byte(key)), 2, value))
	return err
}

// count is the number of keys with prefix, read on this member alone
// (KV.Range{key 1, range_end 2, serializable 7, count_only 9}; the
// answer's count is field 4).
func (c *etcdClient) count(ctx context.Context, prefix string) (uint64, error) {
	end := []byte(prefix)
	end[len(end)-1]++
	req := pbVarint(pbVarint(pbBytes(pbBytes(nil, 1, []byte(prefix)), 2, end), 7, 1), 9, 1)
	resp, err := c.call(ctx, "/etcdserverpb.KV/Range", req)
	if err != nil {
		return 0, err
	}
	ints, _, err := pbParse(resp)
	return ints[4], err
}

// status returns this member's ID and its leader's (Maintenance.Status: the
// answer's header is field 1, with member_id 2; leader is field 4).
func (c *etcdClient) status(ctx context.Context) (member, leader uint64, err error) {
	resp, err := c.call(ctx, "/etcdserverpb.Maintenance/Status", nil)
	if err != nil {
		return 0, 0, err
	}
	ints, msgs, err := pbParse(resp)
	if err != nil {
		return 0, 0, err
	}
	header, _, err := pbParse(msgs[1])
	return header[2], ints[4], err
}

// call makes one unary gRPC call: a length-prefixed message out, one in,
// and the status in the trailers (or the headers, for an error at once).
func (c *etcdClient) call(ctx context.Context, method string, msg []byte) ([]byte, error) {
	body := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(body[1:], uint32(len(msg)))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, bytes.NewReader(append(body, msg...)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", method, err)
	}
	status, message := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if status == "" {
		status, message = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	if status != "0" {
		return nil, fmt.Errorf("etcd %s: HTTP %d, gRPC status %q: %s", method, resp.StatusCode, status, message)
	}
	if len(data) < 5 || int(binary.BigEndian.Uint32(data[1:5])) != len(data)-5 {
		return nil, fmt.Errorf("etcd %s: a malformed answer of %d bytes", method, len(data))
	}
	return data[5:], nil
}

// pbBytes appends a length-delimited protobuf field.
func pbBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// pbVarint appends a varint protobuf field.
func pbVarint(b []byte, field int, v uint64) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(b, uint64(field)<<3), v)
}

// pbParse reads a protobuf message's varint and length-delimited fields by
// number (the last of each wins); it skips fixed-size ones.
func pbParse(b []byte) (ints map[int]uint64, msgs map[int][]byte, err error) {
	ints, msgs = map[int]uint64{}, map[int][]byte{}
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, nil, errors.New("protobuf: bad field key")
		}
		b = b[n:]
		field := int(key >> 3)
		switch key & 7 {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, nil, errors.New("protobuf: bad varint")
			}
			ints[field], b = v, b[n:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, nil, errors.New("protobuf: bad length")
			}
			msgs[field], b = b[n:n+int(l)], b[n+int(l):]
		case 1:
			b = b[min(8, len(b)):]
		case 5:
			b = b[min(4, len(b)):]
		default:
			return nil, nil, fmt.Errorf("protobuf: wire type %d", key&7)
		}
	}
	return ints, msgs, nil
}
