package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnnotateCoverageFlags: --min-dp/--min-gq reach the report, a malformed --callable BED
// is invalid input naming file and line, and a good one is the coverage source.
func TestAnnotateCoverageFlags(t *testing.T) {
	dir := t.TempDir()
	example := filepath.Join("..", "..", "testdata", "example.vcf")
	bad := filepath.Join(dir, "bad.bed")
	good := filepath.Join(dir, "good.bed")
	if err := os.WriteFile(bad, []byte("chr3\t1\t100\nchr3\tten\t100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("chr3\t36993547\t36993665\tCALLABLE\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := precis(t, nil, "annotate", "--min-dp", "-1", example); code != exitUsage || !strings.Contains(stderr, "--min-dp") {
		t.Errorf("--min-dp -1: exit %d, stderr %q; want usage", code, stderr)
	}
	if code, _, stderr := precis(t, nil, "annotate", "--callable", bad, example); code != exitInvalid || !strings.Contains(stderr, "bad.bed:2:") {
		t.Errorf("malformed BED: exit %d, stderr %q; want invalid input naming bad.bed:2", code, stderr)
	}
	code, stdout, stderr := precis(t, nil, "annotate", "--panels", "lynch", "--min-dp", "15", "--min-gq", "30", "--callable", good, example)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Input struct {
			MinDP    int    `json:"min_dp"`
			MinGQ    int    `json:"min_gq"`
			Callable string `json:"callable"`
		} `json:"input"`
		Samples []struct {
			Coverage []struct {
				Gene, Source string
			} `json:"coverage"`
		} `json:"samples"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Input.MinDP != 15 || rep.Input.MinGQ != 30 || rep.Input.Callable != good {
		t.Errorf("input %+v, want min_dp 15, min_gq 30, callable %s", rep.Input, good)
	}
	if c := rep.Samples[0].Coverage; len(c) != 5 || c[0].Gene != "MLH1" || c[0].Source != "bed" {
		t.Errorf("coverage %+v, want the five Lynch genes from the BED", c)
	}
}
