package api

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
)

const (
	kbOld = "2024.12-0123456789"
	kbNew = "2026.02-4339bdbf29"
)

// reanalysedFixture stores a sample of lab1 that one reanalysis changed (v1.json the
// replaced report, the change history), and a sample of lab2 likewise.
func reanalysedFixture(t *testing.T) (*fixture, []byte, []byte, pipeline.ChangeHistory) {
	t.Helper()
	golden, rep := goldenReport(t, "example.json")
	sample := rep.Samples[0].SampleID
	earlier := bytes.Replace(golden, []byte(`"report_id"`), []byte(`"earlier":true,"report_id"`), 1)
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	h := pipeline.ChangeHistory{SchemaVersion: pipeline.SchemaVersion, Lab: "lab1", RunID: "run1", SampleID: sample,
		Reanalyses: []pipeline.Reanalysis{{KBFrom: kbOld, KBTo: kbNew, At: at, Previous: 1, Major: 1, Minor: 1}},
		Changes: []pipeline.Change{
			{SampleID: sample, Gene: "BRCA2", HGVSc: "NM_000059.4:c.9382C>T", From: "pathogenic", To: "conflicting",
				Impact: pipeline.ImpactMajor, KBFrom: kbOld, KBTo: kbNew, At: at, What: "classification", Reason: "crosses the actionable line"},
			{SampleID: sample, Gene: "MLH1", HGVSc: "NM_000249.4:c.1A>G", From: "pathogenic", To: "likely_pathogenic",
				Impact: pipeline.ImpactMinor, KBFrom: kbOld, KBTo: kbNew, At: at, What: "classification", Reason: "P ↔ LP"},
		}}
	f := newFixture(t)
	for _, lab := range []string{"lab1", "lab2"} {
		f.objects.objects[pipeline.ReportKey(lab, "run1", sample)] = golden
		f.objects.objects[pipeline.ReportVersionKey(lab, "run1", sample, 1)] = earlier
		h2 := h
		h2.Lab = lab
		b, _ := json.Marshal(h2)
		f.objects.objects[pipeline.ChangesKey(lab, "run1", sample)] = b
		f.runs.runs[lab+"/run1"] = pipeline.RunState{Lab: lab, RunID: "run1", Status: pipeline.StatusDone,
			Samples: map[string]pipeline.SampleState{sample: {Status: pipeline.StatusDone}, "QUIET": {Status: pipeline.StatusDone}}}
	}
	return f, golden, earlier, h
}

func TestChanges(t *testing.T) {
	f, _, _, h := reanalysedFixture(t)
	sample := h.SampleID
	base := "/api/v1/runs/lab1/run1/samples/"
	tests := []struct {
		name, tok, path string
		wantCode        int
		wantErr         string
		want            []pipeline.Change
	}{
		{"lab reads its changes", tokLab1, base + sample + "/changes", 200, "", h.Changes},
		{"clinician of the lab", tokClin1, base + sample + "/changes", 200, "", h.Changes},
		{"admin reads any lab", tokAdmin, "/api/v1/runs/lab2/run1/samples/" + sample + "/changes", 200, "", h.Changes},
		{"no changes: empty array", tokLab1, base + "QUIET/changes", 200, "", []pipeline.Change{}},
		{"another lab's changes: 404", tokLab2, base + sample + "/changes", 404, CodeNotFound, nil},
		{"lab1 on lab2: 404", tokLab1, "/api/v1/runs/lab2/run1/samples/" + sample + "/changes", 404, CodeNotFound, nil},
		{"unknown sample", tokLab1, base + "NOPE/changes", 404, CodeNotFound, nil},
		{"unknown run", tokLab1, "/api/v1/runs/lab1/run9/samples/S1/changes", 404, CodeNotFound, nil},
		{"bad sample", tokLab1, base + "a.b/changes", 400, CodeInvalidName, nil},
		{"no token", "", base + sample + "/changes", 401, CodeUnauthenticated, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.token = tc.tok
			resp, b := f.do(t, http.MethodGet, tc.path, nil)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			if tc.wantErr != "" {
				if code, _ := errorCode(t, b); code != tc.wantErr {
					t.Errorf("code: got %q, want %q", code, tc.wantErr)
				}
				if tc.wantCode == 404 && strings.Contains(string(b), "BRCA2") {
					t.Errorf("a refusal shows the changes: %s", b)
				}
				return
			}
			if got, want := bytes.TrimSpace(b), marshal(t, tc.want); !bytes.Equal(got, want) {
				t.Errorf("got %s\nwant %s", got, want)
			}
			// The fields, by name.
			var rows []map[string]any
			if err := json.Unmarshal(b, &rows); err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				for _, k := range []string{"gene", "hgvs_c", "from", "to", "impact", "kb_from", "kb_to", "at"} {
					if _, ok := row[k]; !ok {
						t.Errorf("change %v has no %s", row, k)
					}
				}
			}
		})
	}
	// Reading changes is a report read in the audit trail.
	var reads int
	for _, ev := range f.audit.Events() {
		if ev.Action == audit.ActionReportRead && ev.Format == "changes" {
			reads++
		}
	}
	if reads != 4 {
		t.Errorf("report.read (changes) records: got %d, want 4", reads)
	}
}

