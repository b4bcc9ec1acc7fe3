// Package api is the HTTP API of the Precis result service: labs upload a run's VCFs and
// submit its manifest, and read back run state and reports (DESIGN.md, "The flow").
//
// Routes (all under /api/v1 answer JSON; errors are {"error":{"code":..., "message":...}}
// with the stable codes listed at [CodeInvalidName] and below):
//
//	PUT  /api/v1/runs/{lab}/{run}/files/{name}                  upload a VCF or index (streamed)
//	POST /api/v1/runs                                            submit a run's manifest
//	GET  /api/v1/runs/{lab}                                      list a lab's runs
//	GET  /api/v1/runs/{lab}/{run}                                one run's state
//	GET  /api/v1/runs/{lab}/{run}/samples/{sample}/report        a sample's report (?format=text, ?version=N an earlier one)
//	GET  /api/v1/runs/{lab}/{run}/samples/{sample}/changes       what reanalyses changed in it (issue 15)
//	GET  /api/v1/runs/{lab}/{run}/samples/{sample}/versions      its report's versions
//	GET  /api/v1/kb, POST /api/v1/kb                             knowledge bases: list; publish or activate (admin)
//	GET  /healthz, /readyz, /metrics
//
// Object keys follow the storage contract: runs/{lab}/{run}/{name} for inputs and
// reports/{lab}/{run}/{sample}.json for reports.
package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
)

// Limits on request bodies.
const (
	// MaxManifestBytes bounds a submitted manifest; larger bodies are refused with 413.
	MaxManifestBytes = 1 << 20
	// MaxFileBytes bounds one uploaded file. Uploads are streamed into the object store,
	// never held in memory, so this only guards the store against a runaway client.
	MaxFileBytes = 1 << 40
)

// Error codes of the JSON error body. They are part of the API contract: clients may branch
// on them, so they never change meaning.
const (
	CodeInvalidName      = "invalid_name"       // 400: a lab, run, sample or file name is not acceptable
	CodeInvalidManifest  = "invalid_manifest"   // 400: manifest.Parse refused the manifest
	CodeIdentityNumber   = "identity_number"    // 422: the manifest holds a personal identity number
	CodeMissingFile      = "missing_file"       // 400: the manifest names an object that was not uploaded
	CodeBadRequest       = "bad_request"        // 400: anything else wrong with the request
	CodeTooLarge         = "too_large"          // 413: the body exceeds its limit
	CodeNotFound         = "not_found"          // 404: unknown route, lab/run or sample
	CodeNotReady         = "not_ready"          // 404: the run is known but the report is not written yet
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeUnavailable      = "unavailable"        // 503: a dependency is down or not ready; retry later
	CodeNoSpace          = "no_space"           // 507: the object store is full; retry once space is freed
	CodeInternal         = "internal"           // 500
	CodeUnauthenticated  = "unauthenticated"    // 401: no token, or not a valid one
	CodeSampleFailed     = "sample_failed"      // 409: the sample failed; its reason is in the message (the JSON format serves the failure document)
	CodeConflict         = "conflict"           // 409: the resource exists already (a webhook of the same lab and URL, a used run id, a submitted run's file)
	CodeForbidden        = "forbidden"          // 403: the token's role may not do this (never used to hide another lab's resources: those are 404)
)

// Objects is the part of the object store the API uses; store.Store satisfies it.
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (store.Info, error)
}

// Runs is the part of the queue the API uses: publishing submitted runs and reading and
// writing run state.
type Runs interface {
	SubmitRun(ctx context.Context, lab, runID string, body []byte) error
	GetRun(ctx context.Context, lab, runID string) (pipeline.RunState, error)
	ListRuns(ctx context.Context, lab string) ([]pipeline.RunState, error)
	PutRun(ctx context.Context, st pipeline.RunState) error
}

// Authenticator turns a presented token into a principal; auth.Store satisfies it.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (auth.Principal, error)
}

// Recorder writes the audit trail; audit.Log satisfies it.
type Recorder interface {
	Record(ctx context.Context, e audit.Event) error
}

// Alerts reads PGx alerts back from the event stream; queue.Queue satisfies it.
type Alerts interface {
	Alerts(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]queue.Alert, error)
	WatchAlerts(ctx context.Context, labs []string, all bool) (<-chan queue.Alert, error)
}

