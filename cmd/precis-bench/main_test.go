package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestBuildFlag: --build takes GRCh38 or GRCh37; anything else is a usage error (exit 2)
// before anything is generated or run.
func TestBuildFlag(t *testing.T) {
	for _, b := range []string{"hg19", "b37", "grch37", ""} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"--build", b}, &stdout, &stderr); code != exitUsage {
			t.Errorf("--build %q: exit %d, want %d", b, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), "--build GRCh38|GRCh37") {
			t.Errorf("--build %q: usage does not name the builds:\n%s", b, stderr.String())
		}
	}
}
