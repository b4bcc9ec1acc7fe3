package kb

import (
	"github.com/precis-dx/precis/internal/oracle"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/transcript"
)

// readFASTAFile reads a one-record FASTA file from the shared data: header and bases.
func readFASTAFile(t *testing.T, path string) (string, string) {
	t.Helper()
	raw := testfile.Read(t, path)
	hdr, body, _ := strings.Cut(string(raw), "\n")
	return hdr, strings.ToUpper(strings.Join(strings.Fields(body), ""))
}

func TestTranscriptsTranslate(t *testing.T) {
	k := testKB(t)
	for _, g := range Genes() {
		t.Run(g, func(t *testing.T) {
			tx := k.Transcripts[g]
			cds, ok := k.Genome.CDS(tx)
			if !ok {
				t.Fatalf("CDS of %s not in the genome", tx.ID)
			}
			if len(cds)%3 != 0 {
				t.Errorf("CDS length %d is not a multiple of 3", len(cds))
			}
			if !strings.HasPrefix(cds, "ATG") {
				t.Errorf("CDS starts %.3s, want ATG", cds)
			}
			p := transcript.Translate(cds)
			if !strings.HasSuffix(p, "*") {
				t.Errorf("CDS ends %s, want a stop codon", cds[len(cds)-3:])
			}
			if i := strings.IndexAny(p[:len(p)-1], "*X"); i >= 0 {
				t.Errorf("internal stop or unreadable codon at codon %d", i+1)
			}
			if tx.Gene != g || PanelOf(g) == "" || tx.Ensembl == "" || !strings.HasPrefix(tx.ID, "NM_") {
				t.Errorf("got %+v", tx)
			}
		})
	}
}

// TestTranscriptsMatchSequenceFiles splices each transcript with a published (or
// reconstructed) sequence file from the genome and compares, and compares the translation
// with the protein file.
func TestTranscriptsMatchSequenceFiles(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	for _, tc := range []struct{ gene, file string }{
		{"BRCA1", "NM_007294.4"},
		{"BRCA2", "NM_000059.4"},
		{"POLE", "NM_006231.4"},
		{"MLH1", "NM_000249.4.reconstructed"},
	} {
		t.Run(tc.gene, func(t *testing.T) {
			tx := k.Transcripts[tc.gene]
			hdr, want := readFASTAFile(t, filepath.Join(src, "genes/sequence/transcripts", tc.file+".fa"))
			if !strings.HasPrefix(hdr, ">"+tx.ID+" ") {
				t.Errorf("file header %q names another transcript than %s", hdr, tx.ID)
			}
			got, ok := k.Genome.Spliced(tx)
			if !ok {
				t.Fatalf("exons of %s not all in the genome", tx.ID)
			}
			if got != want {
				t.Errorf("spliced %s: got %d nt, want the %d nt of %s.fa (first difference at %d)", tx.ID, len(got), len(want), tc.file, firstDiff(got, want)+1)
			}
			_, protein := readFASTAFile(t, filepath.Join(src, "genes/sequence/transcripts", tc.file+".protein.fa"))
			if p := transcript.Translate(got[tx.CDSStart-1 : tx.CDSEnd]); p != protein && p != strings.TrimSuffix(protein, "*")+"*" {
				t.Errorf("translation of %s differs from %s.protein.fa at residue %d", tx.ID, tc.file, firstDiff(p, protein)+1)
			}
		})
	}
}

func firstDiff(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// TestTranscriptsAgainstSources checks the embedded models against both exon-model
// sources, read here with a separate, simple reader.
func TestTranscriptsAgainstSources(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	raw := testfile.Read(t, filepath.Join(src, "genes/panel9.GRCh38.ensembl110_canonical.exons.bed"))
	exons := map[string][]transcript.Exon{} // BED exon rows, 1-based
	enst := map[string]string{}
	for _, l := range strings.Split(string(raw), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 11 || f[10] != "exon" {
			continue
		}
		exons[f[6]] = append(exons[f[6]], transcript.Exon{Start: atoi(t, f[1]) + 1, End: atoi(t, f[2])})
		enst[f[6]] = f[9]
	}
	for _, g := range Genes() {
		tx := k.Transcripts[g]
		got := map[transcript.Exon]bool{}
		for _, e := range tx.Exons {
			got[e] = true
		}
		if len(exons[g]) != len(tx.Exons) {
			t.Errorf("%s: got %d exons, the BED has %d", g, len(tx.Exons), len(exons[g]))
		}
		for _, e := range exons[g] {
			if !got[e] {
				t.Errorf("%s: BED exon %d-%d is not in the model", g, e.Start, e.End)
			}
		}
		if enst[g] != tx.Ensembl {
			t.Errorf("%s: Ensembl %s, the BED names %s", g, tx.Ensembl, enst[g])
		}
	}
	// exon_models.tsv: the CDS of the three MANE rows.
	raw = testfile.Read(t, filepath.Join(src, "genes/sequence/exon_models.tsv"))
	for _, l := range strings.Split(string(raw), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 13 || f[2] != "MANE" || f[3] != "GRCh38" {
			continue
		}
		tx := k.Transcripts[f[1]]
		if tx.ID != f[0] || tx.CDSStart != atoi(t, f[11]) || tx.CDSEnd != atoi(t, f[12]) {
			t.Errorf("%s: got %s CDS %d..%d, exon_models.tsv says %s %s..%s", f[1], tx.ID, tx.CDSStart, tx.CDSEnd, f[0], f[11], f[12])
		}
	}
}

func TestTxRangeToGenomic(t *testing.T) {
	minus := &transcript.Transcript{Strand: -1, Exons: []transcript.Exon{{Start: 100, End: 109}, {Start: 50, End: 54}}}
	plus := &transcript.Transcript{Strand: 1, Exons: []transcript.Exon{{Start: 10, End: 19}, {Start: 30, End: 34}}}
	for _, tc := range []struct {
		name     string
		t        *transcript.Transcript
		from, to int
		want     []transcript.Exon
	}{
		{"plus first exon", plus, 1, 3, []transcript.Exon{{Start: 10, End: 12}}},
		{"plus across junction", plus, 9, 12, []transcript.Exon{{Start: 18, End: 19}, {Start: 30, End: 31}}},
		{"minus first exon", minus, 1, 2, []transcript.Exon{{Start: 108, End: 109}}},
		{"minus across junction", minus, 10, 11, []transcript.Exon{{Start: 100, End: 100}, {Start: 54, End: 54}}},
		{"minus last base", minus, 15, 15, []transcript.Exon{{Start: 50, End: 50}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := txRangeToGenomic(tc.t, tc.from, tc.to)
			if !ok || len(got) != len(tc.want) {
				t.Fatalf("got %v %v, want %v", got, ok, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	if _, ok := txRangeToGenomic(plus, 14, 16); ok {
		t.Error("a range past the transcript end mapped")
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconvAtoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
