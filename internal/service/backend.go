package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/web"
)

// webBackend is what the web pages read: runs and alerts from the queue, reports from the
// object store. Access is decided by the pages, per request, from the signed-in principal.
type webBackend struct {
	*queue.Queue
	objects store.Store
}

// Report reads a sample's stored report. A sample that failed has a failure document in
// its place; that, like a report not written yet, is web.ErrNotFound (the run state says
// why).
func (b webBackend) Report(ctx context.Context, lab, run, sample string) (*report.Report, error) {
	key := pipeline.ReportKey(lab, run, sample)
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
