package transcript_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/transcript/transcripttest"
)

// mane lists the MANE transcripts the shared data lets us build, with their genome slice
// and the transcript FASTA that must equal the spliced exons.
var mane = []struct {
	id, gene, fasta string
	strand          int
	cdsStart        int
	cdsEnd          int
}{
	{"NM_000249.4", "MLH1", "NM_000249.4.reconstructed", 1, 31, 2301},
	{"NM_007294.4", "BRCA1", "NM_007294.4", -1, 114, 5705},
	{"NM_000059.4", "BRCA2", "NM_000059.4", 1, 200, 10456},
}

func build(t *testing.T, id, gene string) (*transcript.Transcript, *transcripttest.Genome) {
	return buildOn(t, "GRCh38", id, gene)
}

func buildOn(t *testing.T, assembly, id, gene string) (*transcript.Transcript, *transcripttest.Genome) {
	t.Helper()
	dir := transcripttest.DataDir(t)
	tx, err := transcripttest.TranscriptOn(dir, assembly, id)
	if err != nil {
		t.Fatal(err)
	}
	g, err := transcripttest.NewGenomeOn(dir, assembly, gene)
	if err != nil {
		t.Fatal(err)
	}
	return tx, g
}

// TestSplicedSequence checks strand and coordinate handling: the exons spliced from the
// GRCh38 (and GRCh37) slices must reproduce the published transcript and protein
// sequences exactly.
func TestSplicedSequence(t *testing.T) {
	dir := transcripttest.DataDir(t)
	for _, m := range mane {
		for _, assembly := range []string{"GRCh38", "GRCh37"} {
			t.Run(assembly+"/"+m.id, func(t *testing.T) {
				tx, g := buildOn(t, assembly, m.id, m.gene)
				if err := tx.Validate(); err != nil {
					t.Fatal(err)
				}
				if tx.Strand != m.strand || tx.CDSStart != m.cdsStart || tx.CDSEnd != m.cdsEnd {
					t.Fatalf("got strand %d CDS %d..%d, want %d %d..%d", tx.Strand, tx.CDSStart, tx.CDSEnd, m.strand, m.cdsStart, m.cdsEnd)
				}
				// published reads the published sequence of the transcript, in file m.fasta+ext.
				published := func(ext string) string {
					t.Helper()
					_, seq, err := transcripttest.ReadFASTA(filepath.Join(dir, "genes", "sequence", "transcripts", m.fasta+ext))
					if err != nil {
						t.Fatal(err)
					}
					return seq
				}
				want := published(".fa")
				got, ok := tx.Sequence(g)
				if !ok {
					t.Fatal("sequence not available")
				}
				if got != strings.ToUpper(want) {
					t.Errorf("spliced sequence (%d bases) differs from %s.fa (%d bases) at %d", len(got), m.fasta, len(want), firstDiff(got, want))
				}
				if tx.Len() != len(want) {
					t.Errorf("Len() = %d, want %d", tx.Len(), len(want))
				}
				wantProt := published(".protein.fa")
				prot, ok := tx.Protein(g)
				if !ok {
					t.Fatal("protein not available")
				}
				if strings.TrimSuffix(prot, "*") != strings.TrimSuffix(wantProt, "*") || !strings.HasSuffix(prot, "*") {
					t.Errorf("protein differs from %s.protein.fa at %d", m.fasta, firstDiff(prot, wantProt))
				}
				if strings.Count(prot, "*") != 1 {
					t.Errorf("protein has %d stops, want 1", strings.Count(prot, "*"))
				}
			})
		}
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i + 1
		}
	}
	return min(len(a), len(b)) + 1
}

// TestRoundTrip maps every base from 6 kb upstream to 6 kb downstream to c. numbering
// and back.
func TestRoundTrip(t *testing.T) {
	for _, m := range mane {
		t.Run(m.id, func(t *testing.T) {
			tx, _ := build(t, m.id, m.gene)
			start, end := tx.Span()
			prev := transcript.Location{}
			for g := start - 6000; g <= end+6000; g++ {
				l := tx.Locate(g)
				if back := tx.Genomic(l.Tx, l.Offset); back != g {
					t.Fatalf("g.%d -> %+v -> g.%d", g, l, back)
				}
				c := tx.C(g)
				p, err := transcript.ParseCPos(c.String())
				if err != nil || p != c {
					t.Fatalf("ParseCPos(%q) = %+v, %v; want %+v", c.String(), p, err, c)
				}
				if back, ok := tx.GenomicC(c); !ok || back != g {
					t.Fatalf("g.%d -> c.%s -> g.%d (%v)", g, c, back, ok)
				}
				if g > start-6000 && l.Offset == 0 && prev.Offset == 0 && l.Tx-prev.Tx != tx.Strand {
					t.Fatalf("g.%d: tx %d after tx %d", g, l.Tx, prev.Tx)
				}
				prev = l
			}
		})
	}
}

