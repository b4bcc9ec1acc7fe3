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
//	GET  /api/v1/runs/{lab}/{run}/samples/{sample}/report        a sample's report (?format=text)
//	GET  /healthz, /readyz, /metrics
//
// Object keys follow the storage contract: runs/{lab}/{run}/{name} for inputs and
// reports/{lab}/{run}/{sample}.json for reports.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/precis-dx/precis/internal/queue"
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
	CodeInternal         = "internal"           // 500
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
	GetRun(ctx context.Context, lab, runID string) (queue.RunState, error)
	ListRuns(ctx context.Context, lab string) ([]queue.RunState, error)
	PutRun(ctx context.Context, st queue.RunState) error
}

// Server serves the API. It holds no per-request state and is safe for concurrent use.
type Server struct {
	objects Objects
	runs    Runs
	reg     prometheus.Gatherer
	ready   func(context.Context) error
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
}

// New returns a Server over the object store and run queue. reg is served on /metrics
// (no route when nil); ready decides /readyz (always ready when nil); logger receives one
// line per request (discarded when nil).
func New(objects Objects, runs Runs, reg prometheus.Gatherer, ready func(context.Context) error, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{objects: objects, runs: runs, reg: reg, ready: ready, log: logger, now: time.Now}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("PUT /api/v1/runs/{lab}/{run}/files/{name}", s.putFile)
	s.mux.HandleFunc("POST /api/v1/runs", s.submitRun)
	s.mux.HandleFunc("GET /api/v1/runs/{lab}", s.listRuns)
	s.mux.HandleFunc("GET /api/v1/runs/{lab}/{run}", s.getRun)
	s.mux.HandleFunc("GET /api/v1/runs/{lab}/{run}/samples/{sample}/report", s.getReport)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if reg != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: promLogger{logger}}))
	}
	s.mux.HandleFunc("/", s.fallback)
	return s
}

// Handler returns the HTTP handler: the routes above, with a log line per request.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store") // run state and reports are clinical data
		s.mux.ServeHTTP(rec, r)
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
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
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

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// failDependency answers for a failed call to the object store or the queue: 503 when the
// failure is transient (the client should retry), 500 otherwise. The cause is logged, not
// sent: it may name internal endpoints.
func (s *Server) failDependency(w http.ResponseWriter, r *http.Request, what string, err error) {
	status, code := http.StatusInternalServerError, CodeInternal
	if store.IsTransient(err) || errors.Is(err, context.DeadlineExceeded) {
		status, code = http.StatusServiceUnavailable, CodeUnavailable
	}
	s.log.ErrorContext(r.Context(), what, "method", r.Method, "path", r.URL.Path, "err", err)
	s.fail(w, r, status, code, what)
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

// recorder remembers the status and size of a response for the request log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
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

// promLogger passes promhttp's errors (a failed gather) to slog.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error("metrics: " + fmt.Sprint(v...)) }
