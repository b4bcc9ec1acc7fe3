// Package pipeline is the contract between Precis's roles: what every package that stores,
// carries or reads a run's work agrees on, and nothing else. It holds
//
//   - the ids and object keys: RunPrefix, ManifestKey, RunFileKey, ReportKey,
//     ReportVersionKey (earlier reports, v{N}.json), ChangesKey (a sample's reanalyses) and
//     KBFileKey (a published knowledge base) build keys, ParseKey is the one parser of them
//     (strict: every id follows IDPattern, every knowledge-base version KBVersionPattern);
//   - the NATS subjects (SubjectRunSubmitted, SubjectJob, SubjectReanalyse,
//     SubjectReportReady, SubjectAlertPGx, SubjectAlertReclassified, SubjectDead,
//     SubjectS3Events, SubjectAudit);
//   - the message bodies (RunSubmitted, Job, ReanalyseJob, ReportReady, PGxAlert,
//     ReclassifiedAlert, Dead) and Decode, which checks a body against
//     schemas/messages.schema.json;
//   - the knowledge-base state in KV (KVKeyKBActive, KVKeyKBVersion and its value
//     KBPublished) and the stored reanalysis history (ChangeHistory, Reanalysis, Change);
//   - run and sample state (RunState, SampleState, the Status values and Rollup);
//   - the error kinds (Kind, Error, KindOf) by which every edge decides what a failure means.
//
// # Knowledge base and reanalysis (issue 15)
//
// A knowledge base is published (package kbstore, precis kb publish, POST /api/v1/kb) by
// storing its files at kb/{version}/{file}, its KBPublished at kb.versions.{token} and its
// version at kb.active. Workers watch kb.active and switch; a coordinator enqueues a
// ReanalyseJob on precis.job.reanalyse.{lab} for every current report made with another
// version (Nats-Msg-Id reanalyse:{lab}:{run}:{sample}:{kb_version}, MsgIDReanalyse). The handler, in this
// order, each step idempotent so a redelivery after a crash finishes the work once:
//
//  1. copies the current report to reports/{lab}/{run}/{sample}/v{N}.json (N the next free,
//     or the last one when it already holds these bytes);
//  2. appends a Reanalysis and its Changes (each with At) to changes/{lab}/{run}/{sample}.json,
//     unless that history already holds the Reanalysis to kb_to (then its stored changes are
//     used, never recomputed from a newer report);
//  3. publishes a ReclassifiedAlert of the major changes on precis.alert.reclassified.{lab}
//     (Nats-Msg-Id reclassified:{lab}:{run}:{sample}:{kb_to}:{N}, MsgIDReclassified), when
//     there is any;
//  4. stores the new report at ReportKey;
//  5. publishes ReportReady (Nats-Msg-Id reanalysed:{lab}:{run}:{sample}:{kb_to}:{N}) and records
//     the audit action "reanalysis".
//
// The API reads ChangeHistory.Changes for GET /api/v1/runs/{lab}/{run}/samples/{sample}/changes
// and v{N}.json for ?version=N.
//
// It imports no other package of the project: it is the leaf that manifest, store, queue,
// ingest, api, web, webhook, workers/annotator, cmd/precis and the benchmarks harness
// depend on. Transport (JetStream streams, consumers, the KV bucket) stays in package
// queue, object storage in package store.
//
// # Error kinds
//
// A package gives its sentinel errors a kind by declaring them with New (store, queue,
// manifest, annotate, assembly, webhook, audit, auth), or gives what it returns a kind at its
// boundary with Wrap: the object store its network failures (store.Kinded), the queue the
// NATS failures it recognises (queue.Kinded), package annotate the refusals of package vcf.
// Each edge then switches on KindOf in one place: queue's decide (Kind.Final), the API's
// status, the worker's failureKind and the CLI's exitCode.
//
//	kind        queue (decide)            API (status)   worker failure   CLI exit code
//	Invalid     dead-letter at once       400            invalid-input    3 (2: annotate.ErrUsage)
//	Build       dead-letter at once       500            genome-build     4
//	Permanent   dead-letter at once       500            (already failed) 1
//	NotExist    retry until MaxDeliver    500            missing-input    1
//	Conflict    retry until MaxDeliver    409            retried          1
//	Transient   retry until MaxDeliver    503            retried          1
//	Other       retry until MaxDeliver    500            retried          1
//
// The rule for an error of no known kind (Other), shared by every edge: it may pass. A
// consumer retries it a bounded number of times (MaxDeliver) and then dead-letters it; the
// API answers 500 (not 503: nobody knows that retrying helps); store.IsTransient is false
// for it; the CLI exits 1. Only Invalid, Build and Permanent are final (Kind.Final): only for
// them do we know that no retry can change the answer. context.DeadlineExceeded is the one
// foreign error with a kind, Transient; context.Canceled has none.
//
// The API answers most refusals (a bad name, a missing run, a manifest with an identity
// number) itself, with their own codes, before a dependency is called; status is for the
// errors of the object store, the queue and the stores beside it. NotExist stays 500 there
// because a missing object the API did not check for first is the service's fault.
package pipeline