// TestLocateClinVar checks c. positions of single-base ClinVar variants in every kind of
// region (5' upstream, UTR, CDS, intron on both sides of its middle, 3' UTR).
func TestLocateClinVar(t *testing.T) {
	tests := []struct {
		id, gene string
		g        int
		c        string
		exon     int
		intron   int
	}{
		// NM_000249.4 rows of hgvs/MLH1_clinvar_GRCh38_pairs.open.tsv
		{"NM_000249.4", "MLH1", 36993506, "-42", 0, 0},
		{"NM_000249.4", "MLH1", 36993518, "-30", 1, 0},
		{"NM_000249.4", "MLH1", 36993546, "-2", 1, 0},
		{"NM_000249.4", "MLH1", 36993549, "2", 1, 0},
		{"NM_000249.4", "MLH1", 37040185, "1559-1", 0, 13},
		// cdot_clinvar_submitted_subset_9genes.tsv
		{"NM_000059.4", "BRCA2", 32376656, "8633-14", 0, 20},
		{"NM_000059.4", "BRCA2", 32333094, "1616", 10, 0},
		{"NM_007294.4", "BRCA1", 43045757, "5513", 23, 0},
		{"NM_007294.4", "BRCA1", 43124092, "5", 2, 0},
		// biocommons_hgvs_clinvar_pairs_9genes.tsv
		{"NM_007294.4", "BRCA1", 43106478, "190", 4, 0}, // RefSeq exon 4 (legacy BRCA1 exon 5)
	}
	for _, tc := range tests {
		t.Run(tc.id+":c."+tc.c, func(t *testing.T) {
			tx, _ := build(t, tc.id, tc.gene)
			if got := tx.C(tc.g).String(); got != tc.c {
				t.Errorf("C(%d) = c.%s, want c.%s", tc.g, got, tc.c)
			}
			l := tx.Locate(tc.g)
			if l.Exon != tc.exon || l.Intron != tc.intron {
				t.Errorf("Locate(%d) exon %d intron %d, want exon %d intron %d", tc.g, l.Exon, l.Intron, tc.exon, tc.intron)
			}
		})
	}
}

// TestIntronMiddle checks the HGVS rule for the middle of an intron: offsets count from
// the nearer exon, and a base equidistant from both is c.N+k.
func TestIntronMiddle(t *testing.T) {
	for _, strand := range []int{1, -1} {
		// Exon 1 at 100-109, intron of 7 bases (110-116), exon 2 at 117-126.
		tx := &transcript.Transcript{ID: "T", Chrom: "c", Strand: strand, CDSStart: 1, CDSEnd: 18,
			Exons: []transcript.Exon{{Start: 100, End: 109}, {Start: 117, End: 126}}}
		if strand == -1 {
			tx.Exons[0], tx.Exons[1] = tx.Exons[1], tx.Exons[0]
		}
		want := map[int]string{110: "10+1", 112: "10+3", 113: "10+4", 114: "11-3", 116: "11-1", 99: "-1", 127: "*3"}
		if strand == -1 {
			want = map[int]string{116: "10+1", 114: "10+3", 113: "10+4", 112: "11-3", 110: "11-1", 127: "-1", 99: "*3"}
		}
		for g, c := range want {
			if got := tx.C(g).String(); got != c {
				t.Errorf("strand %d: C(%d) = c.%s, want c.%s", strand, g, got, c)
			}
		}
	}
}

