package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/prometheus/client_golang/prometheus"
)

// ConsumerName is the dispatcher's durable pull consumer on PRECIS_EVENTS, shared by
// every dispatcher process.
const ConsumerName = "webhooks"

// ErrRunning: Run was called while the dispatcher was already running.
var ErrRunning = errors.New("webhook: dispatcher already running")

// errStopping: a delivery gave up waiting (for its retry time or a request slot) because
// the dispatcher is stopping.
var errStopping = errors.New("webhook: stopping")

// Recorder writes the audit trail; audit.Log satisfies it.
type Recorder interface {
	Record(ctx context.Context, e audit.Event) error
}

// Options tune the dispatcher. Zero fields take the values of DefaultOptions. A plain
// value, copied by NewDispatcher.
type Options struct {
	// MaxAttempts bounds the HTTP requests for one delivery, the first included, across
	// restarts (the count is in the delivery log).
	MaxAttempts int
	// BaseBackoff is the delay before the second attempt; it doubles for each further
	// one up to MaxBackoff, and each delay is drawn from its upper half (jitter).
	BaseBackoff time.Duration
	// MaxBackoff caps one delay, a Retry-After included.
	MaxBackoff time.Duration
	// Timeout bounds one request, from connecting to reading the answer.
	Timeout time.Duration
	// Concurrency bounds the requests in flight in all; PerEndpoint those to one
	// subscription, so one slow endpoint holds at most PerEndpoint of them.
	Concurrency int
	PerEndpoint int
	// MaxInFlight bounds the alerts in hand at once (being delivered or waiting for a
	// retry), the queue consumer's concurrency; a waiting retry holds no request slot.
	MaxInFlight int
	// AckWait is the consumer's ack wait; InProgress is sent every AckWait/3 while an
	// alert is in hand, so a dead dispatcher's alerts come back after AckWait.
	AckWait time.Duration
	// PollWait bounds one pull request; an idle dispatcher notices shutdown within it.
	PollWait time.Duration
	// ShutdownGrace is how long requests in flight may finish after Run's ctx ends,
	// so their answers are logged; retries not yet started are left to the next run.
	ShutdownGrace time.Duration
}

// DefaultOptions returns the defaults: 8 attempts over about four minutes (2s, 4s, ...
// capped at 2m), 10s per request, 16 requests in flight (2 per endpoint), 64 alerts in
// hand.
func DefaultOptions() Options {
	return Options{
		MaxAttempts:   8,
		BaseBackoff:   2 * time.Second,
		MaxBackoff:    2 * time.Minute,
		Timeout:       10 * time.Second,
		Concurrency:   16,
		PerEndpoint:   2,
		MaxInFlight:   64,
		AckWait:       30 * time.Second,
		PollWait:      time.Second,
		ShutdownGrace: 5 * time.Second,
	}
}

func (o Options) withDefaults() (Options, error) {
	d := DefaultOptions()
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&o.MaxAttempts, d.MaxAttempts)
	setInt(&o.Concurrency, d.Concurrency)
	setInt(&o.PerEndpoint, d.PerEndpoint)
	setInt(&o.MaxInFlight, d.MaxInFlight)
	setDur(&o.BaseBackoff, d.BaseBackoff)
	setDur(&o.MaxBackoff, d.MaxBackoff)
	setDur(&o.Timeout, d.Timeout)
	setDur(&o.AckWait, d.AckWait)
	setDur(&o.PollWait, d.PollWait)
	setDur(&o.ShutdownGrace, d.ShutdownGrace)
	switch {
	case o.MaxAttempts < 1 || o.Concurrency < 1 || o.PerEndpoint < 1 || o.MaxInFlight < 1:
		return o, fmt.Errorf("%w: options: attempts, concurrency and in-flight bounds must be >= 1", ErrInvalid)
	case o.BaseBackoff < 0 || o.MaxBackoff < o.BaseBackoff || o.Timeout < 0 || o.PollWait < 0 || o.ShutdownGrace < 0:
		return o, fmt.Errorf("%w: options: negative duration, or MaxBackoff below BaseBackoff", ErrInvalid)
	case o.AckWait < 300*time.Millisecond:
		return o, fmt.Errorf("%w: options: AckWait %s below 300ms", ErrInvalid, o.AckWait)
	}
	return o, nil
}

