package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/precis-dx/precis/internal/bench"
)

// benchCmd runs the benchmark harness (internal/bench) with this binary as the precis it
// measures.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	def := bench.DefaultConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", def.Out, "directory for results.md, results.json and throughput.png; the default also rewrites benchmarks/RESULTS.md when run from the repository (with --quick the default is $TMPDIR/precis-bench/quick-results)")
	quick := fs.Bool("quick", false, "a small run: 500,000 WGS-scale records and 10 exome-size samples")
	wgs := fs.Int("wgs-records", def.WGSRecords, "records of the WGS-scale file")
	exomes := fs.Int("exomes", def.Exomes, "exome-size samples through the CLI and the service")
	skip := fs.Bool("skip-service", false, "leave out MinIO and the service")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: precis bench [--out DIR] [--quick] [--wgs-records N] [--exomes N] [--skip-service]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 || *wgs < 1 || *exomes < 1 {
		fs.Usage()
		return exitUsage
	}
	cfg := def
	if *quick {
		cfg = bench.QuickConfig()
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
	cfg.SkipService = *skip
	if !*quick && !set["out"] {
		if _, err := os.Stat(filepath.Join("benchmarks", "gen.go")); err == nil {
			cfg.Summary = filepath.Join("benchmarks", "RESULTS.md")
		}
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "precis bench:", err)
		return exitFailure
	}
	cfg.Precis = exe
	cfg.Command = strings.TrimSpace("precis bench " + strings.Join(args, " "))
	cfg.Log = slog.New(slog.NewTextHandler(stderr, nil))

	res, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "precis bench:", err)
		return exitFailure
	}
	fmt.Fprint(stdout, res.Markdown(filepath.Join(cfg.Out, "throughput.png")))
	fmt.Fprintln(stderr, "precis bench: wrote", filepath.Join(cfg.Out, "results.md"), "results.json throughput.png")
	if cfg.Summary != "" {
		fmt.Fprintln(stderr, "precis bench: wrote", cfg.Summary)
	}
	return exitOK
}