func TestParseCPos(t *testing.T) {
	tests := []struct {
		in   string
		want transcript.CPos
		ok   bool
	}{
		{"c.1905+1", transcript.CPos{Base: 1905, Offset: 1}, true},
		{"117-2", transcript.CPos{Base: 117, Offset: -2}, true},
		{"-15", transcript.CPos{Base: -15}, true},
		{"*20", transcript.CPos{Base: 20, Star: true}, true},
		{"-30-12", transcript.CPos{Base: -30, Offset: -12}, true},
		{"*5+3", transcript.CPos{Base: 5, Star: true, Offset: 3}, true},
		{"0", transcript.CPos{}, false},
		{"12+0", transcript.CPos{}, false},
		{"*-3", transcript.CPos{}, false},
		{"12+-3", transcript.CPos{}, false},
		{"+12", transcript.CPos{}, false},
		{"", transcript.CPos{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := transcript.ParseCPos(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("got %+v, %v; want %+v, ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseCPos(f *testing.F) {
	for _, s := range []string{"c.1905+1", "117-2", "-15", "*20", "-30-12", "*5+3", "0", "1_2", "c.*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := transcript.ParseCPos(s)
		if err != nil {
			return
		}
		again, err := transcript.ParseCPos(p.String())
		if err != nil || again != p {
			t.Errorf("%q -> %+v -> %q -> %+v, %v", s, p, p.String(), again, err)
		}
	})
}

func TestTranslate(t *testing.T) {
	tests := []struct{ nt, want string }{
		{"ATGTCGTTCTAA", "MSF*"},
		{"atgtgg", "MW"},
		{"ATGNNNTG", "MX"},
		{"TAATAGTGA", "***"},
	}
	for _, tc := range tests {
		if got := transcript.Translate(tc.nt); got != tc.want {
			t.Errorf("Translate(%q) = %q, want %q", tc.nt, got, tc.want)
		}
	}
	if got := transcript.ReverseComplement("ACGTNacgt"); got != "acgtNACGT" {
		t.Errorf("ReverseComplement = %q, want %q", got, "acgtNACGT")
	}
}

// gapped is a Sequence over a literal plus-strand string on "chr1" from position 1, with
// the positions hole[0]..hole[1] (1-based, inclusive) unknown.
type gapped struct {
	bases string
	hole  [2]int
}

func (g gapped) Fetch(chrom string, start, end int) (string, bool) {
	if chrom != "chr1" || start < 1 || end > len(g.bases) || end < start || (start <= g.hole[1] && end >= g.hole[0]) {
		return "", false
	}
	return g.bases[start-1 : end], true
}

// TestKnownSequence checks that bases the source cannot give come out as Unknown at their
// transcript positions on both strands, and that known bases are the spliced exons.
func TestKnownSequence(t *testing.T) {
	//             1        10        20        30
	const bases = "CCATGGCAnTCCCCCAGGTaaCCCGGTTTCC"
	plus := &transcript.Transcript{ID: "NM_TOY.1", Chrom: "chr1", Strand: 1,
		Exons: []transcript.Exon{{Start: 3, End: 10}, {Start: 15, End: 24}}, CDSStart: 1, CDSEnd: 18}
	minus := &transcript.Transcript{ID: "NM_TOY.1", Chrom: "chr1", Strand: -1,
		Exons: []transcript.Exon{{Start: 15, End: 24}, {Start: 3, End: 10}}, CDSStart: 1, CDSEnd: 18}
	tests := []struct {
		name  string
		tx    *transcript.Transcript
		hole  [2]int
		want  string
		known int
	}{
		// Exon 1 is ATGGCAnT (the n is not a known base), exon 2 CAGGTaaCCC.
		{"plus, all fetched", plus, [2]int{0, 0}, "ATGGCA?TCAGGTAACCC", 17},
		{"plus, 3' end unknown", plus, [2]int{21, 40}, "ATGGCA?TCAGGTA????", 13},
		{"plus, intron and exon start unknown", plus, [2]int{11, 16}, "ATGGCA?T??GGTAACCC", 15},
		{"minus, all fetched", minus, [2]int{0, 0}, "GGGTTACCTGA?TGCCAT", 17},
		{"minus, 5' end unknown", minus, [2]int{21, 40}, "????TACCTGA?TGCCAT", 13},
		{"nothing known", plus, [2]int{1, 40}, "??????????????????", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, known := tc.tx.KnownSequence(gapped{bases: bases, hole: tc.hole})
			if got != tc.want || known != tc.known {
				t.Errorf("got %q (%d known), want %q (%d known)", got, known, tc.want, tc.known)
			}
			if len(got) != tc.tx.Len() {
				t.Errorf("got %d bases, want the transcript's %d", len(got), tc.tx.Len())
			}
		})
	}
	if got, known := plus.KnownSequence(nil); got != strings.Repeat("?", plus.Len()) || known != 0 {
		t.Errorf("nil sequence: got %q (%d known)", got, known)
	}
}
