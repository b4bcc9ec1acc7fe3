// Command precis-bench runs the benchmark harness (benchmarks/harness): precis side by side
// with bgzip and bcftools on generated WGS-, exome- and panel-size files, and the service
// against the CLI. It is a program of its own so that the clinical binary links no benchmark
// or test machinery; `precis bench` hands over to it.
//
//	go run ./cmd/precis-bench [--quick] [--precis PATH] [--out DIR] [--wgs-records N] [--exomes N] [--reanalyses N] [--skip-service] [--skip-reanalysis] [--skip-cluster] [--build GRCh38|GRCh37]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/precis-dx/precis/benchmarks/harness"
)

// Exit codes, as precis's: 0 success, 1 anything else, 2 usage error.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	def := harness.DefaultConfig()
	fs := flag.NewFlagSet("precis-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", def.Out, "directory for results.md, results.json and throughput.png; the default also rewrites benchmarks/RESULTS.md when run from the repository (with --quick the default is $TMPDIR/precis-bench/quick-results; with --build GRCh37 the default's subdirectory GRCh37, and benchmarks/RESULTS.md is left as it is)")
	quick := fs.Bool("quick", false, "a small run: 500,000 WGS-scale records, 10 exome-size samples, 4 of them reanalysed")
	wgs := fs.Int("wgs-records", def.WGSRecords, "records of the WGS-scale file")
	exomes := fs.Int("exomes", def.Exomes, "exome-size samples through the CLI and the service")
	reanalyses := fs.Int("reanalyses", def.Reanalyses, "exome-size samples reported with a ClinVar 2024-12 knowledge base, then re-evaluated after the full one is published (with --quick the default is 4)")
	skip := fs.Bool("skip-service", false, "leave out MinIO and the service (the reanalysis row too)")
	skipRe := fs.Bool("skip-reanalysis", false, "leave out the reanalysis row of the service")
	skipCluster := fs.Bool("skip-cluster", false, "leave out the cluster row (a 3-node NATS JetStream cluster, MinIO, precis ingest and 1, 2 and 4 precis worker processes)")
	data := fs.String("data", "", "the shared data folder the ClinVar 2024-12 knowledge base is built from (default: ../shared/data beside the repository)")
	build := fs.String("build", harness.DefaultBuild, "genome build of the inputs: GRCh38 (the generated files), or GRCh37 (the same files converted to GRCh37 by the knowledge base's map, cached beside them)")
	precis := fs.String("precis", "", "the precis binary measured; by default precis beside this program, else one built from the repository when run from its root, else precis on the PATH")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: precis-bench [--out DIR] [--quick] [--wgs-records N] [--exomes N] [--reanalyses N] [--skip-service] [--skip-reanalysis] [--skip-cluster] [--data DIR] [--build GRCh38|GRCh37] [--precis PATH]")
		fmt.Fprintln(stderr, "       (also run as `precis bench ...`, or `go run ./cmd/precis-bench ...` from the repository)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 || *wgs < 1 || *exomes < 1 || *reanalyses < 1 || (*build != harness.DefaultBuild && *build != harness.GRCh37) {
		fs.Usage()
		return exitUsage
	}
	cfg := def
	if *quick {
		cfg = harness.QuickConfig()
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["out"] {
		cfg.Out = *out
	}
	if set["wgs-records"] {
		cfg.WGSRecords = *wgs
	}
	if set["exomes"] {
		cfg.Exomes = *exomes
	}
	if set["reanalyses"] {
		cfg.Reanalyses = *reanalyses
	}
	cfg.SkipService, cfg.SkipReanalysis, cfg.SkipCluster, cfg.Data = *skip, *skipRe, *skipCluster, *data
	cfg.GenomeBuild = *build
	if cfg.GenomeBuild == harness.GRCh37 && !set["out"] {
		// Beside the GRCh38 results, which stay the summary of record.
		cfg.Out = filepath.Join(cfg.Out, harness.GRCh37)
	}
	if !*quick && !set["out"] && cfg.GenomeBuild == harness.DefaultBuild {
		if _, err := os.Stat(filepath.Join("benchmarks", "RESULTS.md")); err == nil {
			cfg.Summary = filepath.Join("benchmarks", "RESULTS.md")
		}
	}
	cfg.Log = slog.New(slog.NewTextHandler(stderr, nil))
	bin, cleanup, err := precisBinary(ctx, *precis, cfg.Log)
	if err != nil {
		fmt.Fprintln(stderr, "precis-bench:", err)
		return exitFailure
	}
	defer cleanup()
	cfg.Precis = bin
	cfg.Command = strings.TrimSpace("precis-bench " + strings.Join(args, " "))

	res, err := harness.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "precis-bench:", err)
		return exitFailure
	}
	fmt.Fprint(stdout, res.Markdown(filepath.Join(cfg.Out, "throughput.png")))
	fmt.Fprintln(stderr, "precis-bench: wrote", filepath.Join(cfg.Out, "results.md"), "results.json throughput.png")
	if cfg.Summary != "" {
		fmt.Fprintln(stderr, "precis-bench: wrote", cfg.Summary)
	}
	return exitOK
}

// precisBinary returns the precis binary to measure: path (--precis) when set; else precis beside this
// program (bin/precis next to bin/precis-bench); else, run from the repository's root, one
// built from it now (so `go run ./cmd/precis-bench` measures the source it runs from, as
// `go run ./cmd/precis bench` did); else precis on the PATH. cleanup removes a binary built
// here.
func precisBinary(ctx context.Context, path string, log *slog.Logger) (bin string, cleanup func(), err error) {
	none := func() {}
	if path != "" {
		return path, none, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "precis")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, none, nil
		}
	}
	if _, err := os.Stat(filepath.Join("cmd", "precis", "main.go")); err == nil {
		dir, err := os.MkdirTemp("", "precis-bench-bin")
		if err != nil {
			return "", none, err
		}
		p := filepath.Join(dir, "precis")
		log.Info("building precis from this repository", "out", p)
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", p, "./cmd/precis").CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return "", none, fmt.Errorf("go build ./cmd/precis: %v\n%s", err, out)
		}
		return p, func() { os.RemoveAll(dir) }, nil
	}
	if p, err := exec.LookPath("precis"); err == nil {
		return p, none, nil
	}
	return "", none, errors.New("no precis binary to measure: pass --precis PATH, put precis beside precis-bench, or run from the repository's root")
}
