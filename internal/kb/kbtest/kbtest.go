// Package kbtest loads knowledge bases for tests, failing the test when one does not load.
// It is imported by tests only (not by package kb's own tests, which it imports).
package kbtest

import (
	"testing"

	"github.com/precis-dx/precis/internal/kb"
)

// Load returns a freshly loaded copy of the embedded knowledge base (kb.Load).
func Load(tb testing.TB) *kb.KB {
	tb.Helper()
	k, err := kb.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// LoadDir returns the knowledge base in dir (kb.LoadDir), as precis kb build wrote it.
func LoadDir(tb testing.TB, dir string) *kb.KB {
	tb.Helper()
	k, err := kb.LoadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
