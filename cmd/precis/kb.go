package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/build"
)

const kbUsage = "usage: precis kb build [--src DIR] [--clinvar FILE]... [--out DIR] | precis kb info [--kb DIR]"

// pathsFlag is a repeatable flag of file paths (kept whole: a path may hold a comma).
type pathsFlag []string

func (p *pathsFlag) String() string     { return strings.Join(*p, " ") }
func (p *pathsFlag) Set(v string) error { *p = append(*p, v); return nil }

// kbFlag registers --kb on a command's flags.
func kbFlag(fs *flag.FlagSet) *string {
	return fs.String("kb", "", "knowledge base directory written by 'precis kb build' (empty: the one embedded in the binary)")
}

// loadKB loads the knowledge base in dir, or the embedded one when dir is "". An error names
// the directory and what is wrong with it.
func loadKB(dir string) (*kb.KB, error) {
	if dir == "" {
		return kb.Load()
	}
	return kb.LoadDir(dir)
}

func kbCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, kbUsage)
		return exitUsage
	}
	switch args[0] {
	case "build":
		fs := flag.NewFlagSet("kb build", flag.ContinueOnError)
		fs.SetOutput(stderr)
		src := fs.String("src", "../shared/data", "directory of the source data (ClinVar, MANE, PharmCAT, sequences)")
		out := fs.String("out", "internal/kb/data", "directory to write the built knowledge base into")
		var clinvar pathsFlag
		fs.Var(&clinvar, "clinvar", "a GRCh38 ClinVar VCF release to use (repeat for several; the newer release wins where they disagree); none: the two ClinVar files of --src")
		if err := fs.Parse(args[1:]); err != nil {
			return exitUsage
		}
		if fs.NArg() != 0 {
			fmt.Fprintln(stderr, kbUsage)
			return exitUsage
		}
		v, err := build.Run(build.Options{Src: *src, Out: *out, ClinVar: clinvar})
		if err != nil {
			fmt.Fprintln(stderr, "precis kb build:", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "knowledge base %s written to %s\n", v, *out)
		if filepath.Clean(*out) == filepath.Join("internal", "kb", "data") {
			fmt.Fprintln(stderr, "rebuild the binary to embed it")
		} else {
			fmt.Fprintf(stderr, "use it with --kb %s (precis annotate, serve, worker)\n", *out)
		}
		return exitOK
	case "info":
		fs := flag.NewFlagSet("kb info", flag.ContinueOnError)
		fs.SetOutput(stderr)
		dir := kbFlag(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return exitUsage
		}
		if fs.NArg() != 0 {
			fmt.Fprintln(stderr, kbUsage)
			return exitUsage
		}
		k, err := loadKB(*dir)
		if err != nil {
			fmt.Fprintln(stderr, "precis kb info:", err)
			return exitInvalid
		}
		where := "embedded"
		if *dir != "" {
			where = *dir
		}
		fmt.Fprintf(stdout, "knowledge base %s (%s)\n", k.Version, where)
		fmt.Fprintln(stdout, "sources:")
		for _, s := range k.Sources {
			fmt.Fprintf(stdout, "  %s\t%s\t%s\n", s.Name, s.Release, s.Licence)
		}
		counts := map[string]int{}
		for e := range k.ClinVar.All() {
			counts[e.Release]++
		}
		fmt.Fprintln(stdout, "ClinVar entries by release:")
		for _, r := range slices.Sorted(maps.Keys(counts)) {
			fmt.Fprintf(stdout, "  %s\t%d\n", r, counts[r])
		}
		fmt.Fprintf(stdout, "  total\t%d\n", k.ClinVar.Len())
		return exitOK
	}
	fmt.Fprintf(stderr, "precis kb: unknown subcommand %q\n", args[0])
	return exitUsage
}
