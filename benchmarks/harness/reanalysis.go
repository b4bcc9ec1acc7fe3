package harness

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/build"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/service"
	"github.com/precis-dx/precis/internal/store"
)

// ClinVar2024 is the ClinVar subset of the shared data folder (clinvar/) the older knowledge
// base of the reanalysis row is built from, alone: the 2024-12 release.
const ClinVar2024 = "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"

// Reanalysis is the reanalysis row (issue 15): samples reported by the service with a
// knowledge base built from the 2024-12 ClinVar subset alone, then the full default one
// published; Wall runs from the publish call until every sample's current report is made
// with the published version.
type Reanalysis struct {
	Label    string `json:"label"`
	Command  string `json:"command"`
	Measured bool   `json:"measured"`
	Why      string `json:"why_not_measured,omitempty"`
	Samples  int    `json:"samples"`
	Workers  int    `json:"workers"`
	// Concurrency is the reanalyses the service runs at a time: a quarter of its workers, at
	// least one (service.ReanalysisConcurrency).
	Concurrency int    `json:"reanalysis_concurrency"`
	KBFrom      string `json:"kb_from,omitempty"`
	KBTo        string `json:"kb_to,omitempty"`
	// KBBuild is the seconds building the older knowledge base took; 0 when it was cached.
	KBBuild   float64 `json:"kb_build_seconds"`
	Publish   float64 `json:"publish_seconds"` // of Wall: kbstore.Publish (files stored, kb.active set)
	Wall      float64 `json:"wall_seconds"`
	PerMinute float64 `json:"reports_per_minute"`
	// Major, Minor and Unchanged are precis_reanalyses_total by outcome: the reports
	// re-evaluated with at least one major change, minor changes only, and none.
	Major     int `json:"major"`
	Minor     int `json:"minor"`
	Unchanged int `json:"unchanged"`
}

// Reanalysed is one measured reanalysis (RunReanalysis).
type Reanalysed struct {
	Samples  int
	From, To string
	Publish  time.Duration // the publish call
	Wall     time.Duration // from the publish call to every report made with To
	Outcomes map[string]int
}

// PerMinute returns the reports re-evaluated per minute.
func (r Reanalysed) PerMinute() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Samples) / r.Wall.Minutes()
}

// repoDir returns the repository this file was built from, "" when it is not there (a
// precis-bench binary run on another machine).
func repoDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..") // file is <repo>/benchmarks/harness/reanalysis.go
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return ""
	}
	return dir
}

// DataDir returns the shared data folder beside the repository (../shared/data, as `precis
// kb build --src` takes it by default), "" when there is none.
func DataDir() string {
	repo := repoDir()
	if repo == "" {
		return ""
	}
	dir := filepath.Join(repo, "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "clinvar", ClinVar2024)); err != nil {
		return ""
	}
	return dir
}

// OlderKB returns the directory of a knowledge base built (build.Run) from the shared data
// folder data with the 2024-12 ClinVar subset alone, and its version, building it into cache
// the first time: as cache/kb-VERSION, found again through a file naming the version whose
// name hashes the ClinVar file's content, the embedded knowledge base's version and the
// manifest format (so a new build of the embedded one, which comes with any change of the
// builder, builds it again). built is true when it was built now.
func OlderKB(cache, data string, embedded *kb.KB) (dir, version string, built bool, err error) {
	src := filepath.Join(data, "clinvar", ClinVar2024)
	f, err := os.Open(src)
	if err != nil {
		return "", "", false, fmt.Errorf("%w: %v", ErrInput, err)
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", "", false, fmt.Errorf("%w: %v", ErrInput, err)
	}
	fmt.Fprintf(h, "|%s|%d", embedded.Version, kb.ManifestFormat)
	pointer := filepath.Join(cache, "kb-clinvar20241215-"+hex.EncodeToString(h.Sum(nil))[:10]+".version")
	if b, err := os.ReadFile(pointer); err == nil {
		v := strings.TrimSpace(string(b))
		dir := filepath.Join(cache, "kb-"+v)
		if k, err := kb.LoadDir(dir); err == nil && k.Version == v {
			return dir, v, false, nil
		}
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", "", false, fmt.Errorf("%w: %v", ErrInput, err)
	}
	tmp, err := os.MkdirTemp(cache, "kb-build-*")
	if err != nil {
		return "", "", false, fmt.Errorf("%w: %v", ErrInput, err)
	}
	defer os.RemoveAll(tmp)
	v, err := build.Run(build.Options{Src: data, Out: filepath.Join(tmp, "kb"), ClinVar: []string{src}})
	if err != nil {
		return "", "", false, fmt.Errorf("%w: knowledge base from %s: %v", ErrInput, ClinVar2024, err)
	}
	if v == embedded.Version {
		return "", "", false, fmt.Errorf("%w: the knowledge base from %s alone is the embedded one (%s)", ErrInput, ClinVar2024, v)
	}
	dir = filepath.Join(cache, "kb-"+v)
	if err := os.RemoveAll(dir); err != nil {
		return "", "", false, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := os.Rename(filepath.Join(tmp, "kb"), dir); err != nil {
		return "", "", false, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "version"), []byte(v+"\n"), 0o644); err != nil {
		return "", "", false, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := os.Rename(filepath.Join(tmp, "version"), pointer); err != nil {
		return "", "", false, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return dir, v, true, nil
}

// EmbeddedKBDir writes the knowledge base embedded in the binary into dst (a directory
// `precis kb publish` takes): the repository's internal/kb/data, which the binary embeds,
// checked to be the embedded version.
func EmbeddedKBDir(dst string, embedded *kb.KB) error {
	repo := repoDir()
	if repo == "" {
		return errors.New("the repository's internal/kb/data is not here (run from the repository)")
	}
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(repo, "internal", "kb", "data"))); err != nil {
		return err
	}
	k, err := kb.LoadDir(dst)
	if err != nil {
		return err
	}
	if k.Version != embedded.Version {
		return fmt.Errorf("the repository's internal/kb/data is %s, the embedded knowledge base %s: rebuild", k.Version, embedded.Version)
	}
	return nil
}