// Dispatcher delivers PGx alerts to the webhook subscriptions of their lab: a handler
// run by the queue's consumer, which fetches, keeps alerts alive, stops and settles. Safe
// for concurrent use; Run it once per process (more processes share the consumer).
type Dispatcher struct {
	q       *queue.Queue
	store   *Store
	rec     Recorder
	log     *slog.Logger
	opts    Options
	client  *http.Client // through the store's Guard; redirects not followed
	cons    jetstream.Consumer
	keep    func(subject string) bool // which subjects under the consumer's filter are alerts
	running atomic.Bool

	global    chan struct{} // request slots in all
	mu        sync.Mutex
	endpoints map[string]*endpoint // request slots per subscription, while in use

	deliveries *prometheus.CounterVec // label outcome: delivered, failed
	attempts   prometheus.Counter
}

type endpoint struct {
	slots chan struct{}
	refs  int
}

// NewDispatcher creates or updates the durable consumer "webhooks" on PRECIS_EVENTS
// (precis.alert.pgx.> and precis.alert.reclassified.>) and registers the metrics on reg (none when reg is nil; a
// dispatcher made again on the same registry shares the counters).
func NewDispatcher(ctx context.Context, q *queue.Queue, store *Store, rec Recorder,
	reg prometheus.Registerer, logger *slog.Logger, opts Options) (*Dispatcher, error) {
	if q == nil || store == nil || rec == nil {
		return nil, fmt.Errorf("%w: NewDispatcher needs a queue, a store and a recorder", ErrInvalid)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// One filter subject covering both kinds of alert (NATS 2.9 has no FilterSubjects); a
	// message of another kind under it is acknowledged unread (handle).
	filter, keep := queue.Filter(alertSubjects)
	// Created with retries: at start a cluster may still be electing PRECIS_EVENTS' leader.
	cons, err := queue.EnsureConsumer(ctx, q.JetStream(), queue.StreamEvents, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "Precis webhook deliveries of PGx and reclassification alerts",
		FilterSubject: filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       opts.AckWait,
		MaxDeliver:    -1, // each delivery's attempts are bounded in the log; an alert is never dropped
		MaxAckPending: 1024,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("webhook: consumer %s on %s: %w", ConsumerName, queue.StreamEvents, err)
	}
	d := &Dispatcher{
		q: q, store: store, rec: rec, log: logger, opts: opts, cons: cons, client: store.guard.client(), keep: keep,
		global:    make(chan struct{}, opts.Concurrency),
		endpoints: map[string]*endpoint{},
	}
	if d.deliveries, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "precis_webhook_deliveries_total",
		Help: "Webhook deliveries settled, by outcome (delivered: a 2xx answer; failed: given up).",
	}, []string{"outcome"})); err != nil {
		return nil, err
	}
	if d.attempts, err = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "precis_webhook_attempts_total",
		Help: "HTTP requests made for webhook deliveries, retries included.",
	})); err != nil {
		return nil, err
	}
	return d, nil
}

// register registers c on reg, or returns the collector already registered there.
func register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("webhook: metrics: %w", err)
	}
	return c, nil
}

// Run delivers alerts until ctx ends, then stops fetching, lets requests in flight
// finish for ShutdownGrace and hands every alert not fully settled back to the server
// (Nak) for the next run. It returns nil after ctx ends, or an error when the connection
// is closed.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer d.running.Store(false)
	return d.q.Consume(ctx, d.cons, "webhook", d.handle, queue.ConsumeOptions{
		Concurrency: d.opts.MaxInFlight,
		// An alert not settled because the store or the audit trail failed is tried
		// again after BaseBackoff, for ever (the consumer has no MaxDeliver).
		Backoff:       []time.Duration{d.opts.BaseBackoff},
		ShutdownGrace: d.opts.ShutdownGrace,
		PollWait:      d.opts.PollWait,
		Dead:          d.dead,
	})
}

// alertSubjects are the subjects webhooks deliver.
var alertSubjects = []string{pipeline.SubjectAlertPGx(">"), pipeline.SubjectAlertReclassified(">")}

// alert is one alert as delivered.
type alert struct {
	seq              uint64
	at               time.Time // when PRECIS_EVENTS stored it
	msgID            string
	lab, run, sample string
	event            string // EventAlertPGx or EventAlertReclassified
	body             []byte // the queue.Alert or Reclassified JSON posted to every endpoint
}

