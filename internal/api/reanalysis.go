package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/store"
)

// Reanalysis (issue 15): a sample's report is re-evaluated when a newer knowledge base is
// published. The current report stays at reports/{lab}/{run}/{sample}.json; the ones it
// replaced are kept at reports/{lab}/{run}/{sample}/v{N}.json (N = 1, 2, ...) and what
// changed at changes/{lab}/{run}/{sample}.json (pipeline.ChangeHistory). The routes:
//
//	GET .../samples/{sample}/changes          the changes, oldest reanalysis first (a JSON array; [] when none)
//	GET .../samples/{sample}/versions         the report's versions: the earlier ones and the current
//	GET .../samples/{sample}/report?version=N an earlier version (400 for a malformed N, 404 for an unknown one)
//
// They follow the report's access rule: a token that may not read the lab is answered 404.

// maxChangesBytes bounds a stored change history read back (a sample's history grows by a
// few changes per published knowledge base).
const maxChangesBytes = 16 << 20

// reportVersion reads the ?version= query: 0 when absent (the current report), else a
// positive decimal without sign or leading zeros, at most 9 digits (the form of v{N}.json).
// Anything else is answered 400 and ok is false.
func (s *Server) reportVersion(w http.ResponseWriter, r *http.Request) (n int, ok bool) {
	q := r.URL.Query()
	if !q.Has("version") {
		return 0, true
	}
	v := q.Get("version")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || len(v) > 9 || strconv.Itoa(n) != v {
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest,
			fmt.Sprintf("version %q: want a report version 1, 2, ... (GET .../versions lists them)", v))
		return 0, false
	}
	return n, true
}

// changeHistory reads a sample's change history; found is false when there is none (no
// reanalysis changed anything yet, or none ran). Failures are answered and ok is false.
func (s *Server) changeHistory(w http.ResponseWriter, r *http.Request, lab, run, sample string) (h pipeline.ChangeHistory, found, ok bool) {
	key := pipeline.ChangesKey(lab, run, sample)
	rc, err := s.objects.Get(r.Context(), key)
	if errors.Is(err, store.ErrNotExist) {
		return h, false, true
	}
	if err != nil {
		s.failDependency(w, r, "read "+key, err)
		return h, false, false
	}
	defer rc.Close()
	dec := json.NewDecoder(io.LimitReader(rc, maxChangesBytes))
	if err := dec.Decode(&h); err != nil {
		s.failDependency(w, r, "read "+key, fmt.Errorf("decode %s: %w", key, err))
		return h, false, false
	}
	if h.Lab != "" && (h.Lab != lab || h.RunID != run || h.SampleID != sample) {
		// The store handed back another sample's history: show nothing rather than the
		// wrong patient's changes.
		s.failDependency(w, r, "read "+key, fmt.Errorf("%s names %s/%s/%s", key, h.Lab, h.RunID, h.SampleID))
		return h, false, false
	}
	return h, true, true
}

