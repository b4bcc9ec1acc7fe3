package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/pipeline"
)

// Exit codes (DESIGN.md, "CLI").
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitInvalid = 3
	exitBuild   = 4
)

// exitCode is the one place that turns a failed command's error into its exit code, from the
// error's kind (package pipeline): 3 invalid input (2 when it is an option that does not fit
// the input, annotate.ErrUsage), 4 genome build, 1 anything else.
func exitCode(err error) int {
	switch pipeline.KindOf(err) {
	case pipeline.Invalid:
		if errors.Is(err, annotate.ErrUsage) {
			return exitUsage
		}
		return exitInvalid
	case pipeline.Build:
		return exitBuild
	}
	return exitFailure
}

const usage = `usage: precis <command> [flags]

commands:
  annotate   annotate a VCF against the panels and write the report
  serve      run every role of the service (embedded NATS and object store by default);
             --roles api,ingest,worker runs a subset against a NATS cluster (--nats)
  api        run the HTTP API and the web pages against a NATS cluster and an S3 endpoint
  ingest     run ingest (runs, bucket notifications, reanalysis coordination, alert
             webhooks) against a NATS cluster and an S3 endpoint
  worker     run workers against a NATS cluster and an S3 endpoint
  submit     upload a run directory (manifest.json and its VCFs) to the service
  report     fetch a run's status or a sample's report from the service
  token      create, list or revoke the service's access tokens (per lab and role)
  kb build   build a knowledge base from its source files and chosen ClinVar releases
             (--clinvar FILE...; default: the embedded one's, into internal/kb/data)
  kb info    show a knowledge base's version, sources and ClinVar entries per release
  kb publish store a knowledge base in the service and make it active (workers switch, reports are reanalysed)
  bench      measure throughput and memory against bgzip and bcftools, and the service against
             the CLI (runs the separate precis-bench program: go run ./cmd/precis-bench)
  version    print the version

Run 'precis <command> -h' for a command's flags.
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "annotate":
		return annotateCmd(ctx, args[1:], stdin, stdout, stderr)
	case "kb":
		return kbCmd(ctx, args[1:], stdout, stderr)
	case "serve", "api", "ingest", "worker":
		return serveCmd(ctx, args[0], args[1:], stdout, stderr)
	case "submit":
		return submitCmd(ctx, args[1:], stdout, stderr)
	case "report":
		return reportCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "token":
		return tokenCmd(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "precis", version())
		return exitOK
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "precis: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// ldVersion may be set at link time: -ldflags "-X main.ldVersion=v1.2.3".
var ldVersion string

// version comes from the link-time value, else the module version, else the VCS revision the
// Go toolchain stamps into the binary; never from a hand-edited constant.
func version() string {
	if ldVersion != "" {
		return ldVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "devel"
	}
	v := "devel+" + rev[:min(12, len(rev))]
	if modified == "true" {
		v += ".dirty"
	}
	return v
}

// oneOf checks a flag value against its allowed values.
func oneOf(name, val string, allowed ...string) error {
	for _, a := range allowed {
		if val == a {
			return nil
		}
	}
	return fmt.Errorf("--%s %q: want one of %s", name, val, strings.Join(allowed, ", "))
}
