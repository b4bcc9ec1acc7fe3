// Package testfile reads and writes the files tests work with (their testdata, temp files),
// failing the test on any error, so that each test states what it does with a file rather
// than how an error is reported. It is imported by tests only; real data is internal/oracle's.
package testfile

import (
	"iter"
	"os"
	"path/filepath"
	"testing"
)

// Read returns the content of the file at path. A file that cannot be read fails the test.
func Read(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Write writes b to the file at path (mode 0644) and returns path. A file that cannot be
// written fails the test.
func Write(tb testing.TB, path string, b []byte) string {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Glob yields the path and content of every file matching pattern (filepath.Match syntax),
// in lexical order: the seeds of a fuzz test, the cases of a golden-file test. A malformed
// pattern or a file that cannot be read fails the test.
func Glob(tb testing.TB, pattern string) iter.Seq2[string, []byte] {
	tb.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil {
		tb.Fatal(err)
	}
	return func(yield func(string, []byte) bool) {
		for _, p := range paths {
			if !yield(p, Read(tb, p)) {
				return
			}
		}
	}
}
