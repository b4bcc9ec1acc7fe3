package kb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadDirRefuses checks that a directory that is not a valid knowledge base is refused
// with an error naming the directory and the problem.
func TestLoadDirRefuses(t *testing.T) {
	copyData := func(t *testing.T) string {
		dir := t.TempDir()
		if err := os.CopyFS(dir, mustSub(t, embedded, "data")); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T) string
		is      error  // errors.Is target, or nil
		has     string // in the message besides the directory
	}{
		{"empty", func(t *testing.T) string { return t.TempDir() }, nil, FileManifest},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, nil, "no such file"},
		{"not a directory", func(t *testing.T) string {
			return filepath.Join(copyData(t), FileRegions)
		}, ErrFormat, "not a directory"},
		{"no manifest", func(t *testing.T) string {
			dir := copyData(t)
			if err := os.Remove(filepath.Join(dir, FileManifest)); err != nil {
				t.Fatal(err)
			}
			return dir
		}, nil, FileManifest},
		{"manifest not JSON", func(t *testing.T) string {
			dir := copyData(t)
			if err := os.WriteFile(filepath.Join(dir, FileManifest), []byte("{\"format\": 1,"), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, ErrFormat, FileManifest},
		{"data file missing", func(t *testing.T) string {
			dir := copyData(t)
			if err := os.Remove(filepath.Join(dir, FileTranscripts)); err != nil {
				t.Fatal(err)
			}
			return dir
		}, nil, FileTranscripts},
		{"plain file changed", func(t *testing.T) string {
			dir := copyData(t)
			p := filepath.Join(dir, FileHotspots)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(strings.Replace(string(b), "P286R", "P286H", 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, ErrIntegrity, FileHotspots},
		{"gzip file corrupted", func(t *testing.T) string {
			dir := copyData(t)
			p := filepath.Join(dir, FileClinVar)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0xff
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, nil, FileClinVar},
		{"gzip file truncated", func(t *testing.T) string {
			dir := copyData(t)
			p := filepath.Join(dir, FileGenome38)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b[:len(b)/3], 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, ErrFormat, FileGenome38},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.prepare(t)
			k, err := LoadDir(dir)
			if err == nil {
				t.Fatalf("LoadDir(%s) = %s, want an error", dir, k.Version)
			}
			msg := err.Error()
			if !strings.Contains(msg, dir) || !strings.Contains(msg, "not a valid knowledge base") || !strings.Contains(msg, tc.has) {
				t.Errorf("error %q: want the directory, \"not a valid knowledge base\" and %q", msg, tc.has)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v: want errors.Is %v", err, tc.is)
			}
		})
	}
	// The unchanged copy loads, with the embedded version.
	k, err := LoadDir(copyData(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := testKB(t).Version; k.Version != want {
		t.Errorf("copy of data/: version %s, want %s", k.Version, want)
	}
}
