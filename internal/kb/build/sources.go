package build

// Readers for the source files under the shared data folder (see its README.md).

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/vcf"
)

// sourceReader reads source files below a root and remembers the SHA-256 of each, so that
// the manifest can record exactly what a build read.
type sourceReader struct {
	root  string
	files map[string]fileDigest // by path relative to root, slash-separated
	paths map[string]string     // files given by path (addFiles): name -> path to read
}

// addFiles names files given by path (ClinVar releases chosen with --clinvar) as the
// manifest records them: relative to the root when inside it, else by base name (a
// knowledge base's content, hence its version, does not depend on where a file was).
func (r *sourceReader) addFiles(files []string) ([]string, error) {
	root, err := filepath.Abs(r.root)
	if err != nil {
		return nil, fmt.Errorf("kb: %w", err)
	}
	var out []string
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, fmt.Errorf("kb: ClinVar file: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("kb: ClinVar file %s is not a regular file", f)
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("kb: %w", err)
		}
		name := filepath.Base(abs)
		if rel, err := filepath.Rel(root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			name = filepath.ToSlash(rel)
		}
		if prev, dup := r.paths[name]; dup {
			return nil, fmt.Errorf("kb: ClinVar files %s and %s have the same name %s: give each release once", prev, f, name)
		}
		r.paths[name] = f
		out = append(out, name)
	}
	return out, nil
}

type fileDigest struct {
	sha256 string
	size   int64
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// read returns the bytes of rel (relative to the root), gunzipped when decompress is true
// and the name ends in .gz (BGZF is multi-member gzip, which compress/gzip reads).
func (r *sourceReader) read(rel string, decompress bool) ([]byte, error) {
	rd, err := r.open(rel, decompress)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", kb.ErrFormat, rel, err)
	}
	return out, nil
}

// open returns a reader of rel's content, gunzipped when decompress is true and the name
// ends in .gz. The file's digest is recorded.
func (r *sourceReader) open(rel string, decompress bool) (io.Reader, error) {
	p, ok := r.paths[rel]
	if !ok {
		p = filepath.Join(r.root, filepath.FromSlash(rel))
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("kb: read source: %w", err)
	}
	r.files[rel] = fileDigest{sha256: sha256Hex(raw), size: int64(len(raw))}
	if !decompress || !strings.HasSuffix(rel, ".gz") {
		return bytes.NewReader(raw), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", kb.ErrFormat, rel, err)
	}
	return zr, nil
}

// glob lists files matching pattern (relative to the root), sorted.
func (r *sourceReader) glob(pattern string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(r.root, filepath.FromSlash(pattern)))
	if err != nil {
		return nil, fmt.Errorf("kb: glob %s: %w", pattern, err)
	}
	out := make([]string, len(m))
	for i, p := range m {
		rel, err := filepath.Rel(r.root, p)
		if err != nil {
			return nil, fmt.Errorf("kb: glob %s: %w", pattern, err)
		}
		out[i] = filepath.ToSlash(rel)
	}
	sort.Strings(out)
	return out, nil
}

// maneRow is one MANE summary row.
type maneRow struct {
	refseq, ensembl, status, chrom string
	start, end                     int // 1-based inclusive GRCh38 gene span
	strand                         int
}

