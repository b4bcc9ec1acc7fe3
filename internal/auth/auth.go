// Package auth issues and checks the access tokens of the Precis result service.
//
// A token belongs to one role and a set of labs:
//
//   - RoleLab: a molecular pathology lab; submits runs for its one lab and reads them back.
//   - RoleClinician: reads the reports and alerts of the labs it was granted; submits nothing.
//   - RoleAdmin: reads everything and the audit trail; manages webhooks for any lab.
//
// A token is "precis_" + an id + "_" + a secret. Only the id and the SHA-256 of the secret
// are stored (in the JetStream KV bucket precis_tokens), so a copy of the store gives no
// usable token; the secret is shown once, when the token is created. Secrets are 256 random
// bits, so a plain SHA-256 is enough (no password stretching is needed for a random key), and
// the comparison is constant-time. Tokens are never logged: callers log the id only.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
)

// Bucket is the KV bucket that holds the tokens, keyed token.{id}.
const Bucket = "precis_tokens"

// Role is what a token may do.
type Role string

// Roles.
const (
	RoleLab       Role = "lab"
	RoleClinician Role = "clinician"
	RoleAdmin     Role = "admin"
)

// Errors. ErrUnauthenticated covers every way a presented token can fail (malformed,
// unknown, wrong secret, revoked) on purpose: the caller learns nothing about which.
var (
	ErrUnauthenticated = errors.New("auth: missing or invalid token")
	ErrInvalid         = pipeline.New(pipeline.Invalid, "auth: invalid token request")
)

// tokenRE is the shape of a token: precis_{16 hex id}_{64 hex secret}.
var tokenRE = regexp.MustCompile(`^precis_([0-9a-f]{16})_([0-9a-f]{64})$`)

// labRE is the shape of a lab id; the same as manifest ids (they are NATS subject tokens).
var labRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// Principal is who a request acts for. A plain value, safe to copy.
type Principal struct {
	TokenID string   `json:"token_id"`
	Role    Role     `json:"role"`
	Labs    []string `json:"labs"` // the lab of a lab token; the granted labs of a clinician; empty for admin
	Name    string   `json:"name,omitempty"`
}

// CanRead reports whether p may read runs, reports and alerts of lab.
func (p Principal) CanRead(lab string) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleLab, RoleClinician:
		return slices.Contains(p.Labs, lab)
	}
	return false
}

// CanSubmit reports whether p may upload files and submit runs for lab: only the lab itself.
func (p Principal) CanSubmit(lab string) bool {
	return p.Role == RoleLab && slices.Contains(p.Labs, lab)
}

// CanAudit reports whether p may read the audit trail.
func (p Principal) CanAudit() bool { return p.Role == RoleAdmin }

// ReadableLabs returns the labs p may read, and all=true for an admin (every lab).
func (p Principal) ReadableLabs() (labs []string, all bool) {
	if p.Role == RoleAdmin {
		return nil, true
	}
	return slices.Clone(p.Labs), false
}

// Record is a stored token: never the secret, only its hash.
type Record struct {
	ID      string    `json:"id"`
	Hash    string    `json:"sha256"` // lower-case hex SHA-256 of the secret
	Role    Role      `json:"role"`
	Labs    []string  `json:"labs"`
	Name    string    `json:"name,omitempty"` // who it was issued to, free text chosen by the issuer
	Created time.Time `json:"created"`
	Revoked bool      `json:"revoked,omitempty"`
}

// SessionBucket is the KV bucket of the web pages' sign-in sessions, keyed
// session.{token id}.{session id}. A session is valid while its key is there: signing out
// deletes it, revoking the token deletes all of the token's, and the bucket's TTL removes
// it after MaxSession in any case.
const SessionBucket = "precis_sessions"

// MaxSession is the longest a sign-in session is kept.
const MaxSession = 12 * time.Hour

// Store keeps tokens and sessions in JetStream KV buckets. Safe for concurrent use.
type Store struct {
	kv       jetstream.KeyValue
	sessions jetstream.KeyValue
	now      func() time.Time
}

// Open creates or opens the token and session buckets with replicas copies (an existing
// bucket with fewer is raised, one with more kept: queue.EnsureKeyValue), retrying while
// JetStream is unavailable (a cluster without quorum yet) until ctx ends.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	if replicas < 1 {
		replicas = 1
	}
	kv, err := queue.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Precis access tokens (id and SHA-256 of the secret; never the secret)",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		History:     5,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: kv %s: %w", Bucket, err)
	}
	sessions, err := queue.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      SessionBucket,
		Description: "Precis web sign-in sessions (ids only; never a token)",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		History:     1,
		TTL:         MaxSession,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: kv %s: %w", SessionBucket, err)
	}
	return &Store{kv: kv, sessions: sessions, now: time.Now}, nil
}

