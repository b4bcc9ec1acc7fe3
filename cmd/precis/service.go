package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/service"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/submit"
	"github.com/precis-dx/precis/internal/webhook"
)

// serviceFlags are the flags `serve`, `api`, `ingest` and `worker` share.
type serviceFlags struct {
	dataDir, natsURL, s3Endpoint, bucket, httpAddr string
	metricsAddr                                    string
	tlsCert, tlsKey                                string
	s3Secure, trustProxy                           bool
	sessionKey                                     []byte
	workers, natsPort, replicas                    int
	ackWait                                        time.Duration
	maxDeliver                                     int
	roles                                          string // --roles of serve

	natsCreds    string   // --nats-creds: credentials for --nats
	kbDir        string   // --kb: a knowledge base directory ("": the embedded one)
	kb           *kb.KB   // loaded from kbDir
	webhookAllow listFlag // --webhook-allow: internal destinations webhooks may reach
}

// register defines the flags of the command name ("serve", "api", "ingest" or "worker"):
// every command takes the connection flags; the API's flags go to the commands that may run
// it, --workers to those that may run workers.
func (f *serviceFlags) register(fs *flag.FlagSet, name string) {
	fs.StringVar(&f.dataDir, "data", "precis-data", "directory of the embedded NATS server and the local object store")
	fs.StringVar(&f.natsURL, "nats", "", "NATS URL, or a comma-separated list of a cluster's URLs (e.g. nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222); empty starts an embedded server with JetStream")
	fs.StringVar(&f.natsCreds, "nats-creds", "", "credentials for --nats, mode 0600: a NATS .creds file (user JWT and NKey seed) or one line user:password or token")
	fs.IntVar(&f.natsPort, "nats-port", 4222, "port of the embedded NATS server (0: any free port); it requires the credentials it generates into DIR/nats/credentials")
	fs.IntVar(&f.replicas, "replicas", 0, "replicas of every stream and KV bucket, 1-5 (0: automatic: 3 on a NATS cluster of 3 or more servers, else 1); an existing stream is raised to it")
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3 endpoint host:port; empty uses a local object store in --data; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or MINIO_ROOT_USER/MINIO_ROOT_PASSWORD)")
	fs.StringVar(&f.bucket, "bucket", "precis", "S3 bucket")
	fs.BoolVar(&f.s3Secure, "s3-tls", false, "use HTTPS for the S3 endpoint")
	fs.DurationVar(&f.ackWait, "ack-wait", 2*time.Minute, "how long a job may go without a sign of life before NATS redelivers it")
	fs.IntVar(&f.maxDeliver, "max-deliver", 5, "deliveries of a job before it is dead-lettered")
	if name == "serve" || name == "worker" {
		fs.IntVar(&f.workers, "workers", 2, "concurrent sample jobs in this process (with the worker role)")
		fs.StringVar(&f.kbDir, "kb", "", "knowledge base directory written by 'precis kb build', used by this process's jobs until one is published with 'precis kb publish' (the published, active one wins; empty: the one embedded in the binary)")
	}
	if name == "serve" {
		fs.StringVar(&f.roles, "roles", "api,ingest,worker", "roles this process runs, comma-separated: api, ingest, worker; a subset needs --nats (the other roles run in other processes)")
	}
	if name == "serve" || name == "api" {
		fs.StringVar(&f.httpAddr, "http", "127.0.0.1:8080", "address of the HTTP API, the web pages and /metrics")
		fs.BoolVar(&f.trustProxy, "trust-proxy", false, "behind a reverse proxy: take the client address for the audit trail from X-Forwarded-For")
	} else {
		fs.StringVar(&f.httpAddr, "http", "", "address of /healthz, /readyz and /metrics (empty: none)")
	}
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve /metrics on this address alone, not on --http (empty: on --http, without a token)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS instead of HTTP on --http (with --tls-key)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file of --tls-cert")
	if name != "worker" {
		fs.Var(&f.webhookAllow, "webhook-allow", "internal webhook destinations to allow: CIDR, IP address or host name (*.example.org for its subdomains); repeat or comma-separate. Loopback, private, link-local, CGNAT, multicast and cloud metadata addresses are refused otherwise; give the api and ingest processes the same list")
	}
}

