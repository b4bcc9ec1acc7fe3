package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/fhir"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
)

// Names that become parts of object keys, NATS subjects and KV keys. Labs, runs and samples
// follow the manifest's id rule (one subject token: no dots; what a manifest can name, so no
// file is uploaded under a run id no manifest can submit); file names may hold dots but
// never start with one, so no name is ".", ".." or hidden, and none holds a slash.
var idName = regexp.MustCompile(pipeline.IDPattern)

const idRule = pipeline.IDRule

// fileSuffixes are the inputs a run may upload: VCFs and their indexes.
var fileSuffixes = append(append([]string(nil), manifest.VCFSuffixes...), manifest.IndexSuffixes...)

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".vcf"):
		return "text/plain; charset=utf-8"
	case strings.HasSuffix(name, ".gz"), strings.HasSuffix(name, ".bgz"):
		return "application/gzip"
	default:
		return "application/octet-stream"
	}
}

// StatusPath is the API path of a run's state.
func StatusPath(lab, run string) string { return "/api/v1/runs/" + lab + "/" + run }

// checkNames answers 400 and returns false unless the lab and run (and sample or file
// name, when given) are acceptable.
func (s *Server) checkNames(w http.ResponseWriter, r *http.Request, lab, run string) bool {
	switch {
	case !idName.MatchString(lab):
		s.fail(w, r, http.StatusBadRequest, CodeInvalidName,
			fmt.Sprintf("lab %q: %s", lab, idRule))
	case !idName.MatchString(run):
		s.fail(w, r, http.StatusBadRequest, CodeInvalidName,
			fmt.Sprintf("run %q: %s", run, idRule))
	default:
		return true
	}
	return false
}

// putFile streams the body into runs/{lab}/{run}/{name}.
func (s *Server) putFile(w http.ResponseWriter, r *http.Request) {
	lab, run, name := r.PathValue("lab"), r.PathValue("run"), r.PathValue("name")
	if !s.checkNames(w, r, lab, run) || !s.canSubmit(w, r, lab, noLab(lab)) {
		return
	}
	if !manifest.ValidFileName(name) {
		s.fail(w, r, http.StatusBadRequest, CodeInvalidName,
			fmt.Sprintf("file %q: want a plain file name ending in %s", name, strings.Join(fileSuffixes, ", ")))
		return
	}
	if !s.unsubmitted(w, r, lab, run, "run %s of lab %s was submitted (%s): its files cannot be replaced; upload under a new run id") {
		return
	}
	if r.ContentLength > MaxFileBytes {
		s.fail(w, r, http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("file %s: %d bytes exceeds the limit of %d", name, r.ContentLength, MaxFileBytes))
		return
	}
	size := r.ContentLength // -1 when unknown (chunked)
	body := &countingReader{r: http.MaxBytesReader(w, r.Body, MaxFileBytes)}
	key := pipeline.RunFileKey(lab, run, name)
	if err := s.objects.Put(r.Context(), key, body, size, contentType(name)); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(body.err, &tooLarge):
			s.fail(w, r, http.StatusRequestEntityTooLarge, CodeTooLarge,
				fmt.Sprintf("file %s exceeds the limit of %d bytes", name, MaxFileBytes))
		case body.err != nil:
			// The client went away or sent less than its Content-Length.
			s.fail(w, r, http.StatusBadRequest, CodeBadRequest,
				fmt.Sprintf("file %s: reading the request body after %d bytes: %v", name, body.n, body.err))
		case noSpace(err):
			s.log.ErrorContext(r.Context(), "store "+key, "err", err)
			s.fail(w, r, http.StatusInsufficientStorage, CodeNoSpace,
				fmt.Sprintf("file %s: the object store is full; nothing was stored, retry once space is freed", name))
		default:
			s.failDependency(w, r, "store "+key, err)
		}
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"key": key, "size": body.n})
}

// noSpace reports whether a store error says the disk or the bucket is full.
func noSpace(err error) bool {
	var resp minio.ErrorResponse
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		(errors.As(err, &resp) && resp.Code == "XMinioStorageFull")
}