// Config is what a Server is built from. Objects, Runs, Auth and Audit are required;
// the others turn routes on when set.
type Config struct {
	Objects  Objects
	Runs     Runs
	Auth     Authenticator
	Audit    Recorder
	Alerts   Alerts   // GET /api/v1/alerts and /api/v1/alerts/stream; no routes when nil
	AuditLog AuditLog // GET /api/audit; no route when nil
	Webhooks Webhooks // /api/v1/webhooks; no routes when nil
	KB       KBAdmin  // GET and POST /api/v1/kb; no routes when nil
	// HTML renders a report as a standalone HTML document for ?format=html (the web
	// package's RenderReport); the format is refused when nil.
	HTML func(w io.Writer, rep *report.Report, lang string) error
	// HTMLPolicy is the Content-Security-Policy header sent with the HTML format (the web
	// package's ReportCSP: the document's inline style sheet only, no script).
	HTMLPolicy string
	// Web serves everything outside /api, /healthz, /readyz and /metrics (the web pages);
	// unknown paths answer a JSON 404 when nil.
	Web http.Handler
	// TrustProxy takes the client address from X-Forwarded-For (the last hop the proxy
	// added) for the audit trail. Set it only behind a reverse proxy that sets the header.
	TrustProxy bool
	Registry   prometheus.Gatherer         // served on /metrics; no route when nil
	Ready      func(context.Context) error // decides /readyz; always ready when nil
	Log        *slog.Logger                // one line per request; discarded when nil
	OpenAPI    []byte                      // served on /api/openapi.json when set
	Now        func() time.Time            // time.Now when nil
	// BodyStall is the longest a request body may stall (DefaultBodyStall when 0): every
	// read of a body pushes the connection's read and write deadlines that far ahead, so an
	// upload of any size lives while bytes flow, and one that stops is ended (its temporary
	// file removed). The server's ReadTimeout should be the same, WriteTimeout at least it.
	BodyStall time.Duration
}

// DefaultBodyStall is the default of Config.BodyStall.
const DefaultBodyStall = 30 * time.Second

// Server serves the API. It holds no per-request state and is safe for concurrent use.
type Server struct {
	objects  Objects
	runs     Runs
	auth     Authenticator
	audit    Recorder
	alerts   Alerts
	auditLog AuditLog
	webhooks Webhooks
	kb       KBAdmin
	html     func(w io.Writer, rep *report.Report, lang string) error
	htmlCSP  string
	web      http.Handler
	proxied  bool
	openapi  []byte
	reg      prometheus.Gatherer
	ready    func(context.Context) error
	log      *slog.Logger
	now      func() time.Time
	stall    time.Duration
	mux      *http.ServeMux
}

// ErrConfig is returned by New when a required dependency is missing.
var ErrConfig = errors.New("api: incomplete configuration")

// New returns a Server over cfg's dependencies.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Objects == nil, cfg.Runs == nil:
		return nil, fmt.Errorf("%w: an object store and a run queue are required", ErrConfig)
	case cfg.Auth == nil:
		return nil, fmt.Errorf("%w: an authenticator is required (every route under /api is authenticated)", ErrConfig)
	case cfg.Audit == nil:
		return nil, fmt.Errorf("%w: an audit recorder is required (report reads are audited)", ErrConfig)
	}
	logger := cfg.Log
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{objects: cfg.Objects, runs: cfg.Runs, auth: cfg.Auth, audit: cfg.Audit, alerts: cfg.Alerts,
		auditLog: cfg.AuditLog, webhooks: cfg.Webhooks, kb: cfg.KB, html: cfg.HTML, htmlCSP: cfg.HTMLPolicy, web: cfg.Web, proxied: cfg.TrustProxy,
		openapi: cfg.OpenAPI, reg: cfg.Registry, ready: cfg.Ready, log: logger, now: now,
		stall: cmp.Or(cfg.BodyStall, DefaultBodyStall)}
	s.mux = http.NewServeMux()
	s.routes()
	return s, nil
}

