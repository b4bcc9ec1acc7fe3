package harness

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// Conversion is what converting a generated GRCh38 input to GRCh37 (Input37, vcftest.To37)
// did to its records.
type Conversion struct {
	From  string `json:"from"`  // the GRCh38 file converted
	Build string `json:"build"` // GRCh37
	// Naming of the converted file's contigs and the To37 options used, in words.
	Method  string `json:"method"`
	Records int    `json:"records_read"`
	Written int    `json:"records_written"`
	// Filler counts the off-panel records written at their GRCh38 position (To37Options.Filler);
	// FillerDropped those left out because that position is past the GRCh37 contig's end or
	// on a panel gene's GRCh37 slice. Neither can hold a finding.
	Filler        int `json:"filler_passed_through"`
	FillerDropped int `json:"filler_dropped"`
	// Relisted counts records whose alleles were re-listed at a reference difference.
	Relisted int `json:"alleles_relisted"`
	// Unmapped lists the records inside the panel genes the map cannot place (across an
	// indel between the builds, POLE introns, panel regions beyond the map): skipped
	// (To37Options.SkipUnmapped), so a GRCh37 run has no finding there.
	Unmapped []vcftest.Unmapped `json:"unmapped"`
}

// conversionVersion changes whenever Input37 writes different bytes for the same GRCh38
// file (its To37 options), so that cached conversions are made again.
const conversionVersion = 1

// To37Options are the options Input37 converts with: b37 contig names ("1") and a
// ##reference=GRCh37 line; records the map cannot place skipped and listed; POLE's exon
// records placed on its exon model's word (as the annotator places them); and the genome-wide
// off-panel filler, which has no GRCh37 place in the map but gives the file its size and
// density, written at its own position (kept clear of the panel regions k has).
func To37Options(k *kb.KB) vcftest.To37Options {
	return vcftest.To37Options{Reference: true, SkipUnmapped: true, ExonModel: true, Filler: true, Panel: PanelSpans(k)}
}

// Input37 returns the GRCh37 version of the generated GRCh38 input src (made by Input),
// converting it with vcftest.To37 and the knowledge base's map the first time, and what the
// conversion did. The converted file is cached in dir/GRCh37 under a name that carries src's
// name (itself keyed by spec, generator and knowledge-base version) and a hash of the build,
// vcftest.Version, the conversion's version and the knowledge-base version; what the
// conversion did is kept beside it (the file's name + ".json"). Both are written under
// temporary names and renamed.
func Input37(dir, src string, k *kb.KB) (string, Conversion, error) {
	conv := Conversion{From: src, Build: "GRCh37",
		Method: "vcftest.To37: b37 names (1, 2, ...), ##reference=GRCh37, GRCh37 contig lengths; panel-gene records placed by the knowledge base's sequence-aligned map, POLE exons on its exon model; records the map cannot place skipped; off-panel filler at its own position"}
	if k.Liftover == nil {
		return "", conv, fmt.Errorf("%w: knowledge base %s has no GRCh37 map", ErrInput, k.Version)
	}
	out := filepath.Join(dir, "GRCh37")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", conv, fmt.Errorf("%w: %v", ErrInput, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s|GRCh37|%d|%d|%s", filepath.Base(src), vcftest.Version, conversionVersion, k.Version)
	path := filepath.Join(out, strings.TrimSuffix(filepath.Base(src), ".vcf.gz")+".GRCh37-"+hex.EncodeToString(h.Sum(nil))[:10]+".vcf.gz")
	if b, err := os.ReadFile(path + ".json"); err == nil {
		var cached Conversion
		if _, serr := os.Stat(path); serr == nil && json.Unmarshal(b, &cached) == nil && cached.From == src {
			return path, cached, nil
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return "", conv, fmt.Errorf("%w: %v", ErrInput, err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return "", conv, fmt.Errorf("%w: %s: %v", ErrInput, src, err)
	}
	tmp, err := os.CreateTemp(out, filepath.Base(path)+".tmp*")
	if err != nil {
		return "", conv, fmt.Errorf("%w: %v", ErrInput, err)
	}
	defer os.Remove(tmp.Name())
	zw, err := bgzf.NewWriterLevel(tmp, gzip.DefaultCompression, runtime.GOMAXPROCS(0))
	if err != nil {
		tmp.Close()
		return "", conv, fmt.Errorf("%w: %v", ErrInput, err)
	}
	st, err := vcftest.To37(k.Liftover, k.Genome, zr, zw, To37Options(k))
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", conv, fmt.Errorf("%w: convert %s to GRCh37: %v", ErrInput, src, err)
	}
	conv.Records, conv.Written, conv.Filler, conv.FillerDropped, conv.Relisted, conv.Unmapped = st.Records, st.Written, st.Filler, st.FillerDropped, st.Swapped, st.Unmapped
	if conv.Unmapped == nil {
		conv.Unmapped = []vcftest.Unmapped{}
	}
	b, err := json.MarshalIndent(conv, "", "  ")
	if err != nil {
		return "", conv, err
	}
	if err := os.WriteFile(path+".json.tmp", b, 0o644); err != nil {
		return "", conv, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", conv, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", conv, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := os.Rename(path+".json.tmp", path+".json"); err != nil {
		return "", conv, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return path, conv, nil
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

// conversionNote says, for the results' notes, how the GRCh37 files were made and what the
// conversion did to each.
func conversionNote(files []File) string {
	var parts []string
	for _, f := range files {
		c := f.Conversion
		if c == nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s of %s records written, %s of them off-panel filler at its own position, %s filler records dropped (past the GRCh37 contig's end or on a gene's GRCh37 slice), %d panel-gene records the map cannot place skipped, %d with alleles re-listed at a reference difference",
			f.Kind, thousands(c.Written), thousands(c.Records), thousands(c.Filler), thousands(c.FillerDropped), len(c.Unmapped), c.Relisted))
	}
	return "GRCh37 inputs: each generated GRCh38 file converted by vcftest.To37 (b37 names, ##reference=GRCh37; panel-gene records placed on GRCh37 by the knowledge base's sequence-aligned map, POLE exons on its exon model; the exome-size samples likewise). " +
		strings.Join(parts, "; ") + "."
}
