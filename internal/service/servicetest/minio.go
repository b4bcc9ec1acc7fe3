// Package servicetest starts the real servers the service's tests and benchmarks use: a MinIO
// server process the caller owns (so it can configure, stop and restart it).
package servicetest

import (
	"context"
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
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// minioBin finds the MinIO server binary that .ci/run installs (`go install`).
func MinIOBin(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PRECIS_MINIO_BIN"); p != "" {
		return p
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "minio")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no minio binary: .ci/run installs it with go install github.com/minio/minio@...")
	}
	t.Skip("no minio binary (set PRECIS_MINIO_BIN or go install github.com/minio/minio)")
	return ""
}

// minioServer is a MinIO process the test owns, so it can configure and stop it.
type MinIO struct {
	bin, dir string
	Addr     string
	env      []string
	cmd      *exec.Cmd
	Out      *strings.Builder // the server's output, for failure messages
}

// Credentials of the MinIO servers started here.
const User, Password = "precis-test", "precis-test-secret"

// StartMinIO starts a MinIO server on a free port with a fresh data directory; env adds
// configuration (e.g. a NATS notification target). It is killed when the test ends.
func StartMinIO(t testing.TB, env ...string) *MinIO {
	t.Helper()
	m := &MinIO{bin: MinIOBin(t), dir: t.TempDir(), Addr: fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		env: append([]string{"MINIO_ROOT_USER=" + User, "MINIO_ROOT_PASSWORD=" + Password, "MINIO_BROWSER=off"}, env...)}
	m.Start(t)
	t.Cleanup(m.Kill)
	return m
}

// Start starts the server (again, on the same directory and port) and waits until it answers.
func (m *MinIO) Start(t testing.TB) {
	t.Helper()
	m.cmd = exec.Command(m.bin, "server", m.dir, "--address", m.Addr, "--console-address", fmt.Sprintf("127.0.0.1:%d", FreePort(t)))
	m.cmd.Env = append(os.Environ(), m.env...)
	m.Out = &strings.Builder{}
	m.cmd.Stdout, m.cmd.Stderr = m.Out, m.Out
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
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
			t.Fatalf("MinIO did not start: %v\n%s", err, m.Out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// "ready" comes before MinIO answers S3 calls ("Server not initialized yet"): wait for one.
	mc, err := minio.New(m.Addr, &minio.Options{Creds: credentials.NewStaticV4(User, Password, "")})
	if err != nil {
		t.Fatal(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := mc.ListBuckets(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO does not answer S3 calls: %v\n%s", err, m.Out.String())
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
