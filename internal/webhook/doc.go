// Package webhook delivers PGx dose alerts (precis.alert.pgx.{lab} on PRECIS_EVENTS) and
// reclassification alerts (precis.alert.reclassified.{lab}: a reanalysis with a newer
// knowledge base found major changes in a sample's report, issue 15) to the HTTP endpoints
// that subscribed to a lab, signed, retried and logged, by the same rules. The NATS
// subjects stay for integrators who read the stream themselves.
//
// # Subscriptions
//
// A subscription is one endpoint URL for one lab's alerts (a clinic subscribes once per
// lab its clinicians are granted). Store keeps them, and the delivery log, in the
// JetStream key-value bucket precis_webhooks (see Bucket for the keys). Create returns
// the subscription's secret once; it is kept in the bucket, readable by whoever can read
// the bucket, because signing needs it. A lab has at most one subscription per URL. A
// subscription receives the alerts stored after it was created.
//
// # Destinations
//
// A subscription's URL is chosen by any token that reads the lab, so webhooks may not
// reach the service's own host or the networks behind it: Guard refuses loopback,
// unspecified, private (RFC 1918, ULA fc00::/7), link-local, CGNAT (100.64/10), multicast
// and reserved addresses and the cloud metadata service (169.254.169.254, fd00:ec2::254),
// unless the operator allows them (precis serve --webhook-allow CIDR|address|host). It
// checks at registration (Create resolves the host and refuses it with ErrForbidden when
// any of its addresses is refused) and again on the address of every connection, before
// it is made, so a name that later resolves elsewhere (DNS rebinding) is refused too; no
// proxy from the environment is used and redirects are not followed. The delivery log and
// the audit trail keep the status code and a short reason ("connection refused", "no valid
// HTTP response", "refused: 10.0.0.5 is a private address ..."), never the answer's body
// or the error's own text, which can repeat what a non-HTTP server sent.
//
// # Requests
//
// Each PGx alert is POSTed as the JSON of queue.Alert (the PGxAlert message with its stream
// seq and time, as the API lists alerts: one per gene whose result raises an alert, DPYD,
// UGT1A1, TPMT or NUDT15, with its diplotype, phenotype and the drugs it is about), and each reclassification alert as the JSON of
// Reclassified (the ReclassifiedAlert message with its stream seq and time), the same bytes
// to every endpoint, with:
//
//	Content-Type: application/json
//	X-Precis-Event: alert.pgx or alert.reclassified
//	X-Precis-Delivery: <subscription id>:<alert seq>   e.g. wh_3fa9c1d2e4b5a6f708:42
//	X-Precis-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The HMAC key is the secret string's bytes as given to the subscriber (64 hex digits,
// not decoded); t is the decimal unix time of the request, so each retry has a new t and
// signature. A receiver checks it with Verify on the raw body before decoding it, and
// rejects a t too far from its clock (5 minutes is usual). Several v1 values may appear
// (they are accepted if any matches); unknown keys are ignored.
//
// # Retries
//
// A network error, a 5xx or a 429 is retried after a delay that doubles per attempt from
// Options.BaseBackoff up to Options.MaxBackoff, drawn from the upper half of that span
// (jitter), or after the answer's Retry-After when it has one (capped at MaxBackoff).
// Other answers (3xx, other 4xx) and a refused destination are not retried: the
// delivery is logged failed at once.
// After Options.MaxAttempts attempts the delivery is logged failed. Settled deliveries
// are recorded in the audit trail (alert.delivered, alert.failed) with the endpoint URL
// without userinfo or query.
//
// # At most once per endpoint, with one window
//
// The delivery log has one entry per subscription and alert (pending, delivered or
// failed; attempts; last status; times). Before each request the dispatcher reads the
// entry and sends nothing when it is settled; it claims the attempt in the entry (a
// compare-and-set on its revision, so two dispatchers never send the same attempt), and
// writes delivered right after a 2xx. The NATS message is acknowledged only when every
// subscription's delivery is settled and audited; a dispatcher that dies or stops
// mid-way has its alert redelivered (after AckWait, or at once on a clean stop), and the
// next one resumes from the log: settled endpoints are skipped, pending ones continue
// with their attempt count and retry time.
//
// One window cannot be closed from this side: a crash (or a key-value store that cannot
// be written) between the endpoint's 2xx and the write of delivered sends the alert once
// more. The repeat carries the same X-Precis-Delivery id, so a receiver that remembers
// the ids it has processed (for longer than the retry span, a day is ample) drops it.
// The id is unique while PRECIS_EVENTS keeps its sequences; if the stream were recreated,
// a sequence would name a new alert, which the dispatcher detects (the log entry keeps
// the alert's Nats-Msg-Id), logs as an error and delivers anyway.
//
// # Concurrency and order
//
// Up to Options.MaxInFlight alerts are in hand at once, and each alert goes to its
// subscriptions in parallel. Requests are bounded by Options.Concurrency in all and
// Options.PerEndpoint per subscription, and a delivery waiting for its retry holds no
// request slot, so a slow or down endpoint delays only its own deliveries (until it has
// MaxInFlight alerts waiting on retries). Order per subscription is not kept: alerts may
// arrive out of order, most of all around retries. Receivers that need order sort by the
// body's seq (or time); the seq also ends X-Precis-Delivery.
package webhook
