package kb

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/vcf"
)

var strconvAtoi = strconv.Atoi

// TestGenomeSlices compares the genome with every GRCh38 and GRCh37 slice file, base for
// base, where the knowledge base keeps it.
func TestGenomeSlices(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	for _, tc := range []struct {
		build string
		g     *Genome
		chrom map[string]string
	}{
		{"GRCh38", k.Genome, nil},
		{"GRCh37", k.GRCh37, nil},
	} {
		files, err := filepath.Glob(filepath.Join(src, "genes/sequence", tc.build, "*.fa"))
		if err != nil || len(files) != 8 {
			t.Fatalf("%s slices: %v, %d files", tc.build, err, len(files))
		}
		for _, f := range files {
			t.Run(tc.build+"/"+filepath.Base(f), func(t *testing.T) {
				hdr, seq := readFASTAFile(t, f)
				// ">NC_000017.11:43024295-43217981 ..."
				name := strings.Fields(strings.TrimPrefix(hdr, ">"))[0]
				acc, rng, _ := strings.Cut(name, ":")
				a, _, _ := strings.Cut(rng, "-")
				start := atoi(t, a)
				chrom, ok := vcf.CanonicalChrom(acc)
				if !ok {
					t.Fatalf("header %q", hdr)
				}
				checked := 0
				for _, sp := range tc.g.Spans() {
					lo, hi := max(sp.Start, start), min(sp.End, start+len(seq)-1)
					if sp.Chrom != chrom || lo > hi {
						continue
					}
					got, ok := tc.g.Fetch(chrom, lo, hi)
					if want := seq[lo-start : hi-start+1]; !ok || got != want {
						t.Errorf("%s:%d-%d differs from %s", chrom, lo, hi, filepath.Base(f))
					}
					checked += hi - lo + 1
				}
				if tc.build == "GRCh38" && checked != len(seq) {
					t.Errorf("got %d of the %d slice bases in the genome", checked, len(seq))
				}
				if checked == 0 {
					t.Error("no base of the slice is in the genome")
				}
			})
		}
	}
}