func TestReportVersion(t *testing.T) {
	f, golden, earlier, h := reanalysedFixture(t)
	sample := h.SampleID
	base := "/api/v1/runs/lab1/run1/samples/" + sample + "/report"
	tests := []struct {
		name, tok, query string
		wantCode         int
		wantErr          string
		want             []byte
	}{
		{"current", tokLab1, "", 200, "", golden},
		{"version 1", tokLab1, "?version=1", 200, "", earlier},
		{"version 1 as text", tokLab1, "?version=1&format=text", 200, "", nil},
		{"unknown version", tokLab1, "?version=2", 404, CodeNotFound, nil},
		{"zero", tokLab1, "?version=0", 400, CodeBadRequest, nil},
		{"negative", tokLab1, "?version=-1", 400, CodeBadRequest, nil},
		{"leading zero", tokLab1, "?version=01", 400, CodeBadRequest, nil},
		{"not a number", tokLab1, "?version=v1", 400, CodeBadRequest, nil},
		{"empty", tokLab1, "?version=", 400, CodeBadRequest, nil},
		{"huge", tokLab1, "?version=99999999999999999999", 400, CodeBadRequest, nil},
		{"another lab's version", tokLab2, "?version=1", 404, CodeNotFound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.token = tc.tok
			resp, b := f.do(t, http.MethodGet, base+tc.query, nil)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			if tc.wantErr != "" {
				if code, _ := errorCode(t, b); code != tc.wantErr {
					t.Errorf("code: got %q, want %q", code, tc.wantErr)
				}
				return
			}
			if tc.want != nil && !bytes.Equal(b, tc.want) {
				t.Errorf("body: got %.80s..., want %.80s...", b, tc.want)
			}
			if strings.Contains(tc.query, "version=1") && resp.Header.Get("X-Precis-Report-Version") != "1" {
				t.Errorf("X-Precis-Report-Version: got %q", resp.Header.Get("X-Precis-Report-Version"))
			}
		})
	}
	evs := f.audit.Events()
	if !slices.ContainsFunc(evs, func(e audit.Event) bool {
		return e.Action == audit.ActionReportRead && e.Detail == "earlier version 1" && e.Sample == sample
	}) {
		t.Errorf("no report.read record of the earlier version in %+v", evs)
	}
}

