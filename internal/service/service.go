// Package service assembles the roles of the pipeline service: the HTTP API of the result
// service (api), ingest (ingest), and the workers (worker). `precis serve` runs every role in
// one process on the embedded default (an embedded NATS server with JetStream on a local
// directory and an object store on a local directory); on a cluster each role runs in
// processes of its own (`precis api`, `precis ingest`, `precis worker`, or `serve --roles`),
// any number of each, against a NATS JetStream cluster and an S3 endpoint: the processes of
// one role share its durable consumers, so a message is handled once whatever their number.
package service

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/api"
	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/ingest"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kbstore"
	"github.com/precis-dx/precis/internal/metrics"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/web"
	"github.com/precis-dx/precis/internal/webhook"
	"github.com/precis-dx/precis/schemas"
	"github.com/precis-dx/precis/workers/annotator"
)

// Roles are the parts of the service a process runs. The zero value means "as the legacy
// fields say" (see Config.Roles).
type Roles struct {
	// API serves the HTTP API and the web pages on Config.HTTPAddr.
	API bool
	// Ingest turns submitted runs and bucket notifications into jobs, fails for good the
	// jobs that hit their delivery limit, coordinates reanalysis when kb.active changes, and
	// delivers alert webhooks.
	Ingest bool
	// Worker annotates sample jobs (Config.Workers at once, at least one) and handles
	// reanalysis jobs (ReanalysisConcurrency of them).
	Worker bool
}

// AllRoles is what `precis serve` runs by default.
var AllRoles = Roles{API: true, Ingest: true, Worker: true}

// ParseRoles reads a comma-separated list of roles: api, ingest, worker (or all).
func ParseRoles(list string) (Roles, error) {
	var r Roles
	for _, name := range strings.Split(list, ",") {
		switch strings.TrimSpace(name) {
		case "api":
			r.API = true
		case "ingest":
			r.Ingest = true
		case "worker", "workers":
			r.Worker = true
		case "all":
			r = AllRoles
		case "":
		default:
			return Roles{}, fmt.Errorf("unknown role %q: want api, ingest, worker or all", strings.TrimSpace(name))
		}
	}
	if r == (Roles{}) {
		return Roles{}, errors.New("no role: want one or more of api, ingest, worker")
	}
	return r, nil
}

// String lists the roles as ParseRoles reads them.
func (r Roles) String() string {
	var names []string
	for _, x := range []struct {
		on   bool
		name string
	}{{r.API, "api"}, {r.Ingest, "ingest"}, {r.Worker, "worker"}} {
		if x.on {
			names = append(names, x.name)
		}
	}
	return strings.Join(names, ",")
}

// Config is what a service process runs and against what.
type Config struct {
	// Roles this process runs. When zero they follow the older fields: the API when
	// HTTPAddr is set, ingest when Ingest, workers when Workers > 0. When set, HTTPAddr of a
	// process without the API role serves only /healthz, /readyz and /metrics (the probes
	// and scrapes of an ingest or worker process).
	Roles    Roles
	DataDir  string         // embedded NATS and the local object store live here
	NATSURL  string         // "" starts an embedded NATS server with JetStream in DataDir/nats
	NATSPort int            // port of the embedded server; 0 picks a free one
	S3       store.S3Config // Endpoint "" uses a local object store in DataDir/objects
	HTTPAddr string         // "" runs no HTTP listener; see Roles for what it serves
	// MetricsAddr serves /metrics on a listener of its own, and not on HTTPAddr; "" serves
	// it on HTTPAddr beside the API, without a token (keep it behind the proxy then).
	MetricsAddr string
	// BodyStall is the longest a request body may stall before the request is ended
	// (api.DefaultBodyStall when 0); see api.Config.BodyStall.
	BodyStall time.Duration
	// TLSCert and TLSKey are PEM files; when set, HTTPAddr serves HTTPS (TLS 1.2 or later).
	TLSCert, TLSKey string
	// TrustProxy takes client addresses for the audit trail from X-Forwarded-For: set it
	// only behind a reverse proxy that sets the header.
	TrustProxy bool
	// SessionKey encrypts the web pages' sign-in cookies (32 bytes); give every replica the
	// same key. Empty: a random key, so a restart signs everyone out.
	SessionKey []byte
	Workers    int              // concurrent sample jobs in this process; 0 runs no worker (Roles zero)
	Ingest     bool             // run the ingest role (Roles zero)
	Queue      queue.Config     // AckWait, MaxDeliver, backoff
	Webhook    *webhook.Options // alert delivery retries; webhook.DefaultOptions() when nil
	Version    string           // pipeline version written into reports
	// KB is the knowledge base this process's jobs annotate with (its version goes into each
	// report's knowledge_base) until one is published; nil loads the one embedded in the
	// binary. A published knowledge base wins: once kb.active names a version (precis kb
	// publish), every worker loads it from the object store and switches to it, at start and
	// whenever it changes, without a restart; KB is then only the fallback while the published
	// one cannot be loaded.
	KB  *kb.KB
	Log *slog.Logger
	// wrapObjects wraps the object store (the tests inject faults, a full disk, with it).
	wrapObjects func(store.Store) store.Store
	// natsFreeSpace replaces the free-space check of the embedded NATS server's disk (the
	// tests say "full", then "free" with it).
	natsFreeSpace func(dir string) (uint64, error)

	// WebhookAllow lists the internal destinations webhooks may reach (CIDR networks, IP
	// addresses, host names; see webhook.NewGuard). Loopback, private, link-local, metadata
	// and the other internal ranges are refused unless listed.
	WebhookAllow []string
}

