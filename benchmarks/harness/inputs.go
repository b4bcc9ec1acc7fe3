package harness

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/biogo/hts/bgzf"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/variant"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

// ErrInput reports a generated input that could not be made.
var ErrInput = errors.New("harness: input")

// Plants returns up to n real ClinVar pathogenic or likely pathogenic variants of the panel
// genes, taken from the embedded knowledge base (ClinVar's own classification, ClinVar
// 2024-12-15 and 2026-02-26 releases) and spread evenly over its P/LP entries, so every panel
// gene gets some. A variant is kept only where the built-in GRCh38 reference agrees with its
// REF (ClinVar's REF is the GRCh38 base, so this drops only sites outside the stored
// sequence), its alleles are plain bases, and it lies inside one 16 kb tabix tile (so the
// index writer's linear index stays exact; see Index).
func Plants(k *kb.KB, n int) []vcftest.Plant {
	var plp []kb.Entry
	for e := range k.ClinVar.All() {
		if kb.IsPLP(e.Classification) && variant.IsACGT(e.Ref) && variant.IsACGT(e.Alt) {
			plp = append(plp, e)
		}
	}
	if n <= 0 || len(plp) == 0 {
		return nil
	}
	step := max(1, len(plp)/n)
	var out []vcftest.Plant
	lastChrom, lastPos := "", 0
	for i := 0; i < len(plp) && len(out) < n; i += step {
		e := plp[i]
		start := e.Pos - 1 // 0-based
		end := start + len(e.Ref)
		if start/tileWidth != (end-1)/tileWidth {
			continue
		}
		if e.Chrom == lastChrom && e.Pos == lastPos {
			continue // one planted record per position
		}
		if seq, ok := k.Genome.Fetch(e.Chrom, e.Pos, e.Pos+len(e.Ref)-1); ok && seq == e.Ref {
			out = append(out, vcftest.Plant{Chrom: e.Chrom, Pos: e.Pos, Ref: e.Ref, Alt: e.Alt})
			lastChrom, lastPos = e.Chrom, e.Pos
		}
	}
	return out
}

// PanelSpans returns the knowledge base's panel regions as generator spans: a panel-size
// file has its records only there.
func PanelSpans(k *kb.KB) []vcftest.Span {
	spans := make([]vcftest.Span, 0, len(k.Regions))
	for _, r := range k.Regions {
		spans = append(spans, vcftest.Span{Chrom: r.Chrom, Start: r.Start, End: r.End})
	}
	return spans
}

// Input returns the path of the BGZF-compressed VCF that spec describes, generating it into
// dir the first time. The file name carries the spec's name, record count, seed and a hash of
// the whole spec, the generator's version and the knowledge-base version, so a changed spec
// or generator makes a new file and an unchanged one is reused. The file is written under a temporary name and renamed, so an
// interrupted run leaves no half file behind.
func Input(dir, name string, spec vcftest.Spec, k *kb.KB) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%+v|%s|%d", spec, k.Version, vcftest.Version)
	path := filepath.Join(dir, fmt.Sprintf("%s-%d-%d-%s.vcf.gz", name, spec.Records, spec.Seed, hex.EncodeToString(h.Sum(nil))[:10]))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	defer os.Remove(tmp.Name())
	zw, err := bgzf.NewWriterLevel(tmp, gzip.DefaultCompression, runtime.GOMAXPROCS(0))
	if err != nil {
		tmp.Close()
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := vcftest.Write(zw, spec, k.Genome); err != nil {
		zw.Close()
		tmp.Close()
		return "", fmt.Errorf("%w: generate %s: %v", ErrInput, name, err)
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("%w: compress %s: %v", ErrInput, name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	return path, nil
}

// WriteBED writes the knowledge base's panel regions as a BED file (0-based start, exclusive
// end), merged where they touch or overlap, with contig names written as the VCF names them:
// chrPrefix false writes "1" for the knowledge base's "chr1" and "MT" for "chrM". It returns
// the number of intervals.
func WriteBED(path string, regions []kb.Region, chrPrefix bool) (int, error) {
	type iv struct {
		chrom      string
		start, end int // 0-based, end exclusive (BED)
	}
	var ivs []iv
	for _, r := range regions { // sorted by contig and start (kb.KB.Regions)
		c := bedName(r.Chrom, chrPrefix)
		cur := iv{c, r.Start - 1, r.End}
		if n := len(ivs); n > 0 && ivs[n-1].chrom == c && cur.start <= ivs[n-1].end {
			ivs[n-1].end = max(ivs[n-1].end, cur.end)
			continue
		}
		ivs = append(ivs, cur)
	}
	var b strings.Builder
	for _, v := range ivs {
		fmt.Fprintf(&b, "%s\t%d\t%d\n", v.chrom, v.start, v.end)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return len(ivs), nil
}

// bedName writes a knowledge-base contig name ("chr1", "chrM") as a file names it: as it is
// with chrPrefix, else "1" and "MT".
func bedName(chrom string, chrPrefix bool) string {
	if chrPrefix {
		return chrom
	}
	c := strings.TrimPrefix(chrom, "chr")
	if c == "M" {
		c = "MT"
	}
	return c
}