// Reclassified is the body of a reclassification alert's delivery (X-Precis-Event:
// alert.reclassified): the precis.alert.reclassified.{lab} message (pipeline.ReclassifiedAlert:
// the sample, the knowledge-base versions, the major changes) with its PRECIS_EVENTS stream
// sequence and the time the stream stored it, as a PGx alert's body carries them. A plain
// value.
type Reclassified struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	pipeline.ReclassifiedAlert
}

// decodeAlert reads an alert of either kind, by its subject.
func decodeAlert(m queue.Msg, al *alert) error {
	if strings.HasPrefix(m.Subject, pipeline.SubjectAlertReclassified("")) {
		var a pipeline.ReclassifiedAlert
		if err := pipeline.Decode(m.Data, &a); err != nil {
			return fmt.Errorf("malformed reclassification alert: %w", err) // final (pipeline.Invalid): see dead
		}
		al.lab, al.run, al.sample, al.event = a.Lab, a.RunID, a.SampleID, EventAlertReclassified
		var err error
		if al.body, err = json.Marshal(Reclassified{Seq: al.seq, Time: al.at, ReclassifiedAlert: a}); err != nil {
			return fmt.Errorf("%w: alert does not marshal: %v", pipeline.ErrPermanent, err)
		}
		return nil
	}
	var a pipeline.PGxAlert
	if err := pipeline.Decode(m.Data, &a); err != nil {
		return fmt.Errorf("malformed alert: %w", err) // final (pipeline.Invalid): see dead
	}
	al.lab, al.run, al.sample, al.event = a.Lab, a.RunID, a.SampleID, EventAlertPGx
	var err error
	if al.body, err = json.Marshal(queue.Alert{Seq: al.seq, Time: al.at, PGxAlert: a}); err != nil {
		return fmt.Errorf("%w: alert does not marshal: %v", pipeline.ErrPermanent, err)
	}
	return nil
}

// handle delivers one alert to its lab's subscriptions; requests and log writes run on
// ctx, which outlives a stop by ShutdownGrace. nil (Ack) when every delivery is settled;
// when stopping, ErrReleased (Nak at once, so another dispatcher takes it); otherwise the
// store or audit trail failed and the alert is retried.
func (d *Dispatcher) handle(ctx context.Context, m queue.Msg) error {
	if m.Seq == 0 {
		return fmt.Errorf("webhook: message %s without metadata", m.Subject)
	}
	if d.keep != nil && !d.keep(m.Subject) {
		return nil // under the filter, not an alert webhooks deliver
	}
	al := alert{seq: m.Seq, at: m.Stored.UTC(), msgID: nats.Header(m.Headers).Get(jetstream.MsgIDHeader)}
	if err := decodeAlert(m, &al); err != nil {
		return err
	}
	err := d.deliverAll(m.Stopping, ctx, al)
	log := d.log.With("seq", al.seq, "lab", al.lab)
	switch {
	case err == nil:
		return nil
	case closed(m.Stopping):
		log.Info("webhook: alert handed back on shutdown", "err", err)
		return fmt.Errorf("%w: %w", queue.ErrReleased, err)
	default:
		log.Warn("webhook: alert not settled; retrying", "err", err)
		return err
	}
}

// dead is told of an alert given up, one that is malformed: there is no delivery to log,
// and no dead letter either; the message is terminated.
func (d *Dispatcher) dead(_ context.Context, m queue.Msg, reason string) error {
	d.log.Warn("webhook: alert not delivered", "seq", m.Seq, "reason", reason)
	return nil
}