// routes registers every route; the access each needs is decided by its handler through
// s.principal and the auth.Principal methods, in one place per route.
func (s *Server) routes() {
	m := s.mux
	// The routes that need a token, each behind s.authed; a route of a part the server
	// was built without (on false) is not registered.
	withAlerts, withAudit, withWebhooks, withKB := s.alerts != nil, s.auditLog != nil, s.webhooks != nil, s.kb != nil
	for _, r := range []struct {
		pattern string
		h       http.HandlerFunc
		on      bool
	}{
		{"PUT /api/v1/runs/{lab}/{run}/files/{name}", s.putFile, true},
		{"POST /api/v1/runs", s.submitRun, true},
		{"GET /api/v1/runs", s.listReadableRuns, true},
		{"GET /api/v1/runs/{lab}", s.listRuns, true},
		{"GET /api/v1/runs/{lab}/{run}", s.getRun, true},
		{"GET /api/v1/runs/{lab}/{run}/samples/{sample}", s.getSample, true},
		{"GET /api/v1/runs/{lab}/{run}/samples/{sample}/report", s.getReport, true},
		{"GET /api/v1/runs/{lab}/{run}/samples/{sample}/changes", s.getChanges, true},
		{"GET /api/v1/runs/{lab}/{run}/samples/{sample}/versions", s.getVersions, true},
		{"GET /api/v1/kb", s.listKB, withKB},
		{"POST /api/v1/kb", s.publishKB, withKB},
		{"GET /api/v1/me", s.me, true},
		{"GET /api/v1/alerts", s.listAlerts, withAlerts},
		{"GET /api/v1/alerts/stream", s.streamAlerts, withAlerts},
		{"GET /api/audit", s.getAudit, withAudit},
		{"POST /api/v1/webhooks", s.createWebhook, withWebhooks},
		{"GET /api/v1/webhooks", s.listWebhooks, withWebhooks},
		{"GET /api/v1/webhooks/{id}", s.getWebhook, withWebhooks},
		{"DELETE /api/v1/webhooks/{id}", s.deleteWebhook, withWebhooks},
		{"GET /api/v1/webhooks/{id}/deliveries", s.webhookDeliveries, withWebhooks},
	} {
		if r.on {
			m.HandleFunc(r.pattern, s.authed(r.h))
		}
	}
	if s.openapi != nil {
		m.HandleFunc("GET /api/openapi.json", s.serveOpenAPI)
	}
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	if s.reg != nil {
		m.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: promLogger{s.log}}))
	}
	m.HandleFunc("/api/", s.fallback)
	if s.web != nil {
		m.Handle("/", s.web)
	} else {
		m.HandleFunc("/", s.fallback)
	}
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openapi)
}

// Handler returns the HTTP handler: the routes above, with a log line per request.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var body *bodyState
		if r.Body != nil && r.Body != http.NoBody {
			body = &bodyState{ReadCloser: r.Body, rc: http.NewResponseController(w), stall: s.stall}
			r.Body = body
		}
		rec := &recorder{ResponseWriter: w, body: body}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store") // run state and reports are clinical data
		ra := &reqAudit{}
		r = r.WithContext(context.WithValue(r.Context(), reqAuditKey{}, ra))
		s.mux.ServeHTTP(rec, r)
		s.recordRefusal(r, ra, rec.statusOrOK())
		if rec.closing {
			// The refused body is not read: the reads net/http makes to drain it
			// before the next request fail at once, and the connection closes.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
		}
		level := slog.LevelInfo
		switch {
		case rec.status >= 500:
			level = slog.LevelError
		case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics":
			level = slog.LevelDebug // probes and scrapes would drown the log
		}
		// Never the body, never the query: only what identifies the request.
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.statusOrOK()),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)))
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			s.fail(w, r, http.StatusServiceUnavailable, CodeUnavailable, "not ready: "+err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// fallback answers requests no route takes: 405 when the path exists under another method,
// 404 otherwise, both as JSON like every other error.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost} {
		if m == r.Method {
			continue
		}
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "/api/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		s.fail(w, r, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
		return
	}
	s.fail(w, r, http.StatusNotFound, CodeNotFound, "no such route: "+r.URL.Path)
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// RetryAfter is the Retry-After header, in seconds, of every 503 answer: a dependency that
// is down or not ready (JetStream without quorum or electing a leader, the object store
// unreachable) is asked again after about that long. A JetStream leader election takes a
// few seconds.
const RetryAfter = 5

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	}
	ra := requestAudit(r)
	ra.code, ra.msg = code, msg
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// failDependency answers for a failed call to the object store, the queue or another store
// of the service (tokens, webhooks, the audit trail), with the status of the error's kind
// (status).
// A refusal of the request (4xx) is sent with the error's text, which says what is wrong
// with it; for a failure of the service the cause is logged, not sent (it may name internal
// endpoints), and what failed is sent.
func (s *Server) failDependency(w http.ResponseWriter, r *http.Request, what string, err error) {
	st, code := status(err)
	if st < 500 {
		s.fail(w, r, st, code, err.Error())
		return
	}
	s.log.ErrorContext(r.Context(), what, "method", r.Method, "path", r.URL.Path, "err", err)
	s.fail(w, r, st, code, what)
}

