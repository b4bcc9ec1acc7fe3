package hgvs_test

import (
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/transcript/transcripttest"
	"github.com/precis-dx/precis/internal/variant"
)

// mehariTerms maps the consequence names of varfish-org/mehari to the ones Annotate
// uses (mehari splits UTR and splice-region terms by exon and intron).
var mehariTerms = map[string]string{
	"3_prime_UTR_exon_variant":            "3_prime_UTR_variant",
	"5_prime_UTR_exon_variant":            "5_prime_UTR_variant",
	"exonic_splice_region_variant":        "splice_region_variant",
	"coding_transcript_intron_variant":    "intron_variant",
	"splice_polypyrimidine_tract_variant": "",
	"splice_donor_region_variant":         "",
	"splice_donor_5th_base_variant":       "",
}

var cPosition = regexp.MustCompile(`^c\.(\*?-?\d+(?:[+-]\d+)?)[ACGT]>`)

// TestMehariBRCA1GRCh37 checks minus-strand naming against another annotator's
// expectations (hgvs/mehari_BRCA1_NM_007294.4_GRCh37_expected.tsv, varfish-org/mehari
// snapshots), on the GRCh37 model of NM_007294.4: the c. position of every row (c2g_ok),
// and the full c., p. and consequence of rows whose REF matches the genome.
func TestMehariBRCA1GRCh37(t *testing.T) {
	dir := transcripttest.DataDir(t)
	tx, err := transcripttest.TranscriptOn(dir, "GRCh37", "NM_007294.4")
	if err != nil {
		t.Fatal(err)
	}
	genome, err := transcripttest.NewGenomeOn(dir, "GRCh37", "BRCA1")
	if err != nil {
		t.Fatal(err)
	}
	rows := table(t, filepath.Join(dir, "hgvs", "mehari_BRCA1_NM_007294.4_GRCh37_expected.tsv"))
	full := 0
	for _, row := range rows {
		t.Run(row["pos"]+row["ref"]+">"+row["alt"], func(t *testing.T) {
			pos, err := strconv.Atoi(row["pos"])
			if err != nil {
				t.Fatalf("pos %q", row["pos"])
			}
			if m := cPosition.FindStringSubmatch(row["hgvs_c"]); m != nil && strings.Contains(row["check"], "c2g_ok") {
				if got := tx.C(pos).String(); got != m[1] {
					t.Errorf("C(%d) = c.%s, want c.%s", pos, got, m[1])
				}
			}
			if !strings.Contains(row["check"], "genome_ref_ok") {
				return
			}
			full++
			ann, err := hgvs.Annotate(tx, variant.Variant{Chrom: "chr17", Pos: pos, Ref: row["ref"], Alt: row["alt"]}, genome)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := normC(ann.HGVSc), row["hgvs_c"]; want != "" && got != want {
				t.Errorf("c.: got %s, want %s", got, want)
			}
			wantP := row["hgvs_p"]
			if wantP == "p.?" {
				wantP = "" // mehari writes p.? for non-coding variants, we leave it empty
			}
			if got := normP(ann.HGVSp); got != wantP {
				t.Errorf("p.: got %q, want %q", ann.HGVSp, wantP)
			}
			var want []string
			for _, term := range strings.Split(row["consequences"], ",") {
				if m, ok := mehariTerms[term]; ok {
					term = m
				}
				if term != "" {
					want = append(want, term)
				}
			}
			if strings.Join(ann.Consequences, ",") != strings.Join(sortedLike(want, ann.Consequences), ",") {
				t.Errorf("consequences: got %v, want %v", ann.Consequences, want)
			}
		})
	}
	if full < 10 {
		t.Errorf("only %d rows fully checked", full)
	}
}

