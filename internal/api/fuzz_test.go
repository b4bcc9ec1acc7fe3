package api

import (
	"bytes"
	"encoding/json"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pipeline"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/store"
)

// Both real implementations satisfy the interfaces the API declares.
var (
	_ Objects       = (*store.Local)(nil)
	_ Objects       = (*store.S3)(nil)
	_ Runs          = (*queue.Queue)(nil)
	_ Alerts        = (*queue.Queue)(nil)
	_ Authenticator = (*auth.Store)(nil)
	_ Recorder      = (*audit.Log)(nil)
	_ AuditLog      = (*audit.Log)(nil)
)

// FuzzFileName checks that every name the upload route accepts stays a single file inside
// the run's folder, as a key the object stores accept.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"a.vcf", "panel9.vcf.gz", "x.vcf.gz.tbi", "y.vcf.bgz.csi", "../x.vcf", ".vcf", "a/b.vcf", "a\\b.vcf", "..vcf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !manifest.ValidFileName(name) {
			return
		}
		if strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
			t.Fatalf("accepted %q, which is not a plain file name", name)
		}
		if err := store.ValidKey(pipeline.RunFileKey("lab1", "run1", name)); err != nil {
			t.Fatalf("accepted %q, but the store refuses its key: %v", name, err)
		}
	})
}

// digits10 finds runs of ten or more digits (with an optional separator), the shape of a
// personal identity number.
var digits10 = regexp.MustCompile(`\d{6}[-+]?\d{4}`)

// FuzzSubmitRun posts arbitrary manifests: the API never fails with 5xx on a client's
// bytes, stores and publishes nothing unless it accepts the run, and never echoes an
// identity number it refused.
func FuzzSubmitRun(f *testing.F) {
	for _, m := range []any{testManifest("lab1", "run1"), func() any {
		m := testManifest("lab1", "run1")
		m.Samples[0].ID = "121212-1212"
		return m
	}()} {
		b, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seeds, _ := filepath.Glob(filepath.Join("..", "manifest", "testdata", "*.json"))
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"lab":"lab1","run_id":"run1","samples":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		objects, runs := newFakeObjects(), newFakeRuns()
		for _, k := range []string{"panel9.vcf.gz", "panel9.vcf.gz.tbi", "NA19226.g.vcf.bgz"} {
			objects.objects["runs/lab1/run1/"+k] = []byte("x")
		}
		before := len(objects.objects)
		h := newServer(t, Config{Objects: objects, Runs: runs}).Handler()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/v1/runs", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokLab1)
		h.ServeHTTP(rec, req)
		switch code := rec.Code; {
		case code >= 500:
			t.Fatalf("status %d for a client's manifest: %s", code, rec.Body)
		case code == http.StatusAccepted:
			if len(runs.submitted) != 1 || len(objects.objects) != before+1 {
				t.Fatalf("accepted, but published %d and stored %d objects", len(runs.submitted), len(objects.objects)-before)
			}
		default:
			if len(runs.submitted) != 0 || len(objects.objects) != before {
				t.Fatalf("refused (%d), but published %d and stored %d objects", code, len(runs.submitted), len(objects.objects)-before)
			}
		}
		if rec.Code == http.StatusUnprocessableEntity {
			if n := digits10.FindString(rec.Body.String()); n != "" {
				t.Fatalf("refused answer echoes %q: %s", n, rec.Body)
			}
		}
	})
}