func TestReportVersions(t *testing.T) {
	f, _, _, h := reanalysedFixture(t)
	resp, b := f.do(t, http.MethodGet, "/api/v1/runs/lab1/run1/samples/"+h.SampleID+"/versions", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d (%s)", resp.StatusCode, b)
	}
	var got versionsAnswer
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	report := "/api/v1/runs/lab1/run1/samples/" + h.SampleID + "/report"
	if len(got.Versions) != 2 || got.Versions[0].Version != 1 || got.Versions[0].KB != kbOld ||
		got.Versions[0].URL != report+"?version=1" || got.Versions[0].ReplacedBy == nil || *got.Versions[0].ReplacedBy != 0 ||
		!got.Versions[1].Current || got.Versions[1].KB != kbNew || got.Versions[1].URL != report {
		t.Errorf("versions: %s", b)
	}
	if len(got.Reanalyses) != 1 || got.ChangesURL != "/api/v1/runs/lab1/run1/samples/"+h.SampleID+"/changes" {
		t.Errorf("answer: %s", b)
	}
	// A sample never reanalysed has the current version only.
	resp, b = f.do(t, http.MethodGet, "/api/v1/runs/lab1/run1/samples/QUIET/versions", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"versions":[{"version":0,"current":true`) {
		t.Errorf("quiet sample: %d %s", resp.StatusCode, b)
	}
	f.token = tokLab2
	if resp, b := f.do(t, http.MethodGet, "/api/v1/runs/lab1/run1/samples/"+h.SampleID+"/versions", nil); resp.StatusCode != 404 {
		t.Errorf("another lab's versions: %d %s", resp.StatusCode, b)
	}
}

// TestChangesOfAnotherSample refuses a history that names another sample than its key.
func TestChangesOfAnotherSample(t *testing.T) {
	f, _, _, h := reanalysedFixture(t)
	h.SampleID = "OTHER"
	b, _ := json.Marshal(h)
	f.objects.objects[pipeline.ChangesKey("lab1", "run1", "QUIET")] = b
	resp, body := f.do(t, http.MethodGet, "/api/v1/runs/lab1/run1/samples/QUIET/changes", nil)
	if resp.StatusCode != 500 || strings.Contains(string(body), "BRCA2") {
		t.Errorf("got %d %s, want 500 without the changes", resp.StatusCode, body)
	}
}

// fakeKB is a KBAdmin (and KBActivator when activate is set) over a list.
type fakeKB struct {
	mu        sync.Mutex
	versions  []pipeline.KBPublished
	active    string
	published []map[string][]byte // the files of each directory Publish was given
	by        []string
	err       error
}

func (k *fakeKB) Publish(ctx context.Context, dir, by string) (pipeline.KBPublished, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return pipeline.KBPublished{}, false, k.err
	}
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return pipeline.KBPublished{}, false, err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return pipeline.KBPublished{}, false, err
		}
		files[e.Name()] = b
	}
	if _, ok := files["manifest.json"]; !ok {
		return pipeline.KBPublished{}, false, pipeline.Errorf(pipeline.Invalid, "%s: no manifest.json: not a knowledge base", dir)
	}
	k.published = append(k.published, files)
	k.by = append(k.by, by)
	version := strings.TrimSpace(string(files["manifest.json"]))
	p := pipeline.KBPublished{Version: version, PublishedBy: by}
	changed := k.active != version
	if !slices.ContainsFunc(k.versions, func(v pipeline.KBPublished) bool { return v.Version == version }) {
		k.versions = append(k.versions, p)
	}
	k.active = version
	return p, changed, nil
}

func (k *fakeKB) List(ctx context.Context) ([]pipeline.KBPublished, string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.versions), k.active, k.err
}

type fakeKBActivator struct{ *fakeKB }

func (k fakeKBActivator) Activate(ctx context.Context, version, by string) (pipeline.KBPublished, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, v := range k.versions {
		if v.Version == version {
			changed := k.active != version
			k.active = version
			return v, changed, nil
		}
	}
	return pipeline.KBPublished{}, false, pipeline.Errorf(pipeline.NotExist, "no %s", version)
}

// tarball builds a tar archive of the entries (name → content; a name ending in "@" is a
// symlink), gzipped when gz.
func tarball(t *testing.T, gz bool, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var tw *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	for i := 0; i+1 < len(entries); i += 2 {
		name, body := entries[i], entries[i+1]
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}
		switch {
		case strings.HasSuffix(name, "@"):
			hdr = &tar.Header{Name: strings.TrimSuffix(name, "@"), Typeflag: tar.TypeSymlink, Linkname: body}
		case strings.HasSuffix(name, "/"):
			hdr = &tar.Header{Name: name, Mode: 0o755, Typeflag: tar.TypeDir}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func kbFixture(t *testing.T, activate bool) (*fixture, *fakeKB) {
	t.Helper()
	f := newFixture(t)
	k := &fakeKB{versions: []pipeline.KBPublished{{Version: kbOld, Released: "2024-12-15"}}, active: kbOld}
	var admin KBAdmin = k
	if activate {
		admin = fakeKBActivator{k}
	}
	srv := newServer(t, Config{Objects: f.objects, Runs: f.runs, Audit: f.audit, KB: admin})
	f.srv.Config.Handler = srv.Handler()
	return f, k
}

func TestListKB(t *testing.T) {
	f, _ := kbFixture(t, false)
	for _, tok := range []string{tokLab1, tokClin1, tokAdmin} {
		f.token = tok
		resp, b := f.do(t, http.MethodGet, "/api/v1/kb", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d (%s)", resp.StatusCode, b)
		}
		var got kbList
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Active != kbOld || len(got.Versions) != 1 || !got.Versions[0].Active || got.Versions[0].Version != kbOld {
			t.Errorf("got %s", b)
		}
	}
	f.token = ""
	if resp, _ := f.do(t, http.MethodGet, "/api/v1/kb", nil); resp.StatusCode != 401 {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
}

func TestPublishKB(t *testing.T) {
	manifest := kbNew + "\n"
	tests := []struct {
		name     string
		tok      string
		ctype    string
		body     []byte
		wantCode int
		wantErr  string // code
		wantMsg  string // in the message
	}{
		{"tar.gz at the top", tokAdmin, "application/gzip", tarball(t, true, "manifest.json", manifest, "clinvar.tsv", "x"), 201, "", ""},
		{"plain tar in a directory", tokAdmin, "application/x-tar", tarball(t, false, "kb/", "", "kb/manifest.json", manifest, "kb/clinvar.tsv", "x"), 201, "", ""},
		{"./ prefix", tokAdmin, "application/octet-stream", tarball(t, true, "./", "", "./manifest.json", manifest), 201, "", ""},
		{"lab token", tokLab1, "application/gzip", tarball(t, true, "manifest.json", manifest), 403, CodeForbidden, "admin"},
		{"clinician token", tokClin1, "application/gzip", tarball(t, true, "manifest.json", manifest), 403, CodeForbidden, "admin"},
		{"not a tar", tokAdmin, "application/gzip", []byte("hello, this is not an archive at all, not even close to one ....................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................."), 400, CodeBadRequest, "tar"},
		{"bad gzip", tokAdmin, "application/gzip", []byte{0x1f, 0x8b, 0, 0}, 400, CodeBadRequest, "gzip"},
		{"empty archive", tokAdmin, "application/gzip", tarball(t, true), 400, CodeBadRequest, "no files"},
		{"symlink", tokAdmin, "application/gzip", tarball(t, true, "manifest.json", manifest, "evil@", "/etc/passwd"), 400, CodeBadRequest, "evil"},
		{"dot-dot", tokAdmin, "application/gzip", tarball(t, true, "../manifest.json", manifest), 400, CodeBadRequest, ".."},
		{"absolute", tokAdmin, "application/gzip", tarball(t, true, "/tmp/manifest.json", manifest), 400, CodeBadRequest, "absolute"},
		{"nested", tokAdmin, "application/gzip", tarball(t, true, "a/b/manifest.json", manifest), 400, CodeBadRequest, "nested"},
		{"two directories", tokAdmin, "application/gzip", tarball(t, true, "a/manifest.json", manifest, "b/x", "1"), 400, CodeBadRequest, "more than one directory"},
		{"hidden file", tokAdmin, "application/gzip", tarball(t, true, "manifest.json", manifest, ".env", "x"), 400, CodeBadRequest, ".env"},
		{"not a knowledge base", tokAdmin, "application/gzip", tarball(t, true, "readme.txt", "x"), 400, CodeBadRequest, "not a knowledge base"},
		{"wrong content type", tokAdmin, "text/plain", []byte("x"), 415, CodeBadRequest, "Content-Type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, k := kbFixture(t, false)
			f.token = tc.tok
			resp, b := f.do(t, http.MethodPost, "/api/v1/kb", bytes.NewReader(tc.body), "Content-Type", tc.ctype)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tc.wantCode, b)
			}
			if tc.wantErr != "" {
				code, msg := errorCode(t, b)
				if code != tc.wantErr || !strings.Contains(msg, tc.wantMsg) {
					t.Errorf("got %s %q, want %s naming %q", code, msg, tc.wantErr, tc.wantMsg)
				}
				if tc.wantMsg != "not a knowledge base" && len(k.published) != 0 {
					t.Errorf("published %d knowledge bases, want none", len(k.published))
				}
				return
			}
			var got kbPublished
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Version != kbNew || !got.Changed || !got.Active {
				t.Errorf("answer: %s", b)
			}
			if len(k.published) != 1 || string(k.published[0]["manifest.json"]) != manifest || k.by[0] != "4444444444444444" {
				t.Errorf("published %v by %v", k.published, k.by)
			}
			evs := f.audit.Events()
			last := evs[len(evs)-1]
			if last.Action != audit.ActionKBPublish || last.Actor != "4444444444444444" || !strings.Contains(last.Detail, kbNew) {
				t.Errorf("audit: last %+v", last)
			}
			// Publishing the active version again changes nothing: 200.
			resp, b = f.do(t, http.MethodPost, "/api/v1/kb", bytes.NewReader(tc.body), "Content-Type", tc.ctype)
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"changed":false`) {
				t.Errorf("again: %d %s", resp.StatusCode, b)
			}
		})
	}
}

