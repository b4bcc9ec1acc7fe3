package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
)

// FuzzParse checks, for any input: Parse does not panic; an error is an *Error wrapping
// ErrInvalid whose message never repeats an identity number; a text holding something that
// looks like an identity number is never accepted; an accepted manifest passes Validate and
// reads back the same after writing.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data := testfile.Read(f, file)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(bytes.NewReader(data), "runs/lab1/run1/manifest.json")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %T %v, want an *Error wrapping ErrInvalid", err, err)
			}
			if LooksLikePersonnummer(err.Error()) {
				t.Fatalf("message repeats an identity number: %q", err)
			}
			return
		}
		if LooksLikePersonnummer(string(data)) {
			t.Fatalf("accepted a manifest holding an identity number: %q", data)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(bytes.NewReader(out), "runs/lab1/run1/manifest.json")
		if err != nil {
			t.Fatalf("re-parsing %s: %v", out, err)
		}
		out2, _ := json.Marshal(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the manifest:\n%s\n%s", out, out2)
		}
	})
}
