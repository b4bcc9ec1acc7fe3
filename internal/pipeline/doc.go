// Package pipeline is the contract between Precis's roles: what every package that stores,
// carries or reads a run's work agrees on, and nothing else. It holds
//
//   - the ids and object keys: RunPrefix, ManifestKey, RunFileKey and ReportKey build keys,
//     ParseKey is the one parser of them (strict: every id follows IDPattern);
//   - the NATS subjects (SubjectRunSubmitted, SubjectJob, SubjectReportReady,
//     SubjectAlertPGx, SubjectDead, SubjectS3Events, SubjectAudit);
//   - the message bodies (RunSubmitted, Job, ReportReady, PGxAlert, Dead) and Decode, which
//     checks a body against schemas/messages.schema.json;
//   - run and sample state (RunState, SampleState, the Status values and Rollup);
//   - the error kinds (Kind, Error, KindOf) by which every edge decides what a failure means.
//
// It imports no other package of the project: it is the leaf that manifest, store, queue,
// ingest, api, web, webhook, workers/annotator, cmd/precis and the benchmarks harness
// depend on. Transport (JetStream streams, consumers, the KV bucket) stays in package
// queue, object storage in package store.
//
// # Error kinds
//
// A package gives its sentinel errors a kind by declaring them with New (or wraps what it
// returns in an *Error at its boundary, as the object store does for network failures), and
// each edge switches on KindOf once:
//
//	kind        queue (decide)                 API (dependency failure)   CLI exit code
//	Invalid     dead-letter at once            500                        3 (2 for annotate.ErrUsage)
//	Build       dead-letter at once            500                        4
//	Permanent   dead-letter at once            500                        1
//	NotExist    retry until MaxDeliver         500                        1
//	Conflict    retry until MaxDeliver         500                        1
//	Transient   retry until MaxDeliver         503                        1
//	Other       retry until MaxDeliver         500                        1
//
// The rule for an error no package gave a kind (Other): it is treated as one that may pass.
// A job queue retries it a bounded number of times (MaxDeliver), then dead-letters it; an
// HTTP edge answers 500, not 503, because nobody knows that retrying helps; store.IsTransient
// is false for it. Only Invalid, Build and Permanent are final (Kind.Final), because only
// for them do we know that no retry can change the answer. context.DeadlineExceeded is the
// one foreign error with a kind: Transient.
//
// The API answers most refusals (a bad name, a missing run) itself, before any dependency is
// called; the table above is for the errors of the object store and the queue.
package pipeline
