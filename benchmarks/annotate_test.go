package benchmarks

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biogo/hts/bgzf"

	"github.com/precis-dx/precis/internal/kb"
)

// The end-to-end benchmarks run the real `precis` binary on generated files, so the figures
// include start-up, knowledge-base loading, decompression, filtering, annotation and JSON
// output, and the peak RSS is the process's own (getrusage ru_maxrss).
//
//	go test ./benchmarks -run '^$' -bench AnnotateWGS -benchtime 3x
//
// Generated inputs are cached in $TMPDIR/precis-bench (the 4.5M-record file takes about a
// minute to make).

func buildPrecis(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "precis")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/precis")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("build precis: %v", err)
	}
	return bin
}

// plants reads real P/LP ClinVar variants of the nine panel genes from ../shared/data.
func plants(b *testing.B, k *kb.KB) []Plant {
	b.Helper()
	path := filepath.Join("..", "..", "shared", "data", "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("shared data missing in CI: %v", err)
		}
		b.Logf("no ClinVar file to plant from (%v): generating without planted variants", err)
		return nil
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var out []Plant
	sc := bufio.NewScanner(zr)
	for sc.Scan() && len(out) < 200 {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		c := strings.SplitN(l, "\t", 6)
		pos, _ := strconv.Atoi(c[1])
		chrom := "chr" + c[0]
		// Every 40th record, spread over the nine genes; only where the built-in reference
		// agrees (ClinVar's REF is the GRCh38 base, so this keeps all but POLE introns).
		if pos%40 != 0 {
			continue
		}
		if seq, ok := k.Genome.Fetch(chrom, pos, pos+len(c[3])-1); ok && seq == c[3] {
			out = append(out, Plant{Chrom: chrom, Pos: pos, Ref: c[3], Alt: c[4]})
		}
	}
	return out
}

// input returns a cached generated BGZF VCF.
func input(b *testing.B, name string, spec Spec, k *kb.KB) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "precis-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%d-%d-%s.vcf.gz", name, spec.Records, spec.Seed, k.Version))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	zw, err := bgzf.NewWriterLevel(f, gzip.DefaultCompression, runtime.GOMAXPROCS(0))
	if err != nil {
		b.Fatal(err)
	}
	if err := Write(zw, spec, k.Genome); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		b.Logf("generated %s (%d records) in %s", path, spec.Records, d.Round(time.Second))
	}
	return path
}

// runAnnotate runs the binary once and returns its peak RSS in bytes.
//
// The peak is read from the child's own /proc/PID/status VmHWM (a high-water mark, so polling
// loses at most the growth of the last few milliseconds). getrusage's ru_maxrss cannot be
// used: Go starts children with CLONE_VM, and Linux folds the parent's high-water mark into
// the child's maxrss at exec, so every child would report at least the benchmark's own RSS.
func runAnnotate(b *testing.B, bin, path string) int64 {
	b.Helper()
	cmd := exec.Command(bin, "annotate", "--format", "json", path)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var hwm int64
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if v, ok := vmHWM(status); ok && v > hwm {
				hwm = v
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	if err != nil {
		b.Fatalf("precis annotate %s: %v\n%s", path, err, stderr.String())
	}
	return <-peak
}

// vmHWM reads the peak resident set size from a /proc/PID/status file.
func vmHWM(status string) (int64, bool) {
	b, err := os.ReadFile(status)
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

func benchAnnotate(b *testing.B, name string, spec Spec) {
	k, err := kb.Load()
	if err != nil {
		b.Fatal(err)
	}
	spec.Plants = plants(b, k)
	path := input(b, name, spec, k)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	bin := buildPrecis(b)
	var peak int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rss := runAnnotate(b, bin, path); rss > peak {
			peak = rss
		}
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(spec.Records)/secs, "records/s")
	b.ReportMetric(float64(st.Size())/secs/1e6, "MB/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
}

// BenchmarkAnnotateWGS: a whole-genome-scale single-sample BGZF VCF, 4.5 million records.
func BenchmarkAnnotateWGS(b *testing.B) {
	benchAnnotate(b, "wgs", Spec{Records: 4_500_000, Seed: 1})
}

// BenchmarkAnnotatePanel: a panel-size file (records only inside the panel genes' exons).
func BenchmarkAnnotatePanel(b *testing.B) {
	k, err := kb.Load()
	if err != nil {
		b.Fatal(err)
	}
	var spans []Span
	for _, r := range k.Regions {
		spans = append(spans, Span{Chrom: r.Chrom, Start: r.Start, End: r.End})
	}
	benchAnnotate(b, "panel", Spec{Records: 2_000, Seed: 3, Spans: spans})
}
