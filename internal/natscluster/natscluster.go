// Package natscluster runs a JetStream cluster of nats-server processes on 127.0.0.1, for
// tests that need real servers to fail: kill a node with SIGKILL, leave it down, bring it
// back on the same store directory, find the node that leads a stream, and read each
// node's monitoring endpoint (/jsz, /varz).
//
// It drives the nats-server binary (Debian's /usr/sbin/nats-server, v2.9.10 here, or any
// later one on PATH), not the embedded server, so that a node dies as a process does: no
// shutdown, no flush, its sockets reset. Each node gets its own directory holding its
// configuration file (node.conf), its JetStream store (jetstream/) and its log (node.log),
// and three free ports: client, cluster (routes) and HTTP monitoring. Every node routes to
// every other.
//
// Use in a test:
//
//	c := natscluster.ForTest(t, natscluster.Options{}) // 3 nodes; skipped without nats-server, failed when CI=true
//	q, err := queue.Connect(ctx, c.URL(), queue.Config{}, log)
//	leader, err := c.StreamLeader(ctx, queue.StreamJobs) // the *Node leading PRECIS_JOBS
//	leader.Kill()                                        // SIGKILL; stays down
//	err = leader.Restart(ctx)                            // same ports, same store
//	jsz, err := c.Nodes[0].JSZ(ctx)                      // /jsz?streams=true, decoded
//
// Outside tests, Start and (*Cluster).Stop do the same with errors instead of t.
// A Cluster is safe for concurrent use.
package natscluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNoBinary says no nats-server binary was found.
var ErrNoBinary = errors.New("natscluster: no nats-server binary (install Debian's nats-server package)")

// Options configures a cluster. The zero value is 3 nodes of the nats-server found on PATH or
// at /usr/sbin/nats-server. A plain value, copied by Start.
type Options struct {
	// Size is the number of nodes; 3 when zero. JetStream needs a majority of them up.
	Size int
	// Binary is the nats-server executable; default: "nats-server" on PATH, else
	// /usr/sbin/nats-server.
	Binary string
	// Dir holds one directory per node (node-1, node-2, ...); a new temporary directory
	// when empty (removed by Stop).
	Dir string
	// Name is the cluster name; default "precis-test".
	Name string
	// ReadyTimeout bounds Start's wait for every node to accept connections and for the
	// JetStream meta leader to be elected; default 30s.
	ReadyTimeout time.Duration
}

// Cluster is a set of running (or killed) nats-server processes routed to each other.
type Cluster struct {
	Nodes []*Node
	name  string
	bin   string
	dir   string
	temp  bool // dir was created by Start
	wait  time.Duration
}

// Node is one nats-server process of a Cluster.
type Node struct {
	Name        string // server_name, also the name JetStream reports (StreamInfo.Cluster.Leader)
	Dir         string // holds node.conf, node.log and the JetStream store
	ClientPort  int
	ClusterPort int
	HTTPPort    int

	bin string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Binary returns the nats-server executable Start would use: $PRECIS_NATS_SERVER_BIN when
// set, else "nats-server" on PATH, else /usr/sbin/nats-server; or ErrNoBinary.
func Binary() (string, error) {
	if p := os.Getenv("PRECIS_NATS_SERVER_BIN"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nats-server"); err == nil {
		return "/usr/sbin/nats-server", nil
	}
	return "", ErrNoBinary
}

// ForTest starts a cluster for t and stops it when t ends. Without a nats-server binary it
// skips t, or fails it when the environment variable CI is "true" (in CI a missing server
// is a failure). Start's errors fail t.
func ForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Binary == "" {
		bin, err := Binary()
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%v (CI=true: a missing server is a failure)", err)
			}
			t.Skip(err)
		}
		opts.Binary = bin
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range c.Nodes {
				if b, err := os.ReadFile(filepath.Join(n.Dir, "node.log")); err == nil {
					t.Logf("%s log (last 6000 bytes, without the retries to reach a node that is down):\n%s", n.Name, tail(quiet(b), 6000))
				}
			}
		}
		c.Stop()
	})
	return c
}

