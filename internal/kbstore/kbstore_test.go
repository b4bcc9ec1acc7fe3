package kbstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/build"
	"github.com/precis-dx/precis/internal/kbstore"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/queue/queuetest"
	"github.com/precis-dx/precis/internal/store"
)

// embeddedDir writes the embedded knowledge base to a directory, as kb build would.
func embeddedDir(t *testing.T) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kb")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "kb", "data"))); err != nil {
		t.Fatal(err)
	}
	k, err := kb.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, k.Version
}

func newStore(t *testing.T) *kbstore.Store {
	t.Helper()
	q, _ := queuetest.New(t)
	objects, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &kbstore.Store{Objects: objects, Queue: q}
}

// TestPublishLoad: a published knowledge base is stored file by file, recorded and active;
// publishing it again is a no-op; Load gives it back with its version, and refuses it once a
// stored file is changed.
func TestPublishLoad(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	dir, version := embeddedDir(t)
	if active, err := s.Active(ctx); err != nil || active != "" {
		t.Fatalf("active before publishing: %q, %v", active, err)
	}
	watch, err := s.Queue.WatchActiveKB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, changed, err := s.Publish(ctx, dir, "test")
	if err != nil || !changed {
		t.Fatalf("Publish: changed %v, %v", changed, err)
	}
	if p.Version != version || p.PublishedBy != "test" || p.Released == "" || len(p.Sources) == 0 {
		t.Errorf("published %+v", p)
	}
	entries, _ := os.ReadDir(dir)
	if len(p.Files) != len(entries) {
		t.Errorf("%d files recorded, the directory holds %d", len(p.Files), len(entries))
	}
	for _, f := range p.Files {
		if _, err := s.Objects.Stat(ctx, pipeline.KBFileKey(version, f.Name)); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
	select {
	case v := <-watch:
		if v != version {
			t.Errorf("watch sent %q, want %q", v, version)
		}
	case <-time.After(10 * time.Second):
		t.Error("the watch sent nothing after publishing")
	}
	if _, changed, err := s.Publish(ctx, dir, "test"); err != nil || changed {
		t.Errorf("publishing the active version again: changed %v, %v", changed, err)
	}
	versions, active, err := s.List(ctx)
	if err != nil || active != version || len(versions) != 1 || versions[0].Version != version {
		t.Errorf("List: %+v, active %q, %v", versions, active, err)
	}
	k, err := s.Load(ctx, version)
	if err != nil || k.Version != version {
		t.Fatalf("Load: %v", err)
	}
	// A changed file in the store is refused.
	key := pipeline.KBFileKey(version, kb.FileRegions)
	bad := "chr1\t1\t2\tDPYD\tdpyd\texon\n"
	if err := s.Objects.Put(ctx, key, strings.NewReader(bad), int64(len(bad)), "text/plain"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, version); !errors.Is(err, kb.ErrIntegrity) {
		t.Errorf("Load of a changed file: %v, want ErrIntegrity", err)
	}
	if _, err := s.Load(ctx, "2020.01-0000000000"); !errors.Is(err, kbstore.ErrNotPublished) {
		t.Errorf("Load of a version never published: %v", err)
	}
	if _, err := s.Load(ctx, "latest"); pipeline.KindOf(err) != pipeline.Invalid {
		t.Errorf("Load of a bad version: %v", err)
	}
}

// TestPublishRefusesBadDir: a directory that is not a knowledge base is refused before
// anything is stored.
func TestPublishRefusesBadDir(t *testing.T) {
	s := newStore(t)
	_, _, err := s.Publish(context.Background(), t.TempDir(), "test")
	if pipeline.KindOf(err) != pipeline.Invalid {
		t.Errorf("Publish of an empty directory: %v, want an Invalid error", err)
	}
	if infos, _ := s.Objects.List(context.Background(), "kb/"); len(infos) != 0 {
		t.Errorf("%d objects stored", len(infos))
	}
}

// TestRescan: one job per current report made with another version; failures, earlier
// versions (v1.json) and reports made with the version are left out; a second scan enqueues
// the same jobs, which the queue stores once.
func TestRescan(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	put := func(key, body string) {
		if err := s.Objects.Put(ctx, key, strings.NewReader(body), int64(len(body)), "application/json"); err != nil {
			t.Fatal(err)
		}
	}
	const v1, v2 = "2024.12-4339bdbf29", "2026.02-58180dfefc"
	rep := func(v string) string { return `{"knowledge_base":{"version":"` + v + `"},"samples":[]}` }
	put(pipeline.ReportKey("lab", "run", "OLD"), rep(v1))
	put(pipeline.ReportKey("lab", "run", "NEW"), rep(v2))
	put(pipeline.ReportKey("lab", "run", "FAILED"), `{"status":"failed","knowledge_base":{"version":"`+v1+`"}}`)
	put(pipeline.ReportVersionKey("lab", "run", "NEW", 1), rep(v1))
	put(pipeline.ChangesKey("lab", "run", "NEW"), `{}`)
	for i := range 2 {
		n, err := s.Rescan(ctx, v2)
		if err != nil || n != 1 {
			t.Fatalf("scan %d: %d enqueued, %v; want 1", i, n, err)
		}
	}
	if n, err := s.Queue.ReanalysisPending(ctx); err != nil || n != 1 {
		t.Errorf("%d reanalysis jobs queued, %v; want 1", n, err)
	}
	got := make(chan pipeline.ReanalyseJob, 1)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Queue.ConsumeReanalysis(cctx, func(ctx context.Context, m queue.Msg) error {
		var j pipeline.ReanalyseJob
		if err := pipeline.Decode(m.Data, &j); err != nil {
			return err
		}
		got <- j
		return nil
	}, 1)
	select {
	case j := <-got:
		if j.SampleID != "OLD" || j.KBVersion != v2 || j.Lab != "lab" || j.RunID != "run" {
			t.Errorf("job %+v", j)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reanalysis job consumed")
	}
}

// TestActivate: a version published earlier becomes active again without its files being
// stored again (a roll-back), the watch sees it, and a version never published is refused
// as not existing.
func TestActivate(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	full, fullVersion := embeddedDir(t)
	old := filepath.Join(t.TempDir(), "kb2024")
	oldVersion, err := build.Run(build.Options{Src: oracle.Dir(t), Out: old,
		ClinVar: []string{filepath.Join(oracle.Dir(t), "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{old, full} {
		if _, changed, err := s.Publish(ctx, dir, "test"); err != nil || !changed {
			t.Fatalf("Publish %s: changed %v, %v", dir, changed, err)
		}
	}
	watch, err := s.Queue.WatchActiveKB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, changed, err := s.Activate(ctx, oldVersion, "admin")
	if err != nil || !changed || p.Version != oldVersion {
		t.Fatalf("Activate %s: %+v changed %v, %v", oldVersion, p, changed, err)
	}
	deadline := time.After(10 * time.Second)
	for seen := ""; seen != oldVersion; {
		select {
		case seen = <-watch:
			if seen != oldVersion && seen != fullVersion {
				t.Fatalf("watch sent %q", seen)
			}
		case <-deadline:
			t.Fatalf("the watch did not send %s after Activate", oldVersion)
		}
	}
	if active, err := s.Active(ctx); err != nil || active != oldVersion {
		t.Errorf("active %q, %v; want %s", active, err, oldVersion)
	}
	if _, changed, err := s.Activate(ctx, oldVersion, "admin"); err != nil || changed {
		t.Errorf("activating the active version again: changed %v, %v", changed, err)
	}
	if _, _, err := s.Activate(ctx, "2020.01-0000000000", "admin"); pipeline.KindOf(err) != pipeline.NotExist {
		t.Errorf("activating a version never published: %v, want NotExist", err)
	}
}
