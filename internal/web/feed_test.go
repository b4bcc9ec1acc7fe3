package web

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue/queuetest"
)

// TestQueueFeed reads PGx and reclassification alerts back from a real PRECIS_EVENTS (an
// embedded NATS server), stored and live, in stream order and per lab.
func TestQueueFeed(t *testing.T) {
	q, _ := queuetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed := QueueFeed{Queue: q}
	publish := func(subject, id string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.PublishEvent(ctx, subject, id, b); err != nil {
			t.Fatal(err)
		}
	}
	pgxA := newAlert(labA, "A-1", "dose").PGxAlert
	pgxA.ReportKey = pipeline.ReportKey(labA, runA, "A-1")
	publish(pipeline.SubjectAlertPGx(labA), "pgx:1", pgxA)
	publish(pipeline.SubjectAlertReclassified(labA), "re:1", reclassAlert(labA, runA, "DEMO-0001"))
	publish(pipeline.SubjectAlertReclassified(labB), "re:2", reclassAlert(labB, runB, "Sample_1"))

	got, err := feed.AlertEvents(ctx, []string{labA}, false, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PGx == nil || got[0].PGx.SampleID != "A-1" || got[1].Reclassified == nil ||
		got[1].Reclassified.SampleID != "DEMO-0001" || got[0].Seq >= got[1].Seq || got[1].Time.IsZero() {
		t.Fatalf("lab A's alerts: %+v", got)
	}
	all, err := feed.AlertEvents(ctx, nil, true, time.Time{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[1].Reclassified == nil || all[1].Reclassified.Lab != labB {
		t.Errorf("every lab's newest 2: %+v", all)
	}
	if none, err := feed.AlertEvents(ctx, nil, false, time.Time{}, 0); err != nil || len(none) != 0 {
		t.Errorf("no labs: %v %v", none, err)
	}
	if _, err := feed.AlertEvents(ctx, []string{"a.b"}, false, time.Time{}, 0); err == nil {
		t.Error("a lab that is no id was accepted")
	}

	wctx, wcancel := context.WithCancel(ctx)
	live, err := feed.WatchAlertEvents(wctx, []string{labA}, false)
	if err != nil {
		t.Fatal(err)
	}
	// The watch has what is published after it started: lab A's, of both kinds, in order.
	publish(pipeline.SubjectAlertReclassified(labB), "re:3", reclassAlert(labB, runB, "Sample_2"))
	publish(pipeline.SubjectAlertReclassified(labA), "re:4", reclassAlert(labA, runA, "PharmCAT"))
	publish(pipeline.SubjectAlertPGx(labA), "pgx:5", pgxA)
	var kinds []string
	for len(kinds) < 2 {
		select {
		case ev := <-live:
			switch {
			case ev.Reclassified != nil && ev.Reclassified.Lab == labA:
				kinds = append(kinds, "reclassified")
			case ev.PGx != nil && ev.PGx.Lab == labA:
				kinds = append(kinds, "pgx")
			default:
				t.Fatalf("lab B's alert in lab A's feed: %+v", ev)
			}
		case <-ctx.Done():
			t.Fatalf("live feed: got %v", kinds)
		}
	}
	if kinds[0] != "reclassified" || kinds[1] != "pgx" {
		t.Errorf("live order: %v", kinds)
	}
	wcancel()
	for range live { // closed once the watch ends
	}
}
