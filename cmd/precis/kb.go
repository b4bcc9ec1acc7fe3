package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/build"
)

func kbCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: precis kb build [--src DIR] [--out DIR] | precis kb info")
		return exitUsage
	}
	switch args[0] {
	case "build":
		fs := flag.NewFlagSet("kb build", flag.ContinueOnError)
		fs.SetOutput(stderr)
		src := fs.String("src", "../shared/data", "directory of the source data (ClinVar, MANE, PharmCAT, sequences)")
		out := fs.String("out", "internal/kb/data", "directory to write the built knowledge base into")
		if err := fs.Parse(args[1:]); err != nil {
			return exitUsage
		}
		if err := build.Build(*src, *out); err != nil {
			fmt.Fprintln(stderr, "precis kb build:", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "knowledge base written to %s; rebuild the binary to embed it\n", *out)
		return exitOK
	case "info":
		k, err := kb.Load()
		if err != nil {
			fmt.Fprintln(stderr, "precis kb info:", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "knowledge base %s\n", k.Version)
		for _, s := range k.Sources {
			fmt.Fprintf(stdout, "  %s\t%s\t%s\n", s.Name, s.Release, s.Licence)
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "precis kb: unknown subcommand %q\n", args[0])
	return exitUsage
}