// sessionKey is the KV key of a session; ok is false for ids that cannot be one.
func sessionKey(tokenID, id string) (key string, ok bool) {
	if !hexID(tokenID, 16) || !hexID(id, 32) {
		return "", false
	}
	return "session." + tokenID + "." + id, true
}

func hexID(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// StartSession records a new sign-in session of a token and returns its id (128 random
// bits, hex).
func (s *Store) StartSession(ctx context.Context, tokenID string) (string, error) {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	id := hex.EncodeToString(b[:])
	key, ok := sessionKey(tokenID, id)
	if !ok {
		return "", fmt.Errorf("%w: token id %q", ErrInvalid, tokenID)
	}
	if _, err := s.sessions.Create(ctx, key, []byte(s.now().UTC().Format(time.RFC3339))); err != nil {
		return "", fmt.Errorf("auth: start session: %w", err)
	}
	return id, nil
}

// CheckSession returns nil when the session is current, an error wrapping
// ErrUnauthenticated when it ended or never was.
func (s *Store) CheckSession(ctx context.Context, tokenID, id string) error {
	key, ok := sessionKey(tokenID, id)
	if !ok {
		return ErrUnauthenticated
	}
	_, err := s.sessions.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return ErrUnauthenticated
	case err != nil:
		return fmt.Errorf("auth: read session: %w", err)
	}
	return nil
}

// EndSession ends a session at once; ending one that is not there is not an error.
func (s *Store) EndSession(ctx context.Context, tokenID, id string) error {
	key, ok := sessionKey(tokenID, id)
	if !ok {
		return nil
	}
	if err := s.sessions.Purge(ctx, key); err != nil {
		return fmt.Errorf("auth: end session: %w", err)
	}
	return nil
}

