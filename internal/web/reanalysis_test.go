package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/waittest"
)

const (
	kbOld = "2024.12-0123456789"
	kbMid = "2025.06-abcdefabcd"
	kbNew = "2026.02-4339bdbf29"
)

// reanaBackend is the fixture's backend with reanalysis histories, earlier report versions
// and reclassification alerts (Reanalyses and AlertFeed).
type reanaBackend struct {
	*fakeBackend
	mu        sync.Mutex
	histories map[string]*pipeline.ChangeHistory // lab/run/sample
	versions  map[string]*report.Report          // lab/run/sample/vN
	reclass   []AlertEvent                       // stored reclassification alerts
	feedSubs  map[chan AlertEvent]fakeSub
	changeErr error
}

func newReanaBackend(f *fakeBackend) *reanaBackend {
	return &reanaBackend{fakeBackend: f, histories: map[string]*pipeline.ChangeHistory{},
		versions: map[string]*report.Report{}, feedSubs: map[chan AlertEvent]fakeSub{}}
}

func (b *reanaBackend) Changes(ctx context.Context, lab, run, sample string) (*pipeline.ChangeHistory, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changeErr != nil {
		return nil, b.changeErr
	}
	h, ok := b.histories[lab+"/"+run+"/"+sample]
	if !ok {
		return nil, fmt.Errorf("changes/%s/%s/%s.json: %w", lab, run, sample, ErrNotFound)
	}
	return h, nil
}

func (b *reanaBackend) ReportVersion(ctx context.Context, lab, run, sample string, n int) (*report.Report, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.versions[fmt.Sprintf("%s/%s/%s/v%d", lab, run, sample, n)]
	if !ok {
		return nil, fmt.Errorf("v%d: %w", n, ErrNotFound)
	}
	return r, nil
}

func (b *reanaBackend) AlertEvents(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]AlertEvent, error) {
	pgx, err := b.Alerts(ctx, labs, all, since, 0)
	if err != nil {
		return nil, err
	}
	var out []AlertEvent
	for _, a := range pgx {
		out = append(out, pgxEvent(a))
	}
	b.mu.Lock()
	for _, e := range b.reclass {
		if all || slices.Contains(labs, e.lab()) {
			out = append(out, e)
		}
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(x, y AlertEvent) int { return int(x.Seq) - int(y.Seq) })
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

func (b *reanaBackend) WatchAlertEvents(ctx context.Context, labs []string, all bool) (<-chan AlertEvent, error) {
	ch := make(chan AlertEvent, 16)
	b.mu.Lock()
	b.feedSubs[ch] = fakeSub{labs: slices.Clone(labs), all: all}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.feedSubs, ch)
		close(ch)
		b.mu.Unlock()
	}()
	return ch, nil
}

func (b *reanaBackend) feedWatchers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.feedSubs)
}

// publishReclass stores a reclassification alert with the next stream sequence and hands it
// to the watchers of its lab.
func (b *reanaBackend) publishReclass(ra pipeline.ReclassifiedAlert) AlertEvent {
	b.fakeBackend.mu.Lock()
	b.fakeBackend.seq++
	e := AlertEvent{Seq: b.fakeBackend.seq, Time: b.fakeBackend.now.Add(time.Hour), Reclassified: &ra}
	b.fakeBackend.mu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reclass = append(b.reclass, e)
	for ch, s := range b.feedSubs {
		if s.all || slices.Contains(s.labs, ra.Lab) {
			ch <- e
		}
	}
	return e
}