// deliverAll delivers an alert to every subscription of its lab that existed when the
// alert was stored, each on its own goroutine. nil when every delivery is settled.
func (d *Dispatcher) deliverAll(stop <-chan struct{}, work context.Context, al alert) error {
	subs, err := d.store.forLab(work, al.lab)
	if err != nil {
		return err
	}
	errs := make([]error, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		if sub.CreatedAt.After(al.at) {
			continue // subscribed after the alert
		}
		wg.Go(func() { errs[i] = d.deliver(stop, work, sub, al) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deliver settles one alert's delivery to one subscription, following its log entry:
// nothing is sent when the entry is settled; each attempt is claimed in the log before
// the request (so attempts are counted across restarts) and its answer written right
// after. nil when the delivery is settled and in the audit trail.
func (d *Dispatcher) deliver(stop <-chan struct{}, work context.Context, sub Subscription, al alert) error {
	id := DeliveryID(sub.ID, al.seq)
	for {
		rec, rev, found, err := d.store.delivery(work, sub.ID, al.seq)
		if err != nil {
			return err
		}
		if found && rec.AlertID != al.msgID {
			// The sequence names another alert: PRECIS_EVENTS was recreated and its
			// sequences started again. The new alert is delivered; the entry is replaced.
			d.log.Error("webhook: delivery log entry is of another alert; PRECIS_EVENTS was recreated?",
				"delivery", id, "logged_alert", rec.AlertID, "alert", al.msgID)
			found = false
		}
		if !found {
			now := time.Now().UTC()
			rec = Delivery{ID: id, Subscription: sub.ID, Seq: al.seq, AlertID: al.msgID, Lab: al.lab, Run: al.run,
				Sample: al.sample, State: StatePending, Created: now, Updated: now}
		}
		if rec.State != StatePending {
			return d.audit(work, sub, rec, rev)
		}
		if rec.Attempts >= d.opts.MaxAttempts {
			// The last attempt was claimed but its answer never logged (a crash).
			rec.State, rec.Updated = StateFailed, time.Now().UTC()
			rec.Error = strings.TrimPrefix(rec.Error+"; ", "; ") + "no answer logged for the last attempt"
			if rev, err = d.store.putDelivery(work, rec, rev); errors.Is(err, errConflict) {
				continue
			} else if err != nil {
				return err
			}
			d.deliveries.WithLabelValues(StateFailed).Inc()
			return d.audit(work, sub, rec, rev)
		}
		if wait := time.Until(rec.Next); wait > 0 && !sleep(stop, wait) {
			return errStopping
		}
		release, err := d.acquire(stop, sub.ID)
		if err != nil {
			return err
		}
		rec.Attempts++
		rec.Updated, rec.Next = time.Now().UTC(), time.Time{}
		if rev, err = d.store.putDelivery(work, rec, rev); err != nil {
			release()
			if errors.Is(err, errConflict) {
				continue // another dispatcher has it: read again
			}
			return err
		}
		res := d.post(work, sub, id, al.event, al.body)
		release()
		d.attempts.Inc()
		rec.Status, rec.Error, rec.Updated = res.status, res.err, time.Now().UTC()
		switch {
		case res.ok:
			rec.State = StateDelivered
		case res.retry && rec.Attempts < d.opts.MaxAttempts:
			rec.Next = rec.Updated.Add(d.backoff(rec.Attempts, res.retryAfter))
		default:
			rec.State = StateFailed
		}
		// The one window: a crash between the 2xx and this write sends the alert again
		// under the same X-Precis-Delivery id (see the package documentation).
		if rec, rev, err = d.writeResult(work, rec, rev); err != nil {
			return err
		}
		d.log.Debug("webhook: attempt", "delivery", id, "target", sub.Target(), "attempt", rec.Attempts,
			"status", res.status, "state", rec.State, "err", res.err)
		if rec.State != StatePending {
			d.deliveries.WithLabelValues(rec.State).Inc()
			return d.audit(work, sub, rec, rev)
		}
	}
}

// writeResult writes an attempt's outcome over the claimed entry, retrying a failed
// write a few times. When another dispatcher changed the entry meanwhile, a settled
// entry wins; otherwise this outcome is written over it.
func (d *Dispatcher) writeResult(ctx context.Context, rec Delivery, rev uint64) (Delivery, uint64, error) {
	pause := 50 * time.Millisecond
	for i := 0; ; i++ {
		nrev, err := d.store.putDelivery(ctx, rec, rev)
		if err == nil {
			return rec, nrev, nil
		}
		if errors.Is(err, errConflict) {
			cur, crev, found, rerr := d.store.delivery(ctx, rec.Subscription, rec.Seq)
			if rerr == nil && found {
				if cur.State != StatePending {
					return cur, crev, nil
				}
				rec.Attempts, rev = max(rec.Attempts, cur.Attempts), crev
				continue
			}
		}
		if i >= 4 || !sleep(ctx.Done(), pause) {
			return rec, rev, err
		}
		pause *= 2
	}
}

// audit records a settled delivery in the audit trail once, and marks the entry.
func (d *Dispatcher) audit(ctx context.Context, sub Subscription, rec Delivery, rev uint64) error {
	if rec.Audited {
		return nil
	}
	ev := audit.Event{
		At: rec.Updated, Action: audit.ActionAlertDelivered, Actor: "system",
		Lab: rec.Lab, Run: rec.Run, Sample: rec.Sample, Target: sub.Target(), Status: rec.Status,
		Detail: fmt.Sprintf("delivery %s after %d attempts", rec.ID, rec.Attempts),
	}
	if rec.State == StateFailed {
		ev.Action = audit.ActionAlertFailed
		ev.Detail += ": " + rec.Error
	}
	if err := d.rec.Record(ctx, ev); err != nil {
		return fmt.Errorf("webhook: audit delivery %s: %w", rec.ID, err)
	}
	rec.Audited = true
	if _, err := d.store.putDelivery(ctx, rec, rev); err != nil {
		// The event is recorded; the mark only spares a second event should the alert
		// come back for another subscription's sake.
		d.log.Warn("webhook: delivery not marked audited", "delivery", rec.ID, "err", err)
	}
	return nil
}

// acquire takes a request slot for the subscription and one in all, in that order, so
// a request waiting for a busy endpoint holds no slot of the others.
func (d *Dispatcher) acquire(stop <-chan struct{}, sub string) (release func(), err error) {
	d.mu.Lock()
	ep := d.endpoints[sub]
	if ep == nil {
		ep = &endpoint{slots: make(chan struct{}, d.opts.PerEndpoint)}
		d.endpoints[sub] = ep
	}
	ep.refs++
	d.mu.Unlock()
	drop := func() {
		d.mu.Lock()
		if ep.refs--; ep.refs == 0 {
			delete(d.endpoints, sub)
		}
		d.mu.Unlock()
	}
	select {
	case ep.slots <- struct{}{}:
	case <-stop:
		drop()
		return nil, errStopping
	}
	select {
	case d.global <- struct{}{}:
	case <-stop:
		<-ep.slots
		drop()
		return nil, errStopping
	}
	return func() { <-d.global; <-ep.slots; drop() }, nil
}

// result is the outcome of one request.
type result struct {
	ok, retry  bool
	status     int           // 0 when no answer came back
	retryAfter time.Duration // from a 429 or 5xx answer's Retry-After
	err        string
}

// post sends the alert once.
func (d *Dispatcher) post(ctx context.Context, sub Subscription, id, event string, body []byte) result {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return result{err: "invalid request"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "precis-webhook")
	req.Header.Set(HeaderSignature, Sign(sub.Secret, time.Now(), body))
	req.Header.Set(HeaderDelivery, id)
	req.Header.Set(HeaderEvent, event)
	resp, err := d.client.Do(req)
	if err != nil {
		// The log keeps a few words, never the error's text: it can hold what the other
		// end sent (a non-HTTP server's banner). The operator's log has it at debug level.
		d.log.Debug("webhook: request failed", "delivery", id, "target", sub.Target(), "err", redact(err))
		why := reason(err)
		return result{retry: !errors.Is(err, ErrForbidden), err: why}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	_ = resp.Body.Close()
	r := result{status: resp.StatusCode}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		r.ok = true
	case c >= 500 || c == http.StatusTooManyRequests:
		r.retry, r.retryAfter = true, retryAfter(resp.Header.Get("Retry-After"), time.Now())
		r.err = "HTTP " + strconv.Itoa(c)
	default: // 3xx and other 4xx: the request itself is refused; sending it again will not help
		r.err = "HTTP " + strconv.Itoa(c)
	}
	return r
}

// redact names a request error without the URL's userinfo or query.
func redact(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s %s: %w", ue.Op, target(ue.URL), ue.Err)
	}
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(s) > 256 {
		s = strings.ToValidUTF8(s[:256], "")
	}
	return s
}

// retryAfter reads a Retry-After value, delay-seconds or an HTTP date (RFC 9110
// section 10.2.3); 0 when absent, unreadable or past.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff returns the delay after the attempts-th attempt failed: the server's
// Retry-After when it gave one, else BaseBackoff doubled per attempt, drawn from the
// upper half of that (jitter); at most MaxBackoff either way.
func (d *Dispatcher) backoff(attempts int, after time.Duration) time.Duration {
	if after > 0 {
		return min(after, d.opts.MaxBackoff)
	}
	b := d.opts.BaseBackoff << min(max(attempts-1, 0), 30)
	if b <= 0 || b > d.opts.MaxBackoff {
		b = d.opts.MaxBackoff
	}
	return b/2 + rand.N(b/2+1)
}

// sleep waits for d or until stop closes; false when it closed.
func sleep(stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}

// closed reports whether c is closed.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