func TestPublishKBTooLarge(t *testing.T) {
	f, k := kbFixture(t, false)
	f.token = tokAdmin
	// A declared length over the limit is refused before the body is read.
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/v1/kb", strings.NewReader("x"))
	req.ContentLength = MaxKBUploadBytes + 1
	req.Header.Set("Authorization", "Bearer "+tokAdmin)
	req.Header.Set("Content-Type", "application/gzip")
	resp, err := f.srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	}
	// Too many files.
	var entries []string
	entries = append(entries, "manifest.json", kbNew)
	for i := 0; i < MaxKBFiles; i++ {
		entries = append(entries, fmt.Sprintf("f%03d", i), "x")
	}
	r, b := f.do(t, http.MethodPost, "/api/v1/kb", bytes.NewReader(tarball(t, true, entries...)), "Content-Type", "application/gzip")
	if code, msg := errorCode(t, b); r.StatusCode != 400 || code != CodeBadRequest || !strings.Contains(msg, "more than") {
		t.Errorf("too many files: %d %s", r.StatusCode, b)
	}
	if len(k.published) != 0 {
		t.Error("published")
	}
}

func TestActivateKB(t *testing.T) {
	body := func(v string) *strings.Reader { return strings.NewReader(`{"version":"` + v + `"}`) }
	t.Run("without Activate", func(t *testing.T) {
		f, _ := kbFixture(t, false)
		f.token = tokAdmin
		resp, b := f.do(t, http.MethodPost, "/api/v1/kb", body(kbOld), "Content-Type", "application/json")
		if code, _ := errorCode(t, b); resp.StatusCode != 501 || code != CodeNotImplemented {
			t.Errorf("got %d %s", resp.StatusCode, b)
		}
	})
	f, k := kbFixture(t, true)
	k.versions = append(k.versions, pipeline.KBPublished{Version: kbNew})
	k.active = kbNew
	f.token = tokAdmin
	resp, b := f.do(t, http.MethodPost, "/api/v1/kb", body(kbOld), "Content-Type", "application/json")
	if resp.StatusCode != 201 || k.active != kbOld || !strings.Contains(string(b), `"changed":true`) {
		t.Errorf("activate: %d %s (active %s)", resp.StatusCode, b, k.active)
	}
	if resp, b := f.do(t, http.MethodPost, "/api/v1/kb", body(kbOld), "Content-Type", "application/json"); resp.StatusCode != 200 {
		t.Errorf("activate the active one: %d %s", resp.StatusCode, b)
	}
	for name, tc := range map[string]struct {
		body string
		code int
	}{
		"never published": {`{"version":"2025.06-aaaaaaaaaa"}`, 404},
		"malformed":       {`{"version":"latest"}`, 400},
		"not json":        {`version=1`, 400},
		"unknown field":   {`{"version":"` + kbOld + `","force":true}`, 400},
	} {
		resp, b := f.do(t, http.MethodPost, "/api/v1/kb", strings.NewReader(tc.body), "Content-Type", "application/json")
		if resp.StatusCode != tc.code {
			t.Errorf("%s: got %d, want %d (%s)", name, resp.StatusCode, tc.code, b)
		}
	}
	f.token = tokLab1
	if resp, _ := f.do(t, http.MethodPost, "/api/v1/kb", body(kbNew), "Content-Type", "application/json"); resp.StatusCode != 403 || k.active != kbOld {
		t.Errorf("lab token activates: %d (active %s)", resp.StatusCode, k.active)
	}
}

func TestKBDependencyFailure(t *testing.T) {
	f, k := kbFixture(t, false)
	k.err = pipeline.Wrap(pipeline.Transient, errors.New("nats: timeout"))
	f.token = tokAdmin
	if resp, b := f.do(t, http.MethodGet, "/api/v1/kb", nil); resp.StatusCode != 503 {
		t.Errorf("list: %d %s", resp.StatusCode, b)
	}
}