func (f *serviceFlags) config(roles service.Roles, logger *slog.Logger) service.Config {
	s3 := store.S3ConfigFromEnv()
	s3.Endpoint, s3.Bucket, s3.Secure = f.s3Endpoint, f.bucket, f.s3Secure
	return service.Config{Roles: roles, DataDir: f.dataDir, NATSURL: f.natsURL, NATSPort: f.natsPort, S3: s3, HTTPAddr: f.httpAddr, MetricsAddr: f.metricsAddr,
		TLSCert: f.tlsCert, TLSKey: f.tlsKey, TrustProxy: f.trustProxy, SessionKey: f.sessionKey, WebhookAllow: f.webhookAllow,
		Workers: f.workers, Queue: queue.Config{JobAckWait: f.ackWait, MaxDeliver: f.maxDeliver, CredsFile: f.natsCreds, Replicas: f.replicas},
		KB: f.kb, Version: version(), Log: logger}
}

// serveCmd runs `precis NAME`: serve (every role, or --roles), api, ingest or worker.
func serveCmd(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	var f serviceFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.register(fs, name)
	demo := false
	if name == "serve" {
		fs.BoolVar(&demo, "demo", false, "submit the bundled example run (testdata/runs/demo) and print its report")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "precis %s: unexpected argument %q (flags only)\n", name, fs.Arg(0))
		return exitUsage
	}
	var roles service.Roles
	switch name {
	case "serve":
		var err error
		if roles, err = service.ParseRoles(f.roles); err != nil {
			fmt.Fprintf(stderr, "precis serve: --roles: %v\n", err)
			return exitUsage
		}
	case "api":
		roles = service.Roles{API: true}
	case "ingest":
		roles = service.Roles{Ingest: true}
	case "worker":
		roles = service.Roles{Worker: true}
	}
	if _, err := webhook.NewGuard(f.webhookAllow); err != nil {
		fmt.Fprintf(stderr, "precis %s: --webhook-allow: %v\n", name, err)
		return exitUsage
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		fmt.Fprintf(stderr, "precis %s: --tls-cert and --tls-key go together\n", name)
		return exitUsage
	}
	if roles.API && f.httpAddr == "" {
		fmt.Fprintf(stderr, "precis %s: the api role needs --http\n", name)
		return exitUsage
	}
	if roles.Worker && f.workers < 1 {
		fmt.Fprintf(stderr, "precis %s: --workers %d: want 1 or more\n", name, f.workers)
		return exitUsage
	}
	if f.replicas < 0 || f.replicas > 5 {
		fmt.Fprintf(stderr, "precis %s: --replicas %d: want 0 (automatic) or 1 to 5\n", name, f.replicas)
		return exitUsage
	}
	if k := os.Getenv("PRECIS_SESSION_KEY"); k != "" && roles.API {
		key, err := hex.DecodeString(k)
		if err != nil || len(key) != 32 {
			fmt.Fprintf(stderr, "precis %s: PRECIS_SESSION_KEY must be 64 hex digits (32 bytes; e.g. openssl rand -hex 32)\n", name)
			return exitUsage
		}
		f.sessionKey = key
	}
	if f.natsCreds != "" && f.natsURL == "" {
		fmt.Fprintf(stderr, "precis %s: --nats-creds goes with --nats (the embedded server uses the credentials it generates in --data)\n", name)
		return exitUsage
	}
	if f.natsURL == "" && roles != service.AllRoles {
		fmt.Fprintf(stderr, "precis %s: --nats is required for the %s role(s) alone (the processes of a cluster share a NATS cluster and an object store; precis serve without --roles runs every role on the embedded default)\n", name, roles)
		return exitUsage
	}
	if f.natsURL == "" && f.replicas > 1 {
		fmt.Fprintf(stderr, "precis %s: --replicas %d needs --nats: the embedded server is a single server (one replica)\n", name, f.replicas)
		return exitUsage
	}
	if demo && !roles.API {
		fmt.Fprintln(stderr, "precis serve: --demo needs the api role")
		return exitUsage
	}
	if f.kbDir != "" {
		k, err := kb.LoadDir(f.kbDir)
		if err != nil {
			fmt.Fprintf(stderr, "precis %s: --kb: %v\n", name, err)
			return exitInvalid
		}
		f.kb = k
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := service.Start(ctx, f.config(roles, logger))
	if err != nil {
		fmt.Fprintf(stderr, "precis %s: %v\n", name, err)
		return exitFailure
	}
	if demo {
		issue := func(ctx context.Context, role auth.Role, labs []string, name string) (string, error) {
			token, _, err := svc.Tokens.Issue(ctx, svc.Audit, "system", role, labs, name)
			return token, err
		}
		err := submit.Demo(ctx, stdout, submit.DemoOptions{Server: svc.BaseURL(), Dir: filepath.Join("testdata", "runs", "demo"),
			Issue: issue, Progress: stderr})
		if err != nil {
			fmt.Fprintln(stderr, "precis serve --demo:", err)
			shutdown(svc)
			return exitFailure
		}
	}
	logger.Info("serving; stop with Ctrl-C or SIGTERM", "roles", roles.String())
	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-svc.Err():
		fmt.Fprintf(stderr, "precis %s: %v\n", name, err)
		code = exitFailure
	}
	shutdown(svc)
	return code
}