// Service is a running set of roles.
type Service struct {
	Queue      *queue.Queue
	Tokens     *auth.Store    // access tokens (the precis_tokens bucket)
	Audit      *audit.Log     // the append-only audit trail (PRECIS_AUDIT)
	Webhooks   *webhook.Store // alert webhook subscriptions and their delivery log
	KBs        *kbstore.Store // published knowledge bases (kb/ in the object store, kb.* in KV)
	Objects    store.Store
	Registry   *prometheus.Registry
	Metrics    *metrics.Metrics
	embedded   *queue.Embedded
	httpLn     net.Listener
	scheme     string
	httpSrv    *http.Server
	metricsLn  net.Listener
	metricsSrv *http.Server
	wg         sync.WaitGroup
	errs       chan error
	cancel     context.CancelFunc
}

// Start builds the dependencies and starts the roles. Cancelling ctx, or Shutdown, stops them.
func Start(ctx context.Context, cfg Config) (*Service, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	startedAt := time.Now()
	roles := cfg.Roles
	if roles == (Roles{}) {
		roles = Roles{API: cfg.HTTPAddr != "", Ingest: cfg.Ingest, Worker: cfg.Workers > 0}
	} else if roles.API && cfg.HTTPAddr == "" {
		return nil, errors.New("service: the api role needs an HTTP address")
	}
	if roles.Worker {
		cfg.Workers = max(cfg.Workers, 1)
	}
	log = log.With("roles", roles.String())
	guard, err := webhook.NewGuard(cfg.WebhookAllow)
	if err != nil {
		return nil, err
	}
	s := &Service{Registry: prometheus.NewRegistry(), errs: make(chan error, 16)}
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.S3.Endpoint == "" {
		s.Objects, err = store.NewLocal(filepath.Join(cfg.DataDir, "objects"))
	} else {
		// An S3 server that starts beside the service answers "not initialized yet" for a
		// while: wait for it, as long as its errors say a retry may pass.
		for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
			s.Objects, err = store.NewS3(ctx, cfg.S3)
			if err == nil || !store.IsTransient(err) || time.Since(startedAt) > time.Minute {
				break
			}
			log.Warn("object store not ready, retrying", "endpoint", cfg.S3.Endpoint, "err", err)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	if cfg.wrapObjects != nil {
		s.Objects = cfg.wrapObjects(s.Objects)
	}
	url := cfg.NATSURL
	if url == "" {
		// After a full disk the server recovers JetStream by itself once space is back.
		s.embedded, err = queue.StartEmbedded(filepath.Join(cfg.DataDir, "nats"), queue.EmbeddedOptions{Port: cfg.NATSPort,
			Logger: log.With("role", "nats"), FreeSpace: cfg.natsFreeSpace})
		if err != nil {
			return nil, fmt.Errorf("embedded NATS: %w", err)
		}
		e := s.embedded
		s.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "precis_jetstream_reloads_total",
			Help: "Reloads of the embedded server's JetStream after it could not store (a full disk)."},
			func() float64 { n, _ := e.Reloads(); return float64(n) }))
		url = s.embedded.URL() // with the credentials it generated
		cfg.Queue.CredsFile = ""
		log.Info("embedded NATS with JetStream", "addr", s.embedded.Addr(), "dir", filepath.Join(cfg.DataDir, "nats"),
			"credentials", s.embedded.CredsFile())
	}
	s.Queue, err = queue.Connect(ctx, url, cfg.Queue, log)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("NATS: %w", err)
	}
	if s.Tokens, err = auth.Open(ctx, s.Queue.JetStream(), s.Queue.Replicas()); err != nil {
		s.close()
		return nil, err
	}
	if s.Audit, err = audit.Open(ctx, s.Queue.JetStream(), s.Queue.Replicas()); err != nil {
		s.close()
		return nil, err
	}
	rec := recorder{Log: s.Audit, embedded: s.embedded}
	if s.Webhooks, err = webhook.OpenStore(ctx, s.Queue.JetStream(), s.Queue.Replicas(), guard); err != nil {
		s.close()
		return nil, err
	}
	s.Metrics = metrics.New(s.Registry, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := s.Queue.Pending(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})

	s.KBs = &kbstore.Store{Objects: s.Objects, Queue: s.Queue, Log: log.With("role", "kb")}

	runCtx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	if roles.Ingest {
		// The reanalysis coordinator: on every change of kb.active (and at start), a
		// reanalysis job for each stored report made with another version. Every serve
		// process runs one; the jobs' message ids make them idempotent.
		s.goRole("reanalysis-coordinator", func() error { return s.KBs.Coordinate(runCtx, 0) })
		in := &ingest.Ingest{Objects: s.Objects, Runs: s.Queue, Metrics: s.Metrics, Log: log.With("role", "ingest")}
		s.goRole("ingest", func() error { return s.Queue.ConsumeRuns(runCtx, in.HandleRun) })
		s.goRole("s3-events", func() error { return s.Queue.ConsumeS3Events(runCtx, in.HandleS3Event) })
		// A job that killed its worker on every delivery is failed for good, with why.
		s.goRole("max-deliveries", func() error { return s.Queue.WatchMaxDeliveries(runCtx) })
	}
	if roles.Ingest {
		// Alert delivery runs beside ingest: one durable consumer shared by every ingest
		// process, so each alert is delivered once whatever the number of processes.
		opts := webhook.DefaultOptions()
		if cfg.Webhook != nil {
			opts = *cfg.Webhook
		}
		d, err := webhook.NewDispatcher(ctx, s.Queue, s.Webhooks, rec, s.Registry, log.With("role", "webhooks"), opts)
		if err != nil {
			s.Shutdown(context.Background())
			return nil, err
		}
		s.goRole("webhooks", func() error { return d.Run(runCtx) })
	}
	if roles.Worker {
		k := cfg.KB
		if k == nil {
			var err error
			if k, err = kb.Load(); err != nil {
				s.Shutdown(context.Background())
				return nil, fmt.Errorf("knowledge base: %w", err)
			}
		}
		a, err := annotate.New(k, cfg.Version)
		if err != nil {
			s.Shutdown(context.Background())
			return nil, err
		}
		w := &annotator.Worker{Objects: s.Objects, Events: s.Queue, Annotator: a, Metrics: s.Metrics, Log: log.With("role", "worker"),
			KB: s.Queue, Audit: rec}
		// The published knowledge base wins over the one the process started with: load it
		// before the first job, then follow kb.active.
		if active, err := s.KBs.Active(ctx); err == nil && active != "" && active != k.Version {
			if err := s.switchKB(ctx, w, active, cfg.Version, log); err != nil {
				log.Warn("published knowledge base not loaded; starting with the given one", "active", active, "kb", k.Version, "err", err)
			}
		}
		updates, err := s.Queue.WatchActiveKB(runCtx)
		if err != nil {
			s.Shutdown(context.Background())
			return nil, err
		}
		s.goRole("kb-watch", func() error { return s.followKB(runCtx, w, updates, cfg.Version, log) })
		for i := 0; i < cfg.Workers; i++ {
			s.goRole("worker", func() error { return s.Queue.ConsumeJobs(runCtx, w.Handle) })
		}
		// Reanalysis takes a bounded share of the process: at most a quarter of its workers
		// (at least one), so that new runs are not starved while stored reports are
		// re-evaluated.
		reanalysers := ReanalysisConcurrency(cfg.Workers)
		s.goRole("reanalysis", func() error { return s.Queue.ConsumeReanalysis(runCtx, w.HandleReanalyse, reanalysers) })
		log.Info("workers started", "n", cfg.Workers, "reanalysis", reanalysers, "kb", w.Current().KB().Version)
	}
	if roles.API {
		if err := s.startHTTP(runCtx, cfg, rec, log); err != nil {
			s.Shutdown(context.Background())
			return nil, err
		}
	} else if cfg.HTTPAddr != "" {
		if err := s.startProbes(runCtx, cfg, log); err != nil {
			s.Shutdown(context.Background())
			return nil, err
		}
	}
	return s, nil
}

