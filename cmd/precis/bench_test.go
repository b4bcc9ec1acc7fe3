package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchHandsOver: `precis bench` runs precis-bench from the PATH with this binary as the
// precis it measures, passes its arguments and returns its exit code; without precis-bench it
// says how to build or run it.
func TestBenchHandsOver(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(exe), "precis-bench")); err == nil {
		t.Skip("a precis-bench beside the test binary")
	}

	t.Run("missing", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		code, out, errOut := precis(t, nil, "bench", "--quick")
		if code != exitFailure || out != "" || !strings.Contains(errOut, "go run ./cmd/precis-bench") {
			t.Errorf("exit %d, stdout %q, stderr %q: want exit 1 and how to run precis-bench", code, out, errOut)
		}
	})

	t.Run("found", func(t *testing.T) {
		dir := t.TempDir()
		script := "#!/bin/sh\necho \"$@\"\necho harness-stderr >&2\nexit 3\n"
		if err := os.WriteFile(filepath.Join(dir, "precis-bench"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", dir)
		code, out, errOut := precis(t, nil, "bench", "--quick", "--exomes", "4")
		if want := "--precis " + exe + " --quick --exomes 4\n"; code != 3 || out != want || errOut != "harness-stderr\n" {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 3, stdout %q, stderr the harness's", code, out, errOut, want)
		}
	})
}