func TestFetch(t *testing.T) {
	k := testKB(t)
	pole := k.Transcripts["POLE"]
	ex1 := pole.Exons[0] // chr12:132687254-132687342
	for _, tc := range []struct {
		name       string
		chrom      string
		start, end int
		want       string
		ok         bool
	}{
		// DPYD*2A c.1905+1G>A is chr1:97450058 C>T on the plus strand (PharmCAT, rs3918290).
		{"DPYD*2A site", "chr1", 97450058, 97450058, "C", true},
		{"no chr prefix", "1", 97450058, 97450058, "C", true},
		// PharmCAT's c.1898delC (*3) definition: chr1:97450065 TG>T.
		{"two bases", "chr1", 97450065, 97450066, "TG", true},
		{"first base of DPYD slice", "chr1", 97075743, 97075743, "", true},
		{"before the DPYD slice", "chr1", 97075742, 97075742, "", false},
		{"across the slice start", "chr1", 97075742, 97075743, "", false},
		{"POLE exon 1", "chr12", ex1.Start, ex1.End, "", true},
		{"POLE intron", "chr12", ex1.Start - 1, ex1.Start - 1, "", false},
		{"POLE exon and intron", "chr12", ex1.Start - 1, ex1.End, "", false},
		{"PMS2 3'UTR missing from the sources", "chr7", 5971000, 5971000, "", false},
		{"other contig", "chr5", 1000, 1000, "", false},
		{"unknown contig", "chrUn_KI270302v1", 1, 1, "", false},
		{"empty range", "chr1", 97450058, 97450057, "", false},
		{"zero start", "chr1", 0, 1, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := k.Genome.Fetch(tc.chrom, tc.start, tc.end)
			if ok != tc.ok || (tc.want != "" && got != tc.want) || (ok && len(got) != tc.end-tc.start+1) {
				t.Errorf("Fetch(%s, %d, %d) = %q, %v; want %q, %v", tc.chrom, tc.start, tc.end, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFetchConcurrent(t *testing.T) {
	k := testKB(t)
	want, _ := k.Genome.Fetch("chr17", 43044295, 43125364)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				p := 43044295 + j*97
				got, ok := k.Genome.Fetch("chr17", p, p+50)
				if !ok || got != want[p-43044295:p-43044295+51] {
					t.Errorf("Fetch(chr17, %d) = %q, %v", p, got, ok)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestBRCA1RegionFiles checks the genome against the GA4GH BRCA1 region files: the GRCh38
// placement, and the GRCh37 file, whose header says 41196312 but whose first base is
// 41196313 (README of the shared data).
func TestBRCA1RegionFiles(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	_, s38 := readFASTAFile(t, filepath.Join(src, "genes/brca1_region.GRCh38.chr17_43044296-43125483.fa"))
	got, ok := k.Genome.Fetch("chr17", 43044296, 43044296+len(s38)-1)
	if !ok || got != s38 {
		t.Errorf("GRCh38 chr17:43044296-%d differs from brca1_region.GRCh38 (ok %v, first difference %d)", 43044296+len(s38)-1, ok, firstDiff(got, s38))
	}
	_, s37 := readFASTAFile(t, filepath.Join(src, "genes/grch37/ga4gh_ref_brca1.GRCh37.fa"))
	checked := 0
	for _, sp := range k.GRCh37.Spans() {
		lo, hi := max(sp.Start, 41196313), min(sp.End, 41196313+len(s37)-1)
		if sp.Chrom != "chr17" || lo > hi {
			continue
		}
		got, _ := k.GRCh37.Fetch("chr17", lo, hi)
		if want := s37[lo-41196313 : hi-41196313+1]; got != want {
			t.Errorf("GRCh37 chr17:%d-%d differs from ga4gh_ref_brca1.GRCh37.fa", lo, hi)
		}
		checked += hi - lo + 1
	}
	if checked < 5000 {
		t.Errorf("only %d GRCh37 BRCA1 bases compared", checked)
	}
	t.Logf("compared %d GRCh37 BRCA1 exon bases with the GA4GH file", checked)
}

// TestGRCh37Exons checks that the GRCh37 genome holds every base of the GRCh37 exon
// models (±50 bp) that a GRCh37 slice covers. POLE has no GRCh37 slice, and Ensembl 75's
// MSH6 3'UTR runs past the end of the MSH6 slice.
func TestGRCh37Exons(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	type span struct {
		chrom      string
		start, end int
	}
	var slices []span
	files, _ := filepath.Glob(filepath.Join(src, "genes/sequence/GRCh37/*.fa"))
	for _, f := range files {
		hdr, _ := readFASTAFile(t, f)
		acc, rng, _ := strings.Cut(strings.Fields(strings.TrimPrefix(hdr, ">"))[0], ":")
		a, b, _ := strings.Cut(rng, "-")
		chrom, _ := vcf.CanonicalChrom(acc)
		slices = append(slices, span{chrom, atoi(t, a), atoi(t, b)})
	}
	raw := testfile.Read(t, filepath.Join(src, "genes/grch37/panel9.GRCh37.ensembl75_canonical.exons.bed"))
	partial := map[string]int{}
	bases := 0
	for _, l := range strings.Split(string(raw), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 7 || strings.HasPrefix(l, "#") {
			continue
		}
		chrom, lo, hi := "chr"+f[0], atoi(t, f[1])+1-GRCh37Flank, atoi(t, f[2])+GRCh37Flank
		covered := 0
		for _, s := range slices {
			a, b := max(lo, s.start), min(hi, s.end)
			if s.chrom != chrom || a > b {
				continue
			}
			if _, ok := k.GRCh37.Fetch(chrom, a, b); !ok {
				t.Errorf("%s %s:%d-%d is in a GRCh37 slice but not in the genome", f[3], chrom, a, b)
			}
			covered += b - a + 1
		}
		if covered < hi-lo+1 {
			partial[f[6]]++
		}
		bases += covered
	}
	if len(partial) != 2 || partial["POLE"] != 49 || partial["MSH6"] != 1 {
		t.Errorf("exons (±%d bp) not fully in a GRCh37 slice: %v, want POLE 49, MSH6 1", GRCh37Flank, partial)
	}
	t.Logf("%d GRCh37 exon bases (±%d bp) checked; not fully covered: %v", bases, GRCh37Flank, partial)
}

func TestMarkers(t *testing.T) {
	k := testKB(t)
	lengths := map[string][2]int{}
	for _, m := range k.Markers {
		if m.Kind == "contig_length" {
			lengths[m.GRCh38Chrom] = [2]int{m.GRCh37Len, m.GRCh38Len}
		}
		if m.Kind == "pgx_variant" && strings.HasPrefix(m.Name, "DPYD:") {
			got, ok := k.Genome.Fetch(m.GRCh38Chrom, m.GRCh38Start, m.GRCh38Start+len(m.RefGRCh38)-1)
			if !ok || got != m.RefGRCh38 {
				t.Errorf("%s: GRCh38 %s:%d is %q, the marker says %s", m.Name, m.GRCh38Chrom, m.GRCh38Start, got, m.RefGRCh38)
			}
			got, ok = k.GRCh37.Fetch(m.GRCh37Chrom, m.GRCh37Start, m.GRCh37Start+len(m.RefGRCh37)-1)
			if ok && got != m.RefGRCh37 {
				t.Errorf("%s: GRCh37 %s:%d is %q, the marker says %s", m.Name, m.GRCh37Chrom, m.GRCh37Start, got, m.RefGRCh37)
			}
		}
	}
	// GRCh37/GRCh38 chr1 lengths as the marker file states them (and as every reference
	// FASTA index has them).
	if got := lengths["chr1"]; got != [2]int{249250621, 248956422} {
		t.Errorf("chr1 lengths: got %v", got)
	}
	if len(lengths) < 5 {
		t.Errorf("got %d contig lengths", len(lengths))
	}
}
