package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/store/storetest"
)

func TestLocalConformance(t *testing.T) {
	s, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, s)
}

// TestLocalLeavesNoTemporaryFiles checks that failed and successful Puts leave nothing in
// the temporary folder and that Delete removes the folders it empties.
func TestLocalLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := store.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, "runs/lab1/run1/manifest.json", strings.NewReader("{}"), 2, "application/json"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "runs/lab1/run1/short.vcf", strings.NewReader("x"), 2, ""); err == nil {
		t.Fatal("Put of a short reader: got nil error, want ErrSize")
	}
	tmp, err := os.ReadDir(filepath.Join(dir, ".precis-tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tmp) != 0 {
		t.Errorf("temporary folder: got %d entries, want 0", len(tmp))
	}
	got, err := os.ReadFile(filepath.Join(dir, "runs", "lab1", "run1", "manifest.json"))
	if err != nil || string(got) != "{}" {
		t.Errorf("file on disk: got %q, %v; want %q", got, err, "{}")
	}
	if err := s.Delete(ctx, "runs/lab1/run1/manifest.json"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); !os.IsNotExist(err) {
		t.Errorf("folder runs/ after deleting its only object: got %v, want it gone", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("store folder itself: %v, want it kept", err)
	}
}