// endSessions ends every session of a token.
func (s *Store) endSessions(ctx context.Context, tokenID string) error {
	lister, err := s.sessions.ListKeysFiltered(ctx, "session."+tokenID+".*")
	if err != nil {
		return fmt.Errorf("auth: list sessions of %s: %w", tokenID, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if err := s.sessions.Purge(ctx, k); err != nil {
			return fmt.Errorf("auth: end session of %s: %w", tokenID, err)
		}
	}
	return nil
}

// Create issues a token and returns it (the only time the secret exists outside the
// caller) with its stored record. A lab token names exactly one lab; a clinician token one or
// more; an admin token none. Create writes no audit event: programs issue tokens with Issue.
func (s *Store) Create(ctx context.Context, role Role, labs []string, name string) (string, Record, error) {
	if err := checkGrant(role, labs); err != nil {
		return "", Record{}, err
	}
	if strings.ContainsAny(name, "\r\n") || len(name) > 200 {
		return "", Record{}, fmt.Errorf("%w: name must be one line of at most 200 bytes", ErrInvalid)
	}
	var raw [8 + 32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Record{}, fmt.Errorf("auth: random: %w", err)
	}
	id, secret := hex.EncodeToString(raw[:8]), hex.EncodeToString(raw[8:])
	sum := sha256.Sum256([]byte(secret))
	rec := Record{ID: id, Hash: hex.EncodeToString(sum[:]), Role: role, Labs: slices.Clone(labs),
		Name: name, Created: s.now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", Record{}, fmt.Errorf("auth: encode: %w", err)
	}
	if _, err := s.kv.Create(ctx, "token."+id, b); err != nil {
		return "", Record{}, fmt.Errorf("auth: store token %s: %w", id, err)
	}
	return "precis_" + id + "_" + secret, rec, nil
}

// Trail is where Issue records a token's creation: an *audit.Log.
type Trail interface {
	Record(ctx context.Context, e audit.Event) error
}

// Issue creates a token like Create and records its creation (audit.ActionTokenCreate) in
// trail, with actor as the event's Actor: "cli" for `precis token create`, "system" for the
// service's own tokens (`precis serve --demo`). Every way of issuing a token goes through
// here, so none is left out of the audit trail. When the event cannot be recorded, the token
// is not returned (its secret is lost, so it cannot be used) and the error says why.
func (s *Store) Issue(ctx context.Context, trail Trail, actor string, role Role, labs []string, name string) (string, Record, error) {
	token, rec, err := s.Create(ctx, role, labs, name)
	if err != nil {
		return "", Record{}, err
	}
	ev := audit.Event{Action: audit.ActionTokenCreate, Actor: actor, Role: string(rec.Role), Target: rec.ID,
		Detail: fmt.Sprintf("token %s for %q, labs %s", rec.ID, rec.Name, strings.Join(rec.Labs, ","))}
	if len(rec.Labs) == 1 {
		ev.Lab = rec.Labs[0]
	}
	if err := trail.Record(ctx, ev); err != nil {
		return "", Record{}, fmt.Errorf("auth: token %s created but not recorded in the audit trail: %w", rec.ID, err)
	}
	return token, rec, nil
}

func checkGrant(role Role, labs []string) error {
	for _, l := range labs {
		if !labRE.MatchString(l) {
			return fmt.Errorf("%w: lab %q is not a valid id", ErrInvalid, l)
		}
	}
	switch role {
	case RoleLab:
		if len(labs) != 1 {
			return fmt.Errorf("%w: a lab token names exactly one lab (got %d)", ErrInvalid, len(labs))
		}
	case RoleClinician:
		if len(labs) == 0 {
			return fmt.Errorf("%w: a clinician token needs at least one granted lab", ErrInvalid)
		}
	case RoleAdmin:
		if len(labs) != 0 {
			return fmt.Errorf("%w: an admin token reads every lab; name no lab", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: role %q (want lab, clinician or admin)", ErrInvalid, role)
	}
	return nil
}

// Authenticate returns the principal of a presented token, or an error wrapping
// ErrUnauthenticated. The secret's hash is compared in constant time.
func (s *Store) Authenticate(ctx context.Context, token string) (Principal, error) {
	m := tokenRE.FindStringSubmatch(token)
	if m == nil {
		return Principal{}, ErrUnauthenticated
	}
	rec, err := s.Get(ctx, m[1])
	if errors.Is(err, ErrUnauthenticated) {
		// Spend the same work as a known id, so timing does not tell ids apart.
		sum := sha256.Sum256([]byte(m[2]))
		subtle.ConstantTimeCompare(sum[:], sum[:])
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	want, err := hex.DecodeString(rec.Hash)
	if err != nil {
		return Principal{}, fmt.Errorf("auth: stored hash of token %s: %w", rec.ID, err)
	}
	sum := sha256.Sum256([]byte(m[2]))
	if subtle.ConstantTimeCompare(sum[:], want) != 1 || rec.Revoked {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{TokenID: rec.ID, Role: rec.Role, Labs: rec.Labs, Name: rec.Name}, nil
}

// TokenID returns the id a presented token claims, "" when it does not have a token's shape.
// The id is no secret: the audit trail records it for a token that fails.
func TokenID(token string) string {
	if m := tokenRE.FindStringSubmatch(token); m != nil {
		return m[1]
	}
	return ""
}

// Get returns a token's record by id; an unknown id wraps ErrUnauthenticated.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	e, err := s.kv.Get(ctx, "token."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, ErrUnauthenticated
	}
	if err != nil {
		return Record{}, fmt.Errorf("auth: read token %s: %w", id, err)
	}
	var rec Record
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return Record{}, fmt.Errorf("auth: decode token %s: %w", id, err)
	}
	return rec, nil
}

// Revoke marks a token revoked and ends its web sessions; it stops working at once.
func (s *Store) Revoke(ctx context.Context, id string) error {
	rec, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	rec.Revoked = true
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("auth: encode: %w", err)
	}
	if _, err := s.kv.Put(ctx, "token."+id, b); err != nil {
		return fmt.Errorf("auth: revoke token %s: %w", id, err)
	}
	// The token no longer authenticates, so its sessions are refused already; remove them
	// so none is left to find.
	return s.endSessions(ctx, id)
}

// Withdraw revokes a token like Revoke and records it (audit.ActionTokenRevoke) in trail,
// with actor as the event's Actor: the counterpart of Issue, so that every way of revoking
// a token is in the audit trail. A token revoked but not recorded is an error that says so;
// the token stays revoked.
func (s *Store) Withdraw(ctx context.Context, trail Trail, actor, id string) error {
	if err := s.Revoke(ctx, id); err != nil {
		return err
	}
	if err := trail.Record(ctx, audit.Event{Action: audit.ActionTokenRevoke, Actor: actor, Target: id}); err != nil {
		return fmt.Errorf("auth: token %s revoked but not recorded in the audit trail: %w", id, err)
	}
	return nil
}

// List returns every token record (no secrets exist to return), by creation time.
func (s *Store) List(ctx context.Context) ([]Record, error) {
	keys, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	var out []Record
	for k := range keys.Keys() {
		rec, err := s.Get(ctx, strings.TrimPrefix(k, "token."))
		if err != nil {
			if errors.Is(err, ErrUnauthenticated) {
				continue // deleted between list and get
			}
			return nil, err
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b Record) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// FromHeader returns the token of an "Authorization: Bearer T" header value, or "". It does
// not check it.
func FromHeader(authorization string) string {
	const prefix = "Bearer "
	if len(authorization) > len(prefix) && strings.EqualFold(authorization[:len(prefix)], prefix) {
		return strings.TrimSpace(authorization[len(prefix):])
	}
	return ""
}
