package harness

import (
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/precis-dx/precis/benchmarks/harness/plot"
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
	if r.GenomeBuild != "" {
		how := "the generated files as they are"
		if r.GenomeBuild != DefaultBuild {
			how = "the generated GRCh38 files converted to " + r.GenomeBuild + " (see the notes)"
		}
		p("- **Genome build:** %s: %s; every precis report read back says it (`input.genome_build`).\n", r.GenomeBuild, how)
	}
	p("- **Regenerate:** `go run ./cmd/precis-bench` from the repository root rewrites this file and `benchmarks/results/` (about two minutes on 2 cores the first time, half of it making the inputs, which are cached in `$TMPDIR/precis-bench`; under a minute after). `--quick` is a smaller run.\n\n")

	p("## Targets\n\n| target | wanted | measured | |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		p("| %s | %s | %s | **%s** |\n", t.Name, t.Want, orDash(t.Got), t.Status)
	}

	p("\n## Side by side, same files\n\n")
	p("| file | records | size | index |\n|---|---:|---:|---|\n")
	for _, f := range r.Files {
		idx := "none"
		if f.Index != "" {
			idx = ".tbi: " + f.Indexer
		}
		if f.CSI != "" {
			idx += "; CSI: " + f.CSIIndexer + ", beside a link to the file in `" + shortPath(filepath.Dir(f.CSIPath)) + "`"
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

	r.indexSection(p)

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

	r.reanalysisSection(p)
	r.clusterSection(p)

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
	for _, f := range r.Files {
		if f.CSI != "" {
			p("The WGS-scale file's indexes: `tabix -p vcf %s` (the .tbi every row not marked CSI reads, `bcftools view -R` included) and `ln -s %s %s && tabix --csi -p vcf %s` (the CSI: a file with both would have its .tbi taken by htslib and by precis alike).\n\n",
				shortPath(f.Path), shortPath(f.Path), shortPath(f.CSIPath), shortPath(f.CSIPath))
		}
	}
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
	if r.Reanalysis.Command != "" {
		p("- %s: %s.\n", r.Reanalysis.Label, r.Reanalysis.Command)
	}
	if r.Cluster.Command != "" {
		p("- %s: %s.\n", r.Cluster.Label, r.Cluster.Command)
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

// mb2 is mb with two decimals for megabytes, for the index sizes, which differ by a few
// percent: "1.35 MB".
func mb2(n int64) string {
	if n >= 1e6 {
		return fmt.Sprintf("%.2f MB", float64(n)/1e6)
	}
	return mb(n)
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

// indexSection writes what the indexed rows of the WGS-scale file read, split into the index
// and the VCF's blocks, and why the CSI is read for less than the .tbi, from the indexes'
// anatomy (IndexAnatomy).
func (r *Results) indexSection(p func(string, ...any)) {
	type read struct {
		path string
		row  Row
	}
	var reads []read
	for _, k := range []struct{ tool, path string }{
		{ToolPrecisIndex, "precis annotate, local"}, {ToolPrecisCSI, "precis annotate, local"},
		{ToolServiceS3Idx, "service, S3"}, {ToolServiceS3CSI, "service, S3"},
	} {
		if row, ok := r.Row("wgs", k.tool); ok && row.Measured && row.IndexBytes > 0 {
			reads = append(reads, read{k.path, row})
		}
	}
	anat := map[string]IndexAnatomy{}
	for _, a := range r.Indexes {
		anat[a.Kind] = a
	}
	if len(reads) == 0 && len(anat) == 0 {
		return
	}
	p("\n## The WGS-scale file read through its .tbi and through its CSI\n\n")
	if len(reads) > 0 {
		p("What each indexed row read, split into the index and the VCF's BGZF blocks. For the service the proxy in front of MinIO counts each object's bytes; locally the VCF's part is the report's `input.access.bytes_read`, the start-up reads (libc, `/proc`) are the streaming row's `rchar` beyond the file's size, and the index's part is what is left.\n\n")
		p("| path | index | index size | index read | VCF blocks read | start-up reads | total | of the file |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
		for _, rd := range reads {
			kind, size := indexName(rd.row.IndexKind), "—"
			if a, ok := anat[rd.row.IndexKind]; ok {
				size = mb2(a.Stored)
			}
			other := "—"
			if rd.row.OtherBytes > 0 {
				other = mb2(rd.row.OtherBytes)
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %.3f%% |\n", rd.path, kind, size, mb2(rd.row.IndexBytes), mb2(rd.row.VCFBytes), other,
				mb2(rd.row.BytesRead), 100*float64(rd.row.BytesRead)/float64(rd.row.FileBytes))
		}
	}
	t, okT := anat["tbi"]
	c, okC := anat["csi"]
	if !okT || !okC {
		return
	}
	p("\nWhy the CSI costs less, from the two indexes' bytes (both made by htslib from the same file; counted by the harness, `IndexAnatomy`):\n\n")
	p("- **The same bins.** Both hold %s bins (%s of them %s leaves: htslib writes about one bin per tile that has records), %s chunks in the .tbi and %s in the CSI, and %s of bin lists decompressed. The .tbi (min_shift %d, depth %d) and the CSI (min_shift %d, depth %d) differ only in the root levels, which no record here reaches.\n",
		thousands(t.Bins), thousands(t.LeafBins), tileText(t.MinShift), thousands(t.Chunks), thousands(c.Chunks), mb2(t.BinBytes), t.MinShift, t.Depth, c.MinShift, c.Depth)
	if c.Bins != t.Bins || c.BinBytes != t.BinBytes {
		p("  (Not quite: the CSI has %s bins and %s of bin lists.)\n", thousands(c.Bins), mb2(c.BinBytes))
	}
	p("- **Offsets: a linear index against one per bin.** The .tbi adds a linear index, the first record's offset for every %s tile up to the last with records (%s entries, %s); the CSI has no linear index but an 8-byte loffset in each bin, %s of them (%s). Decompressed the two indexes are %s and %s.\n",
		tileText(t.MinShift),
		thousands(t.Offsets), mb2(t.OffsetBytes), thousands(c.Offsets), mb2(c.OffsetBytes), mb2(t.Raw), mb2(c.Raw))
	p("- **Only the CSI's compress away.** The offsets repeat what the bins already say: %s of the .tbi's %s linear-index entries equal a chunk begin of the same sequence, and %s of the CSI's %s loffsets equal the begin of their bin's first chunk. In the CSI the copy sits %s from the original, inside DEFLATE's 32 KiB window, so it can be stored as a back-reference; in the .tbi the linear index follows all of the sequence's bins, a median %s from the chunk it repeats, out of the window's reach. Compressed again as BGZF would (Go's DEFLATE, level 6, 64 kB blocks), the .tbi's bins alone take %s and %s with the linear index (+%s); the CSI's %s and %s with its loffsets (+%s).\n",
		thousands(t.Copies), thousands(t.Offsets), thousands(c.Copies), thousands(c.Offsets), byteDistance(c.CopyDistance), byteDistance(t.CopyDistance),
		mb2(t.WithoutOffsets), mb2(t.Recompressed), mb2(t.Recompressed-t.WithoutOffsets), mb2(c.WithoutOffsets), mb2(c.Recompressed), mb2(c.Recompressed-c.WithoutOffsets))
	p("- **So the CSI is smaller as stored**: %s against %s for the .tbi", mb2(c.Stored), mb2(t.Stored))
	if t.Through != "" && t.Through == c.Through {
		p(", and %s against %s up to the end of %s, the last sequence the panels need. Neither index has a table of contents: to reach %s a reader must walk every bin of the sequences before it", mb2(c.ThroughBytes), mb2(t.ThroughBytes), t.Through, t.Through)
	}
	p(".\n")
	tr, okR := r.Row("wgs", ToolServiceS3Idx)
	cr, okS := r.Row("wgs", ToolServiceS3CSI)
	if okR && okS && tr.Measured && cr.Measured && tr.IndexBytes > 0 && cr.IndexBytes > 0 && t.ThroughBytes > 0 {
		p("- **Read in part**, the .tbi costs %s of its %s up to there: the reader leaves out only the blocks that hold nothing but the linear index of a sequence it walks past (about %s here). The CSI's offsets are inside its bins, so there is nothing to leave out: it reads %s. With the VCF's blocks (%s either way) that is %.3f%% of the file through the CSI and %.3f%% through the .tbi.\n",
			mb2(tr.IndexBytes), mb2(t.ThroughBytes), mb2(max(0, t.ThroughBytes-tr.IndexBytes)), mb2(cr.IndexBytes), mb2(cr.VCFBytes),
			100*float64(cr.BytesRead)/float64(cr.FileBytes), 100*float64(tr.BytesRead)/float64(tr.FileBytes))
	}
}

// indexName names an index kind in the tables: ".tbi" or "CSI".
func indexName(kind string) string {
	if kind == "csi" {
		return "CSI"
	}
	return "." + kind
}

// tileText writes the width of a bin of 1<<shift bases: "16 kb".
func tileText(shift int) string {
	if shift >= 10 {
		return fmt.Sprintf("%d kb", 1<<(shift-10))
	}
	return fmt.Sprintf("%d b", 1<<shift)
}

// byteDistance writes a distance in bytes: "12 bytes", "142.9 kB".
func byteDistance(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d bytes", n)
	}
	return mb(n)
}

// Colours of the plot's bars, by tool.
var (
	grey   = color.RGBA{150, 150, 150, 255}
	blue   = color.RGBA{70, 110, 180, 255}
	green  = color.RGBA{40, 150, 90, 255}
	orange = color.RGBA{230, 140, 40, 255}
)

func toolColour(tool string) color.RGBA {
	switch {
	case tool == ToolLimit:
		return grey
	case strings.HasPrefix(tool, "bcftools"):
		return blue
	case strings.HasPrefix(tool, "service") || tool == "service":
		return orange
	}
	return green
}

// Plot draws, as a PNG, horizontal bars of the wall time of each tool on the WGS-scale
// file, and of the exome-size batch through the CLI and through the service. Each group has
// its own scale; every bar is labelled with its figures.
func (r *Results) Plot() ([]byte, error) {
	var wgs []plot.Bar
	records := 0
	for _, row := range r.Rows {
		if row.File != "wgs" {
			continue
		}
		records = max(records, row.Records)
		b := plot.Bar{Label: row.Label, Fill: toolColour(row.Tool), Text: "NOT MEASURED"}
		if row.Measured {
			b.Value = row.Wall
			b.Text = fmt.Sprintf("%.2f S", row.Wall)
			if row.VsLimit > 0 {
				b.Text += fmt.Sprintf(" (%.2fX LIMIT)", row.VsLimit)
			}
		}
		wgs = append(wgs, b)
	}
	var batch []plot.Bar
	samples, par := 0, 0
	for _, t := range r.Throughput {
		samples, par = max(samples, t.Samples), max(par, t.Parallel)
		b := plot.Bar{Label: t.Label, Fill: toolColour(t.Path), Text: "NOT MEASURED"}
		if t.Measured {
			b.Value = t.Wall
			b.Text = fmt.Sprintf("%.1f S, %.0f/MIN", t.Wall, t.PerMinute)
		}
		batch = append(batch, b)
	}
	groups := []plot.Group{
		{Title: fmt.Sprintf("WGS-scale file, %s records: wall time", thousands(records)), Bars: wgs},
		{Title: fmt.Sprintf("%d exome-size samples, %d at a time: wall time", samples, par), Bars: batch},
	}
	if len(batch) == 0 {
		groups = groups[:1]
	}
	return plot.Bars(groups)
}

// reanalysisSection writes the reanalysis row: reports re-evaluated per minute after a new
// knowledge base is published, and their outcomes.
func (r *Results) reanalysisSection(p func(string, ...any)) {
	re := r.Reanalysis
	if re.Label == "" {
		return
	}
	p("\n## Reanalysis: a new knowledge base published\n\n")
	p("Exome-size samples reported by the service (MinIO + embedded NATS JetStream + %d workers) with a knowledge base built from "+
		"the ClinVar 2024-12 subset alone; then the full knowledge base (ClinVar 2024-12 and 2026-02, the one embedded) published, as `precis kb publish` does. "+
		"The workers switch without a restart and re-evaluate every stored report, %d at a time. Wall runs from the publish call (storing the "+
		"knowledge base's files is part of it) until every report is re-evaluated; the outcomes are `precis_reanalyses_total` by label.\n\n",
		re.Workers, re.Concurrency)
	p("| knowledge base | reports | wall (s) | of it publishing (s) | reports re-evaluated/min | major | minor | unchanged |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	kbs := "—"
	if re.KBFrom != "" {
		kbs = fmt.Sprintf("%s -> %s", re.KBFrom, re.KBTo)
	}
	if !re.Measured {
		p("| %s | %d | not measured: %s | | | | | |\n", kbs, re.Samples, oneLine(re.Why))
		return
	}
	p("| %s | %d | %.2f | %.2f | **%.1f** | %d | %d | %d |\n", kbs, re.Samples, re.Wall, re.Publish, re.PerMinute, re.Major, re.Minor, re.Unchanged)
}

// clusterSection writes the cluster row: samples/min by worker process count on a 3-node
// NATS JetStream cluster, and the queue's overhead per job.
func (r *Results) clusterSection(p func(string, ...any)) {
	c := r.Cluster
	if c.Label == "" {
		return
	}
	p("\n## Cluster: %d NATS servers (R%d), MinIO, worker processes\n\n", c.Servers, c.Replicas)
	p("The exome-size samples as one run through a %d-node NATS JetStream cluster (`nats-server` processes; every stream, KV bucket "+
		"and consumer with %d replicas), MinIO, one `precis ingest` process and N `precis worker --workers 1` processes. Wall runs from "+
		"the run's submission to its last report stored; latency from a worker taking a job to its report stored. On this machine's "+
		"cores the worker processes share the CPU with the NATS servers, MinIO and each other.\n\n", c.Servers, c.Replicas)
	if c.Why != "" && len(c.Rows) == 0 {
		p("Not measured: %s\n", oneLine(c.Why))
		return
	}
	p("| worker processes | samples | wall (s) | samples/min | p50 latency (s) | p95 latency (s) |\n|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range c.Rows {
		if !row.Measured {
			p("| %d | %d | not measured: %s | | | |\n", row.Workers, c.Samples, oneLine(row.Why))
			continue
		}
		p("| %d | %d | %.2f | **%.0f** | %.3f | %.3f |\n", row.Workers, c.Samples, row.Wall, row.PerMinute, row.P50, row.P95)
	}
	if c.Measured {
		p("\nQueue overhead per job: **%.0f ms** (the one-worker run's %.0f ms per sample less %.0f ms of in-process annotation: "+
			"ingest, delivery and acknowledgement, the sample state in the replicated KV bucket, the VCF from and the report to S3, the events).\n",
			c.Overhead*1000, (c.Overhead+c.Annotate)*1000, c.Annotate*1000)
	}
}