// reanalysisOutcomes are the outcome labels of precis_reanalyses_total.
var reanalysisOutcomes = []string{"major", "minor", "unchanged"}

// RunReanalysis publishes the knowledge base in dir to svc (kbstore.Publish, as `precis kb
// publish`) and waits until every one of the n samples (S000...) of the run lab/runID, its
// reports made with another version, has its current report made with the published one.
// Wall runs from the publish call to the first poll (every 10 ms) at which
// precis_reanalyses_total has counted n more reanalyses, which a worker counts after storing
// the report; every report is then read back and checked to be made with the published
// version on build ("" is DefaultBuild). The outcomes are the counter's increments by label.
func RunReanalysis(ctx context.Context, svc *service.Service, lab, runID, build string, n int, dir string) (Reanalysed, error) {
	r := Reanalysed{Samples: n, Outcomes: map[string]int{}}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = pipeline.ReportKey(lab, runID, fmt.Sprintf("S%03d", i))
	}
	// The counter alone, on a registry of its own: cheap to read every poll.
	reg := prometheus.NewRegistry()
	if err := reg.Register(svc.Metrics.Reanalyses); err != nil {
		return r, err
	}
	before, err := outcomeCounts(reg)
	if err != nil {
		return r, err
	}
	start := time.Now()
	p, changed, err := svc.KBs.Publish(ctx, dir, "precis-bench")
	if err != nil {
		return r, fmt.Errorf("%w: publish %s: %v", ErrRun, dir, err)
	}
	r.Publish, r.To = time.Since(start), p.Version
	if !changed {
		return r, fmt.Errorf("%w: publish %s: %s was active already", ErrRun, dir, p.Version)
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		polled := time.Now()
		now, err := outcomeCounts(reg)
		if err != nil {
			return r, err
		}
		total := 0
		for _, o := range reanalysisOutcomes {
			r.Outcomes[o] = now[o] - before[o]
			total += r.Outcomes[o]
		}
		if total >= n {
			r.Wall = polled.Sub(start)
			for _, key := range keys {
				rep, err := readReport(ctx, svc.Objects, key, build)
				if err != nil {
					return r, err
				}
				if v := rep.KnowledgeBase.Version; v != r.To {
					return r, fmt.Errorf("%w: %d reports re-evaluated, but %s is made with %s, want %s", ErrRun, total, key, v, r.To)
				}
			}
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("%w: %d of %d reports re-evaluated with %s: %v", ErrRun, total, n, r.To, ctx.Err())
		case <-t.C:
		}
	}
}

// outcomeCounts reads precis_reanalyses_total by outcome from reg.
func outcomeCounts(reg prometheus.Gatherer) (map[string]int, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					out[l.GetValue()] += int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return out, nil
}

// readReport reads a stored report and checks its input.genome_build (checkReport).
func readReport(ctx context.Context, objects store.Store, key, build string) (precisReport, error) {
	rc, err := objects.Get(ctx, key)
	if err != nil {
		return precisReport{}, fmt.Errorf("%w: report %s: %v", ErrRun, key, err)
	}
	body, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return precisReport{}, fmt.Errorf("%w: report %s: %v", ErrRun, key, err)
	}
	rep, err := checkReport(body, build)
	if err != nil {
		return rep, fmt.Errorf("report %s: %w", key, err)
	}
	return rep, nil
}

// reanalysisLabel names the reanalysis row.
const reanalysisLabel = "service reanalysis (ClinVar 2024-12 -> the full knowledge base)"

