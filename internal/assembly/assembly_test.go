package assembly

import (
	"bufio"
	"errors"
	"github.com/precis-dx/precis/internal/oracle"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// markerLengths reads the contig lengths of both builds from the real build-marker table.
func markerLengths(t *testing.T) []ContigLength {
	t.Helper()
	f, err := os.Open(filepath.Join(oracle.Dir(t), "genes", "build_markers.GRCh37_vs_GRCh38.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []ContigLength
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 7 || c[0] != "contig_length" {
			continue
		}
		l37, _ := strconv.Atoi(c[3])
		l38, _ := strconv.Atoi(c[6])
		out = append(out, ContigLength{Chrom: c[5], GRCh37: l37, GRCh38: l38})
	}
	if len(out) < 5 {
		t.Fatalf("got %d contig lengths from the marker table, want at least 5", len(out))
	}
	return out
}

func TestNameBuild(t *testing.T) {
	for in, want := range map[string]string{
		"hg38":       GRCh38,
		"GRCh38.p13": GRCh38,
		"GRCh38.p2":  GRCh38,
		"file:/data/reference/GRCh38/GCA_000001405.15_GRCh38_no_alt_analysis_set.fasta": GRCh38,
		"GCA_000001405.15":                        GRCh38,
		"GCA_000001405.29":                        GRCh38,
		"file:///x/Homo_sapiens_assembly38.fasta": GRCh38,
		"ftp://ftp.1000genomes.ebi.ac.uk//vol1/ftp/technical/reference/phase2_reference_assembly_sequence/hs37d5.fa.gz": GRCh37,
		"file:///results/referenceLibrary/tmap-f2/hg19/hg19.fasta":                                                      GRCh37,
		"b37":                     GRCh37,
		"GCA_000001405.1":         GRCh37,
		"GCA_000001405.14":        GRCh37,
		"human_g1k_v37_decoy":     GRCh37,
		"ref_brca1.fa":            "",
		"":                        "",
		"GRCh37 lifted to GRCh38": "",
	} {
		if got := NameBuild(in); got != want {
			t.Errorf("NameBuild(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecide(t *testing.T) {
	lengths := markerLengths(t)
	type refs struct{ b38, agree38, b37, agree37 int }
	tests := []struct {
		name      string
		reference string
		contigs   []Contig
		refs      refs
		option    string
		want      string
		err       error
	}{
		// Header lines as they stand in ../shared/data/vcf-real files.
		{name: "pharmcat raw_chr.vcf", reference: "hg38", contigs: []Contig{{Chrom: "chr1", Assembly: "hg38"}}, want: GRCh38},
		{name: "mutect2 contig lengths", contigs: []Contig{{Chrom: "chr1", Length: 248956422}, {Chrom: "chr17", Length: 83257441}}, want: GRCh38},
		{name: "1kg phase3 sites (GRCh37)", reference: "ftp://x/hs37d5.fa.gz", contigs: []Contig{{Chrom: "chr1", Length: 249250621, Assembly: "b37"}}, want: GRCh37},
		{name: "declared 37, contig lengths 38", reference: "GRCh37", contigs: []Contig{{Chrom: "chr1", Length: 248956422}}, err: ErrMismatch},
		{name: "nothing decides", err: ErrUndetermined},
		{name: "nothing decides, --build GRCh38", option: GRCh38, want: GRCh38},
		{name: "--build GRCh37 against a GRCh38 header", reference: "hg38", option: GRCh37, err: ErrMismatch},
		{name: "REF alleles decide", refs: refs{b38: 83, agree38: 83, b37: 4, agree37: 1}, want: GRCh38},
		{name: "REF alleles point to GRCh37", refs: refs{b38: 20, agree38: 6, b37: 30, agree37: 30}, want: GRCh37},
		{name: "header 38, REF alleles refute it", reference: "hg38", refs: refs{b38: 40, agree38: 10}, err: ErrMismatch},
		{name: "header 38, a few REF mismatches are tolerated", reference: "hg38", refs: refs{b38: 40, agree38: 38}, want: GRCh38},
		{name: "--build GRCh38 but REF alleles refute it", option: GRCh38, refs: refs{b38: 10, agree38: 2}, err: ErrMismatch},
		{name: "unknown contig length is no evidence", contigs: []Contig{{Chrom: "chr1", Length: 1}}, err: ErrUndetermined},
		{name: "too few REF alleles decide nothing", refs: refs{b38: 2, agree38: 2}, err: ErrUndetermined},
		// ../shared/conformance/safety/r8_b37_headerless.vcf: two GRCh37 BRCA1 records, no header.
		{name: "--build GRCh38, two REF alleles agree with GRCh37 only", option: GRCh38, refs: refs{b37: 2, agree37: 2}, err: ErrMismatch},
		{name: "--build GRCh38, two REF alleles disagree with GRCh38", option: GRCh38, refs: refs{b38: 2}, err: ErrMismatch},
		{name: "--build GRCh38, one GRCh37 agreement is not enough", option: GRCh38, refs: refs{b37: 1, agree37: 1}, want: GRCh38},
		{name: "--build GRCh38, GRCh37 agreement by chance beside GRCh38 agreement", option: GRCh38, refs: refs{b38: 2, agree38: 2, b37: 2, agree37: 2}, want: GRCh38},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDetector(lengths)
			d.Header(tt.reference, "", tt.contigs)
			for i := 0; i < tt.refs.b38; i++ {
				d.Ref(GRCh38, i < tt.refs.agree38)
			}
			for i := 0; i < tt.refs.b37; i++ {
				d.Ref(GRCh37, i < tt.refs.agree37)
			}
			got, ev, err := d.Decide(tt.option)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Decide() error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Decide() = %q, %v; want %q", got, err, tt.want)
			}
			if len(ev) == 0 {
				t.Errorf("no evidence recorded for a decided build")
			}
		})
	}
}
