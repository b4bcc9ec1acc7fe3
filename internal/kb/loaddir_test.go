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
	// removed and edited prepare a copy of the embedded data with file name removed or
	// its content changed by edit.
	removed := func(name string) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := copyData(t)
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
			return dir
		}
	}
	edited := func(name string, edit func(b []byte) []byte) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := copyData(t)
			p := filepath.Join(dir, name)
			testfile.Write(t, p, edit(testfile.Read(t, p)))
			return dir
		}
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
		{"no manifest", removed(FileManifest), nil, FileManifest},
		{"manifest not JSON", edited(FileManifest, func([]byte) []byte { return []byte("{\"format\": 1,") }), ErrFormat, FileManifest},
		{"data file missing", removed(FileTranscripts), nil, FileTranscripts},
		{"plain file changed", edited(FileHotspots, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "P286R", "P286H", 1))
		}), ErrIntegrity, FileHotspots},
		{"gzip file corrupted", edited(FileClinVar, func(b []byte) []byte {
			b[len(b)/2] ^= 0xff
			return b
		}), nil, FileClinVar},
		{"gzip file truncated", edited(FileGenome38, func(b []byte) []byte { return b[:len(b)/3] }), ErrFormat, FileGenome38},
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
