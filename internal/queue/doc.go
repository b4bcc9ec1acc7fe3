// Package queue carries Precis's work between roles over NATS JetStream:
// runs to ingest, one job per sample to the workers, and the events that
// come out (reports ready, PGx alerts, dead letters), plus run and sample
// state in a JetStream key-value bucket. It also starts an embedded NATS
// server for `precis serve` and tests. It is transport only: the subjects,
// the message bodies, the run and sample state and the error kinds it acts
// on are the contract in package pipeline.
//
// It uses the JetStream API of github.com/nats-io/nats.go/jetstream
// (https://docs.nats.io/nats-concepts/jetstream).
//
// # Streams and subjects
//
//	stream          subjects                     retention   consumer (durable, pull)
//	PRECIS_RUNS     precis.run.submitted.{lab}   limits      ingest
//	PRECIS_JOBS     precis.job.annotate.{lab}    work queue  workers (shared by every worker process)
//	PRECIS_EVENTS   precis.report.ready.{lab}    limits      (read by the result service)
//	                precis.alert.pgx.{lab}
//	                precis.alert.reclassified.{lab}
//	                precis.dead.{kind}           kind: job, run, s3, reanalyse
//	PRECIS_REANALYSIS precis.job.reanalyse.{lab} work queue  reanalysis (bounded share of each worker process)
//	PRECIS_S3       precis.s3.events             limits      s3-events
//	KV precis_state key run.{lab}.{run_id}       RunState with its samples as ingest recorded them
//	                key sample.{lab}.{run_id}.{sample} SampleState as its worker wrote it (GetRun lays it over)
//	                key kb.active                the active knowledge-base version
//	                key kb.versions.{token}      pipeline.KBPublished of each published version
//
// Every publish carries a Nats-Msg-Id and every stream has a duplicate
// window (Config.DedupeWindow, default 24h), so a retried publish is stored
// once: runs as "run:{lab}:{run}", jobs as "job:{lab}:{run}:{sample}",
// dead letters as "dead:{stream}:{stream sequence}", and events with the id
// their publisher derives from the content. Lab, run and sample ids are
// 1-128 characters of [A-Za-z0-9_-], safe as subject tokens, KV key tokens
// and message-id parts.
//
// Message bodies are JSON with a schema_version (pipeline.SchemaVersion); the
// Go types pipeline.RunSubmitted, Job, ReportReady, PGxAlert and Dead match
// the $defs of schemas/messages.schema.json, and pipeline.Decode checks a
// body against them.
//
// # Acknowledgement
//
// Consumers follow the benthos shape: the handler gets a Msg and returns an
// error, and one function (decide) turns that into what happens next:
//
//	nil                                  Ack (double ack, confirmed by the server)
//	kind Invalid, Build or Permanent     publish precis.dead.{kind}, then TermWithReason
//	any other kind (Transient, Conflict, NakWithDelay(Config.Backoff[delivered-1])
//	  NotExist, Other: no known kind)
//	any other kind, last delivery        publish precis.dead.{kind}, then Term
//	errors.Is(err, ErrReleased)          Nak at once (a handler that stops on Msg.Stopping)
//
// The kind is pipeline.KindOf(err); the rule for errors of no known kind is
// the package pipeline's, shared by every edge. Failures of NATS that
// IsUnavailable recognises are returned with the kind Transient.
//
// ConsumeJobs, ConsumeRuns and ConsumeS3Events handle one message at a time;
// Consume runs a handler over any durable consumer of the queue's streams
// (the webhook dispatcher's is one) with ConsumeOptions: how many messages
// are in hand at once, the backoff, and what records a message given up in
// place of the dead letter. The consumer's own AckWait and MaxDeliver apply.
//
// While a handler runs the consumer sends InProgress every AckWait/3, so a
// long annotation is not redelivered; a worker that dies stops sending it
// and its job returns after AckWait. On shutdown (ctx cancelled) a consumer
// stops fetching, gives the running handler Config.ShutdownGrace, then Naks
// the job so another worker takes it at once.
//
// Backoff is applied with NakWithDelay rather than the server's consumer
// BackOff: nats-server replaces AckWait with BackOff[0] when BackOff is set,
// and measures Nak delays against BackOff[n] (server/consumer.go), which
// would both break the AckWait contract and stretch the retry delays.
//
// # Replication and what a node loss costs
//
// Every stream and KV bucket of the service is created with Config.Replicas copies, the
// count Replicas() returns: the queue's five streams and precis_state here, and, through
// EnsureStream and EnsureKeyValue with that count, the token and session buckets (package
// auth), PRECIS_AUDIT (package audit) and precis_webhooks (package webhook). With
// Replicas 0 (auto) the count is 3 when the connection knows 3 or more servers
// (ClusterSize: the URLs given and those the servers advertise) or PRECIS_JOBS already has 3,
// and 1 on a single server such as the embedded one. An explicit count above the servers
// known is refused (ErrInvalid). At Connect an existing stream or bucket with fewer replicas
// is raised (an R1 deployment becomes R3 by restarting against a 3-node cluster); one with
// more is kept and the refusal to lower it logged. The durable consumers (ingest, workers,
// s3-events, reanalysis, and the webhook dispatcher's) are created with Replicas 0, which
// the server reads as "the stream's": they are replicated with their stream and follow it
// when it is raised (TestReplicasCluster checks it on nats-server 2.9.10 processes,
// TestReplicasEmbeddedCluster on embedded servers of the version in go.mod).
//
// With R3 on three nodes, JetStream keeps working while two nodes are up (a quorum):
//
//   - A node that dies costs a leader election for each stream, bucket and consumer it led:
//     a few seconds in which their publishes, reads and fetches fail. Nothing acknowledged is
//     lost: a publish is acknowledged once a majority stored it, and a consumer's delivered
//     and acknowledged state is replicated. A job being handled when its consumer's leader
//     died is acknowledged to the new leader (the ack is retried); a job whose delivery the
//     old leader had not replicated may be delivered again, which handlers tolerate (they are
//     idempotent and events are deduplicated by message id).
//   - Connect, and the auth, audit and webhook stores' Open, retry with backoff while no
//     server answers or JetStream has no quorum or leader, until their ctx ends, logging each
//     try. Publishes retry up to PublishAttempts times within 3 OpTimeouts (the message id
//     makes a retried publish idempotent); acks are retried too. Consumers never stop for a
//     failed fetch: they retry with a backoff growing from 100ms to 5s with jitter, and create
//     a lost durable again. WatchActiveKB starts its watch again; WatchAlerts and ReadStream
//     use ordered consumers, which nats.go resets by itself.
//   - Every call the queue makes for a caller has a deadline (Config.OpTimeout, default 5s),
//     and the failures of an unavailable JetStream have the kind Transient (IsUnavailable):
//     the API answers 503 with Retry-After rather than hang, and Ready fails for /readyz.
//     Run state is read from its stream's leader (not any replica), so a read follows every
//     acknowledged write, and fails rather than answer stale while there is no leader.
//   - With two of three nodes down there is no quorum: nothing is published, consumed or
//     changed until a second node is back, then work resumes where it stopped (the restarted
//     node recovers its store and catches up from the others). A node lost for good with its
//     disk is replaced by a new one: the cluster is then short of a replica until the
//     operator moves the peers (nats stream cluster peer-remove), which Precis does not do.
//
// natscluster runs such a cluster of nats-server processes for tests.
//
// # MinIO bucket notifications into PRECIS_S3
//
// MinIO's NATS target publishes each event as JSON ({"EventName","Key",
// "Records":[...]}) to one subject; with JetStream on it publishes with
// JetStream (js.Publish), so the stream PRECIS_S3 must exist first (Connect
// creates it). Configure the target with these environment variables,
// here with target id PRECIS (names checked against MinIO's
// internal/event/target/nats.go and internal/config/notify/parse.go):
//
//	MINIO_NOTIFY_NATS_ENABLE_PRECIS=on
//	MINIO_NOTIFY_NATS_ADDRESS_PRECIS=127.0.0.1:4222     # host:port, see Embedded.Addr
//	MINIO_NOTIFY_NATS_SUBJECT_PRECIS=precis.s3.events
//	MINIO_NOTIFY_NATS_JETSTREAM_PRECIS=on
//	MINIO_NOTIFY_NATS_USERNAME_PRECIS=precis            # the embedded server's credentials:
//	MINIO_NOTIFY_NATS_PASSWORD_PRECIS=...               # user:password in CredsPath(dir)
//	MINIO_NOTIFY_NATS_QUEUE_DIR_PRECIS=/path/to/queue   # optional: keeps events while NATS is down
//
// (For another server, what it requires: _USERNAME_*/_PASSWORD_*, _TOKEN_*,
// _USER_CREDENTIALS_* for a .creds file, _TLS_*.) MinIO logs the target's ARN at start,
// arn:minio:sqs::PRECIS:nats (with the region between "sqs:" and ":PRECIS"
// when MINIO_SITE_REGION is set). Then add the rule for manifests:
//
//	mc event add ALIAS/BUCKET arn:minio:sqs::PRECIS:nats --event put --suffix manifest.json
//
// or, with minio-go, SetBucketNotification with a notification.Config for
// that ARN, events s3:ObjectCreated:*, filter suffix manifest.json (prefix
// runs/). Handlers of ConsumeS3Events then turn each manifest into a
// SubmitRun; the run dedupe makes a repeated notification harmless.
package queue