// ReanalysisConcurrency is how many reanalysis jobs a process with workers handles at once:
// max(1, workers/4).
func ReanalysisConcurrency(workers int) int { return max(1, workers/4) }

// switchKB loads the published knowledge base version and makes it the workers' annotator.
func (s *Service) switchKB(ctx context.Context, w *annotator.Worker, version, pipelineVersion string, log *slog.Logger) error {
	k, err := s.KBs.Load(ctx, version)
	if err != nil {
		return err
	}
	a, err := annotate.New(k, pipelineVersion)
	if err != nil {
		return err
	}
	prev := w.Current().KB().Version
	w.SetAnnotator(a)
	log.Info("knowledge base switched", "from", prev, "to", version)
	return nil
}

// followKB switches the workers to every version kb.active names, retrying a load that fails
// (every 5s) until it succeeds or another version is named.
func (s *Service) followKB(ctx context.Context, w *annotator.Worker, updates <-chan string, pipelineVersion string, log *slog.Logger) error {
	var want string
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case v, ok := <-updates:
			if !ok {
				return nil
			}
			want = v
		case <-retry:
		}
		retry = nil
		if want == "" || want == w.Current().KB().Version {
			continue
		}
		if err := s.switchKB(ctx, w, want, pipelineVersion, log); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("knowledge base not loaded, will retry", "version", want, "err", err)
			retry = time.After(5 * time.Second)
		}
	}
}

