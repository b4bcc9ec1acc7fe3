// Package servicetest starts the real servers the service's tests use: a MinIO server process
// the test owns (so it can configure, stop and restart it), killed when the test ends.
package servicetest

import (
	"fmt"
	"os"
	"testing"

	"github.com/precis-dx/precis/internal/service/minioproc"
)

// Credentials of the MinIO servers started here.
const User, Password = minioproc.User, minioproc.Password

// FreePort returns a TCP port free on 127.0.0.1 now.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := minioproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// MinIOBin finds the MinIO server binary (minioproc.FindMinIO); without one the test is
// skipped, or fails when CI=true.
func MinIOBin(t testing.TB) string {
	t.Helper()
	p, err := minioproc.FindMinIO()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no minio binary: .ci/run installs it with go install github.com/minio/minio@...")
	}
	t.Skip("no minio binary (set PRECIS_MINIO_BIN or go install github.com/minio/minio)")
	return ""
}

// MinIO is a MinIO server a test owns.
type MinIO struct{ *minioproc.Server }

// StartMinIO starts a MinIO server on a free port with a fresh data directory; env adds
// configuration (e.g. a NATS notification target). It is killed when the test ends.
func StartMinIO(t testing.TB, env ...string) *MinIO {
	t.Helper()
	s, err := minioproc.Launch(MinIOBin(t), t.TempDir(), env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return &MinIO{s}
}

// Start starts the server again, on the same directory and port, and waits until it answers.
func (m *MinIO) Start(t testing.TB) {
	t.Helper()
	if err := m.Server.Start(); err != nil {
		t.Fatal(fmt.Errorf("restart MinIO: %w", err))
	}
}
