package pipeline

import "time"

// Run and sample statuses.
const (
	StatusSubmitted  = "submitted"
	StatusProcessing = "processing"
	StatusDone       = "done"
	StatusFailed     = "failed"
	StatusRejected   = "rejected" // run only: the manifest was refused
)

// RunState is a run's record in the state store (package queue keeps it in the KV bucket
// precis_state: the run under run.{lab}.{run_id}, each sample's state under its own key
// sample.{lab}.{run_id}.{sample}, written only by the worker holding its job, and laid over
// the run when it is read: nats-server 2.9 lets two compare-and-set writes of one key both
// through, so the samples of one run are never written through one key). A plain value:
// copies are independent apart from the Samples map, which is shared and not safe for
// concurrent mutation.
type RunState struct {
	Lab    string `json:"lab"`
	RunID  string `json:"run_id"`
	Status string `json:"status"`           // submitted, processing, done, failed or rejected
	Reason string `json:"reason,omitempty"` // why failed or rejected
	// GenomeBuild is the manifest's genome_build (GRCh38 or GRCh37), once ingest has read it.
	GenomeBuild string `json:"genome_build,omitempty"`
	// Samples by sample id.
	Samples map[string]SampleState `json:"samples,omitempty"`
	Updated time.Time              `json:"updated"`
}

// SampleState is one sample's progress. A plain value.
type SampleState struct {
	Status   string    `json:"status"` // submitted, processing, done or failed
	Reason   string    `json:"reason,omitempty"`
	Report   string    `json:"report,omitempty"` // object key of the report
	Attempts int       `json:"attempts"`
	Updated  time.Time `json:"updated"`
}

// Rollup derives a run's status from its samples: processing once any sample started,
// done when every sample is done, failed when every sample is final and one failed. A
// rejected run stays rejected; a run without samples keeps its status.
func Rollup(rs RunState) string {
	if rs.Status == StatusRejected || len(rs.Samples) == 0 {
		return rs.Status
	}
	final, failed, started := 0, false, false
	for _, s := range rs.Samples {
		switch s.Status {
		case StatusDone:
			final++
		case StatusFailed:
			final++
			failed = true
		case StatusProcessing:
			started = true
		}
	}
	switch {
	case final == len(rs.Samples) && failed:
		return StatusFailed
	case final == len(rs.Samples):
		return StatusDone
	case started || final > 0:
		return StatusProcessing
	}
	return StatusSubmitted
}
