package build

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/oracle"
)

// committedData is the knowledge base package kb embeds.
const committedData = "../data"

// TestBuild builds the knowledge base twice from the shared data: the two builds must be
// byte-identical (determinism), and the committed data/ must equal a fresh build (so that
// nobody edits it by hand). Compressed files are compared by content: compress/flate's
// output is not promised to stay the same across Go releases, and the manifest (hence the
// version) hashes contents, not compressed bytes.
func TestBuild(t *testing.T) {
	src := oracle.Dir(t)
	dirs := []string{t.TempDir(), t.TempDir()}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = Build(src, dirs[i]) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
	}
	a, b := listDir(t, os.DirFS(dirs[0])), listDir(t, os.DirFS(dirs[1]))
	committed := listDir(t, os.DirFS(committedData))
	if len(a) != len(committed) {
		t.Errorf("fresh build has %d files, data/ has %d", len(a), len(committed))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s: two builds from the same sources differ", name)
		}
		c, ok := committed[name]
		if !ok {
			t.Errorf("%s: in a fresh build, not in data/", name)
			continue
		}
		if strings.HasSuffix(name, ".gz") {
			content, c = oracle.Gunzip(t, content), oracle.Gunzip(t, c)
		}
		if !bytes.Equal(content, c) {
			t.Errorf("data/%s differs from a fresh build: run Build(%q, \"internal/kb/data\")", name, src)
		}
	}
	for name := range committed {
		if _, ok := a[name]; !ok {
			t.Errorf("data/%s is not produced by Build", name)
		}
	}
	// The fresh build loads, and has the committed version.
	k, err := kb.LoadDir(dirs[0])
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	embedded, err := kb.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if k.Version != embedded.Version {
		t.Errorf("fresh build has version %s, data/ %s", k.Version, embedded.Version)
	}
}

func listDir(t testing.TB, fsys fs.FS) map[string][]byte {
	t.Helper()
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func TestBuildMissingSource(t *testing.T) {
	err := Build(t.TempDir(), t.TempDir())
	if err == nil {
		t.Fatal("Build from an empty folder succeeded")
	}
}
