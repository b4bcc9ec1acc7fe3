package kb

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/vcf"
)

// txRangeToGenomic maps transcript positions from..to (1-based, inclusive, from <= to) to
// genomic intervals (1-based, inclusive), listed in transcript order. ok is false when the
// range leaves the transcript.
func txRangeToGenomic(t *transcript.Transcript, from, to int) ([]transcript.Exon, bool) {
	if from < 1 || to < from || to > t.Len() {
		return nil, false
	}
	var out []transcript.Exon
	off := 0 // transcript positions before this exon
	for _, e := range t.Exons {
		n := e.End - e.Start + 1
		a, b := max(from, off+1), min(to, off+n) // transcript positions inside this exon
		if a <= b {
			if t.Strand > 0 {
				out = append(out, transcript.Exon{Start: e.Start + (a - off - 1), End: e.Start + (b - off - 1)})
			} else {
				out = append(out, transcript.Exon{Start: e.End - (b - off - 1), End: e.End - (a - off - 1)})
			}
		}
		off += n
	}
	return out, true
}

// txSequence returns transcript positions from..to of t (transcript orientation).
func txSequence(g *Genome, t *transcript.Transcript, from, to int) (string, bool) {
	parts, ok := txRangeToGenomic(t, from, to)
	if !ok {
		return "", false
	}
	var sb strings.Builder
	for _, p := range parts {
		s, ok := g.Fetch(t.Chrom, p.Start, p.End)
		if !ok {
			return "", false
		}
		if t.Strand < 0 {
			s = transcript.ReverseComplement(s)
		}
		sb.WriteString(s)
	}
	return sb.String(), true
}

// CDS returns the coding sequence of t, start codon to stop codon inclusive, read from g.
// ok is false when a coding base is unknown.
func (g *Genome) CDS(t *transcript.Transcript) (string, bool) {
	return txSequence(g, t, t.CDSStart, t.CDSEnd)
}

// ValidTranscript checks the internal consistency of a transcript model as the transcript
// table holds it: gene, accession, strand, canonical contig, exons in transcript order, and a
// CDS inside the transcript. Errors wrap ErrFormat.
func ValidTranscript(t *transcript.Transcript) error {
	if t.Gene == "" || t.ID == "" || (t.Strand != 1 && t.Strand != -1) || len(t.Exons) == 0 {
		return fmt.Errorf("%w: transcript %q: missing gene, accession, strand or exons", ErrFormat, t.ID)
	}
	if _, ok := vcf.CanonicalChrom(t.Chrom); !ok {
		return fmt.Errorf("%w: transcript %s: contig %q", ErrFormat, t.ID, t.Chrom)
	}
	for i, e := range t.Exons {
		if e.Start < 1 || e.End < e.Start {
			return fmt.Errorf("%w: transcript %s: exon %d is %d-%d", ErrFormat, t.ID, i+1, e.Start, e.End)
		}
		if i > 0 {
			p := t.Exons[i-1]
			if (t.Strand > 0 && e.Start <= p.End) || (t.Strand < 0 && e.End >= p.Start) {
				return fmt.Errorf("%w: transcript %s: exon %d is not after exon %d in transcript order", ErrFormat, t.ID, i+1, i)
			}
		}
	}
	if t.CDSStart < 1 || t.CDSEnd < t.CDSStart || t.CDSEnd > t.Len() {
		return fmt.Errorf("%w: transcript %s: CDS %d..%d outside the transcript (length %d)", ErrFormat, t.ID, t.CDSStart, t.CDSEnd, t.Len())
	}
	return nil
}

// transcriptsHeader heads the embedded transcript table.
const transcriptsHeader = "#gene\trefseq\tensembl\tchrom\tstrand\tcds_start\tcds_end\texons" +
	"\t(cds_start/cds_end: 1-based transcript positions; exons: 1-based inclusive GRCh38 start-end, transcript order)\n"

// WriteTranscripts writes the transcript table, one transcript per line, in gene order.
func WriteTranscripts(w io.Writer, ts map[string]*transcript.Transcript) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(transcriptsHeader)
	for _, g := range slices.Sorted(maps.Keys(ts)) {
		t := ts[g]
		strand := "+"
		if t.Strand < 0 {
			strand = "-"
		}
		ex := make([]string, len(t.Exons))
		for i, e := range t.Exons {
			ex[i] = strconv.Itoa(e.Start) + "-" + strconv.Itoa(e.End)
		}
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", t.Gene, t.ID, t.Ensembl, t.Chrom, strand, t.CDSStart, t.CDSEnd, strings.Join(ex, ","))
	}
	return bw.Flush()
}

// parseTranscripts reads the table written by WriteTranscripts.
func parseTranscripts(data string) (map[string]*transcript.Transcript, error) {
	out := map[string]*transcript.Transcript{}
	err := eachRow(data, "transcripts", 8, func(n int, f []string) error {
		t := &transcript.Transcript{Gene: f[0], ID: f[1], Ensembl: f[2], Chrom: f[3]}
		switch f[4] {
		case "+":
			t.Strand = 1
		case "-":
			t.Strand = -1
		default:
			return fmt.Errorf("%w: transcripts line %d: strand %q", ErrFormat, n, f[4])
		}
		var err1, err2 error
		t.CDSStart, err1 = strconv.Atoi(f[5])
		t.CDSEnd, err2 = strconv.Atoi(f[6])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%w: transcripts line %d: CDS %q..%q", ErrFormat, n, f[5], f[6])
		}
		for _, ex := range strings.Split(f[7], ",") {
			a, b, ok := strings.Cut(ex, "-")
			s, err1 := strconv.Atoi(a)
			e, err2 := strconv.Atoi(b)
			if !ok || err1 != nil || err2 != nil {
				return fmt.Errorf("%w: transcripts line %d: exon %q", ErrFormat, n, ex)
			}
			t.Exons = append(t.Exons, transcript.Exon{Start: s, End: e})
		}
		if err := ValidTranscript(t); err != nil {
			return fmt.Errorf("transcripts line %d: %w", n, err)
		}
		if _, dup := out[t.Gene]; dup {
			return fmt.Errorf("%w: transcripts line %d: second transcript for %s", ErrFormat, n, t.Gene)
		}
		out[t.Gene] = t
		return nil
	})
	return out, err
}