// sortedLike returns want in the order its terms have in got (terms missing from got
// go last), so that two sets compare as strings.
func sortedLike(want, got []string) []string {
	var out []string
	for _, g := range got {
		for _, w := range want {
			if w == g {
				out = append(out, w)
			}
		}
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || w == g
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

// fixed is a Sequence over a literal string starting at position 1 of "chr1".
type fixed string

func (f fixed) Fetch(chrom string, start, end int) (string, bool) {
	if chrom != "chr1" || start < 1 || end > len(f) || end < start {
		return "", false
	}
	return string(f[start-1 : end]), true
}

// toySeq holds a two-exon coding transcript on the plus strand: exon 1 = 5..25, intron
// 26..35 (GT...AG), exon 2 = 36..55; the CDS (ATGAAAGCTCCCTGGAG|CAGAAACCCGTAA, MKAPWSRNP*)
// runs from transcript base 5 to 34.
const toySeq = fixed("CCCCGGGGATGAAAGCTCCCTGGAGGTAAGTTTAGCAGAAACCCGTAAGGCCCCCCCCC")

// toy returns the toy transcript on strand with its sequence; the minus-strand one lives
// on the reverse complement of toySeq, so both spell the same transcript.
func toy(strand int) (*transcript.Transcript, fixed) {
	tx := &transcript.Transcript{ID: "NM_TOY.1", Gene: "TOY", Chrom: "chr1", Strand: 1,
		Exons: []transcript.Exon{{Start: 5, End: 25}, {Start: 36, End: 55}}, CDSStart: 5, CDSEnd: 34}
	if strand == 1 {
		return tx, toySeq
	}
	n := len(toySeq) + 1
	tx.Strand = -1
	tx.Exons = []transcript.Exon{{Start: n - 25, End: n - 5}, {Start: n - 55, End: n - 36}}
	return tx, fixed(transcript.ReverseComplement(string(toySeq)))
}

// at writes a variant on chr1.
func at(pos int, ref, alt string) variant.Variant {
	return variant.Variant{Chrom: "chr1", Pos: pos, Ref: ref, Alt: alt}
}

func TestAnnotateErrors(t *testing.T) {
	tx, seq := toy(1)
	tests := []struct {
		name string
		v    variant.Variant
		want error
	}{
		{"symbolic", at(10, "T", "<DEL>"), hgvs.ErrUnsupported},
		{"no change", at(10, "T", "T"), hgvs.ErrUnsupported},
		{"star", at(10, "T", "*"), hgvs.ErrUnsupported},
		{"other chromosome", variant.Variant{Chrom: "chr2", Pos: 10, Ref: "T", Alt: "C"}, hgvs.ErrContig},
		{"REF mismatch", at(10, "A", "C"), hgvs.ErrRefMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hgvs.Annotate(tx, tc.v, seq)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	bad, _ := toy(1)
	bad.CDSEnd = 33
	if _, err := hgvs.Annotate(bad, at(10, "T", "C"), seq); !errors.Is(err, hgvs.ErrTranscript) {
		t.Errorf("CDS of 29 bases: got %v, want %v", err, hgvs.ErrTranscript)
	}
}

// TestUnknownSequence checks that nothing is guessed without reference bases: an SNV
// still gets its c. name (it needs no sequence), but no p. name, and an indel gets no
// name at all because it might shift.
func TestUnknownSequence(t *testing.T) {
	tx, _ := toy(1)
	snv, err := hgvs.Annotate(tx, at(13, "A", "G"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if snv.HGVSc != "NM_TOY.1:c.5A>G" || snv.HGVSp != "" || snv.Consequence != "coding_sequence_variant" {
		t.Errorf("SNV without sequence: got %+v", snv)
	}
	del, err := hgvs.Annotate(tx, at(12, "AA", "A"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if del.HGVSc != "" || del.HGVSg != "" || del.HGVSp != "" {
		t.Errorf("deletion without sequence: got %+v, want empty names", del)
	}
}

// BenchmarkAnnotate annotates the 2,022 ClinVar MLH1 variants with a VCF form, with a
// shared Annotator and with one-off Annotate calls.
func BenchmarkAnnotate(b *testing.B) {
	g := load(b, "NM_000249.4", "MLH1")
	var vs []variant.Variant
	for _, row := range table(b, filepath.Join(transcripttest.DataDir(b), "hgvs", "MLH1_clinvar_GRCh38_pairs.open.tsv")) {
		if pos, err := strconv.Atoi(row["vcf_pos"]); err == nil && row["vcf_ref"] != "" && row["vcf_alt"] != "" {
			vs = append(vs, variant.Variant{Chrom: "chr3", Pos: pos, Ref: row["vcf_ref"], Alt: row["vcf_alt"]})
		}
	}
	b.Run("Annotator", func(b *testing.B) {
		a := hgvs.NewAnnotator(g.genome)
		n := 0
		for b.Loop() {
			for _, v := range vs {
				if _, err := a.Annotate(g.tx, v); err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/variant")
	})
	// One-off calls assemble and translate the transcript every time.
	b.Run("OneOff", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for _, v := range vs {
				if _, err := hgvs.Annotate(g.tx, v, g.genome); err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/variant")
	})
}

// FuzzAnnotate annotates arbitrary changes on the toy transcripts: no panics, and the
// names must not depend on how the variant is written (left-aligned, padded or not).
func FuzzAnnotate(f *testing.F) {
	for _, s := range []struct {
		pos, refLen int
		alt         string
		minus       bool
	}{{13, 1, "G", false}, {11, 2, "G", false}, {14, 1, "AAAG", false}, {26, 1, "A", true}, {20, 10, "C", true}, {1, 1, "CC", false}, {50, 12, "", false}, {24, 4, "GGTT", true}} {
		f.Add(s.pos, s.refLen, s.alt, s.minus)
	}
	f.Fuzz(func(t *testing.T, pos, refLen int, alt string, minus bool) {
		if pos < 1 || refLen < 1 || pos+refLen-1 > len(toySeq) || len(alt) > 40 {
			return
		}
		strand := 1
		if minus {
			strand = -1
		}
		tx, seq := toy(strand)
		ref, _ := seq.Fetch("chr1", pos, pos+refLen-1)
		v := variant.Variant{Chrom: "chr1", Pos: pos, Ref: ref, Alt: alt}
		got, err := hgvs.Annotate(tx, v, seq)
		n := variant.Normalize(v, seq)
		again, err2 := hgvs.Annotate(tx, n, seq)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("%v: %v; normalised %v: %v", v, err, n, err2)
		}
		if err != nil {
			return
		}
		if got.HGVSc != again.HGVSc || got.HGVSg != again.HGVSg || got.HGVSp != again.HGVSp || got.Consequence != again.Consequence {
			t.Errorf("%v -> %+v\n%v -> %+v", v, got, n, again)
		}
		// With the reference unknown from position 50 on (the plus-strand 3' UTR, the
		// minus-strand 5' UTR), a protein name either stays or says the new stop is unknown.
		part, err := hgvs.Annotate(tx, v, holed{bases: string(seq), from: 50})
		if err != nil {
			t.Fatalf("%v with a partly known reference: %v", v, err)
		}
		if part.HGVSp != "" && part.HGVSp != got.HGVSp && !strings.HasSuffix(part.HGVSp, "Ter?)") {
			t.Errorf("%v: got %s with the whole reference, %s with part of it", v, got.HGVSp, part.HGVSp)
		}
	})
}