// startHTTP serves the API and the web pages on cfg.HTTPAddr, over TLS when configured.
func (s *Service) startHTTP(ctx context.Context, cfg Config, rec recorder, log *slog.Logger) error {
	var tlsCfg *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("TLS certificate %s / key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	pages := web.New(webBackend{Queue: s.Queue, objects: s.Objects}, s.Tokens, rec,
		web.Options{Log: log.With("role", "web"), SecureCookies: tlsCfg != nil, Version: cfg.Version,
			SessionKey: cfg.SessionKey, TrustProxy: cfg.TrustProxy, Sessions: s.Tokens})
	var reg prometheus.Gatherer = s.Registry
	if cfg.MetricsAddr != "" {
		reg = nil // served on its own listener below
	}
	stall := cmp.Or(cfg.BodyStall, api.DefaultBodyStall)
	srv, err := api.New(api.Config{
		Objects: s.Objects, Runs: s.Queue, Auth: s.Tokens, Audit: rec, Alerts: s.Queue, AuditLog: s.Audit,
		Webhooks: s.Webhooks, HTML: web.RenderReport, HTMLPolicy: web.ReportCSP(), Web: pages.Handler(), TrustProxy: cfg.TrustProxy,
		Registry: reg, Ready: s.ready, Log: log.With("role", "api"), OpenAPI: schemas.OpenAPI, BodyStall: stall,
		KB: s.KBs,
	})
	if err != nil {
		return err
	}
	if cfg.MetricsAddr != "" {
		if err := s.startMetrics(cfg.MetricsAddr, log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	s.httpLn, s.scheme = ln, "http"
	if tlsCfg != nil {
		ln, s.scheme = tls.NewListener(ln, tlsCfg), "https"
	}
	// Every phase of a connection has a deadline. A request body pushes the read and write
	// deadlines ahead while it flows (api.Config.BodyStall) and the event streams give each
	// write its own, so neither a large upload nor a long stream is cut, and a client that
	// stalls holds nothing for long.
	s.httpSrv = &http.Server{Handler: srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       stall,
		WriteTimeout:      2 * stall,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx }}
	s.httpSrv.RegisterOnShutdown(pages.Close) // end the alert pages' event streams
	s.goRole("http", func() error {
		if err := s.httpSrv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	log.Info("HTTP API and web pages", "url", s.BaseURL())
	return nil
}

// startProbes serves /healthz, /readyz and /metrics (unless MetricsAddr takes it) on
// cfg.HTTPAddr, for a process without the API: an ingest or worker process behind its
// orchestrator's probes and scrapes. Over TLS when configured.
func (s *Service) startProbes(ctx context.Context, cfg Config, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := s.ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			b, _ := json.Marshal(map[string]string{"status": "not ready", "error": err.Error()})
			w.Write(append(b, '\n'))
			return
		}
		w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
	if cfg.MetricsAddr != "" {
		if err := s.startMetrics(cfg.MetricsAddr, log); err != nil {
			return err
		}
	} else {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	s.httpLn, s.scheme = ln, "http"
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("TLS certificate %s / key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		ln, s.scheme = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), "https"
	}
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	s.goRole("probes", func() error {
		if err := s.httpSrv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	log.Info("health, readiness and metrics", "url", s.BaseURL())
	return nil
}

// startMetrics serves /metrics alone on addr.
func (s *Service) startMetrics(addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s (metrics): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	s.metricsLn = ln
	s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	s.goRole("metrics", func() error {
		if err := s.metricsSrv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return nil
}

// MetricsAddr returns the address of the metrics listener ("" when /metrics is served with
// the API, or not at all).
func (s *Service) MetricsAddr() string { return listenAddr(s.metricsLn) }

// BaseURL returns the base URL of the HTTP listener, http:// or https:// ("" when none runs):
// the API's, or the probes' of a process without it.
func (s *Service) BaseURL() string {
	if s.httpLn == nil {
		return ""
	}
	return s.scheme + "://" + s.HTTPAddr()
}

// HTTPAddr returns the address the API listens on ("" when it does not run).
func (s *Service) HTTPAddr() string { return listenAddr(s.httpLn) }

// listenAddr returns the address ln listens on, or "" for no listener.
func listenAddr(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// NATSURL returns the URL of the embedded NATS server with its credentials as userinfo
// ("" when external): a secret.
func (s *Service) NATSURL() string {
	if s.embedded == nil {
		return ""
	}
	return s.embedded.URL()
}

// readyProbeKey is the object /readyz writes to check the store takes writes.
const readyProbeKey = "health/ready-probe"

// auditRetry is how long a failed audit write keeps /readyz not ready when nothing has been
// recovered since: then traffic may try again (an external NATS may have healed by itself).
const auditRetry = 10 * time.Second

// recorder writes the audit trail and tells the embedded NATS server when a write fails, so
// that it looks at once whether it has to recover from a full disk.
type recorder struct {
	*audit.Log
	embedded *queue.Embedded // nil with an external NATS
}

func (r recorder) Record(ctx context.Context, e audit.Event) error {
	err := r.Log.Record(ctx, e)
	if err != nil && r.embedded != nil && !errors.Is(err, audit.ErrInvalid) {
		r.embedded.ReportWriteError(err)
	}
	return err
}

// ready is ready only while the audit trail, the queue and the object store can be written.
// The audit trail is append-only, so no probe is written into it: the embedded server says
// whether JetStream can store (on, no latched write error, space on its disk), and the last
// audit write's own result counts until a later one is stored or JetStream was reloaded.
func (s *Service) ready(ctx context.Context) error {
	if s.embedded != nil {
		if err := s.embedded.Writable(); err != nil {
			s.embedded.ReportWriteError(err) // look again now; it recovers once space is back
			return fmt.Errorf("audit trail and queue cannot be written: %w", err)
		}
	}
	if at, err := s.Audit.Failed(); err != nil && time.Since(at) < auditRetry {
		recovered := false
		if s.embedded != nil {
			_, reloaded := s.embedded.Reloads()
			recovered = reloaded.After(at)
		}
		if !recovered {
			return fmt.Errorf("audit trail cannot be written: %w", err)
		}
	}
	// JetStream's meta leader and the leaders of the streams every role needs (in a cluster:
	// not ready while a leader is being elected or there is no quorum).
	if err := s.Queue.Ready(ctx); err != nil {
		return err
	}
	if _, err := s.Objects.List(ctx, "runs/.ready-probe/"); err != nil {
		return fmt.Errorf("object store: %w", err)
	}
	// Not ready while the store cannot be written (a full disk): a small object is written
	// and removed on every probe, so readiness comes back by itself with the space.
	probe := make([]byte, 4096)
	if err := s.Objects.Put(ctx, readyProbeKey, bytes.NewReader(probe), int64(len(probe)), "application/octet-stream"); err != nil {
		return fmt.Errorf("object store cannot be written: %w", err)
	}
	_ = s.Objects.Delete(ctx, readyProbeKey)
	return nil
}

func (s *Service) goRole(name string, f func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := f(); err != nil && !errors.Is(err, context.Canceled) {
			s.errs <- fmt.Errorf("%s: %w", name, err)
		}
	}()
}

// Err reports the first role that stopped with an error.
func (s *Service) Err() <-chan error { return s.errs }

// Shutdown stops taking work, lets the jobs in hand finish (or hands them back to the queue,
// which the consumers do when their context ends), stops the API and closes the connections.
func (s *Service) Shutdown(ctx context.Context) error {
	if s.httpSrv != nil {
		_ = s.httpSrv.Shutdown(ctx)
	}
	if s.metricsSrv != nil {
		_ = s.metricsSrv.Shutdown(ctx)
	}
	if s.cancel != nil {
		s.cancel()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.close()
	return nil
}

func (s *Service) close() {
	if s.Queue != nil {
		s.Queue.Close()
	}
	if s.embedded != nil {
		s.embedded.Shutdown()
	}
}
