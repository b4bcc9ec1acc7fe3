package web

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
)

// Reanalyses is what a Backend may also read for issue 15 (a living knowledge base): a
// sample's reanalysis history and the earlier versions of its report. With it the report
// page shows what was reclassified since the report the reader opened, and earlier versions
// (?version=N); without it the page shows the current report only. Safe for concurrent use.
type Reanalyses interface {
	// Changes returns the sample's history (changes/{lab}/{run}/{sample}.json); an error
	// wrapping ErrNotFound when there is none (no reanalysis changed the report).
	Changes(ctx context.Context, lab, run, sample string) (*pipeline.ChangeHistory, error)
	// ReportVersion returns the earlier report n (reports/{lab}/{run}/{sample}/v{n}.json);
	// an error wrapping ErrNotFound when there is none.
	ReportVersion(ctx context.Context, lab, run, sample string, n int) (*report.Report, error)
}

// AlertEvent is one alert of the alerts page: a PGx dose alert or a reclassification (one
// of the two is set), with its PRECIS_EVENTS stream sequence, which both kinds share, and the
// time the stream stored it. A plain value.
type AlertEvent struct {
	Seq          uint64
	Time         time.Time
	PGx          *pipeline.PGxAlert
	Reclassified *pipeline.ReclassifiedAlert
}

// AlertFeed is what a Backend may also do: read PGx alerts and reclassification alerts
// (precis.alert.reclassified.{lab}) together, in stream order, so the alerts page lists both
// and its stream resumes after one sequence. Without it the page shows PGx alerts only
// (Alerts and WatchAlerts). Safe for concurrent use.
type AlertFeed interface {
	// AlertEvents returns the stored alerts of both kinds of labs (every lab's when all) from
	// since on, oldest first, at most the newest limit.
	AlertEvents(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]AlertEvent, error)
	// WatchAlertEvents delivers the alerts of both kinds published from now on, in stream
	// order, until ctx ends, when the channel is closed.
	WatchAlertEvents(ctx context.Context, labs []string, all bool) (<-chan AlertEvent, error)
}

// pgxEvent makes a PGx alert of the queue an AlertEvent.
func pgxEvent(a queue.Alert) AlertEvent {
	p := a.PGxAlert
	return AlertEvent{Seq: a.Seq, Time: a.Time, PGx: &p}
}

// lab returns the lab an alert is of.
func (e AlertEvent) lab() string {
	switch {
	case e.PGx != nil:
		return e.PGx.Lab
	case e.Reclassified != nil:
		return e.Reclassified.Lab
	}
	return ""
}

// storedAlerts reads the alerts page's alerts: both kinds from an AlertFeed, else the PGx
// ones.
func (s *Server) storedAlerts(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]AlertEvent, error) {
	if f, ok := s.b.(AlertFeed); ok {
		return f.AlertEvents(ctx, labs, all, since, limit)
	}
	list, err := s.b.Alerts(ctx, labs, all, since, limit)
	if err != nil {
		return nil, err
	}
	out := make([]AlertEvent, 0, len(list))
	for _, a := range list {
		out = append(out, pgxEvent(a))
	}
	return out, nil
}

// watchAlerts watches the alerts page's alerts: both kinds from an AlertFeed, else the PGx
// ones.
func (s *Server) watchAlerts(ctx context.Context, labs []string, all bool) (<-chan AlertEvent, error) {
	if f, ok := s.b.(AlertFeed); ok {
		return f.WatchAlertEvents(ctx, labs, all)
	}
	live, err := s.b.WatchAlerts(ctx, labs, all)
	if err != nil {
		return nil, err
	}
	out := make(chan AlertEvent)
	go func() {
		defer close(out)
		for a := range live {
			select {
			case out <- pgxEvent(a):
			case <-ctx.Done():
				for range live { // the backend closes live once ctx ends
				}
				return
			}
		}
	}()
	return out, nil
}

// reclassRow is a reclassification alert as the alerts page lists it.
type reclassRow struct {
	*pipeline.ReclassifiedAlert
	ChangesURL string // the report page, where the changes are listed
	Genes      []string
}

// changeRow is one change in the report page's "reclassified since" box.
type changeRow struct {
	pipeline.Change
	Major   bool
	FromURL string // the report version the change is from
	ToURL   string // and the one it is to ("" when that is the version shown)
	FromN   int    // N of FromURL's version
	ToN     int    // N of ToURL's version; 0 the current report
}

// reclassData is the report page's "reclassified since the report you read" box.
type reclassData struct {
	Changes      []changeRow
	Major, Minor int
	Since        int // the version the reader opened; 0: the current report (every change is listed)
}

// versionData is the banner of an earlier version.
type versionData struct {
	N          int
	KB         string    // the knowledge base it was made with, when known
	ReplacedAt time.Time // when a reanalysis replaced it, when known
	CurrentURL string
}

// parseVersion reads ?version=: 0 when absent, else a positive decimal without leading
// zeros of at most 9 digits; ok is false for anything else.
func parseVersion(q url.Values) (n int, ok bool) {
	if !q.Has("version") {
		return 0, true
	}
	v := q.Get("version")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || len(v) > 9 || strconv.Itoa(n) != v {
		return 0, false
	}
	return n, true
}

// versionURL is the report page of version n (0: the current one) in lang.
func versionURL(lab, run, sample string, n int) string {
	u := sampleURL(lab, run, sample)
	if n > 0 {
		u += "?version=" + strconv.Itoa(n)
	}
	return u
}

// newReclassData picks the changes made after version opened (0: the current report, where
// every change is listed, newest reanalysis first) and links each to the two versions it
// lies between. It returns nil when there is none.
func newReclassData(h *pipeline.ChangeHistory, lab, run, sample string, opened int) *reclassData {
	if h == nil || len(h.Changes) == 0 {
		return nil
	}
	// A reanalysis to kb_to replaced version Previous; the report it made is version
	// Previous+1 when another reanalysis replaced that too, else the current one.
	prevOf := map[string]int{}
	replaced := map[int]bool{}
	for _, re := range h.Reanalyses {
		prevOf[re.KBTo] = re.Previous
		replaced[re.Previous] = true
	}
	d := &reclassData{Since: opened}
	for _, c := range h.Changes {
		prev, known := prevOf[c.KBTo]
		if opened > 0 && (!known || prev < opened) {
			continue // made before the version the reader opened
		}
		row := changeRow{Change: c, Major: c.Impact == pipeline.ImpactMajor}
		if known && prev >= 1 {
			row.FromN, row.FromURL = prev, versionURL(lab, run, sample, prev)
			if replaced[prev+1] {
				row.ToN = prev + 1
			}
			row.ToURL = versionURL(lab, run, sample, row.ToN)
		}
		if row.Major {
			d.Major++
		} else {
			d.Minor++
		}
		d.Changes = append(d.Changes, row)
	}
	if len(d.Changes) == 0 {
		return nil
	}
	// Newest first, the major changes of each reanalysis before its minor ones.
	slices.SortStableFunc(d.Changes, func(a, b changeRow) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		switch {
		case a.Major && !b.Major:
			return -1
		case b.Major && !a.Major:
			return 1
		}
		return 0
	})
	return d
}

// newVersionData is the banner of earlier version n.
func newVersionData(h *pipeline.ChangeHistory, lab, run, sample string, n int) *versionData {
	v := &versionData{N: n, CurrentURL: sampleURL(lab, run, sample)}
	if h != nil {
		for _, re := range h.Reanalyses {
			if re.Previous == n {
				v.KB, v.ReplacedAt = re.KBFrom, re.At
			}
		}
	}
	return v
}
