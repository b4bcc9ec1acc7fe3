package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
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
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/service"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/submit"
	"github.com/precis-dx/precis/internal/webhook"
)

// serviceFlags are the flags `serve` and `worker` share.
type serviceFlags struct {
	dataDir, natsURL, s3Endpoint, bucket, httpAddr string
	metricsAddr                                    string
	tlsCert, tlsKey                                string
	s3Secure, trustProxy                           bool
	sessionKey                                     []byte
	workers, natsPort                              int
	ackWait                                        time.Duration
	maxDeliver                                     int

	natsCreds    string   // --nats-creds: credentials for --nats
	webhookAllow listFlag // --webhook-allow: internal destinations webhooks may reach
}

func (f *serviceFlags) register(fs *flag.FlagSet, worker bool) {
	fs.StringVar(&f.dataDir, "data", "precis-data", "directory of the embedded NATS server and the local object store")
	fs.StringVar(&f.natsURL, "nats", "", "NATS URL (e.g. nats://nats-1:4222); empty starts an embedded server with JetStream")
	fs.StringVar(&f.natsCreds, "nats-creds", "", "credentials for --nats, mode 0600: a NATS .creds file (user JWT and NKey seed) or one line user:password or token")
	fs.IntVar(&f.natsPort, "nats-port", 4222, "port of the embedded NATS server (0: any free port); it requires the credentials it generates into DIR/nats/credentials")
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3 endpoint host:port; empty uses a local object store in --data; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or MINIO_ROOT_USER/MINIO_ROOT_PASSWORD)")
	fs.StringVar(&f.bucket, "bucket", "precis", "S3 bucket")
	fs.BoolVar(&f.s3Secure, "s3-tls", false, "use HTTPS for the S3 endpoint")
	fs.IntVar(&f.workers, "workers", 2, "concurrent sample jobs in this process")
	fs.DurationVar(&f.ackWait, "ack-wait", 2*time.Minute, "how long a job may go without a sign of life before NATS redelivers it")
	fs.IntVar(&f.maxDeliver, "max-deliver", 5, "deliveries of a job before it is dead-lettered")
	if !worker {
		fs.StringVar(&f.httpAddr, "http", "127.0.0.1:8080", "address of the HTTP API, the web pages and /metrics")
		fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve /metrics on this address alone, not on -http (empty: on -http, without a token)")
		fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS instead of HTTP (with --tls-key)")
		fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file of --tls-cert")
		fs.BoolVar(&f.trustProxy, "trust-proxy", false, "behind a reverse proxy: take the client address for the audit trail from X-Forwarded-For")
		fs.Var(&f.webhookAllow, "webhook-allow", "internal webhook destinations to allow: CIDR, IP address or host name (*.example.org for its subdomains); repeat or comma-separate. Loopback, private, link-local, CGNAT, multicast and cloud metadata addresses are refused otherwise")
	} else {
		fs.StringVar(&f.httpAddr, "http", "", "address of /metrics, /healthz and /readyz (empty: none)")
	}
}

