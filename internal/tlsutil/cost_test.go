package tlsutil

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// What a placement through the API carries: a 600-byte request and an
// answer of about 1 KB.
const (
	callRequest = 600
	callAnswer  = 1100
)

// cpuTime is the process's CPU time (user and system) so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU per op since start: both ends of
// each call run in this process, so it is what a call costs them both.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N)/1e3, "cpu-µs/op")
}

// BenchmarkRecords is one call's bytes each way over a kept TCP connection
// on loopback, plain and in TLS 1.3 records of the site CA's mutual TLS:
// the cost of the records (sealing, opening, their framing) on both ends,
// without HTTP. go test -run XXX -bench Records ./internal/tlsutil/
func BenchmarkRecords(b *testing.B) {
	for _, secure := range []bool{false, true} {
		name := "plain"
		if secure {
			name = "tls"
		}
		b.Run(name, func(b *testing.B) {
			client, server := connPair(b, secure)
			go func() {
				req, ans := make([]byte, callRequest), bytes.Repeat([]byte("a"), callAnswer)
				for {
					if _, err := io.ReadFull(server, req); err != nil {
						return
					}
					if _, err := server.Write(ans); err != nil {
						return
					}
				}
			}()
			req, ans := bytes.Repeat([]byte("r"), callRequest), make([]byte, callAnswer)
			b.ResetTimer()
			start := cpuTime(b)
			for range b.N {
				if _, err := client.Write(req); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(client, ans); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
			client.Close()
		})
	}
}

// connPair is a connected pair on loopback, in mutual TLS if secure (the
// handshake done).
func connPair(b *testing.B, secure bool) (client, server net.Conn) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	server = <-accepted
	b.Cleanup(func() { client.Close(); server.Close() })
	if !secure {
		return client, server
	}
	srvConf, cliConf := benchConfigs(b)
	tc, ts := tls.Client(client, cliConf), tls.Server(server, srvConf)
	errc := make(chan error, 1)
	go func() { errc <- ts.Handshake() }()
	if err := tc.Handshake(); err != nil {
		b.Fatal(err)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	return tc, ts
}

// benchConfigs are a controller's server config for the API's port and an
// operator's client config, of a new CA.
func benchConfigs(b *testing.B) (srv, cli *tls.Config) {
	b.Helper()
	ca, err := NewCA("bench")
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	srv = NewConfig(benchPair(b, ca, Request{Role: RoleController, Name: "n1", IPs: loopback}), pool, APIRoles...)
	cli = NewConfig(benchPair(b, ca, Request{Role: RoleOperator, Name: "c"}), pool, RoleController)
	cli.ServerName = "127.0.0.1"
	return srv, cli
}

func benchPair(b *testing.B, ca *CA, r Request) tls.Certificate {
	b.Helper()
	cert, key, err := ca.Issue(r)
	if err != nil {
		b.Fatal(err)
	}
	p, err := tls.X509KeyPair(cert, key)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkHTTPCall is one call through net/http (a 600-byte POST, a
// 1,100-byte answer) from one client on a kept connection: plain HTTP/1.1,
// and mutual TLS with HTTP/1.1 (what HTTPClient speaks) and with HTTP/2
// (what a transport cloned from http.DefaultTransport negotiates).
// go test -run XXX -bench HTTPCall ./internal/tlsutil/
func BenchmarkHTTPCall(b *testing.B) {
	ans := bytes.Repeat([]byte("a"), callAnswer)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(ans)
	})
	for _, c := range []struct {
		name       string
		secure, h2 bool
	}{{"plain-http1", false, false}, {"tls-http1", true, false}, {"tls-http2", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			ts := httptest.NewUnstartedServer(handler)
			ts.Config.ErrorLog = log.New(io.Discard, "", 0)
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			if c.secure {
				srv, cli := benchConfigs(b)
				ts.EnableHTTP2, ts.TLS = true, srv
				ts.StartTLS()
				hc = HTTPClient(cli, time.Minute)
				if c.h2 {
					hc = &http.Client{Transport: &http.Transport{TLSClientConfig: cli, ForceAttemptHTTP2: true}}
				}
			} else {
				ts.Start()
			}
			defer ts.Close()
			defer hc.CloseIdleConnections()
			req := bytes.Repeat([]byte("r"), callRequest)
			call := func() {
				res, err := hc.Post(ts.URL, "application/json", bytes.NewReader(req))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if (res.ProtoMajor == 2) != c.h2 {
					b.Fatalf("got %s, want HTTP/2 %v", res.Proto, c.h2)
				}
			}
			call() // the handshake, untimed
			b.ResetTimer()
			start := cpuTime(b)
			for range b.N {
				call()
			}
			reportCPU(b, start)
		})
	}
}
