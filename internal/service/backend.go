package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/web"
)

// webBackend is what the web pages read: runs and alerts from the queue, reports, earlier
// report versions and change histories from the object store. Access is decided by the
// pages, per request, from the signed-in principal. Besides web.Backend it is a
// web.Reanalyses and a web.AlertFeed (issue 15).
type webBackend struct {
	*queue.Queue
	objects store.Store
}

var (
	_ web.Backend    = webBackend{}
	_ web.Reanalyses = webBackend{}
	_ web.AlertFeed  = webBackend{}
)

// Report reads a sample's stored report. A sample that failed has a failure document in
// its place; that, like a report not written yet, is web.ErrNotFound (the run state says
// why).
func (b webBackend) Report(ctx context.Context, lab, run, sample string) (*report.Report, error) {
	return b.readReport(ctx, pipeline.ReportKey(lab, run, sample), sample)
}

// ReportVersion reads an earlier report of a sample, one a reanalysis replaced
// (reports/{lab}/{run}/{sample}/v{n}.json); web.ErrNotFound when there is none.
func (b webBackend) ReportVersion(ctx context.Context, lab, run, sample string, n int) (*report.Report, error) {
	return b.readReport(ctx, pipeline.ReportVersionKey(lab, run, sample, n), sample)
}

func (b webBackend) readReport(ctx context.Context, key, sample string) (*report.Report, error) {
	rc, err := b.objects.Get(ctx, key)
	if errors.Is(err, store.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", web.ErrNotFound, key)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	rep, failure, _, err := report.ReadStored(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if failure != nil {
		return nil, fmt.Errorf("%w: sample %s failed", web.ErrNotFound, sample)
	}
	return rep, nil
}

// maxChangesBytes bounds a change history read back.
const maxChangesBytes = 16 << 20

// Changes reads a sample's reanalysis history (changes/{lab}/{run}/{sample}.json);
// web.ErrNotFound when there is none.
func (b webBackend) Changes(ctx context.Context, lab, run, sample string) (*pipeline.ChangeHistory, error) {
	key := pipeline.ChangesKey(lab, run, sample)
	rc, err := b.objects.Get(ctx, key)
	if errors.Is(err, store.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", web.ErrNotFound, key)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var h pipeline.ChangeHistory
	if err := json.NewDecoder(io.LimitReader(rc, maxChangesBytes)).Decode(&h); err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return &h, nil
}

// AlertEvents and WatchAlertEvents read both kinds of alerts from the queue (web.QueueFeed).
func (b webBackend) AlertEvents(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]web.AlertEvent, error) {
	return web.QueueFeed{Queue: b.Queue}.AlertEvents(ctx, labs, all, since, limit)
}

func (b webBackend) WatchAlertEvents(ctx context.Context, labs []string, all bool) (<-chan web.AlertEvent, error) {
	return web.QueueFeed{Queue: b.Queue}.WatchAlertEvents(ctx, labs, all)
}