func (h *harness) noReanalysis(why string) {
	h.res.Reanalysis = Reanalysis{Label: reanalysisLabel, Why: why, Samples: h.cfg.Reanalyses, Workers: h.cfg.Parallel,
		Concurrency: service.ReanalysisConcurrency(h.cfg.Parallel)}
	if why != "--skip-service" && why != "--skip-reanalysis" {
		h.note("reanalysis row not measured: %s", why)
	}
}

// reanalysis measures the reanalysis row on a service of its own (MinIO, NATS and workers
// started afresh, so that no other report is re-evaluated): Reanalyses exome-size samples
// (taken in turn from exomes) reported with the older knowledge base (OlderKB), then the
// embedded one published (RunReanalysis).
func (h *harness) reanalysis(ctx context.Context, minioBin string, embedded *kb.KB, exomes []string) {
	row := Reanalysis{Label: reanalysisLabel, Samples: h.cfg.Reanalyses, Workers: h.cfg.Parallel, Concurrency: service.ReanalysisConcurrency(h.cfg.Parallel)}
	fail := func(err error) {
		row.Why = err.Error()
		h.res.Reanalysis = row
		h.note("reanalysis row not measured: %v", err)
	}
	data := cmp.Or(h.cfg.Data, DataDir())
	if data == "" {
		fail(errors.New("no shared data folder to build the ClinVar 2024-12 knowledge base from (../shared/data beside the repository, or Config.Data)"))
		return
	}
	start := time.Now()
	oldDir, oldVersion, built, err := OlderKB(h.cfg.Cache, data, embedded)
	if err != nil {
		fail(err)
		return
	}
	if built {
		row.KBBuild = time.Since(start).Seconds()
	}
	h.log.Info("older knowledge base", "version", oldVersion, "dir", oldDir, "built_seconds", row.KBBuild)
	old, err := kb.LoadDir(oldDir)
	if err != nil {
		fail(err)
		return
	}
	newDir := filepath.Join(h.work, "kb-full")
	if err := EmbeddedKBDir(newDir, embedded); err != nil {
		fail(err)
		return
	}
	row.KBFrom, row.KBTo = oldVersion, embedded.Version
	row.Command = fmt.Sprintf("one run of %d exome-size samples through MinIO + NATS JetStream + %d workers annotating with the knowledge base built from %s alone (`precis kb build --clinvar .../%s`, cached in `%s`); then the embedded knowledge base (`internal/kb/data`) published (`precis kb publish`), timed from the publish call until precis_reanalyses_total has counted every sample (each report then read back: made with the published version), %d reanalysis at a time",
		row.Samples, row.Workers, ClinVar2024, ClinVar2024, shortPath(oldDir), row.Concurrency)

	dir, err := os.MkdirTemp(h.work, "reanalysis-*")
	if err != nil {
		fail(err)
		return
	}
	s, err := startService(ctx, minioBin, dir, h.cfg.Parallel, old)
	if err != nil {
		fail(err)
		return
	}
	defer s.close(context.Background())
	files := make([]string, row.Samples)
	for i := range files {
		files[i] = exomes[i%len(exomes)]
	}
	runID := fmt.Sprintf("reanalysis-%d", time.Now().UnixNano())
	h.log.Info("reanalysis: samples with the older knowledge base", "n", len(files))
	if _, err := RunServiceOn(ctx, s.svc, "bench", runID, h.cfg.build(), files, ""); err != nil {
		fail(err)
		return
	}
	for i := range files {
		key := pipeline.ReportKey("bench", runID, fmt.Sprintf("S%03d", i))
		rep, err := readReport(ctx, s.svc.Objects, key, h.cfg.build())
		if err == nil && rep.KnowledgeBase.Version != oldVersion {
			err = fmt.Errorf("%w: %s made with %s before publishing, want %s", ErrRun, key, rep.KnowledgeBase.Version, oldVersion)
		}
		if err != nil {
			fail(err)
			return
		}
	}
	h.log.Info("reanalysis: publishing", "from", oldVersion, "to", embedded.Version)
	wait, cancel := context.WithTimeout(ctx, max(5*time.Minute, time.Duration(row.Samples)*time.Minute))
	defer cancel()
	r, err := RunReanalysis(wait, s.svc, "bench", runID, h.cfg.build(), row.Samples, newDir)
	row.Major, row.Minor, row.Unchanged = r.Outcomes["major"], r.Outcomes["minor"], r.Outcomes["unchanged"]
	if err != nil {
		fail(err)
		return
	}
	row.Measured, row.Publish, row.Wall, row.PerMinute = true, r.Publish.Seconds(), r.Wall.Seconds(), r.PerMinute()
	h.log.Info("reanalysis", "samples", row.Samples, "seconds", row.Wall, "per_minute", row.PerMinute, "major", row.Major, "minor", row.Minor, "unchanged", row.Unchanged)
	h.res.Reanalysis = row
}