// reanaEnv is newEnv over a reanaBackend: DEMO-0001 of lab A was reanalysed twice (v1 made
// with kbOld, v2 with kbMid, the current report with kbNew), Sample_1 of lab B once.
func reanaEnv(t *testing.T) (*env, *reanaBackend) {
	t.Helper()
	e := newEnv(t, Options{})
	b := newReanaBackend(e.b)
	t1 := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	ch := func(gene, hgvs, from, to, impact, kbFrom, kbTo string, at time.Time) pipeline.Change {
		return pipeline.Change{SampleID: "DEMO-0001", Gene: gene, HGVSc: hgvs, From: from, To: to, Impact: impact,
			KBFrom: kbFrom, KBTo: kbTo, At: at, What: "classification", Reason: "rule"}
	}
	b.histories[labA+"/"+runA+"/DEMO-0001"] = &pipeline.ChangeHistory{SchemaVersion: pipeline.SchemaVersion,
		Lab: labA, RunID: runA, SampleID: "DEMO-0001",
		Reanalyses: []pipeline.Reanalysis{
			{KBFrom: kbOld, KBTo: kbMid, At: t1, Previous: 1, Major: 0, Minor: 1},
			{KBFrom: kbMid, KBTo: kbNew, At: t2, Previous: 2, Major: 1, Minor: 0},
		},
		Changes: []pipeline.Change{
			ch("MLH1", "NM_000249.4:c.1A>G", "pathogenic", "likely_pathogenic", pipeline.ImpactMinor, kbOld, kbMid, t1),
			ch("BRCA2", "NM_000059.4:c.9382C>T", "pathogenic", "conflicting", pipeline.ImpactMajor, kbMid, kbNew, t2),
		}}
	v1 := serviceReport(t, "brca_only.json", "DEMO-0001", labA, runA)
	v1.ReportID = "EARLIER-V1"
	b.versions[labA+"/"+runA+"/DEMO-0001/v1"] = v1
	b.versions[labA+"/"+runA+"/DEMO-0001/v2"] = serviceReport(t, "example.json", "DEMO-0001", labA, runA)
	b.histories[labB+"/"+runB+"/Sample_1"] = &pipeline.ChangeHistory{Lab: labB, RunID: runB, SampleID: "Sample_1",
		Reanalyses: []pipeline.Reanalysis{{KBFrom: kbOld, KBTo: kbNew, At: t2, Previous: 1, Major: 1}},
		Changes:    []pipeline.Change{{SampleID: "Sample_1", Gene: "SECRETGENE", HGVSc: "NM_1:c.1A>T", Impact: pipeline.ImpactMajor, KBFrom: kbOld, KBTo: kbNew, At: t2}}}
	now := e.s.now
	e.s = New(b, e.a, e.rec, Options{Log: e.s.log, Version: "v0.0.0-test"})
	e.s.now = now
	e.h = e.s.Handler()
	return e, b
}

func TestReclassifiedBox(t *testing.T) {
	e, _ := reanaEnv(t)
	page := "/runs/" + labA + "/" + runA + "/samples/DEMO-0001"
	for _, lang := range []string{langEN, langSV} {
		t.Run(lang, func(t *testing.T) {
			c := e.signin(tokClinA)
			body := text(e.page(page+"?lang="+lang, c).Body.String())
			box := section(t, body, `<section class="reclass reclass-major"`)
			for _, want := range []string{
				msg(lang, "reclass.heading"), msgf(lang, "reclass.count", 1, 1), msg(lang, "reclass.intro"),
				esc(msg(lang, "reclass.major.note")), msg(lang, "reclass.major"), msg(lang, "reclass.minor"),
				"BRCA2", esc("NM_000059.4:c.9382C>T"), "pathogenic", "conflicting", kbMid + " &rarr; " + kbNew,
				"MLH1", "likely pathogenic", kbOld + " &rarr; " + kbMid, "2026-03-01 08:00 UTC", "2025-07-01 08:00 UTC",
				// BRCA2 changed from v2 to the current report, MLH1 from v1 to v2.
				`href="` + page + `?version=2"`, `href="` + page + `"`, `href="` + page + `?version=1"`,
				msg(lang, "reclass.current"),
			} {
				if !strings.Contains(box, want) {
					t.Errorf("the box lacks %q:\n%s", want, box)
				}
			}
			// The major change comes first, prominently.
			if i, j := strings.Index(box, "BRCA2"), strings.Index(box, "MLH1"); i < 0 || j < i {
				t.Errorf("the major (newest) change is not listed first")
			}
			if !strings.Contains(box, `class="change change-major" data-impact="major"`) {
				t.Errorf("the major change is not marked major")
			}
			// The box comes before the report.
			if strings.Index(body, "reclass-heading") > strings.Index(body, `class="report"`) {
				t.Error("the box is after the report")
			}
			if strings.Contains(body, "version-banner") {
				t.Error("the current report shows the earlier-version banner")
			}
		})
	}
	// A sample without changes has no box, and another lab's changes never show.
	c := e.signin(tokClinA)
	body := e.page("/runs/"+labA+"/"+runA+"/samples/PharmCAT", c).Body.String()
	if strings.Contains(body, "reclass-heading") {
		t.Error("a sample without changes shows the box")
	}
	if strings.Contains(body, "SECRETGENE") {
		t.Error("another lab's change shows")
	}
}

