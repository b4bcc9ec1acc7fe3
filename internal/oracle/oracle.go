// Package oracle locates the real data that tests use as oracles: the folder ../shared/data
// beside the repository (ClinVar, MANE, PharmCAT/CPIC, real VCFs; see its README.md). It is
// imported by tests only.
package oracle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the shared data folder. When it is absent the test is skipped, or fails when
// the environment has CI=true: in CI a missing data file is a failure, never a silent skip.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := locate()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared data not found: %v", err)
		}
		tb.Skipf("shared data not found: %v", err)
	}
	return dir
}

// Find returns the shared data folder, or "" when it is absent. It is for fuzz tests, which
// take seeds from the data when it is there and from their own testdata otherwise; a test
// that needs the data calls Dir.
func Find() string {
	dir, err := locate()
	if err != nil {
		return ""
	}
	return dir
}

// locate finds the folder beside the repository by this file's own path, so that it does
// not depend on the package directory a test runs in.
func locate() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("oracle: cannot locate the repository")
	}
	// file is <repo>/internal/oracle/oracle.go
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	return dir, nil
}
