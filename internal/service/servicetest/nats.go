package servicetest

// A minimal starter of a NATS JetStream cluster of nats-server processes, for the cluster
// fault tests and the harness's cluster row.
//
// MERGE NOTE: the cluster-core branch adds a reusable helper that starts the same 3-node
// cluster; once it lands, LaunchNATSCluster and StartNATSCluster here should give way to it
// (the callers use only URLs, Servers[i].Name/Kill/MonitorURL, WaitMetaLeader and Kill).

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ErrNoNATSServer reports that no nats-server binary was found or built.
var ErrNoNATSServer = errors.New("servicetest: no nats-server binary (set PRECIS_NATS_SERVER_BIN, or let go build github.com/nats-io/nats-server/v2 run)")

var (
	natsOnce sync.Once
	natsBin  string
	natsErr  error
)

// FindNATSServer returns a nats-server binary: $PRECIS_NATS_SERVER_BIN, else one built once
// per process from the nats-server module this repository's go.mod requires (the version of
// the embedded server, from the Go module cache). Debian's nats-server 2.9.10 is too old:
// the webhook dispatcher's consumer filters on several subjects, which needs 2.10.
func FindNATSServer() (string, error) {
	if p := os.Getenv("PRECIS_NATS_SERVER_BIN"); p != "" {
		return p, nil
	}
	natsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "precis-nats-server")
		if err != nil {
			natsErr = err
			return
		}
		natsBin = filepath.Join(dir, "nats-server")
		if out, err := exec.Command("go", "build", "-o", natsBin, "github.com/nats-io/nats-server/v2").CombinedOutput(); err != nil {
			natsErr = fmt.Errorf("%w: go build: %v\n%s", ErrNoNATSServer, err, out)
		}
	})
	return natsBin, natsErr
}

// NATSServer is one nats-server process of a NATSCluster.
type NATSServer struct {
	Name                           string // server_name, as StreamInfo.Cluster.Leader names it
	Port, ClusterPort, MonitorPort int    // client, route and monitoring ports on 127.0.0.1
	bin, conf                      string
	cmd                            *exec.Cmd
	done                           chan struct{}
	out                            *lockedWriter
}

// Log returns what the server has logged so far, for failure messages.
func (s *NATSServer) Log() string { return s.out.String() }

// lockedWriter collects a process's output from its two pipes while tests read it.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// URL is the server's client URL.
func (s *NATSServer) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.Port) }

// MonitorURL is the base URL of the server's monitoring endpoint (/jsz, /varz, ...).
func (s *NATSServer) MonitorURL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.MonitorPort) }

// Kill stops the server at once (SIGKILL: no chance to hand anything over) and waits for it.
func (s *NATSServer) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
	default:
		s.cmd.Process.Kill()
		<-s.done
	}
}

// Running reports whether the process is alive.
func (s *NATSServer) Running() bool {
	select {
	case <-s.done:
		return false
	default:
		return s.cmd != nil
	}
}

// NATSCluster is a JetStream cluster of nats-server processes on 127.0.0.1, without
// authentication, each storing in a directory of its own. It is not safe for concurrent use.
type NATSCluster struct {
	Servers []*NATSServer
}

// URLs is the comma-separated list of the servers' client URLs, as --nats takes it.
func (c *NATSCluster) URLs() string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.URL()
	}
	return strings.Join(urls, ",")
}