// knownSample answers 404 and returns false unless the run exists and, when it lists its
// samples, lists sample: so that an unknown sample is not answered with an empty history.
func (s *Server) knownSample(w http.ResponseWriter, r *http.Request, lab, run, sample string) bool {
	st, ok := s.readRun(w, r, lab, run)
	if !ok {
		return false
	}
	if _, listed := st.Samples[sample]; len(st.Samples) > 0 && !listed {
		s.fail(w, r, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no sample %s in run %s", sample, run))
		return false
	}
	return true
}

// readableHistory checks the names and the caller's access to a sample and returns its
// change history (empty when it has none); ok is false when an error answer was written,
// including 404 for a sample the run does not list.
func (s *Server) readableHistory(w http.ResponseWriter, r *http.Request, lab, run, sample string) (h pipeline.ChangeHistory, ok bool) {
	if !s.checkNames(w, r, lab, run) || !s.checkSample(w, r, sample) || !s.canRead(w, r, lab, noRun(lab, run)) {
		return h, false
	}
	h, found, ok := s.changeHistory(w, r, lab, run, sample)
	if !ok || !found && !s.knownSample(w, r, lab, run, sample) {
		return h, false
	}
	return h, true
}

// getChanges answers GET /api/v1/runs/{lab}/{run}/samples/{sample}/changes: every change the
// sample's reanalyses found, oldest reanalysis first, as a JSON array of pipeline.Change
// ({sample_id, gene, hgvs_c, variant, from, to, impact, kb_from, kb_to, at, what, reason,
// tags_added, tags_removed}); [] when there are none. Reading it is recorded as report.read
// (format "changes"): the changes are part of the report.
func (s *Server) getChanges(w http.ResponseWriter, r *http.Request) {
	lab, run, sample := r.PathValue("lab"), r.PathValue("run"), r.PathValue("sample")
	h, ok := s.readableHistory(w, r, lab, run, sample)
	if !ok {
		return
	}
	changes := h.Changes
	if changes == nil {
		changes = []pipeline.Change{}
	}
	if err := s.record(r, audit.Event{Action: audit.ActionReportRead, Lab: lab, Run: run, Sample: sample,
		Format: "changes", Target: r.URL.Path}); err != nil {
		s.auditDown(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, changes)
}

// ReportVersion is one version of a sample's report in the answer to GET .../versions.
type ReportVersion struct {
	// Version is N of ?version=N; 0 for the current report.
	Version int    `json:"version"`
	Current bool   `json:"current"`
	KB      string `json:"kb,omitempty"` // the knowledge-base version it was made with, when known
	// ReplacedAt is when a reanalysis replaced it; absent for the current report.
	ReplacedAt string `json:"replaced_at,omitempty"`
	// ReplacedBy is the version of the report that replaced it (0: the current one).
	ReplacedBy *int   `json:"replaced_by,omitempty"`
	Major      int    `json:"major"` // the major and minor changes of the reanalysis that replaced it
	Minor      int    `json:"minor"`
	URL        string `json:"url"` // the report route that reads it
}

// versionsAnswer is the answer to GET .../versions.
type versionsAnswer struct {
	Lab        string                `json:"lab"`
	RunID      string                `json:"run_id"`
	SampleID   string                `json:"sample_id"`
	Versions   []ReportVersion       `json:"versions"` // oldest first, the current one last
	Reanalyses []pipeline.Reanalysis `json:"reanalyses"`
	ChangesURL string                `json:"changes_url"`
}

// getVersions answers GET /api/v1/runs/{lab}/{run}/samples/{sample}/versions: the earlier
// versions of the report, from the change history, and the current one.
func (s *Server) getVersions(w http.ResponseWriter, r *http.Request) {
	lab, run, sample := r.PathValue("lab"), r.PathValue("run"), r.PathValue("sample")
	h, ok := s.readableHistory(w, r, lab, run, sample)
	if !ok {
		return
	}
	base := StatusPath(lab, run) + "/samples/" + sample
	ans := versionsAnswer{Lab: lab, RunID: run, SampleID: sample, Versions: ReportVersions(h, base+"/report"),
		Reanalyses: h.Reanalyses, ChangesURL: base + "/changes"}
	if ans.Reanalyses == nil {
		ans.Reanalyses = []pipeline.Reanalysis{}
	}
	writeJSON(w, http.StatusOK, ans)
}

// ReportVersions lists a sample's report versions from its change history, oldest first,
// the current report last (version 0). reportURL is the report route; an earlier version's
// URL adds ?version=N.
func ReportVersions(h pipeline.ChangeHistory, reportURL string) []ReportVersion {
	var out []ReportVersion
	res := slices.Clone(h.Reanalyses)
	slices.SortStableFunc(res, func(a, b pipeline.Reanalysis) int { return a.Previous - b.Previous })
	byPrev := map[int]pipeline.Reanalysis{}
	for _, re := range res {
		if re.Previous >= 1 {
			byPrev[re.Previous] = re
		}
	}
	currentKB := ""
	for _, re := range res {
		if re.Previous < 1 {
			continue
		}
		next := 0
		if _, ok := byPrev[re.Previous+1]; ok {
			next = re.Previous + 1
		}
		out = append(out, ReportVersion{Version: re.Previous, KB: re.KBFrom,
			ReplacedAt: re.At.UTC().Format(time.RFC3339), ReplacedBy: &next,
			Major: re.Major, Minor: re.Minor, URL: reportURL + "?version=" + strconv.Itoa(re.Previous)})
		currentKB = re.KBTo
	}
	return append(out, ReportVersion{Version: 0, Current: true, KB: currentKB, URL: reportURL})
}
