// Package servicetest starts the real servers that the service's tests and the benchmark
// harness (benchmarks/harness) use: a MinIO server process its owner can configure, stop and
// restart. MinIO is AGPL: it is run as a separate process, never linked. This is test and
// benchmark support, never linked into the precis binary.
package servicetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// freePort returns a TCP port free on 127.0.0.1 now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ErrNoMinIO reports that no MinIO server binary was found.
var ErrNoMinIO = errors.New("servicetest: no minio binary (set PRECIS_MINIO_BIN, or go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c)")

// FindMinIO finds the MinIO server binary: $PRECIS_MINIO_BIN, minio on the PATH, or
// $GOPATH/bin/minio where .ci/run installs it (`go install`).
func FindMinIO() (string, error) {
	if p := os.Getenv("PRECIS_MINIO_BIN"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		out, _ := exec.Command("go", "env", "GOPATH").Output()
		gopath = strings.TrimSpace(string(out))
	}
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "minio")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoMinIO
}

// MinIO is a MinIO server process its owner can configure, stop and restart. It is not
// safe for concurrent use.
type MinIO struct {
	bin, dir string
	Addr     string
	env      []string
	cmd      *exec.Cmd
	Out      *strings.Builder // the server's output, for failure messages
}

// Credentials of the MinIO servers started here.
const User, Password = "precis-test", "precis-test-secret"

// Launch starts a MinIO server: bin on a free port of 127.0.0.1, its data in dir, env added
// to its environment. It returns once the server answers S3 calls; the caller stops it with
// Kill. Tests use StartMinIO, which cleans up after them; the benchmark harness uses Launch.
func Launch(bin, dir string, env ...string) (*MinIO, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	m := &MinIO{bin: bin, dir: dir, Addr: fmt.Sprintf("127.0.0.1:%d", port),
		env: append([]string{"MINIO_ROOT_USER=" + User, "MINIO_ROOT_PASSWORD=" + Password, "MINIO_BROWSER=off"}, env...)}
	if err := m.Start(); err != nil {
		m.Kill()
		return nil, err
	}
	return m, nil
}

// Start starts the server (again, on the same directory and port) and returns once it answers
// S3 calls.
func (m *MinIO) Start() error {
	console, err := freePort()
	if err != nil {
		return err
	}
	m.cmd = exec.Command(m.bin, "server", m.dir, "--address", m.Addr, "--console-address", fmt.Sprintf("127.0.0.1:%d", console))
	m.cmd.Env = append(os.Environ(), m.env...)
	m.Out = &strings.Builder{}
	m.cmd.Stdout, m.cmd.Stderr = m.Out, m.Out
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start MinIO: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
ready:
	for {
		resp, err := http.Get("http://" + m.Addr + "/minio/health/ready")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break ready
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("MinIO did not start: %v\n%s", err, m.Out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// "ready" comes before MinIO answers S3 calls ("Server not initialized yet"): wait for one.
	mc, err := minio.New(m.Addr, &minio.Options{Creds: credentials.NewStaticV4(User, Password, "")})
	if err != nil {
		return err
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := mc.ListBuckets(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("MinIO does not answer S3 calls: %v\n%s", err, m.Out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Kill stops the server at once.
func (m *MinIO) Kill() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
	}
}

// MinIOBin finds the MinIO server binary (FindMinIO); without one the test is skipped, or
// fails when CI=true.
func MinIOBin(t testing.TB) string {
	t.Helper()
	p, err := FindMinIO()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no minio binary: .ci/run installs it with go install github.com/minio/minio@...")
	}
	t.Skip("no minio binary (set PRECIS_MINIO_BIN or go install github.com/minio/minio)")
	return ""
}

// StartMinIO starts a MinIO server on a free port with a fresh data directory; env adds
// configuration (e.g. a NATS notification target). It is killed when the test ends.
func StartMinIO(t testing.TB, env ...string) *MinIO {
	t.Helper()
	m, err := Launch(MinIOBin(t), t.TempDir(), env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Kill)
	return m
}