// Server returns the server of that name, or nil.
func (c *NATSCluster) Server(name string) *NATSServer {
	for _, s := range c.Servers {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Kill stops every server.
func (c *NATSCluster) Kill() {
	for _, s := range c.Servers {
		s.Kill()
	}
}

// LaunchNATSCluster starts n nats-server processes (bin) with JetStream, routed to each
// other, their stores and config files under dir, and returns once the cluster has elected
// its JetStream meta leader (or after timeout, with an error). The caller stops it with Kill.
func LaunchNATSCluster(bin, dir string, n int, timeout time.Duration) (*NATSCluster, error) {
	c := &NATSCluster{}
	for i := range n {
		s := &NATSServer{Name: fmt.Sprintf("n%d", i+1), bin: bin}
		for _, p := range []*int{&s.Port, &s.ClusterPort, &s.MonitorPort} {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			*p = port
		}
		c.Servers = append(c.Servers, s)
	}
	var routes []string
	for _, s := range c.Servers {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", s.ClusterPort))
	}
	for _, s := range c.Servers {
		sdir := filepath.Join(dir, s.Name)
		if err := os.MkdirAll(sdir, 0o700); err != nil {
			return nil, err
		}
		conf := fmt.Sprintf(`server_name: %q
listen: "127.0.0.1:%d"
http: "127.0.0.1:%d"
jetstream {
  store_dir: %q
  max_memory_store: 256MB
  max_file_store: 2GB
}
cluster {
  name: "precis-test"
  listen: "127.0.0.1:%d"
  routes: [%s]
}
`, s.Name, s.Port, s.MonitorPort, filepath.Join(sdir, "jetstream"), s.ClusterPort, strings.Join(quoteAll(routes), ", "))
		s.conf = filepath.Join(sdir, "nats.conf")
		if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
			return nil, err
		}
		if err := s.start(); err != nil {
			c.Kill()
			return nil, err
		}
	}
	if err := c.WaitMetaLeader(timeout); err != nil {
		c.Kill()
		return nil, err
	}
	return c, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func (s *NATSServer) start() error {
	s.cmd = exec.Command(s.bin, "-c", s.conf)
	s.out = &lockedWriter{}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.done = make(chan struct{})
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	return nil
}

// Jsz is the part of a server's /jsz answer the callers read.
type Jsz struct {
	Meta *struct {
		Leader      string `json:"leader"`
		ClusterSize int    `json:"cluster_size"`
	} `json:"meta_cluster"`
	Streams int `json:"streams"`
}

// Jsz reads the server's /jsz monitoring endpoint.
func (s *NATSServer) Jsz() (Jsz, error) {
	var j Jsz
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(s.MonitorURL() + "/jsz")
	if err != nil {
		return j, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return j, fmt.Errorf("%s/jsz: %s", s.MonitorURL(), resp.Status)
	}
	return j, json.NewDecoder(resp.Body).Decode(&j)
}

// WaitMetaLeader waits until every running server names the same JetStream meta leader,
// itself running.
func (c *NATSCluster) WaitMetaLeader(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		leader, ok := "", true
		for _, s := range c.Servers {
			if !s.Running() {
				continue
			}
			j, err := s.Jsz()
			switch {
			case err != nil:
				ok, last = false, err.Error()
			case j.Meta == nil || j.Meta.Leader == "":
				ok, last = false, s.Name+": no meta leader yet"
			case leader != "" && j.Meta.Leader != leader:
				ok, last = false, fmt.Sprintf("%s names %s, another server %s", s.Name, j.Meta.Leader, leader)
			default:
				leader = j.Meta.Leader
			}
		}
		if ok && leader != "" {
			if l := c.Server(leader); l != nil && l.Running() {
				return nil
			}
			last = "meta leader " + leader + " is not running"
		}
		if time.Now().After(deadline) {
			var logs strings.Builder
			for _, s := range c.Servers {
				fmt.Fprintf(&logs, "--- %s\n%s\n", s.Name, s.Log())
			}
			return fmt.Errorf("servicetest: no JetStream meta leader after %s: %s\n%s", timeout, last, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// NATSServerBin finds nats-server (FindNATSServer); without one the test is skipped, or fails
// when CI=true.
func NATSServerBin(t testing.TB) string {
	t.Helper()
	p, err := FindNATSServer()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(err)
	}
	t.Skip(err)
	return ""
}

// StartNATSCluster starts a cluster of n servers in a fresh directory (LaunchNATSCluster); it
// is killed when the test ends.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	c, err := LaunchNATSCluster(NATSServerBin(t), t.TempDir(), n, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Kill)
	return c
}
