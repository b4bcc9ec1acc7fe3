package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNoTestSupportLinked: the clinical binary links no test-support package (the *test
// packages: MinIO launcher, FHIR validator, VCF generator...) and no benchmark harness
// (issue 13: test and benchmark machinery stays out of precis). ARCHITECTURE.md states it.
func TestNoTestSupportLinked(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, serr := os.Stat(goBin); serr != nil {
			t.Fatalf("no go command to list the dependencies: %v", err)
		}
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/precis-dx/precis/cmd/precis").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/precis-dx/precis/"
	n := 0
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, module) {
			continue
		}
		n++
		rel := strings.TrimPrefix(p, module)
		if strings.HasSuffix(rel, "test") || strings.HasPrefix(rel, "benchmarks") || strings.Contains(rel, "minio") || rel == "internal/oracle" {
			t.Errorf("precis links %s, a test-support or benchmark package", p)
		}
	}
	if n < 10 {
		t.Fatalf("go list -deps named %d project packages; want the whole clinical binary:\n%s", n, out)
	}
}
