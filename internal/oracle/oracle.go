// Package oracle locates the real data that tests use as oracles: the folder ../shared/data
// beside the repository (ClinVar, MANE, PharmCAT/CPIC, real VCFs; see its README.md). It is
// imported by tests only.
package oracle

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the shared data folder. When it is absent the test is skipped, or fails when
// the environment has CI=true: in CI a missing data file is a failure, never a silent skip.
func Dir(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("oracle: cannot locate the repository")
	}
	// file is <repo>/internal/oracle/oracle.go
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared data not found at %s: %v", dir, err)
		}
		tb.Skipf("shared data not found at %s", dir)
	}
	return dir
}
