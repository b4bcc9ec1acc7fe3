package webhook

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
)

// Errors of the store, with their kinds (package pipeline).
var (
	ErrInvalid  = pipeline.New(pipeline.Invalid, "webhook: invalid argument")
	ErrNotFound = pipeline.New(pipeline.NotExist, "webhook: not found")
	ErrExists   = pipeline.New(pipeline.Conflict, "webhook: the lab already has a subscription for this URL")
)

// Bucket is the JetStream key-value bucket of subscriptions and the delivery log.
//
//	key                               value
//	sub.{lab}.{subscription id}       Subscription (with its secret)
//	url.{lab}.{hash of the URL}       the subscription id holding that URL for the lab
//	dlv.{subscription id}.{alert seq} Delivery
const Bucket = "precis_webhooks"

// Delivery states.
const (
	StatePending   = "pending"   // attempts remain
	StateDelivered = "delivered" // the endpoint answered 2xx
	StateFailed    = "failed"    // given up: a 4xx, or every attempt failed
)

// maxURL bounds a subscription URL's length.
const maxURL = 2048

// orphanAge is how old a URL claim without its subscription must be before a Create
// takes it over (the Create that made it is then taken to have stopped half-way).
const orphanAge = time.Minute

// idRE is the lab id rule of the queue package, also used for subscription ids: safe as
// a subject token and key token.
var idRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Subscription is one endpoint receiving one lab's PGx alerts. A plain value.
type Subscription struct {
	ID  string `json:"id"`
	Lab string `json:"lab"`
	URL string `json:"url"` // absolute http or https URL, as stored (it may carry userinfo or a query)
	// Secret signs the deliveries (64 hex digits: 32 random bytes). Create returns it;
	// Get and List leave it empty, so it is shown once.
	Secret    string    `json:"secret,omitempty"`
	CreatedBy string    `json:"created_by"` // the token id that created it
	CreatedAt time.Time `json:"created_at"` // UTC; alerts stored before it are not delivered to it
}

// Target returns the URL without userinfo, query or fragment: what the audit trail and
// logs name.
func (s Subscription) Target() string { return target(s.URL) }

