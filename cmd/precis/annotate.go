package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/fhir"
	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/panel"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf/index"
	"github.com/precis-dx/precis/internal/web"
)

type annotateConfig struct {
	format, lang, panels, build, missing, specimen, sample string
	plannedDrugs                                           string
	index                                                  string // auto | off
	file                                                   string
	callable                                               string // callable-regions BED, "" for none
	minDP, minGQ                                           int
}

func annotateCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c annotateConfig
	fs := flag.NewFlagSet("annotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.format, "format", "json", "output format: json, text, fhir (HL7 FHIR R4 Bundle, Genomics Reporting IG) or html (a standalone page that prints on A4)")
	fs.StringVar(&c.lang, "lang", "en", "labels of the html format: en or sv")
	fs.StringVar(&c.panels, "panels", "dpyd,brca,lynch,pole", "comma-separated panels to report: dpyd, brca, lynch, pole, ugt1a1, tpmt, nudt15, or all; an empty list is refused")
	fs.StringVar(&c.build, "build", "auto", "genome build: auto, GRCh38 or GRCh37 (overrides only when the evidence does not contradict it)")
	fs.StringVar(&c.missing, "missing", "no-call", "pharmacogene (DPYD, UGT1A1, TPMT, NUDT15) positions absent from the input: no-call (untested) or reference")
	fs.StringVar(&c.specimen, "specimen", "germline", "specimen: germline or tumour")
	fs.StringVar(&c.sample, "sample", "", "report only this sample")
	fs.StringVar(&c.plannedDrugs, "planned-drugs", "", "comma-separated drugs or regimens planned (e.g. FOLFIRI, capecitabine, azathioprine): they decide which pharmacogenomic alerts are raised and listed first; every ordered gene is still reported")
	fs.IntVar(&c.minDP, "min-dp", annotate.DefaultMinDP, "a gVCF block or site tests a DPYD position, and covers a coding base, only with FORMAT DP (MIN_DP of a block) at least this; 0 turns the check off")
	fs.IntVar(&c.minGQ, "min-gq", annotate.DefaultMinGQ, "a gVCF block or site tests a position only with FORMAT GQ at least this; 0 turns the check off")
	fs.StringVar(&c.callable, "callable", "", "callable-regions BED (mosdepth --quantize, GATK CallableLoci or 3 columns; plain, gzip or BGZF) the coverage per gene is read from")
	kbDir := kbFlag(fs)
	fs.StringVar(&c.index, "index", "auto", "auto: with FILE.tbi or FILE.csi beside a BGZF FILE, read only the blocks in the panels; off: read the whole file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: precis annotate [--format json|text|fhir|html] [--lang en|sv] [--panels dpyd,brca,lynch,pole,ugt1a1,tpmt,nudt15|all] [--build auto|GRCh38|GRCh37] [--missing no-call|reference] [--specimen germline|tumour] [--sample NAME] [--planned-drugs LIST] [--min-dp N] [--min-gq N] [--callable BED] [--index auto|off] [--kb DIR] FILE|-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorder(fs, args)); err != nil {
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
		oneOf("format", c.format, "json", "text", "fhir", "html"),
		oneOf("lang", c.lang, "en", "sv"),
		oneOf("build", c.build, "auto", "GRCh38", "GRCh37"),
		oneOf("missing", c.missing, "no-call", "reference"),
		oneOf("specimen", c.specimen, "germline", "tumour"),
		oneOf("index", c.index, "auto", "off"),
	} {
		if err != nil {
			fmt.Fprintln(stderr, "precis annotate:", err)
			return exitUsage
		}
	}
	if c.minDP < 0 || c.minGQ < 0 {
		fmt.Fprintln(stderr, "precis annotate: --min-dp and --min-gq take a number of 0 or more")
		return exitUsage
	}
	panels, err := panel.Parse(c.panels)
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate:", err)
		return exitUsage
	}

	k, err := loadKB(*kbDir)
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate: knowledge base:", err)
		if *kbDir != "" {
			return exitInvalid
		}
		return exitFailure
	}
	a, err := annotate.New(k, version())
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate:", err)
		return exitFailure
	}
	opts := annotate.Options{Panels: panels, Build: c.build, Missing: c.missing, Specimen: c.specimen, Sample: c.sample,
		MinDP: offIfZero(c.minDP), MinGQ: offIfZero(c.minGQ), PlannedDrugs: plannedDrugs(c.plannedDrugs)}
	if c.callable != "" {
		f, err := os.Open(c.callable)
		if err != nil {
			fmt.Fprintln(stderr, "precis annotate:", err)
			return exitInvalid
		}
		defer f.Close()
		opts.Callable, opts.CallableName = bufio.NewReaderSize(f, 1<<16), c.callable
	}
	var rep *report.Report
	if c.file == "-" {
		rep, err = a.Annotate(ctx, bufio.NewReaderSize(stdin, 1<<20), "-", opts)
	} else {
		f, oerr := os.Open(c.file)
		if oerr != nil {
			fmt.Fprintln(stderr, "precis annotate:", oerr)
			return exitInvalid
		}
		defer f.Close()
		st, serr := f.Stat()
		if idx := indexBeside(c.file); c.index == "auto" && idx != "" && serr == nil && st.Mode().IsRegular() {
			rep, err = a.AnnotateIndexed(ctx, localIndexed(f, st.Size(), c.file, idx), opts)
		} else {
			rep, err = a.Annotate(ctx, bufio.NewReaderSize(f, 1<<20), c.file, opts)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "precis annotate:", err)
		return exitCode(err)
	}
	w := bufio.NewWriter(stdout)
	switch c.format {
	case "text":
		err = report.WriteText(w, rep)
	case "fhir":
		err = fhir.Write(w, rep)
	case "html":
		err = web.RenderReport(w, rep, c.lang)
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

// indexBeside returns the tabix or CSI index next to file (FILE.tbi, else FILE.csi), or "".
func indexBeside(file string) string {
	for _, ext := range []string{".tbi", ".csi"} {
		if st, err := os.Stat(file + ext); err == nil && st.Mode().IsRegular() {
			return file + ext
		}
	}
	return ""
}

// localIndexed describes an open local VCF of size bytes and its index for
// annotate.AnnotateIndexed.
func localIndexed(f *os.File, size int64, name, idx string) annotate.Indexed {
	return annotate.Indexed{
		Name: name, Size: size, Ranges: index.ReaderAt(f), IndexName: idx,
		Index: func(context.Context) (io.ReadCloser, error) { return os.Open(idx) },
		Whole: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 1<<20)), nil
		},
	}
}

// reorder moves flags before the positional arguments, so that a flag may follow FILE as
// users type it. Whether a flag takes the next argument as its value is the flag package's
// own rule, asked of fs: a boolean flag does not (`submit --quiet --server URL DIR`), and
// neither does `--flag=value`; an unknown flag is left for fs.Parse to report.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && takesValue(fs, a) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

// takesValue reports whether the flag named by arg ("-x" or "--x") is defined in fs and
// needs a value.
func takesValue(fs *flag.FlagSet, arg string) bool {
	f := fs.Lookup(strings.TrimLeft(arg, "-"))
	if f == nil {
		return false
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return false
	}
	return true
}

// offIfZero maps a threshold flag to annotate.Options, where 0 means the default and a
// negative value turns the check off.
func offIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// plannedDrugs splits --planned-drugs and normalises each name (guideline.NormalizeAll).
func plannedDrugs(list string) []string {
	var out []string
	for _, d := range strings.Split(list, ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return guideline.NormalizeAll(out)
}
