package kb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
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
			testfile.Write(t, filepath.Join(dir, FileManifest), []byte("{\"format\": 1,"))
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
			b := testfile.Read(t, p)
			testfile.Write(t, p, []byte(strings.Replace(string(b), "P286R", "P286H", 1)))
			return dir
		}, ErrIntegrity, FileHotspots},
		{"gzip file corrupted", func(t *testing.T) string {
			dir := copyData(t)
			p := filepath.Join(dir, FileClinVar)
			b := testfile.Read(t, p)
			b[len(b)/2] ^= 0xff
			testfile.Write(t, p, b)
			return dir
		}, nil, FileClinVar},
		{"gzip file truncated", func(t *testing.T) string {
			dir := copyData(t)
			p := filepath.Join(dir, FileGenome38)
			b := testfile.Read(t, p)
			testfile.Write(t, p, b[:len(b)/3])
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