// quiet drops from a node's log the line a live node writes every second for a node that is
// down ("Error trying to connect to route"), which would fill the tail shown, and says how
// many there were.
func quiet(b []byte) []byte {
	var out []byte
	n := 0
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if strings.Contains(line, "Error trying to connect to route") {
			n++
			continue
		}
		out = append(out, line...)
	}
	if n > 0 {
		out = append(out, fmt.Sprintf("(%d lines \"Error trying to connect to route\" left out)\n", n)...)
	}
	return out
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Start writes each node's configuration, starts the processes, and waits until every node
// accepts connections and JetStream has a meta leader. On error nothing is left running.
func Start(opts Options) (*Cluster, error) {
	if opts.Size == 0 {
		opts.Size = 3
	}
	if opts.Size < 1 {
		return nil, fmt.Errorf("natscluster: size %d", opts.Size)
	}
	if opts.Binary == "" {
		bin, err := Binary()
		if err != nil {
			return nil, err
		}
		opts.Binary = bin
	}
	if opts.Name == "" {
		opts.Name = "precis-test"
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 30 * time.Second
	}
	c := &Cluster{name: opts.Name, bin: opts.Binary, dir: opts.Dir, wait: opts.ReadyTimeout}
	if c.dir == "" {
		d, err := os.MkdirTemp("", "natscluster-")
		if err != nil {
			return nil, fmt.Errorf("natscluster: %w", err)
		}
		c.dir, c.temp = d, true
	}
	ports, err := freePorts(3 * opts.Size)
	if err != nil {
		c.Stop()
		return nil, err
	}
	for i := range opts.Size {
		n := &Node{Name: "n" + strconv.Itoa(i+1), Dir: filepath.Join(c.dir, "node-"+strconv.Itoa(i+1)), bin: c.bin,
			ClientPort: ports[3*i], ClusterPort: ports[3*i+1], HTTPPort: ports[3*i+2]}
		c.Nodes = append(c.Nodes, n)
	}
	for _, n := range c.Nodes {
		if err := os.MkdirAll(n.Dir, 0o700); err != nil {
			c.Stop()
			return nil, fmt.Errorf("natscluster: %w", err)
		}
		if err := os.WriteFile(n.ConfigPath(), []byte(c.config(n)), 0o600); err != nil {
			c.Stop()
			return nil, fmt.Errorf("natscluster: %w", err)
		}
		if err := n.start(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// config is a node's configuration file. Single-node clusters have no cluster block
// (nats-server refuses a cluster of one with JetStream).
func (c *Cluster) config(n *Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %q\nlisten: \"127.0.0.1:%d\"\nhttp: \"127.0.0.1:%d\"\n", n.Name, n.ClientPort, n.HTTPPort)
	fmt.Fprintf(&b, "jetstream {\n  store_dir: %q\n}\n", filepath.Join(n.Dir, "jetstream"))
	if len(c.Nodes) > 1 {
		fmt.Fprintf(&b, "cluster {\n  name: %q\n  listen: \"127.0.0.1:%d\"\n  routes: [\n", c.name, n.ClusterPort)
		for _, o := range c.Nodes {
			if o != n {
				fmt.Fprintf(&b, "    \"nats-route://127.0.0.1:%d\"\n", o.ClusterPort)
			}
		}
		b.WriteString("  ]\n}\n")
	}
	return b.String()
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("natscluster: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// URL returns the client URLs of every node, comma-separated: what queue.Connect and
// `precis --nats` take.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.URL()
	}
	return strings.Join(urls, ",")
}

// Node returns the node of a server name, nil when there is none.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// WaitReady waits until every running node answers /healthz and a JetStream meta leader is
// elected (seen as a non-empty meta_cluster.leader in a running node's /jsz), or ctx ends.
func (c *Cluster) WaitReady(ctx context.Context) error {
	var last error
	for {
		last = c.ready(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natscluster: not ready: %w (%v)", last, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) ready(ctx context.Context) error {
	running := 0
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		running++
		if err := n.getJSON(ctx, "/healthz", nil); err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
	}
	if running == 0 {
		return errors.New("no node is running")
	}
	leader, err := c.MetaLeader(ctx)
	if err != nil {
		return err
	}
	if leader == "" {
		return errors.New("no JetStream meta leader")
	}
	return nil
}

// MetaLeader returns the server name of the JetStream meta leader as the first running node
// that knows one reports it ("" when none does; a single node is its own leader).
func (c *Cluster) MetaLeader(ctx context.Context) (string, error) {
	var last error
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		jsz, err := n.JSZ(ctx)
		if err != nil {
			last = err
			continue
		}
		if len(c.Nodes) == 1 && jsz.Config != nil {
			return n.Name, nil
		}
		if jsz.Meta != nil && jsz.Meta.Leader != "" {
			return jsz.Meta.Leader, nil
		}
	}
	return "", last
}

// StreamLeader returns the node leading a stream (the KV bucket B is the stream KV_B), as
// StreamInfo.Cluster.Leader names it, asked through any running node. It waits for a leader
// to be elected until ctx ends.
func (c *Cluster) StreamLeader(ctx context.Context, stream string) (*Node, error) {
	var last error
	for {
		for _, n := range c.Nodes {
			if !n.Running() {
				continue
			}
			leader, err := n.streamLeader(ctx, stream)
			if err != nil {
				last = err
				continue
			}
			if leader != "" {
				if ln := c.Node(leader); ln != nil {
					return ln, nil
				}
				return nil, fmt.Errorf("natscluster: stream %s: leader %q is not a node of this cluster", stream, leader)
			}
			last = fmt.Errorf("no leader yet")
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("natscluster: leader of stream %s: %v (%w)", stream, last, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (n *Node) streamLeader(ctx context.Context, stream string) (string, error) {
	nc, err := nats.Connect(n.URL(), nats.NoReconnect(), nats.Timeout(2*time.Second))
	if err != nil {
		return "", err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return "", err
	}
	if ci := s.CachedInfo().Cluster; ci != nil {
		return ci.Leader, nil
	}
	return "", nil
}

// Stop kills every node and waits for it to exit; a directory Start created is removed.
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		n.Kill()
	}
	if c.temp {
		os.RemoveAll(c.dir)
	}
}

// URL is the node's client URL, nats://127.0.0.1:{ClientPort}.
func (n *Node) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(n.ClientPort) }

// MonitorURL is the node's HTTP monitoring endpoint, http://127.0.0.1:{HTTPPort}; its /jsz?streams=true
// lists the streams the node holds with their replicas.
func (n *Node) MonitorURL() string { return "http://127.0.0.1:" + strconv.Itoa(n.HTTPPort) }

// ConfigPath is the node's configuration file.
func (n *Node) ConfigPath() string { return filepath.Join(n.Dir, "node.conf") }

// Running reports whether the node's process is alive (started and not yet exited).
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

func (n *Node) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		select {
		case <-n.done:
		default:
			return fmt.Errorf("natscluster: %s is running", n.Name)
		}
	}
	logf, err := os.OpenFile(filepath.Join(n.Dir, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("natscluster: %w", err)
	}
	cmd := exec.Command(n.bin, "-c", n.ConfigPath())
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so that a terminal's signals reach the test, not the servers.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("natscluster: start %s: %w", n.Name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	n.cmd, n.done = cmd, done
	return nil
}

// Kill sends SIGKILL to the node's process and waits until it has exited. The node stays
// down until Restart. Killing a node that is not running does nothing.
func (n *Node) Kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Restart starts a killed node again with the same configuration, ports and store, and
// waits until it serves its monitoring endpoint (/varz) or ctx ends. JetStream is not
// waited for (its /healthz stays 503 until every stream and consumer it holds has caught
// up, which after a loss of quorum takes a while): wait for what the test needs, e.g. a
// StreamLeader or a request that succeeds.
func (n *Node) Restart(ctx context.Context) error {
	if err := n.start(); err != nil {
		return err
	}
	for {
		err := n.getJSON(ctx, "/varz", nil)
		if err == nil {
			return nil
		}
		if !n.Running() {
			return fmt.Errorf("natscluster: %s exited on restart (see %s)", n.Name, filepath.Join(n.Dir, "node.log"))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natscluster: %s not serving after restart: %v (%w)", n.Name, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// JSZ is the part of a node's /jsz?streams=true (nats-server monitor.go, JSInfo) that tests
// read: the meta group and, per account, the streams this node holds a replica of.
type JSZ struct {
	ServerID string          `json:"server_id"`
	Config   *map[string]any `json:"config"`
	Meta     *struct {
		Name   string `json:"name"`
		Leader string `json:"leader"`
		Size   int    `json:"cluster_size"`
	} `json:"meta_cluster"`
	Streams   int `json:"streams"`
	Consumers int `json:"consumers"`
	Accounts  []struct {
		Name    string      `json:"name"`
		Streams []JSZStream `json:"stream_detail"`
	} `json:"account_details"`
}

// JSZStream is one stream in /jsz: its configuration's replica count and its cluster (leader
// and the other replicas).
type JSZStream struct {
	Name    string `json:"name"`
	Cluster *struct {
		Leader   string `json:"leader"`
		Replicas []struct {
			Name    string `json:"name"`
			Current bool   `json:"current"`
		} `json:"replicas"`
	} `json:"cluster"`
	Config *struct {
		Replicas int `json:"num_replicas"`
	} `json:"config"`
}

// JSZ reads the node's /jsz?accounts=true&streams=true&config=true.
func (n *Node) JSZ(ctx context.Context) (*JSZ, error) {
	var j JSZ
	if err := n.getJSON(ctx, "/jsz?accounts=true&streams=true&config=true", &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Stream returns what the node's /jsz says of a stream it holds a replica of; false when
// it holds none.
func (j *JSZ) Stream(name string) (JSZStream, bool) {
	for _, a := range j.Accounts {
		for _, s := range a.Streams {
			if s.Name == name {
				return s, true
			}
		}
	}
	return JSZStream{}, false
}

func (n *Node) getJSON(ctx context.Context, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.MonitorURL()+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", n.Name, path, resp.Status)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Healthz returns nil when the node's /healthz answers 200 (the server up and, for
// JetStream, in contact with the meta leader and current on every stream and consumer it
// holds), else why not.
func (n *Node) Healthz(ctx context.Context) error { return n.getJSON(ctx, "/healthz", nil) }