// countingReader counts the bytes read and keeps the first read error, so that a failed
// Put can be blamed on the client or on the store.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// submitResponse is the 202 answer to a submitted manifest.
type submitResponse struct {
	Lab       string `json:"lab"`
	RunID     string `json:"run_id"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
}

// submitRun validates a manifest, checks its objects exist, stores it and publishes the run.
//
// A token that cannot submit for any lab is refused before the body is read: parsing a
// manifest is the costliest thing a request can ask for, and only a lab needs it.
func (s *Server) submitRun(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if p := principal(r); p.Role != auth.RoleLab || len(p.Labs) == 0 {
		s.fail(w, r, http.StatusForbidden, CodeForbidden,
			fmt.Sprintf("a %s token cannot upload or submit runs; use the lab's own token", p.Role))
		return
	}
	if r.ContentLength > MaxManifestBytes {
		s.fail(w, r, http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("manifest of %d bytes exceeds the limit of %d bytes", r.ContentLength, MaxManifestBytes))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxManifestBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.fail(w, r, http.StatusRequestEntityTooLarge, CodeTooLarge,
				fmt.Sprintf("manifest exceeds the limit of %d bytes", MaxManifestBytes))
			return
		}
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest, "reading the manifest: "+err.Error())
		return
	}
	m, err := manifest.Parse(bytes.NewReader(body), "manifest.json")
	switch {
	case errors.Is(err, manifest.ErrIdentity):
		// manifest.Error masks the digits of the number it found, so its message can be
		// sent and recorded.
		s.recordRejection(ctx, principal(r), body, err.Error())
		s.fail(w, r, http.StatusUnprocessableEntity, CodeIdentityNumber, err.Error())
		return
	case err != nil:
		s.fail(w, r, http.StatusBadRequest, CodeInvalidManifest, err.Error())
		return
	}
	lab, run := m.Lab, m.RunID
	if !s.checkNames(w, r, lab, run) || !s.canSubmit(w, r, lab, noLab(lab)) {
		return
	}
	if !s.unsubmitted(w, r, lab, run, "run id %s of lab %s is used already (%s); a run id is used once: submit under a new run id") {
		return
	}
	missing, err := s.missing(ctx, inputKeys(m))
	if err != nil {
		s.failDependency(w, r, "checking the run's files", err)
		return
	}
	if len(missing) > 0 {
		s.fail(w, r, http.StatusBadRequest, CodeMissingFile, "not uploaded: "+listSome(missing, 5))
		return
	}
	mkey := pipeline.ManifestKey(lab, run)
	if err := s.objects.Put(ctx, mkey, bytes.NewReader(body), int64(len(body)), "application/json"); err != nil {
		if noSpace(err) {
			s.log.ErrorContext(ctx, "store "+mkey, "err", err)
			s.fail(w, r, http.StatusInsufficientStorage, CodeNoSpace, "the object store is full; the run was not submitted, retry once space is freed")
			return
		}
		s.failDependency(w, r, "store "+mkey, err)
		return
	}
	event, err := json.Marshal(pipeline.RunSubmitted{
		SchemaVersion: pipeline.SchemaVersion,
		Lab:           lab,
		RunID:         run,
		ManifestKey:   mkey,
		SubmittedAt:   s.now().UTC(),
		Via:           pipeline.ViaHTTP,
	})
	if err != nil {
		s.failDependency(w, r, "encode the run event", err)
		return
	}
	// The queue dedupes by run id as well, so two submissions racing past the check above
	// run once.
	if err := s.runs.SubmitRun(ctx, lab, run, event); err != nil {
		s.failDependency(w, r, "publish the run", err)
		return
	}
	statusURL := StatusPath(lab, run)
	w.Header().Set("Location", statusURL)
	writeJSON(w, http.StatusAccepted, submitResponse{Lab: lab, RunID: run, Status: "submitted", StatusURL: statusURL})
}

// submitted says how a run id was used already ("" when it was not): a run whose manifest
// is stored, or whose state is anything but rejected (a run refused for an identity number
// may be submitted again, corrected, under its id). A run id is used once, and the files of
// a submitted run are immutable, so that a report's recorded input checksum always matches
// the stored input.
func (s *Server) submitted(ctx context.Context, lab, run string) (string, error) {
	st, err := s.runs.GetRun(ctx, lab, run)
	switch {
	case err == nil && st.Status != pipeline.StatusRejected:
		return "status " + st.Status, nil
	case err != nil && !errors.Is(err, queue.ErrNotFound):
		return "", err
	}
	_, err = s.objects.Stat(ctx, pipeline.ManifestKey(lab, run))
	switch {
	case err == nil:
		return "its manifest is stored", nil
	case errors.Is(err, store.ErrNotExist):
		return "", nil
	}
	return "", err
}

// unsubmitted reports whether run of lab has not been submitted. When it has, it answers 409
// with conflict formatted with the run, the lab and how it was used (see submitted); when
// that cannot be told, it answers as failDependency does.
func (s *Server) unsubmitted(w http.ResponseWriter, r *http.Request, lab, run, conflict string) bool {
	used, err := s.submitted(r.Context(), lab, run)
	if err != nil {
		s.failDependency(w, r, "checking run "+run, err)
		return false
	}
	if used != "" {
		s.fail(w, r, http.StatusConflict, CodeConflict, fmt.Sprintf(conflict, run, lab, used))
		return false
	}
	return true
}

// inputKeys returns the distinct object keys a manifest refers to, in manifest order.
// manifest.Parse has checked that each is a plain file under the run's own prefix, so a
// manifest can never point at another lab's or run's objects.
func inputKeys(m *manifest.Manifest) []string {
	var keys []string
	for _, in := range m.Inputs() {
		keys = append(keys, in.Key)
	}
	return keys
}

// statConcurrency bounds the Stat calls in flight for one submission.
const statConcurrency = 8

// missing returns the keys that do not exist, in the order given. Any other failure of
// Stat is returned as an error.
func (s *Server) missing(ctx context.Context, keys []string) ([]string, error) {
	errs := make([]error, len(keys))
	sem := make(chan struct{}, statConcurrency)
	var wg sync.WaitGroup
	for i, k := range keys {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, errs[i] = s.objects.Stat(ctx, k)
		}()
	}
	wg.Wait()
	var out []string
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, store.ErrNotExist):
			out = append(out, keys[i])
		default:
			return nil, fmt.Errorf("stat %s: %w", keys[i], err)
		}
	}
	return out, nil
}

func listSome(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s (and %d more)", strings.Join(items[:max], ", "), len(items)-max)
}

// recordRejection records a run refused for an identity number, so the lab sees why in the
// run's state. Only the lab and run id are read from the refused manifest (manifest.Parse
// returns nothing on refusal); nothing of it is stored, and nothing is recorded when the
// number is in the lab or run id themselves. A run already accepted under the same id is
// left alone.
func (s *Server) recordRejection(ctx context.Context, p auth.Principal, body []byte, reason string) {
	var id struct {
		Lab   string `json:"lab"`
		RunID string `json:"run_id"`
	}
	if json.Unmarshal(body, &id) != nil || !idName.MatchString(id.Lab) || !idName.MatchString(id.RunID) ||
		manifest.LooksLikePersonnummer(id.Lab) || manifest.LooksLikePersonnummer(id.RunID) ||
		!p.CanSubmit(id.Lab) {
		return
	}
	prev, err := s.runs.GetRun(ctx, id.Lab, id.RunID)
	switch {
	case errors.Is(err, queue.ErrNotFound):
	case err != nil:
		s.log.ErrorContext(ctx, "record rejected run", "lab", id.Lab, "run", id.RunID, "err", err)
		return
	case prev.Status != pipeline.StatusRejected:
		s.log.WarnContext(ctx, "refused manifest for an accepted run", "lab", id.Lab, "run", id.RunID)
		return
	}
	st := pipeline.RunState{
		Lab:     id.Lab,
		RunID:   id.RunID,
		Status:  pipeline.StatusRejected,
		Reason:  reason,
		Updated: s.now().UTC(),
	}
	if err := s.runs.PutRun(ctx, st); err != nil {
		s.log.ErrorContext(ctx, "record rejected run", "lab", id.Lab, "run", id.RunID, "err", err)
	}
}

// runList is the answer to GET /api/v1/runs/{lab}.
type runList struct {
	Lab  string              `json:"lab"`
	Runs []pipeline.RunState `json:"runs"`
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	lab := r.PathValue("lab")
	if !idName.MatchString(lab) {
		s.fail(w, r, http.StatusBadRequest, CodeInvalidName, fmt.Sprintf("lab %q: %s", lab, idRule))
		return
	}
	if !s.canRead(w, r, lab, noLab(lab)) {
		return
	}
	runs, err := s.runs.ListRuns(r.Context(), lab)
	if err != nil {
		s.failDependency(w, r, "list runs of "+lab, err)
		return
	}
	if runs == nil {
		runs = []pipeline.RunState{}
	}
	slices.SortFunc(runs, func(a, b pipeline.RunState) int { return strings.Compare(a.RunID, b.RunID) })
	writeJSON(w, http.StatusOK, runList{Lab: lab, Runs: runs})
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	lab, run := r.PathValue("lab"), r.PathValue("run")
	if !s.checkNames(w, r, lab, run) || !s.canRead(w, r, lab, noRun(lab, run)) {
		return
	}
	if st, ok := s.readRun(w, r, lab, run); ok {
		writeJSON(w, http.StatusOK, st)
	}
}

// readRun reads a run's state, answering 404 (or the dependency's failure) and returning
// false when it cannot.
func (s *Server) readRun(w http.ResponseWriter, r *http.Request, lab, run string) (pipeline.RunState, bool) {
	st, err := s.runs.GetRun(r.Context(), lab, run)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, CodeNotFound, noRun(lab, run))
		return st, false
	case err != nil:
		s.failDependency(w, r, "read run "+lab+"/"+run, err)
		return st, false
	}
	return st, true
}

// noLab and noRun are the 404 messages for a lab or run that does not exist or that the
// token may not read: the same words either way.
func noLab(lab string) string      { return fmt.Sprintf("no lab %s", lab) }
func noRun(lab, run string) string { return fmt.Sprintf("no run %s of lab %s", run, lab) }

// sampleStatus is the answer to GET /api/v1/runs/{lab}/{run}/samples/{sample}.
type sampleStatus struct {
	Lab       string `json:"lab"`
	RunID     string `json:"run_id"`
	SampleID  string `json:"sample_id"`
	ReportURL string `json:"report_url,omitempty"`
	pipeline.SampleState
}

func (s *Server) getSample(w http.ResponseWriter, r *http.Request) {
	lab, run, sample := r.PathValue("lab"), r.PathValue("run"), r.PathValue("sample")
	if !s.checkNames(w, r, lab, run) || !s.checkSample(w, r, sample) || !s.canRead(w, r, lab, noRun(lab, run)) {
		return
	}
	st, ok := s.readRun(w, r, lab, run)
	if !ok {
		return
	}
	smp, ok := st.Samples[sample]
	if !ok {
		s.fail(w, r, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no sample %s in run %s", sample, run))
		return
	}
	out := sampleStatus{Lab: lab, RunID: run, SampleID: sample, SampleState: smp}
	if smp.Status == pipeline.StatusDone || smp.Status == pipeline.StatusFailed {
		out.ReportURL = StatusPath(lab, run) + "/samples/" + sample + "/report"
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) checkSample(w http.ResponseWriter, r *http.Request, sample string) bool {
	if !idName.MatchString(sample) {
		s.fail(w, r, http.StatusBadRequest, CodeInvalidName, fmt.Sprintf("sample %q: %s", sample, idRule))
		return false
	}
	return true
}

// runsAnswer is the answer to GET /api/v1/runs: every run the token may read.
type runsAnswer struct {
	Labs []string            `json:"labs"` // the labs read; every lab's runs for an admin
	Runs []pipeline.RunState `json:"runs"`
}

func (s *Server) listReadableRuns(w http.ResponseWriter, r *http.Request) {
	labs, all := principal(r).ReadableLabs()
	var runs []pipeline.RunState
	if all {
		rs, err := s.runs.ListRuns(r.Context(), "")
		if err != nil {
			s.failDependency(w, r, "list runs", err)
			return
		}
		runs = rs
		labs = []string{}
		for _, rs := range runs {
			if len(labs) == 0 || labs[len(labs)-1] != rs.Lab {
				labs = append(labs, rs.Lab)
			}
		}
	} else {
		for _, lab := range labs {
			rs, err := s.runs.ListRuns(r.Context(), lab)
			if err != nil {
				s.failDependency(w, r, "list runs of "+lab, err)
				return
			}
			runs = append(runs, rs...)
		}
	}
	if runs == nil {
		runs = []pipeline.RunState{}
	}
	slices.SortFunc(runs, func(a, b pipeline.RunState) int {
		return cmp.Or(strings.Compare(a.Lab, b.Lab), strings.Compare(a.RunID, b.RunID))
	})
	writeJSON(w, http.StatusOK, runsAnswer{Labs: labs, Runs: runs})
}

// Report formats of GET .../report?format=: json (the stored report, byte for byte), fhir
// (HL7 FHIR R4 Genomics Reporting Bundle), html (standalone document, printable on A4) and
// text. Reading json is recorded as report.read, the others as report.download.
var reportFormats = map[string]struct{ contentType, ext string }{
	"json": {"application/json", "json"},
	"fhir": {"application/fhir+json", "fhir.json"},
	"html": {"text/html; charset=utf-8", "html"},
	"text": {"text/plain; charset=utf-8", "txt"},
}

// getReport serves reports/{lab}/{run}/{sample}.json as stored, or rendered in another
// format; with ?version=N the earlier version reports/{lab}/{run}/{sample}/v{N}.json that a
// reanalysis replaced (400 for a malformed N, 404 for one that does not exist). A failed sample's stored document is its failure; it is served as JSON, and the
// other formats answer 409 sample_failed with its reason.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	lab, run, sample := r.PathValue("lab"), r.PathValue("run"), r.PathValue("sample")
	if !s.checkNames(w, r, lab, run) || !s.checkSample(w, r, sample) || !s.canRead(w, r, lab, noRun(lab, run)) {
		return
	}
	format := cmp.Or(r.URL.Query().Get("format"), "json")
	f, ok := reportFormats[format]
	if !ok || (format == "html" && s.html == nil) {
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("format %q: want json, fhir, html or text", format))
		return
	}
	version, ok := s.reportVersion(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	key := pipeline.ReportKey(lab, run, sample)
	if version > 0 {
		key = pipeline.ReportVersionKey(lab, run, sample, version)
	}
	rc, err := s.objects.Get(ctx, key)
	if errors.Is(err, store.ErrNotExist) {
		if version > 0 {
			s.fail(w, r, http.StatusNotFound, CodeNotFound,
				fmt.Sprintf("no version %d of the report of sample %s in run %s (GET .../versions lists them)", version, sample, run))
			return
		}
		s.reportAbsent(w, r, lab, run, sample)
		return
	}
	if err != nil {
		s.failDependency(w, r, "read "+key, err)
		return
	}
	rep, failure, raw, err := report.ReadStored(rc)
	rc.Close()
	if err != nil {
		s.failDependency(w, r, "read "+key, err)
		return
	}
	var body bytes.Buffer
	if format == "json" {
		body.Write(raw)
	} else {
		if failure != nil {
			s.fail(w, r, http.StatusConflict, CodeSampleFailed,
				fmt.Sprintf("sample %s failed (%s): %s", sample, failure.Error.Kind, failure.Error.Message))
			return
		}
		switch format {
		case "text":
			err = report.WriteText(&body, rep)
		case "fhir":
			err = fhir.Write(&body, rep)
		case "html":
			err = s.html(&body, rep, language(r))
		}
		if err != nil {
			s.failDependency(w, r, "render "+key+" as "+format, err)
			return
		}
	}
	action := audit.ActionReportDownload
	if format == "json" {
		action = audit.ActionReportRead
	}
	ev := audit.Event{Action: action, Lab: lab, Run: run, Sample: sample, Format: format, Target: r.URL.Path}
	if version > 0 {
		ev.Detail = "earlier version " + strconv.Itoa(version)
	}
	if err := s.record(r, ev); err != nil {
		s.auditDown(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	if format == "html" && s.htmlCSP != "" {
		w.Header().Set("Content-Security-Policy", s.htmlCSP)
	}
	if version > 0 {
		w.Header().Set("X-Precis-Report-Version", strconv.Itoa(version))
	}
	if format != "json" {
		name := sample
		if version > 0 {
			name += "_v" + strconv.Itoa(version)
		}
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s_%s_%s.%s"`, lab, run, name, f.ext))
	}
	if _, err := w.Write(body.Bytes()); err != nil {
		// The status line is gone; all that is left is to say so in the log.
		s.log.ErrorContext(ctx, "send report", "key", key, "err", err)
	}
}

// language picks the web language of an HTML rendering: ?lang=sv|en, else Swedish when
// Accept-Language ranks it above English, else English.
func language(r *http.Request) string {
	switch l := r.URL.Query().Get("lang"); l {
	case "sv", "en":
		return l
	}
	best, bestQ := "en", -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				continue
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == "sv" || base == "en") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// reportAbsent tells an unknown run (or sample) from a report not written yet.
func (s *Server) reportAbsent(w http.ResponseWriter, r *http.Request, lab, run, sample string) {
	st, ok := s.readRun(w, r, lab, run)
	if !ok {
		return
	}
	if len(st.Samples) > 0 {
		smp, ok := st.Samples[sample]
		if !ok {
			s.fail(w, r, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no sample %s in run %s", sample, run))
			return
		}
		s.fail(w, r, http.StatusNotFound, CodeNotReady,
			fmt.Sprintf("report of sample %s is not ready (status %s)", sample, smp.Status))
		return
	}
	s.fail(w, r, http.StatusNotFound, CodeNotReady,
		fmt.Sprintf("report of sample %s is not ready (run status %s)", sample, st.Status))
}