// readMANE reads the MANE summary and returns the row of each panel gene's MANE Select
// transcript, checking that it is the transcript the panel names.
func readMANE(data string) (map[string]maneRow, error) {
	out := map[string]maneRow{}
	err := kb.EachLine(data, func(n int, l string) error {
		f := strings.Split(l, "\t")
		if len(f) < 14 {
			return fmt.Errorf("%w: MANE summary line %d: %d fields, want 14", kb.ErrFormat, n, len(f))
		}
		sym := f[3]
		if kb.PanelOf(sym) == "" || f[9] != "MANE Select" {
			return nil
		}
		start, err1 := strconv.Atoi(f[11])
		end, err2 := strconv.Atoi(f[12])
		chrom, ok := vcf.CanonicalChrom(f[10])
		if err1 != nil || err2 != nil || !ok || (f[13] != "+" && f[13] != "-") {
			return fmt.Errorf("%w: MANE summary line %d: location %s:%s-%s(%s)", kb.ErrFormat, n, f[10], f[11], f[12], f[13])
		}
		row := maneRow{refseq: f[5], ensembl: f[7], status: f[9], chrom: chrom, start: start, end: end, strand: 1}
		if f[13] == "-" {
			row.strand = -1
		}
		out[sym] = row
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, g := range panelGenes() {
		row, ok := out[g.gene]
		if !ok {
			return nil, fmt.Errorf("%w: MANE summary has no MANE Select row for %s", kb.ErrInconsistent, g.gene)
		}
		if row.refseq != g.refseq {
			return nil, fmt.Errorf("%w: MANE Select for %s is %s, the panel names %s", kb.ErrInconsistent, g.gene, row.refseq, g.refseq)
		}
	}
	return out, nil
}

// readExonModels reads the GRCh38 MANE rows of exon_models.tsv for the transcript
// accession refseq. The file gives each exon's genomic span (1-based) and transcript span
// and the CDS in transcript coordinates.
func readExonModels(data, refseq string) (*transcript.Transcript, error) {
	type row struct {
		n, gs, ge, ts, te int
	}
	var (
		rows          []row
		t             *transcript.Transcript
		cdsS, cdsE    int
		gene, contig  string
		strand        string
		fileHasHeader bool
	)
	err := kb.EachLine(data, func(n int, l string) error {
		f := strings.Split(l, "\t")
		if len(f) < 13 {
			return fmt.Errorf("%w: exon_models.tsv line %d: %d fields, want 14", kb.ErrFormat, n, len(f))
		}
		if f[0] == "transcript" {
			fileHasHeader = true
			return nil
		}
		if f[0] != refseq || f[2] != "MANE" || f[3] != "GRCh38" {
			return nil
		}
		var v [7]int
		for i, idx := range []int{4, 6, 7, 9, 10, 11, 12} {
			x, err := strconv.Atoi(f[idx])
			if err != nil {
				return fmt.Errorf("%w: exon_models.tsv line %d: field %d %q", kb.ErrFormat, n, idx+1, f[idx])
			}
			v[i] = x
		}
		if len(rows) > 0 && (gene != f[1] || contig != f[5] || strand != f[8] || cdsS != v[5] || cdsE != v[6]) {
			return fmt.Errorf("%w: exon_models.tsv line %d: %s rows disagree on gene, contig, strand or CDS", kb.ErrInconsistent, n, refseq)
		}
		gene, contig, strand, cdsS, cdsE = f[1], f[5], f[8], v[5], v[6]
		rows = append(rows, row{n: v[0], gs: v[1], ge: v[2], ts: v[3], te: v[4]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !fileHasHeader || len(rows) == 0 {
		return nil, fmt.Errorf("%w: exon_models.tsv has no GRCh38 MANE rows for %s", kb.ErrInconsistent, refseq)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].n < rows[j].n })
	chrom, ok := refseqChrom(contig)
	if !ok {
		return nil, fmt.Errorf("%w: exon_models.tsv: %s contig %q", kb.ErrFormat, refseq, contig)
	}
	t = &transcript.Transcript{ID: refseq, Gene: gene, Chrom: chrom, Strand: 1, CDSStart: cdsS, CDSEnd: cdsE}
	if strand == "-" {
		t.Strand = -1
	}
	next := 1
	for i, r := range rows {
		if r.n != i+1 || r.ts != next || r.te-r.ts != r.ge-r.gs {
			return nil, fmt.Errorf("%w: exon_models.tsv: %s exon %d: transcript span %d-%d does not follow on or does not match genomic span %d-%d",
				kb.ErrInconsistent, refseq, r.n, r.ts, r.te, r.gs, r.ge)
		}
		next = r.te + 1
		t.Exons = append(t.Exons, transcript.Exon{Start: r.gs, End: r.ge})
	}
	if err := kb.ValidTranscript(t); err != nil {
		return nil, fmt.Errorf("exon_models.tsv: %w", err)
	}
	return t, nil
}

// readBEDModel reads the exon model of transcript refseq from the Ensembl 110 BED
// (0-based half-open). "exon" rows give the exons; "5UTR"/"3UTR" rows give the untranslated
// parts, from which the CDS boundaries follow: the 5'UTR rows must cover transcript
// positions 1..u5 and the 3'UTR rows the last u3 positions, and then the CDS is
// u5+1..length-u3. It also returns the Ensembl accession the file names.
func readBEDModel(data, refseq string) (*transcript.Transcript, string, error) {
	type iv struct{ s, e int } // 1-based inclusive
	var (
		exons, utr5, utr3 []iv
		chrom, gene, enst string
		strand            int
	)
	err := kb.EachLine(data, func(n int, l string) error {
		f := strings.Split(l, "\t")
		if len(f) < 11 {
			return fmt.Errorf("%w: exon BED line %d: %d fields, want 11", kb.ErrFormat, n, len(f))
		}
		if f[8] != refseq {
			return nil
		}
		s0, err1 := strconv.Atoi(f[1])
		e, err2 := strconv.Atoi(f[2])
		c, ok := vcf.CanonicalChrom(f[0])
		if err1 != nil || err2 != nil || !ok || s0 < 0 || e <= s0 {
			return fmt.Errorf("%w: exon BED line %d: interval %s:%s-%s", kb.ErrFormat, n, f[0], f[1], f[2])
		}
		st := 1
		if f[5] == "-" {
			st = -1
		}
		if chrom != "" && (chrom != c || strand != st || gene != f[6] || enst != f[9]) {
			return fmt.Errorf("%w: exon BED line %d: %s rows disagree on contig, strand, gene or Ensembl id", kb.ErrInconsistent, n, refseq)
		}
		chrom, strand, gene, enst = c, st, f[6], f[9]
		x := iv{s0 + 1, e} // 0-based half-open -> 1-based inclusive
		switch strings.TrimSpace(f[10]) {
		case "exon":
			exons = append(exons, x)
		case "5UTR":
			utr5 = append(utr5, x)
		case "3UTR":
			utr3 = append(utr3, x)
		default:
			return fmt.Errorf("%w: exon BED line %d: feature %q", kb.ErrFormat, n, f[10])
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if len(exons) == 0 {
		return nil, "", fmt.Errorf("%w: exon BED has no exons for %s", kb.ErrInconsistent, refseq)
	}
	order := func(v []iv) {
		sort.Slice(v, func(i, j int) bool {
			if strand > 0 {
				return v[i].s < v[j].s
			}
			return v[i].s > v[j].s
		})
	}
	order(exons)
	t := &transcript.Transcript{ID: refseq, Gene: gene, Chrom: chrom, Strand: strand}
	for _, e := range exons {
		t.Exons = append(t.Exons, transcript.Exon{Start: e.s, End: e.e})
	}
	// Transcript position of a genomic position inside an exon.
	txPos := func(p int) int {
		off := 0
		for _, e := range t.Exons {
			if p >= e.Start && p <= e.End {
				if strand > 0 {
					return off + p - e.Start + 1
				}
				return off + e.End - p + 1
			}
			off += e.End - e.Start + 1
		}
		return -1
	}
	// utrSpan returns the transcript span covered by UTR intervals, checking they are
	// inside exons and contiguous in the transcript.
	utrSpan := func(v []iv, what string) (lo, hi, total int, err error) {
		order(v)
		lo, hi = -1, -1
		for _, u := range v {
			a, b := txPos(u.s), txPos(u.e)
			if a < 0 || b < 0 {
				return 0, 0, 0, fmt.Errorf("%w: %s %s %d-%d is not inside an exon", kb.ErrInconsistent, refseq, what, u.s, u.e)
			}
			if a > b {
				a, b = b, a
			}
			if b-a != u.e-u.s {
				return 0, 0, 0, fmt.Errorf("%w: %s %s %d-%d spans an intron", kb.ErrInconsistent, refseq, what, u.s, u.e)
			}
			if lo >= 0 && a != hi+1 {
				return 0, 0, 0, fmt.Errorf("%w: %s %s pieces are not contiguous in the transcript", kb.ErrInconsistent, refseq, what)
			}
			if lo < 0 {
				lo = a
			}
			hi = b
			total += b - a + 1
		}
		return lo, hi, total, nil
	}
	n := t.Len()
	lo5, _, u5, err := utrSpan(utr5, "5'UTR")
	if err != nil {
		return nil, "", err
	}
	_, hi3, u3, err := utrSpan(utr3, "3'UTR")
	if err != nil {
		return nil, "", err
	}
	if (u5 > 0 && lo5 != 1) || (u3 > 0 && hi3 != n) {
		return nil, "", fmt.Errorf("%w: %s UTRs are not at the transcript ends", kb.ErrInconsistent, refseq)
	}
	t.CDSStart, t.CDSEnd = u5+1, n-u3
	if err := kb.ValidTranscript(t); err != nil {
		return nil, "", fmt.Errorf("exon BED: %w", err)
	}
	return t, enst, nil
}

// refseqChrom maps a RefSeq chromosome accession (NC_000017.11) to its canonical name; any
// other naming is false.
func refseqChrom(acc string) (string, bool) {
	if !strings.HasPrefix(acc, "NC_") {
		return "", false
	}
	return vcf.CanonicalChrom(acc)
}

// sliceHeader matches the name of a sequence slice: "NC_000017.11:43024295-43217981".
var sliceHeader = regexp.MustCompile(`^>(NC_\d+\.\d+):(\d+)-(\d+)(?:\s|$)`)

// readSlice reads a plus-strand genomic slice whose header names "accession:start-end"
// (1-based: base i of the file, counting from 1, is at start+i-1).
func readSlice(rel string, data string) (kb.Segment, error) {
	hdr, body, _ := strings.Cut(data, "\n")
	m := sliceHeader.FindStringSubmatch(hdr)
	if m == nil {
		return kb.Segment{}, fmt.Errorf("%w: %s line 1: header %q is not >NC_...:start-end", kb.ErrFormat, rel, hdr)
	}
	chrom, ok := refseqChrom(m[1])
	start, _ := strconv.Atoi(m[2])
	end, _ := strconv.Atoi(m[3])
	if !ok || start < 1 || end < start {
		return kb.Segment{}, fmt.Errorf("%w: %s line 1: header %q", kb.ErrFormat, rel, hdr)
	}
	seq, err := fastaBases(rel, body, 2)
	if err != nil {
		return kb.Segment{}, err
	}
	if len(seq) != end-start+1 {
		return kb.Segment{}, fmt.Errorf("%w: %s: %d bases, header says %d", kb.ErrInconsistent, rel, len(seq), end-start+1)
	}
	return kb.Segment{Chrom: chrom, Start: start, Seq: seq}, nil
}

// fastaBases joins FASTA sequence lines, upper-cased; firstLine numbers the first line of
// body for error messages.
func fastaBases(rel, body string, firstLine int) (string, error) {
	var sb strings.Builder
	sb.Grow(len(body))
	for i, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, ">") {
			return "", fmt.Errorf("%w: %s line %d: a second record; one expected", kb.ErrFormat, rel, firstLine+i)
		}
		for j := 0; j < len(l); j++ {
			c := l[j] &^ 0x20 // upper case
			switch c {
			case 'A', 'C', 'G', 'T', 'N':
				sb.WriteByte(c)
			default:
				return "", fmt.Errorf("%w: %s line %d: base %q", kb.ErrFormat, rel, firstLine+i, l[j])
			}
		}
	}
	return sb.String(), nil
}

// cdsHeader finds "CDS=start..end" in a transcript FASTA header.
var cdsHeader = regexp.MustCompile(`CDS=(\d+)\.\.(\d+)`)

// readTranscriptFASTA reads a transcript FASTA: the accession (first word of the header),
// the CDS range the header states (1-based transcript positions) and the bases.
func readTranscriptFASTA(rel, data string) (acc string, cdsStart, cdsEnd int, seq string, err error) {
	hdr, body, _ := strings.Cut(data, "\n")
	if !strings.HasPrefix(hdr, ">") {
		return "", 0, 0, "", fmt.Errorf("%w: %s line 1: not a FASTA header", kb.ErrFormat, rel)
	}
	acc, _, _ = strings.Cut(strings.TrimPrefix(hdr, ">"), " ")
	m := cdsHeader.FindStringSubmatch(hdr)
	if m == nil {
		return "", 0, 0, "", fmt.Errorf("%w: %s line 1: header has no CDS=start..end", kb.ErrFormat, rel)
	}
	cdsStart, _ = strconv.Atoi(m[1])
	cdsEnd, _ = strconv.Atoi(m[2])
	seq, err = fastaBases(rel, body, 2)
	return acc, cdsStart, cdsEnd, seq, err
}