// section returns the part of body from the element that starts with open to its end.
func section(t *testing.T, body, open string) string {
	t.Helper()
	i := strings.Index(body, open)
	if i < 0 {
		t.Fatalf("page lacks %s", open)
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		t.Fatalf("%s is not closed", open)
	}
	return body[i : i+j]
}

func TestEarlierVersionPage(t *testing.T) {
	e, _ := reanaEnv(t)
	page := "/runs/" + labA + "/" + runA + "/samples/DEMO-0001"
	for _, lang := range []string{langEN, langSV} {
		t.Run(lang, func(t *testing.T) {
			c := e.signin(tokClinA)
			body := text(e.page(page+"?version=1&lang="+lang, c).Body.String())
			for _, want := range []string{
				`class="notice version-banner"`, msgf(lang, "version.banner", 1),
				msgf(lang, "version.replaced", "2025-07-01 08:00 UTC", kbOld), msg(lang, "version.current"),
				`href="` + page + `"`, msg(lang, "reclass.intro.old"),
				// The earlier report itself: brca_only has no DPYD result.
				msg(lang, "pgx.notordered"),
				// The download is of the version shown.
				"version=1",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("version 1 page lacks %q", want)
				}
			}
			// Both reanalyses came after version 1.
			box := section(t, body, `<section class="reclass`)
			if !strings.Contains(box, "BRCA2") || !strings.Contains(box, "MLH1") {
				t.Errorf("version 1 box: %s", box)
			}
		})
	}
	c := e.signin(tokClinA)
	// Version 2: only the reanalysis that replaced it.
	box := section(t, text(e.page(page+"?version=2", c).Body.String()), `<section class="reclass`)
	if !strings.Contains(box, "BRCA2") || strings.Contains(box, "MLH1") {
		t.Errorf("version 2 box: %s", box)
	}
	evs := e.rec.Events()
	if last := evs[len(evs)-1]; last.Action != audit.ActionReportRead || last.Detail != "earlier version 2" {
		t.Errorf("audit: %+v", last)
	}
	for name, tc := range map[string]struct {
		tok, target string
	}{
		"unknown version":       {tokClinA, page + "?version=3"},
		"malformed version":     {tokClinA, page + "?version=x"},
		"zero":                  {tokClinA, page + "?version=0"},
		"leading zero":          {tokClinA, page + "?version=01"},
		"another lab's version": {tokClinB, page + "?version=1"},
	} {
		if w := e.do("GET", tc.target, e.signin(tc.tok), nil); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "BRCA2") {
			t.Errorf("%s: got %d, want 404", name, w.Code)
		}
	}
	// The download of an earlier version.
	w := e.do("GET", page+"?version=1&format=html", c, nil)
	if w.Code != 200 || !strings.Contains(w.Header().Get("Content-Disposition"), "DEMO-0001-v1.html") {
		t.Errorf("download v1: %d %q", w.Code, w.Header().Get("Content-Disposition"))
	}
}

// TestVersionWithoutReanalyses: a backend without Reanalyses has no earlier versions.
func TestVersionWithoutReanalyses(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.signin(tokClinA)
	if w := e.do("GET", "/runs/"+labA+"/"+runA+"/samples/DEMO-0001?version=1", c, nil); w.Code != http.StatusNotFound {
		t.Errorf("got %d, want 404", w.Code)
	}
	if body := e.page("/runs/"+labA+"/"+runA+"/samples/DEMO-0001", c).Body.String(); strings.Contains(body, "reclass") {
		t.Error("box without a history")
	}
}

// TestReclassUnknown: a history that cannot be read leaves the report readable, with a
// notice to check again.
func TestReclassUnknown(t *testing.T) {
	e, b := reanaEnv(t)
	b.changeErr = errors.New("store down")
	for _, lang := range []string{langEN, langSV} {
		body := e.page("/runs/"+labA+"/"+runA+"/samples/DEMO-0001?lang="+lang, e.signin(tokClinA)).Body.String()
		if !strings.Contains(body, msg(lang, "reclass.unavailable")) || !strings.Contains(body, `class="report"`) {
			t.Errorf("%s: no notice, or no report", lang)
		}
	}
}