func target(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// Delivery is the log entry of one alert to one subscription. A plain value.
type Delivery struct {
	ID           string    `json:"id"`           // X-Precis-Delivery: {subscription}:{alert seq}
	Subscription string    `json:"subscription"` // subscription id
	Seq          uint64    `json:"alert_seq"`    // the alert's sequence in PRECIS_EVENTS
	AlertID      string    `json:"alert_id"`     // the alert's Nats-Msg-Id
	Lab          string    `json:"lab"`
	Run          string    `json:"run"`
	Sample       string    `json:"sample"` // pseudonymous sample id
	State        string    `json:"state"`  // StatePending, StateDelivered or StateFailed
	Attempts     int       `json:"attempts"`
	Status       int       `json:"status,omitempty"` // HTTP status of the last attempt; 0 when none came back
	Error        string    `json:"error,omitempty"`  // why the last attempt failed, one line
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`               // last attempt started or ended
	Next         time.Time `json:"next_attempt,omitzero"` // not before, when pending after a failure
	Audited      bool      `json:"audited,omitempty"`     // the final state is in the audit trail
}

// DeliveryID returns the X-Precis-Delivery id of an alert's delivery to a subscription.
func DeliveryID(sub string, seq uint64) string { return sub + ":" + strconv.FormatUint(seq, 10) }

// Store keeps subscriptions and the delivery log. Safe for concurrent use.
type Store struct {
	kv    jetstream.KeyValue
	guard *Guard // which destinations subscriptions, and the dispatcher's requests, may reach
}

// OpenStore creates or updates the bucket with replicas copies (raised when it has fewer,
// never lowered: queue.EnsureKeyValue), retrying while JetStream is unavailable until ctx
// ends. guard decides which
// destinations may be subscribed, and a Dispatcher on this store connects through it; nil
// refuses internal addresses and allows nothing more (see Guard).
func OpenStore(ctx context.Context, js jetstream.JetStream, replicas int, guard *Guard) (*Store, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: nil JetStream", ErrInvalid)
	}
	if replicas < 1 || replicas > 5 {
		return nil, fmt.Errorf("%w: replicas %d", ErrInvalid, replicas)
	}
	kv, err := queue.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Precis webhook subscriptions and delivery log",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("webhook: bucket %s: %w", Bucket, err)
	}
	return &Store{kv: kv, guard: guard}, nil
}

// checkURL returns the URL as it will be stored, or why it is refused: it must be an
// absolute http or https URL with a host, without a fragment.
func checkURL(raw string) (string, error) {
	if len(raw) > maxURL {
		return "", fmt.Errorf("%w: url longer than %d bytes", ErrInvalid, maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: url: %v", ErrInvalid, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%w: url %q: want an absolute http or https URL", ErrInvalid, target(raw))
	case u.Opaque != "" || u.Hostname() == "":
		return "", fmt.Errorf("%w: url %q: no host", ErrInvalid, target(raw))
	case u.Fragment != "":
		return "", fmt.Errorf("%w: url %q: a fragment is never sent", ErrInvalid, target(raw))
	}
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

func validLab(lab string) error {
	if !idRE.MatchString(lab) {
		return fmt.Errorf("%w: lab %q: want 1-128 of [A-Za-z0-9_-]", ErrInvalid, lab)
	}
	return nil
}

func validSubID(id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("%w: subscription id %q", ErrInvalid, id)
	}
	return nil
}

func subKey(lab, id string) string { return "sub." + lab + "." + id }

func urlKey(lab, u string) string {
	h := sha256.Sum256([]byte(u))
	return "url." + lab + "." + hex.EncodeToString(h[:16])
}

func deliveryKey(sub string, seq uint64) string {
	return "dlv." + sub + "." + strconv.FormatUint(seq, 10)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}

// Create subscribes rawURL to the lab's PGx alerts and returns the subscription with its
// secret, the only time the secret is returned. A lab has at most one subscription per
// URL (ErrExists), so no endpoint receives an alert twice through two of them. A URL
// whose host is, or resolves to, an address the store's Guard refuses is refused with
// ErrForbidden.
func (s *Store) Create(ctx context.Context, lab, rawURL, createdBy string) (Subscription, error) {
	if err := validLab(lab); err != nil {
		return Subscription{}, err
	}
	u, err := checkURL(rawURL)
	if err != nil {
		return Subscription{}, err
	}
	if pu, err := url.Parse(u); err != nil {
		return Subscription{}, fmt.Errorf("%w: url: %v", ErrInvalid, err)
	} else if err := s.guard.checkHost(ctx, pu.Hostname()); err != nil {
		return Subscription{}, fmt.Errorf("url %q: %w", target(u), err)
	}
	if createdBy == "" {
		return Subscription{}, fmt.Errorf("%w: subscription without its creator", ErrInvalid)
	}
	sub := Subscription{
		ID: "wh_" + randomHex(9), Lab: lab, URL: u, Secret: randomHex(32),
		CreatedBy: createdBy, CreatedAt: time.Now().UTC(),
	}
	// The url key makes (lab, URL) unique even when two Creates race: kv.Create is atomic.
	uk := urlKey(lab, u)
	if _, err := s.kv.Create(ctx, uk, []byte(sub.ID)); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return Subscription{}, fmt.Errorf("webhook: create %s: %w", uk, err)
		}
		// Taken; unless by a subscription that no longer exists (a Create or Delete
		// that stopped half-way), in which case this one takes it over. A claim younger
		// than orphanAge may be a Create still under way.
		e, err := s.kv.Get(ctx, uk)
		if err != nil {
			return Subscription{}, fmt.Errorf("webhook: read %s: %w", uk, err)
		}
		if time.Since(e.Created()) < orphanAge {
			return Subscription{}, fmt.Errorf("%w: %s (%s)", ErrExists, target(u), e.Value())
		}
		if _, err := s.kv.Get(ctx, subKey(lab, string(e.Value()))); !errors.Is(err, jetstream.ErrKeyNotFound) {
			if err != nil {
				return Subscription{}, fmt.Errorf("webhook: read subscription %s: %w", e.Value(), err)
			}
			return Subscription{}, fmt.Errorf("%w: %s (%s)", ErrExists, target(u), e.Value())
		}
		if _, err := s.kv.Update(ctx, uk, []byte(sub.ID), e.Revision()); err != nil {
			return Subscription{}, fmt.Errorf("%w: %s (being created)", ErrExists, target(u))
		}
	}
	body, err := json.Marshal(sub)
	if err != nil {
		return Subscription{}, fmt.Errorf("webhook: marshal subscription: %w", err)
	}
	if _, err := s.kv.Create(ctx, subKey(lab, sub.ID), body); err != nil {
		_ = s.kv.Delete(context.WithoutCancel(ctx), uk) // best effort; a later Create takes an orphan over
		return Subscription{}, fmt.Errorf("webhook: store subscription: %w", err)
	}
	return sub, nil
}

// scan returns the current entries of the keys matching the filters.
func (s *Store) scan(ctx context.Context, filters ...string) ([]jetstream.KeyValueEntry, error) {
	w, err := s.kv.WatchFiltered(ctx, filters, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("webhook: list %v: %w", filters, err)
	}
	defer func() { _ = w.Stop() }()
	var out []jetstream.KeyValueEntry
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("webhook: list %v: watcher closed", filters)
			}
			if e == nil { // every current value has been sent
				return out, nil
			}
			out = append(out, e)
		case <-ctx.Done():
			return nil, fmt.Errorf("webhook: list %v: %w", filters, ctx.Err())
		}
	}
}

// decode unmarshals the JSON values of es, in their order; the error names the entry of
// what (a subscription, a delivery) that does not decode.
func decode[T any](what string, es []jetstream.KeyValueEntry) ([]T, error) {
	out := make([]T, 0, len(es))
	for _, e := range es {
		var v T
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			return nil, fmt.Errorf("webhook: %s %s: %w", what, e.Key(), err)
		}
		out = append(out, v)
	}
	return out, nil
}

// subscriptions returns the subscriptions under the key filters, with their secrets,
// oldest first.
func (s *Store) subscriptions(ctx context.Context, filters ...string) ([]Subscription, error) {
	es, err := s.scan(ctx, filters...)
	if err != nil {
		return nil, err
	}
	out, err := decode[Subscription]("subscription", es)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Subscription) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// forLab returns the lab's subscriptions with their secrets, for the dispatcher.
func (s *Store) forLab(ctx context.Context, lab string) ([]Subscription, error) {
	if err := validLab(lab); err != nil {
		return nil, err
	}
	return s.subscriptions(ctx, "sub."+lab+".*")
}

func withoutSecrets(subs []Subscription) []Subscription {
	for i := range subs {
		subs[i].Secret = ""
	}
	return subs
}

// List returns the subscriptions of the labs (of every lab when all), oldest first,
// without their secrets.
func (s *Store) List(ctx context.Context, labs []string, all bool) ([]Subscription, error) {
	filters := []string{"sub.>"}
	if !all {
		if len(labs) == 0 {
			return nil, nil
		}
		filters = filters[:0]
		for _, l := range labs {
			if err := validLab(l); err != nil {
				return nil, err
			}
			filters = append(filters, "sub."+l+".*")
		}
	}
	subs, err := s.subscriptions(ctx, filters...)
	return withoutSecrets(subs), err
}

// Get returns a subscription without its secret, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Subscription, error) {
	if err := validSubID(id); err != nil {
		return Subscription{}, err
	}
	subs, err := s.subscriptions(ctx, "sub.*."+id)
	if err != nil {
		return Subscription{}, err
	}
	if len(subs) == 0 {
		return Subscription{}, fmt.Errorf("%w: subscription %s", ErrNotFound, id)
	}
	return withoutSecrets(subs)[0], nil
}

// Delete removes a subscription; alerts are no longer delivered to it once the
// dispatcher's deliveries in hand finish. Its delivery log is kept (Deliveries still
// reads it). ErrNotFound when there is no such subscription.
func (s *Store) Delete(ctx context.Context, id string) error {
	sub, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.kv.Delete(ctx, subKey(sub.Lab, id)); err != nil {
		return fmt.Errorf("webhook: delete subscription %s: %w", id, err)
	}
	uk := urlKey(sub.Lab, sub.URL)
	if e, err := s.kv.Get(ctx, uk); err == nil && string(e.Value()) == id {
		// Only while it still names this subscription; a failure leaves an orphan that
		// the next Create for the URL takes over.
		_ = s.kv.Delete(ctx, uk, jetstream.LastRevision(e.Revision()))
	}
	return nil
}

// Deliveries returns the delivery log of a subscription (deleted or not): its newest
// limit entries (all when limit <= 0), oldest alert first.
func (s *Store) Deliveries(ctx context.Context, subID string, limit int) ([]Delivery, error) {
	if err := validSubID(subID); err != nil {
		return nil, err
	}
	es, err := s.scan(ctx, "dlv."+subID+".*")
	if err != nil {
		return nil, err
	}
	out, err := decode[Delivery]("delivery", es)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// delivery reads one log entry and its revision; found is false when there is none.
func (s *Store) delivery(ctx context.Context, sub string, seq uint64) (d Delivery, rev uint64, found bool, err error) {
	e, err := s.kv.Get(ctx, deliveryKey(sub, seq))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return Delivery{}, 0, false, nil
	case err != nil:
		return Delivery{}, 0, false, fmt.Errorf("webhook: read delivery %s: %w", DeliveryID(sub, seq), err)
	}
	if err := json.Unmarshal(e.Value(), &d); err != nil {
		return Delivery{}, 0, false, fmt.Errorf("webhook: delivery %s: %w", DeliveryID(sub, seq), err)
	}
	return d, e.Revision(), true, nil
}

// errConflict: the entry changed since it was read (another dispatcher is at it).
var errConflict = errors.New("webhook: delivery log entry changed meanwhile")

// putDelivery writes a log entry: created when rev is 0, else only over revision rev.
// It returns the new revision.
func (s *Store) putDelivery(ctx context.Context, d Delivery, rev uint64) (uint64, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return 0, fmt.Errorf("webhook: marshal delivery: %w", err)
	}
	key := deliveryKey(d.Subscription, d.Seq)
	if rev == 0 {
		rev, err = s.kv.Create(ctx, key, body)
	} else {
		rev, err = s.kv.Update(ctx, key, body, rev)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return 0, fmt.Errorf("%w: %s", errConflict, d.ID)
	case err != nil:
		return 0, fmt.Errorf("webhook: write delivery %s: %w", d.ID, err)
	}
	return rev, nil
}