// status is the one place that turns an error's kind (package pipeline) into an HTTP status
// and error code: Invalid 400, Conflict 409, Transient 503 (retry later; fail adds
// Retry-After), and 500 for every
// other kind, an error of no known kind included. JetStream without quorum or leader, a lost
// connection and a call's deadline are Transient (queue.IsUnavailable), so the API answers
// 503 rather than hang or fail. The object store and the queue give their
// failures a kind; an error is passed through their classifiers (store.Kinded, queue.Kinded)
// as well, for a Store implementation that does not, and for the stores kept in NATS
// buckets beside the queue's (tokens, webhooks, the audit trail).
func status(err error) (int, string) {
	switch pipeline.KindOf(store.Kinded(queue.Kinded(err))) {
	case pipeline.Invalid:
		return http.StatusBadRequest, CodeBadRequest
	case pipeline.Conflict:
		return http.StatusConflict, CodeConflict
	case pipeline.Transient:
		return http.StatusServiceUnavailable, CodeUnavailable
	}
	return http.StatusInternalServerError, CodeInternal
}

// writeList answers 200 with the JSON object {key: xs}: an empty list, not null, when xs is
// nil.
func writeList[T any](w http.ResponseWriter, key string, xs []T) {
	if xs == nil {
		xs = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{key: xs})
}

// queryLimit reads the limit query parameter: def when it is absent, a whole number from 1
// to most when given. Anything else is answered 400 and ok is false.
func (s *Server) queryLimit(w http.ResponseWriter, r *http.Request, def, most int) (limit int, ok bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("limit %q: want 1 to %d", v, most))
		return 0, false
	}
	return n, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own plain structs are marshalled here; this cannot happen.
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encode response"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// recorder remembers the status and size of a response for the request log. An error
// answered before the request's body was read to its end closes the connection
// (Connection: close): net/http would otherwise drain the body first, and a client that
// declares a body and never sends it would hold the connection for as long as it likes.
type recorder struct {
	http.ResponseWriter
	body    *bodyState // nil when the request has no body
	status  int
	bytes   int64
	closing bool // the refused body is left unread and the connection closed
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		if code >= 400 && r.body != nil && !r.body.eof.Load() {
			r.ResponseWriter.Header().Set("Connection", "close")
			r.closing = true
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) statusOrOK() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// bodyState notes whether a request body was read to its end, and keeps the connection's
// deadlines ahead of a body that makes progress.
type bodyState struct {
	io.ReadCloser
	eof      atomic.Bool
	rc       *http.ResponseController
	stall    time.Duration
	extended time.Time // when the deadlines were last pushed
}

func (b *bodyState) Read(p []byte) (int, error) {
	// Pushing the deadlines on every read of a fast upload would be waste; an eighth of
	// the stall is close enough.
	if now := time.Now(); now.Sub(b.extended) > b.stall/8 {
		b.extended = now
		_ = b.rc.SetReadDeadline(now.Add(b.stall))
		_ = b.rc.SetWriteDeadline(now.Add(2 * b.stall))
	}
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof.Store(true)
	}
	return n, err
}

// promLogger passes promhttp's errors (a failed gather) to slog.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error("metrics: " + fmt.Sprint(v...)) }
