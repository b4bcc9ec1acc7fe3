package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteFiles writes results.md, results.json and throughput.png into dir, and the markdown
// also to summary when it is not "" (its plot link then points into dir).
func (r *Results) WriteFiles(dir, summary string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	png, err := r.Plot()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "throughput.png"), png, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(r.Markdown("throughput.png")), 0o644); err != nil {
		return err
	}
	if summary == "" {
		return nil
	}
	img := "throughput.png"
	if rel, err := filepath.Rel(filepath.Dir(summary), filepath.Join(dir, "throughput.png")); err == nil {
		img = filepath.ToSlash(rel)
	}
	return os.WriteFile(summary, []byte(r.Markdown(img)), 0o644)
}

// Markdown renders the results: targets, the side-by-side table, the service-vs-CLI
// table, the memory comparison, the machine and the exact commands. image is the link to
// the plot.
func (r *Results) Markdown(image string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Precis throughput\n\n")
	p("Measured on %s (UTC) by `%s` (%s mode).\n\n", r.Date.Format("2006-01-02 15:04"), r.Command, r.Mode)
	m := r.Machine
	p("- **Machine:** %s, %d cores, %.1f GiB memory, %s.\n", orDash(m.CPU), m.Cores, float64(m.MemoryBytes)/(1<<30), m.OS)
	var vs []string
	for _, k := range []string{"precis", "bcftools", "bgzip", "tabix"} {
		if v := r.Versions[k]; v != "" {
			if k == "precis" {
				v = "precis " + v
			}
			vs = append(vs, v)
		}
	}
	p("- **Programs:** %s.\n", strings.Join(vs, "; "))
	p("- **Regenerate:** `go run ./cmd/precis bench` from the repository root rewrites this file and `benchmarks/results/` (about two minutes on 2 cores the first time, half of it making the inputs, which are cached in `$TMPDIR/precis-bench`; under a minute after). `--quick` is a smaller run.\n\n")

	p("## Targets\n\n| target | wanted | measured | |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		p("| %s | %s | %s | **%s** |\n", t.Name, t.Want, orDash(t.Got), t.Status)
	}

	p("\n## Side by side, same files\n\n")
	p("| file | records | size | index |\n|---|---:|---:|---|\n")
	for _, f := range r.Files {
		idx := f.Indexer
		if f.Index == "" {
			idx = "none"
		}
		p("| %s | %s | %s | %s |\n", f.Kind, thousands(f.Records), mb(f.Bytes), idx)
	}
	p("\nEach command ran %s on each file after a read that put the file in the page cache; wall time is the median. "+
		"*× limit* is the wall time over the decompression limit's (`bgzip -dc`) on the same file. *Read* is what the process "+
		"read (`rchar` of `/proc/PID/io`, the index included; a block read twice counts twice, so `bcftools view -R`, which reads "+
		"a block again for each region, reads more than a small file holds), for the service the object bytes MinIO returned. Records/s counts "+
		"every record of the file, also for the indexed rows that skip most of them. Peak RSS is the process's own `VmHWM`.\n\n", runsText(r.Rows))
	p("| file | tool | wall (s) | × limit | read | read / file | peak RSS | records/s |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		if !row.Measured {
			p("| %s | %s | not measured: %s | | | | | |\n", row.File, row.Label, oneLine(row.Why))
			continue
		}
		read, frac := "—", "—"
		if row.BytesRead >= 0 {
			read = mb(row.BytesRead)
			if row.FileBytes > 0 {
				frac = fmt.Sprintf("%.2f%%", 100*float64(row.BytesRead)/float64(row.FileBytes))
			}
		}
		rss := "— (in-process)"
		if row.PeakRSS > 0 {
			rss = mib(row.PeakRSS)
		}
		label := row.Label
		if row.Note != "" {
			label += " (" + row.Note + ")"
		}
		p("| %s | %s | %.3f | %s | %s | %s | %s | %s |\n", row.File, label, row.Wall, ratio(row.VsLimit), read, frac, rss, thousands(int(row.RecordsPerSec)))
	}

	p("\n## Many samples: the service against the CLI\n\n")
	p("The same exome-size files (not indexed) through `precis annotate`, %d processes at a time, and through the service "+
		"(MinIO + embedded NATS JetStream + %d workers). Latency is a sample's time in work: the process's wall time, or from "+
		"a worker taking the job to its report stored.\n\n", parallelOf(r.Throughput), parallelOf(r.Throughput))
	p("| path | samples | wall (s) | samples/min | p50 latency (s) | p95 latency (s) |\n|---|---:|---:|---:|---:|---:|\n")
	for _, t := range r.Throughput {
		if !t.Measured {
			p("| %s | %d | not measured: %s | | | |\n", t.Label, t.Samples, oneLine(t.Why))
			continue
		}
		p("| %s | %d | %.2f | %.0f | %.3f | %.3f |\n", t.Label, t.Samples, t.Wall, t.PerMinute, t.P50, t.P95)
	}
	if r.ServiceOnCLI > 0 {
		p("\nService / CLI: **%.2f**.\n", r.ServiceOnCLI)
	}

	p("\n## Memory: panel-size against WGS-scale\n\n")
	if r.Memory.Ratio > 0 {
		p("`precis annotate` (streaming) peaks at %s on the panel-size file and %s on the WGS-scale file: %.2fx.\n",
			mib(r.Memory.PanelPeakRSS), mib(r.Memory.WGSPeakRSS), r.Memory.Ratio)
	} else {
		p("Not measured.\n")
	}

	if image != "" {
		p("\n![wall time per tool on the WGS-scale file, and the exome-size batch through the CLI and the service](%s)\n", image)
	}

	p("\n## Commands\n\n`panels.bed` (%d intervals, 0-based, the file's contig names) is written from the embedded knowledge base's panel regions to `%s`.\n\n```sh\n",
		r.BEDIntervals, shortPath(r.BED))
	for _, row := range r.Rows {
		if row.Command != "" && !strings.HasPrefix(row.Tool, "service") {
			p("%s\n", row.Command)
		}
	}
	p("```\n\n")
	for _, row := range r.Rows {
		if strings.HasPrefix(row.Tool, "service") {
			p("- %s: %s.\n", row.Label, row.Command)
		}
	}
	for _, t := range r.Throughput {
		if t.Command != "" {
			p("- %s: %s.\n", t.Label, t.Command)
		}
	}
	if len(r.Notes) > 0 {
		p("\n## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
	}
	return b.String()
}

func runsText(rows []Row) string {
	n := 0
	for _, r := range rows {
		n = max(n, len(r.Runs))
	}
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func parallelOf(ts []Throughput) int {
	for _, t := range ts {
		if t.Parallel > 0 {
			return t.Parallel
		}
	}
	return 0
}

func ratio(v float64) string {
	if v <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", v)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", "\\|")
}

func mb(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// thousands writes n with comma separators: 4,500,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