func reclassAlert(lab, run, sample string) pipeline.ReclassifiedAlert {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	return pipeline.ReclassifiedAlert{SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: sample,
		ReportKey: pipeline.ReportKey(lab, run, sample), KBFrom: kbOld, KBTo: kbNew, Previous: 1, At: at,
		Changes: []pipeline.Change{{SampleID: sample, Gene: "BRCA2", HGVSc: "NM_000059.4:c.9382C>T", From: "pathogenic",
			To: "conflicting", Impact: pipeline.ImpactMajor, KBFrom: kbOld, KBTo: kbNew, At: at, What: "classification"}}}
}

func TestAlertsPageReclassified(t *testing.T) {
	e, b := reanaEnv(t)
	ra := b.publishReclass(reclassAlert(labA, runA, "DEMO-0001"))
	b.publishReclass(reclassAlert(labB, runB, "Sample_1"))
	for _, lang := range []string{langEN, langSV} {
		body := text(e.do("GET", "/alerts?lang="+lang, e.signin(tokClinA), nil).Body.String())
		row := fmt.Sprintf(`id="alert-%d"`, ra.Seq)
		for _, want := range []string{row, `data-kind="reclassified"`, msg(lang, "alerts.reclassified"),
			msgf(lang, "alerts.reclass.message", 1, kbOld, kbNew), "BRCA2", "pathogenic &rarr; conflicting",
			`href="/runs/` + labA + `/` + runA + `/samples/DEMO-0001"`, msg(lang, "alerts.title"),
			// The PGx alerts are still there.
			`data-kind="pgx"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: alerts page lacks %q", lang, want)
			}
		}
		if strings.Contains(body, "Sample_1") {
			t.Errorf("%s: clinician A sees lab B's reclassification", lang)
		}
		// Newest first: the reclassification (the newest alert) leads.
		if i := strings.Index(body, `class="alert-row`); i < 0 || !strings.HasPrefix(body[i:], `class="alert-row reclass-row`) {
			t.Errorf("%s: the newest alert is not first", lang)
		}
		if !strings.Contains(body, fmt.Sprintf("after=%d&amp;", ra.Seq)) {
			t.Errorf("%s: the stream does not continue after lab A's newest alert %d", lang, ra.Seq)
		}
	}
}

func TestAlertStreamReclassified(t *testing.T) {
	e, b := reanaEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, _ := openStream(t, ctx, srv.URL+"/alerts/events?lang=sv", e.signin(tokClinA))
	if !waittest.Poll(5*time.Second, func() bool { return b.feedWatchers() >= 1 }) {
		t.Fatal("the stream does not watch the alert feed")
	}
	b.publishReclass(reclassAlert(labB, runB, "Sample_1"))
	ra := b.publishReclass(reclassAlert(labA, runA, "DEMO-0001"))
	ev := next(t, events)
	if ev.event != "alert" || ev.id != fmt.Sprint(ra.Seq) {
		t.Fatalf("got %q id %q, want alert %d", ev.event, ev.id, ra.Seq)
	}
	for _, want := range []string{"Omklassificerad", "is-new", "BRCA2", `data-kind="reclassified"`} {
		if !strings.Contains(ev.data, want) {
			t.Errorf("event lacks %q: %s", want, ev.data)
		}
	}
	// A reconnecting stream catches up on both kinds after its Last-Event-ID.
	cancel()
	if !waittest.Poll(5*time.Second, func() bool { return b.feedWatchers() == 0 }) {
		t.Fatal("the stream did not stop watching")
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	events2, _ := openStream(t, ctx2, srv.URL+"/alerts/events", e.signin(tokClinA), "Last-Event-ID", "0")
	seen := map[string]bool{}
	for len(seen) < 2 {
		ev := next(t, events2)
		switch {
		case strings.Contains(ev.data, `data-kind="reclassified"`):
			seen["reclassified"] = true
		case strings.Contains(ev.data, `data-kind="pgx"`):
			seen["pgx"] = true
		}
		if strings.Contains(ev.data, "Sample_1") {
			t.Error("lab B's alert in lab A's stream")
		}
	}
}
