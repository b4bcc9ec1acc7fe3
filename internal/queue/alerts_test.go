package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/pipeline"
)

func publishAlert(t *testing.T, q *Queue, lab, sample string) {
	t.Helper()
	score := 1.0
	b, err := json.Marshal(pipeline.PGxAlert{SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: "r1", SampleID: sample, Gene: "DPYD",
		Phenotype: "Intermediate Metabolizer", ActivityScore: &score, Severity: "high",
		Message: "reduce the starting dose by 50%", ReportKey: "reports/" + lab + "/r1/" + sample + ".json"})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.PublishEvent(context.Background(), pipeline.SubjectAlertPGx(lab), "alert:"+lab+":"+sample, b); err != nil {
		t.Fatal(err)
	}
}

func samples(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Lab+"/"+a.SampleID)
	}
	return out
}

func TestAlerts(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, testConfig())
	for i := range 3 {
		publishAlert(t, q, "lab-a", fmt.Sprintf("A%d", i))
		publishAlert(t, q, "lab-b", fmt.Sprintf("B%d", i))
	}
	// A report.ready event on the same stream is not an alert.
	if err := q.PublishEvent(ctx, pipeline.SubjectReportReady("lab-a"), "ready:x", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		labs  []string
		all   bool
		since time.Time
		limit int
		want  []string
	}{
		{"one lab", []string{"lab-a"}, false, time.Time{}, 0, []string{"lab-a/A0", "lab-a/A1", "lab-a/A2"}},
		{"limit keeps the newest", []string{"lab-a"}, false, time.Time{}, 2, []string{"lab-a/A1", "lab-a/A2"}},
		{"two labs", []string{"lab-a", "lab-b"}, false, time.Time{}, 0, []string{"lab-a/A0", "lab-b/B0", "lab-a/A1", "lab-b/B1", "lab-a/A2", "lab-b/B2"}},
		{"all", nil, true, time.Time{}, 4, []string{"lab-a/A1", "lab-b/B1", "lab-a/A2", "lab-b/B2"}},
		{"no labs", nil, false, time.Time{}, 0, nil},
		{"unknown lab", []string{"lab-z"}, false, time.Time{}, 0, nil},
		{"since the future", []string{"lab-a"}, false, time.Now().Add(time.Hour), 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := q.Alerts(ctx, tc.labs, tc.all, tc.since, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(samples(got), tc.want) {
				t.Errorf("got %v, want %v", samples(got), tc.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Seq <= got[i-1].Seq {
					t.Errorf("sequences not increasing: %d then %d", got[i-1].Seq, got[i].Seq)
				}
			}
		})
	}
	if _, err := q.Alerts(ctx, []string{"lab.a"}, false, time.Time{}, 0); err == nil {
		t.Error("a lab id with a dot (a subject wildcard risk) was accepted")
	}
}

func TestWatchAlerts(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	publishAlert(t, q, "lab-a", "OLD") // before the watch: not delivered live
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := q.WatchAlerts(ctx, []string{"lab-a"}, false)
	if err != nil {
		t.Fatal(err)
	}
	publishAlert(t, q, "lab-b", "OTHER")
	publishAlert(t, q, "lab-a", "NEW")
	select {
	case a := <-ch:
		if a.SampleID != "NEW" || a.Lab != "lab-a" || a.Seq == 0 {
			t.Errorf("got %+v, want lab-a's NEW", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no live alert after 10s")
	}
	cancel()
	for range ch { // closed once the watch has stopped
	}
}
