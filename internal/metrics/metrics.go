// Package metrics defines the Prometheus metrics of the pipeline service, all prefixed
// precis_, registered on a registry the caller owns (no global registry).
package metrics

import "github.com/prometheus/client_golang/prometheus"

// Stages of a job, for precis_job_stage_seconds.
const (
	StageFetch    = "fetch"    // open the VCF in the object store
	StageAnnotate = "annotate" // stream, filter, annotate (reading the object happens here)
	StageStore    = "store"    // write the report and publish its events
)

// Metrics of the workers and the ingest. Safe for concurrent use.
type Metrics struct {
	JobsStarted   prometheus.Counter
	JobsSucceeded prometheus.Counter
	JobsFailed    *prometheus.CounterVec // label reason: invalid-input, genome-build, missing-input, transient
	JobDuration   prometheus.Histogram
	StageDuration *prometheus.HistogramVec // label stage
	BytesRead     prometheus.Counter
	Redeliveries  prometheus.Counter
	RunsIngested  *prometheus.CounterVec // label outcome: accepted, rejected
	// Reanalyses counts stored reports re-evaluated with a newer knowledge base, by outcome:
	// major (at least one major change), minor (minor changes only), unchanged. Its rate is
	// the reports re-evaluated per minute.
	Reanalyses *prometheus.CounterVec
}

// New creates the metrics and registers them on reg. pending, when not nil, is called at
// scrape time for precis_queue_pending (jobs waiting or in hand).
func New(reg prometheus.Registerer, pending func() float64) *Metrics {
	m := &Metrics{
		JobsStarted:   prometheus.NewCounter(prometheus.CounterOpts{Name: "precis_jobs_started_total", Help: "Sample jobs a worker started (redeliveries included)."}),
		JobsSucceeded: prometheus.NewCounter(prometheus.CounterOpts{Name: "precis_jobs_succeeded_total", Help: "Sample jobs whose report was stored."}),
		JobsFailed:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "precis_jobs_failed_total", Help: "Sample job attempts that failed, by reason."}, []string{"reason"}),
		JobDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "precis_job_duration_seconds", Help: "Wall time of one sample job.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		StageDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "precis_job_stage_seconds", Help: "Wall time of each stage of a sample job.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"stage"}),
		BytesRead:    prometheus.NewCounter(prometheus.CounterOpts{Name: "precis_bytes_read_total", Help: "Bytes of VCF read from the object store."}),
		Redeliveries: prometheus.NewCounter(prometheus.CounterOpts{Name: "precis_redeliveries_total", Help: "Jobs delivered more than once (a worker died, timed out or asked for a retry)."}),
		RunsIngested: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "precis_runs_ingested_total", Help: "Runs whose manifest was read, by outcome."}, []string{"outcome"}),
		Reanalyses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "precis_reanalyses_total",
			Help: "Stored reports re-evaluated with a newer knowledge base, by outcome (major, minor, unchanged)."}, []string{"outcome"}),
	}
	reg.MustRegister(m.JobsStarted, m.JobsSucceeded, m.JobsFailed, m.JobDuration, m.StageDuration, m.BytesRead, m.Redeliveries, m.RunsIngested, m.Reanalyses)
	if pending != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "precis_queue_pending", Help: "Sample jobs waiting in the queue or in hand."}, pending))
	}
	return m
}
