package ingest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/precis-dx/precis/internal/metrics"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
)

// submitted records the runs a bucket notification submits.
type submitted struct {
	Runs
	runs []string
}

func (s *submitted) SubmitRun(_ context.Context, lab, runID string, body []byte) error {
	var sub pipeline.RunSubmitted
	if err := pipeline.Decode(body, &sub); err != nil {
		return err
	}
	s.runs = append(s.runs, lab+"/"+runID+" via "+sub.Via)
	return nil
}

// TestHandleS3Event: MinIO's notification for runs/{lab}/{run}/manifest.json (keys URL-encoded,
// as S3 writes them) submits the run; uploads of VCFs and other keys do not.
func TestHandleS3Event(t *testing.T) {
	tests := []struct {
		name, event string
		want        []string
	}{
		{"manifest", `{"EventName":"s3:ObjectCreated:Put","Key":"precis/runs/lab-1/run-7/manifest.json","Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"object":{"key":"runs%2Flab-1%2Frun-7%2Fmanifest.json"}}}]}`, []string{"lab-1/run-7 via s3"}},
		{"a VCF", `{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"object":{"key":"runs%2Flab-1%2Frun-7%2FS1.vcf.gz"}}}]}`, nil},
		{"a deletion", `{"Records":[{"eventName":"s3:ObjectRemoved:Delete","s3":{"object":{"key":"runs%2Flab-1%2Frun-7%2Fmanifest.json"}}}]}`, nil},
		{"a deeper key", `{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"object":{"key":"runs%2Flab-1%2Frun-7%2Fx%2Fmanifest.json"}}}]}`, nil},
		{"a report", `{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"object":{"key":"reports%2Flab-1%2Frun-7%2FS1.json"}}}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := &submitted{}
			in := &Ingest{Runs: runs, Metrics: metrics.New(prometheus.NewRegistry(), nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if err := in.HandleS3Event(context.Background(), queue.Msg{Data: []byte(tt.event)}); err != nil {
				t.Fatal(err)
			}
			if len(runs.runs) != len(tt.want) || (len(tt.want) > 0 && runs.runs[0] != tt.want[0]) {
				t.Errorf("submitted %v, want %v", runs.runs, tt.want)
			}
		})
	}
	in := &Ingest{Runs: &submitted{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := in.HandleS3Event(context.Background(), queue.Msg{Data: []byte("not json")}); err == nil {
		t.Error("a malformed notification was accepted")
	}
}
