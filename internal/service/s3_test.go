package service

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/notification"

	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/service/servicetest"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/waittest"
)

// s3World is an embedded NATS server (streams created) and a MinIO server the test owns,
// configured to publish bucket notifications to NATS JetStream (target PRECIS).
type s3World struct {
	nats  *queue.Embedded
	minio *servicetest.MinIO
}

func newS3World(t *testing.T) *s3World {
	t.Helper()
	servicetest.MinIOBin(t) // skip or fail early when MinIO is not installed
	e, err := queue.StartEmbedded(filepath.Join(t.TempDir(), "nats"), queue.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	// The PRECIS_S3 stream must exist before MinIO starts publishing into it.
	q, err := queue.Connect(context.Background(), e.URL(), queue.DefaultConfig(), testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	user, password := e.Credentials() // the embedded server requires them (README, S3 bucket notifications)
	m := servicetest.StartMinIO(t,
		"MINIO_NOTIFY_NATS_ENABLE_PRECIS=on",
		"MINIO_NOTIFY_NATS_ADDRESS_PRECIS="+e.Addr(),
		"MINIO_NOTIFY_NATS_USERNAME_PRECIS="+user,
		"MINIO_NOTIFY_NATS_PASSWORD_PRECIS="+password,
		"MINIO_NOTIFY_NATS_SUBJECT_PRECIS=precis.s3.events",
		"MINIO_NOTIFY_NATS_JETSTREAM_PRECIS=on",
	)
	return &s3World{nats: e, minio: m}
}

func (w *s3World) config(bucket string) Config {
	return Config{NATSURL: w.nats.URL(), S3: store.S3Config{Endpoint: w.minio.Addr, Bucket: bucket, AccessKey: servicetest.User, SecretKey: servicetest.Password}}
}

// TestS3Notification: a lab uploads a run with any S3 tool (here minio-go), manifest last;
// MinIO's bucket notification reaches NATS and the run is processed by itself. The reports
// match `precis annotate` on the same files.
func TestS3Notification(t *testing.T) {
	w := newS3World(t)
	cfg := w.config("precis-notify")
	cfg.Workers, cfg.Ingest = 2, true
	s := start(t, cfg)

	ctx := context.Background()
	mc, err := minio.New(w.minio.Addr, &minio.Options{Creds: credentials.NewStaticV4(servicetest.User, servicetest.Password, "")})
	if err != nil {
		t.Fatal(err)
	}
	rule := notification.NewConfig(notification.NewArn("minio", "sqs", "", "PRECIS", "nats"))
	rule.AddEvents(notification.ObjectCreatedAll)
	rule.AddFilterSuffix("manifest.json")
	var nc notification.Configuration
	nc.AddQueue(rule)
	if err := mc.SetBucketNotification(ctx, "precis-notify", nc); err != nil {
		t.Fatalf("bucket notification: %v\n%s", err, w.minio.Out.String())
	}
	vcfs := map[string]string{
		"N1": data(t, "pgx/pharmcat/tests/DPYD_c557c703.vcf"),
		"N2": filepath.Join("..", "..", "testdata", "example.vcf"),
	}
	dir := runDir(t, "lab-s3", "run-s3", vcfs)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "manifest.json" {
			continue
		}
		if _, err := mc.FPutObject(ctx, "precis-notify", "runs/lab-s3/run-s3/"+e.Name(), filepath.Join(dir, e.Name()), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := mc.FPutObject(ctx, "precis-notify", "runs/lab-s3/run-s3/manifest.json", filepath.Join(dir, "manifest.json"), minio.PutObjectOptions{ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	st := waitRun(t, s, "lab-s3", "run-s3", time.Minute)
	if st.Status != "done" {
		t.Fatalf("run: %+v", st)
	}
	for id, path := range vcfs {
		sameResult(t, getReport(t, s, "lab-s3", "run-s3", id), cliReport(t, path))
	}
}

// TestMinIOOutage: MinIO stopped for a while during a run, then restarted: the jobs that
// failed to read or write are retried, and the run finishes.
func TestMinIOOutage(t *testing.T) {
	w := newS3World(t)
	cfg := w.config("precis-outage")
	cfg.Workers, cfg.Ingest = 1, true
	cfg.Queue.MaxDeliver = 50
	s := start(t, cfg)
	submitRun(t, s, "lab-o", "run-out", copies("O", 12, data(t, "pgx/pharmcat/tests/100samples.vcf.bgz")))
	// Stop MinIO once the first report is stored: the jobs after it meet the outage.
	if !waittest.Poll(time.Minute, func() bool { return anyDone(s, "lab-o", "run-out") }) {
		t.Fatal("no sample finished before the outage")
	}
	w.minio.Kill()
	// MinIO comes back once a job has met the outage (a sample delivered again), not after
	// a fixed time that a slow machine might spend before any job reached the store.
	if !waittest.Poll(time.Minute, func() bool { return anyRetried(s, "lab-o", "run-out") }) {
		t.Fatal("no job met the outage within a minute")
	}
	if err := w.minio.Start(); err != nil {
		t.Fatalf("restart MinIO: %v", err)
	}
	st := waitRun(t, s, "lab-o", "run-out", 2*time.Minute)
	if st.Status != "done" {
		t.Fatalf("run after the outage: %+v", st)
	}
	retried := 0
	for _, ss := range st.Samples {
		if ss.Attempts > 1 {
			retried++
		}
	}
	t.Logf("%d of %d samples needed more than one attempt", retried, len(st.Samples))
	if retried == 0 {
		t.Error("no job met the outage: the test did not test what it says")
	}
}

// anyRetried reports whether a sample of the run is on its second delivery or later.
func anyRetried(s *Service, lab, run string) bool {
	st, err := s.Queue.GetRun(context.Background(), lab, run)
	if err != nil {
		return false
	}
	for _, ss := range st.Samples {
		if ss.Attempts > 1 {
			return true
		}
	}
	return false
}

func anyDone(s *Service, lab, run string) bool {
	st, err := s.Queue.GetRun(context.Background(), lab, run)
	if err != nil {
		return false
	}
	for _, ss := range st.Samples {
		if ss.Status == "done" {
			return true
		}
	}
	return false
}