func shutdown(svc *service.Service) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = svc.Shutdown(ctx)
}

func submitCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "URL of the Precis API")
	token := fs.String("token", "", "the lab's access token (default: $PRECIS_TOKEN)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(reorder(fs, args)); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: precis submit [--server URL] [--token TOKEN] RUN-DIR   (RUN-DIR holds manifest.json and the files it names; the token defaults to $PRECIS_TOKEN)")
		return exitUsage
	}
	var progress io.Writer = stderr
	if *quiet {
		progress = nil
	}
	lab, run, err := submit.Run(ctx, fs.Arg(0), submit.Options{Server: *server, Progress: progress,
		Token: cmp.Or(*token, os.Getenv("PRECIS_TOKEN")), Client: httpClient})
	if err != nil {
		fmt.Fprintln(stderr, "precis submit:", err)
		return exitCode(err)
	}
	fmt.Fprintf(stderr, "lab %s\n", lab)
	fmt.Fprintln(stdout, run)
	return exitOK
}

func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "URL of the Precis API")
	lab := fs.String("lab", "", "lab id (required)")
	format := fs.String("format", "json", "json, text, fhir or html")
	token := fs.String("token", "", "access token (default: $PRECIS_TOKEN)")
	if err := fs.Parse(reorder(fs, args)); err != nil {
		return exitUsage
	}
	if *lab == "" || fs.NArg() < 1 || fs.NArg() > 2 {
		fmt.Fprintln(stderr, "usage: precis report --lab LAB [--format json|text|fhir|html] [--token TOKEN] RUN [SAMPLE]")
		return exitUsage
	}
	if err := oneOf("format", *format, "json", "text", "fhir", "html"); err != nil {
		fmt.Fprintln(stderr, "precis report:", err)
		return exitUsage
	}
	opts := submit.Options{Server: *server, Client: httpClient, Token: cmp.Or(*token, os.Getenv("PRECIS_TOKEN"))}
	body, err := submit.Report(ctx, opts, *lab, fs.Arg(0), fs.Arg(1), *format)
	if err != nil {
		fmt.Fprintln(stderr, "precis report:", err)
		return exitFailure
	}
	fmt.Fprint(stdout, body)
	if !strings.HasSuffix(body, "\n") {
		fmt.Fprintln(stdout)
	}
	return exitOK
}

// httpClient is the client of submit and report. It trusts the system's roots;
// set SSL_CERT_FILE to add a private CA for a service on --tls-cert.
var httpClient = &http.Client{}
