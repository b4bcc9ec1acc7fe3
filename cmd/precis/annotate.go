package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/panel"
	"github.com/precis-dx/precis/internal/report"
)

type annotateConfig struct {
	format, panels, build, missing, specimen, sample string
	file                                             string
}

func annotateCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c annotateConfig
	fs := flag.NewFlagSet("annotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.format, "format", "json", "output format: json or text")
	fs.StringVar(&c.panels, "panels", "dpyd,brca,lynch,pole", "comma-separated panels to report: dpyd, brca, lynch, pole")
	fs.StringVar(&c.build, "build", "auto", "genome build: auto, GRCh38 or GRCh37 (overrides only when the evidence does not contradict it)")
	fs.StringVar(&c.missing, "missing", "no-call", "DPYD positions absent from the input: no-call (untested) or reference")
	fs.StringVar(&c.specimen, "specimen", "germline", "specimen: germline or tumour")
	fs.StringVar(&c.sample, "sample", "", "report only this sample")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: precis annotate [--format json|text] [--panels dpyd,brca,lynch,pole] [--build auto|GRCh38|GRCh37] [--missing no-call|reference] [--specimen germline|tumour] [--sample NAME] FILE|-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorder(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	c.file = fs.Arg(0)
	if c.specimen == "tumor" {
		c.specimen = "tumour"
	}
	for _, err := range []error{
		oneOf("format", c.format, "json", "text"),
		oneOf("build", c.build, "auto", "GRCh38", "GRCh37"),
		oneOf("missing", c.missing, "no-call", "reference"),
		oneOf("specimen", c.specimen, "germline", "tumour"),
	} {
		if err != nil {
			fmt.Fprintln(stderr, "precis annotate:", err)
			return exitUsage
		}
	}
	panels, err := panel.Parse(c.panels)
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate:", err)
		return exitUsage
	}

	k, err := kb.Load()
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate: knowledge base:", err)
		return exitFailure
	}
	a, err := annotate.New(k, version())
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate:", err)
		return exitFailure
	}
	var src io.Reader = stdin
	name := "-"
	if c.file != "-" {
		f, err := os.Open(c.file)
		if err != nil {
			fmt.Fprintln(stderr, "precis annotate:", err)
			return exitInvalid
		}
		defer f.Close()
		src, name = f, c.file
	}
	rep, err := a.Annotate(ctx, bufio.NewReaderSize(src, 1<<20), name, annotate.Options{
		Panels: panels, Build: c.build, Missing: c.missing, Specimen: c.specimen, Sample: c.sample,
	})
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate:", err)
		switch {
		case annotate.IsInvalid(err):
			return exitInvalid
		case annotate.IsBuild(err):
			return exitBuild
		case errors.Is(err, annotate.ErrUsage):
			return exitUsage
		}
		return exitFailure
	}
	w := bufio.NewWriter(stdout)
	switch c.format {
	case "text":
		err = report.WriteText(w, rep)
	default:
		err = report.WriteJSON(w, rep)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate: write report:", err)
		return exitFailure
	}
	return exitOK
}

// reorder moves flags before positional arguments so `precis annotate FILE --format text`
// works as well as the flags-first form the flag package expects.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if !containsEq(a) && i+1 < len(args) && takesValue(a) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

func containsEq(s string) bool {
	for _, c := range s {
		if c == '=' {
			return true
		}
	}
	return false
}

func takesValue(flagArg string) bool {
	switch flagArg {
	case "-h", "-help", "--help":
		return false
	}
	return true
}