func (f *serviceFlags) config(ingest bool, logger *slog.Logger) service.Config {
	s3 := store.S3ConfigFromEnv()
	s3.Endpoint, s3.Bucket, s3.Secure = f.s3Endpoint, f.bucket, f.s3Secure
	return service.Config{DataDir: f.dataDir, NATSURL: f.natsURL, NATSPort: f.natsPort, S3: s3, HTTPAddr: f.httpAddr, MetricsAddr: f.metricsAddr,
		TLSCert: f.tlsCert, TLSKey: f.tlsKey, TrustProxy: f.trustProxy, SessionKey: f.sessionKey, WebhookAllow: f.webhookAllow,
		Workers: f.workers, Ingest: ingest, Queue: queue.Config{JobAckWait: f.ackWait, MaxDeliver: f.maxDeliver, CredsFile: f.natsCreds},
		Version: version(), Log: logger}
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer, worker bool) int {
	name := "serve"
	if worker {
		name = "worker"
	}
	var f serviceFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.register(fs, worker)
	demo := false
	if !worker {
		fs.BoolVar(&demo, "demo", false, "submit the bundled example run (testdata/runs/demo) and print its report")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if _, err := webhook.NewGuard(f.webhookAllow); err != nil {
		fmt.Fprintf(stderr, "precis %s: --webhook-allow: %v\n", name, err)
		return exitUsage
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		fmt.Fprintln(stderr, "precis serve: --tls-cert and --tls-key go together")
		return exitUsage
	}
	if k := os.Getenv("PRECIS_SESSION_KEY"); k != "" && !worker {
		key, err := hex.DecodeString(k)
		if err != nil || len(key) != 32 {
			fmt.Fprintln(stderr, "precis serve: PRECIS_SESSION_KEY must be 64 hex digits (32 bytes; e.g. openssl rand -hex 32)")
			return exitUsage
		}
		f.sessionKey = key
	}
	if f.natsCreds != "" && f.natsURL == "" {
		fmt.Fprintf(stderr, "precis %s: --nats-creds goes with --nats (the embedded server uses the credentials it generates in --data)\n", name)
		return exitUsage
	}
	if worker && f.natsURL == "" {
		fmt.Fprintln(stderr, "precis worker: --nats is required (workers share a NATS cluster and an object store)")
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := service.Start(ctx, f.config(!worker, logger))
	if err != nil {
		fmt.Fprintf(stderr, "precis %s: %v\n", name, err)
		return exitFailure
	}
	if demo {
		if err := runDemo(ctx, svc, stdout); err != nil {
			fmt.Fprintln(stderr, "precis serve --demo:", err)
			shutdown(svc)
			return exitFailure
		}
	}
	logger.Info("serving; stop with Ctrl-C or SIGTERM")
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

// runDemo submits testdata/runs/demo through the HTTP API with a token of the demo lab, waits
// for its report and prints it, and issues a clinician token for the web pages.
func runDemo(ctx context.Context, svc *service.Service, stdout io.Writer) error {
	base := svc.BaseURL()
	dir := filepath.Join("testdata", "runs", "demo")
	mf, err := os.Open(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	m, err := manifest.Parse(mf, mf.Name())
	mf.Close()
	if err != nil {
		return err
	}
	labToken, _, err := svc.Tokens.Create(ctx, auth.RoleLab, []string{m.Lab}, "demo lab (precis serve --demo)")
	if err != nil {
		return err
	}
	clinToken, _, err := svc.Tokens.Create(ctx, auth.RoleClinician, []string{m.Lab}, "demo clinician (precis serve --demo)")
	if err != nil {
		return err
	}
	lab, run, err := submit.Run(ctx, dir, submit.Options{Server: base, Progress: os.Stderr, Token: labToken})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "submitted run %s of lab %s\n", run, lab)
	fmt.Fprintf(stdout, "web pages: %s/ (sign in with the clinician token below)\n", base)
	fmt.Fprintf(stdout, "demo clinician token (read-only, lab %s): %s\n", lab, clinToken)
	fmt.Fprintf(stdout, "demo lab token (submits for lab %s):       %s\n", lab, labToken)
	token := labToken
	status := fmt.Sprintf("%s/api/v1/runs/%s/%s", base, lab, run)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var st pipeline.RunState
		if err := getJSON(ctx, status, token, &st); err == nil && (st.Status == "done" || st.Status == "failed" || st.Status == "rejected") {
			fmt.Fprintf(stdout, "run %s: %s %s\n", run, st.Status, st.Reason)
			for id, s := range st.Samples {
				fmt.Fprintf(stdout, "sample %s: %s; report object %s\n  %s/samples/%s/report\n", id, s.Status, s.Report, status, id)
				if s.Status == "done" {
					if text, err := getText(ctx, status+"/samples/"+id+"/report?format=text", token); err == nil {
						fmt.Fprintln(stdout)
						fmt.Fprint(stdout, text)
					}
				}
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("run %s not finished after 2 minutes", run)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func getJSON(ctx context.Context, url, token string, v any) error {
	b, err := getText(ctx, url, token)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(b), v)
}

func getText(ctx context.Context, url, token string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	return string(b), nil
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
	url := fmt.Sprintf("%s/api/v1/runs/%s/%s", strings.TrimRight(*server, "/"), *lab, fs.Arg(0))
	if fs.NArg() == 2 {
		url += "/samples/" + fs.Arg(1) + "/report"
		url += "?format=" + *format
	}
	body, err := getText(ctx, url, cmp.Or(*token, os.Getenv("PRECIS_TOKEN")))
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

// httpClient is the client of submit, report and the demo. It trusts the system's roots;
// set SSL_CERT_FILE to add a private CA for a service on --tls-cert.
var httpClient = &http.Client{}
