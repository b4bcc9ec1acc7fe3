package sv

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/vcf"
)

var (
	kbOnce sync.Once
	kbVal  *kb.KB
	kbErr  error
)

func transcripts(t *testing.T) map[string]*transcript.Transcript {
	t.Helper()
	kbOnce.Do(func() { kbVal, kbErr = kb.Load() })
	if kbErr != nil {
		t.Fatal(kbErr)
	}
	return kbVal.Transcripts
}

// records reads every record of a testdata file, keyed by its ID column, or "chrom:pos"
// where it has none (CNVkit).
func records(t testing.TB, name string) map[string]*vcf.Record {
	t.Helper()
	b := testfile.Read(t, filepath.Join("testdata", name))
	r, err := vcf.NewReader(bytes.NewReader(b), name, vcf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string]*vcf.Record{}
	for rec, err := range r.All() {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		key := rec.ID
		if key == "." {
			key = rec.Chrom + ":" + strconv.Itoa(rec.Pos)
		}
		out[key] = rec
	}
	return out
}

func ip(n int) *int { return &n }

// TestParseCallers reads the hand-written fixture of each caller (testdata/README.md) and
// places each call on its gene's MANE Select transcript.
func TestParseCallers(t *testing.T) {
	txs := transcripts(t)
	tests := []struct {
		file, id, gene string
		alt            int
		want           Call
		exons          []int
		consequence    string
		hgvsg, hgvsc   string
		err            error
	}{
		// Manta: imprecise deletion with CIPOS/CIEND (the conformance case's event).
		{file: "manta.vcf", id: "MantaDEL:1:0:1:0:0:0", gene: "BRCA1", alt: 1,
			want:  Call{Type: DEL, Start: 43090001, End: 43110000, CIPos: [2]int{-150, 150}, CIEnd: [2]int{-120, 120}, Imprecise: true, Length: 20000},
			exons: []int{4, 5, 6, 7, 8, 9, 10, 11}, consequence: "exon_loss_variant",
			hgvsg: "NC_000017.11:g.(43089851_43090151)_(43109880_43110120)del",
			hgvsc: "NM_007294.4:c.(134+1_135-1)_(4185+1_4186-1)del"},
		{file: "manta.vcf", id: "MantaDUP:TANDEM:4:0:1:0:0:0", gene: "BRCA2", alt: 1,
			want:  Call{Type: DUP, Start: 32344001, End: 32347500, Length: 3500},
			exons: []int{12, 13}, consequence: "feature_amplification", hgvsg: "NC_000013.11:g.32344001_32347500dup"},
		{file: "manta.vcf", id: "MantaINV:7:0:1:0:0:0", gene: "MSH2", alt: 1,
			want:  Call{Type: INV, Start: 47429001, End: 47431000, Length: 2000},
			exons: []int{7}, consequence: "inversion", hgvsg: "NC_000002.12:g.47429001_47431000inv"},
		{file: "manta.vcf", id: "MantaBND:11:0:1:0:0:0:0", gene: "MLH1", alt: 1,
			want:  Call{Type: BND, Start: 37017550, End: 37017550, Mate: "chr8:100000"},
			exons: []int{10}, consequence: "feature_truncation"},
		{file: "manta.vcf", id: "MantaINS:9:0:0:0:0:0", gene: "BRCA1", alt: 1,
			want:  Call{Type: INS, Start: 43093000, End: 43093000, CIPos: [2]int{0, 12}, CIEnd: [2]int{0, 12}, Imprecise: true},
			exons: []int{10}, consequence: "insertion"},
		// DELLY: PRECISE beats its CIPOS=-3,3; RDCN is not CN; <CNV> with FORMAT CN=1 is a loss.
		{file: "delly.vcf", id: "DEL00000012", gene: "MSH6", alt: 1,
			want:  Call{Type: DEL, Start: 47797001, End: 47804000, CIPos: [2]int{-3, 3}, CIEnd: [2]int{-3, 3}, Length: 7000},
			exons: []int{4, 5}, consequence: "exon_loss_variant", hgvsg: "NC_000002.12:g.47797001_47804000del"},
		{file: "delly.vcf", id: "DUP00000004", gene: "POLE", alt: 1,
			want:  Call{Type: DUP, Start: 132675001, End: 132677000, CIPos: [2]int{-220, 220}, CIEnd: [2]int{-220, 220}, Imprecise: true, Length: 2000},
			exons: []int{9, 10, 11, 12}, consequence: "feature_amplification"},
		{file: "delly.vcf", id: "CNV00000021", gene: "BRCA2", alt: 1,
			want:  Call{Type: DEL, Start: 32318001, End: 32320000, Imprecise: true, CopyNumber: ip(1), Length: 2000},
			exons: []int{3}, consequence: "exon_loss_variant", hgvsg: "NC_000013.11:g.(?_32318001)_(32320000_?)del",
			hgvsc: "NM_000059.4:c.(67+1_68-1)_(316+1_317-1)del"},
		// GATK gCNV: <DEL>,<DUP> with haploid GT naming the allele and FORMAT CN.
		{file: "gcnv.vcf", id: "CNV_chr2_47402001_47417000", gene: "MSH2", alt: 1,
			want:  Call{Type: DEL, Start: 47402002, End: 47417000, Imprecise: true, CopyNumber: ip(1), Length: 14999},
			exons: []int{1, 2, 3, 4, 5, 6}, consequence: "exon_loss_variant"},
		{file: "gcnv.vcf", id: "CNV_chr7_5970000_5988000", gene: "PMS2", alt: 1,
			want:  Call{Type: DEL, Start: 5970001, End: 5988000, Imprecise: true, CopyNumber: ip(1), Length: 18000},
			exons: []int{11, 12, 13, 14, 15}, consequence: "exon_loss_variant"},
		// CNVkit: EPCAM 3' deletion (exons 8-9); a whole-gene BRCA1 loss.
		{file: "cnvkit.vcf", id: "chr2:47384000", gene: "EPCAM", alt: 1,
			want:  Call{Type: DEL, Start: 47384001, End: 47395000, Imprecise: true, CopyNumber: ip(1), Length: 11000},
			exons: []int{8, 9}, consequence: "exon_loss_variant"},
		{file: "cnvkit.vcf", id: "chr17:43040000", gene: "BRCA1", alt: 1,
			want:  Call{Type: DEL, Start: 43040001, End: 43130000, Imprecise: true, CopyNumber: ip(0), Length: 90000},
			exons: seq(1, 23), consequence: "transcript_ablation", hgvsg: "NC_000017.11:g.(?_43040001)_(43130000_?)del"},
		// DRAGEN: SVTYPE=CNV beside <DEL>/<DUP>; the ALT decides.
		{file: "dragen.vcf", id: "DRAGEN:LOSS:chr1:97721001-97741000", gene: "DPYD", alt: 1,
			want:  Call{Type: DEL, Start: 97721001, End: 97741000, Imprecise: true, CopyNumber: ip(1), Length: 20000},
			exons: []int{4, 5}, consequence: "exon_loss_variant"},
		{file: "dragen.vcf", id: "DRAGEN:GAIN:chr3:36990001-37010000", gene: "MLH1", alt: 1,
			want:  Call{Type: DUP, Start: 36990001, End: 37010000, Imprecise: true, CopyNumber: ip(3), Length: 20000},
			exons: []int{1, 2, 3, 4, 5, 6}, consequence: "feature_amplification"},
		// VCF 4.4 alleles.
		{file: "vcf44.vcf", id: "svlen_only", gene: "MSH2", alt: 1,
			want:  Call{Type: DEL, Start: 47466001, End: 47467500, Length: 1500},
			exons: []int{10}, consequence: "exon_loss_variant", hgvsg: "NC_000002.12:g.47466001_47467500del"},
		{file: "vcf44.vcf", id: "line1", gene: "MSH2", alt: 1,
			want:  Call{Type: INS, Start: 47475100, End: 47475100, CIPos: [2]int{-10, 10}, Imprecise: true, Length: 6000},
			exons: []int{12}, consequence: "insertion", hgvsg: "NC_000002.12:g.47475100_47475101ins(6000)"},
		{file: "vcf44.vcf", id: "cn2", alt: 1, err: ErrCopyNeutral},
		{file: "vcf44.vcf", id: "cnv3", gene: "MLH1", alt: 1,
			want:  Call{Type: DUP, Start: 37020001, End: 37027000, Imprecise: true, CopyNumber: ip(3), Length: 7000},
			exons: []int{11, 12}, consequence: "feature_amplification"},
		{file: "vcf44.vcf", id: "single_bnd", gene: "PMS2", alt: 1,
			want:  Call{Type: BND, Start: 6002500, End: 6002500},
			exons: []int{5}, consequence: "feature_truncation"},
		{file: "vcf44.vcf", id: "cn0", gene: "BRCA2", alt: 1,
			want:  Call{Type: DEL, Start: 32316001, End: 32320000, CIPos: [2]int{-100, 100}, CIEnd: [2]int{-100, 100}, Imprecise: true, CopyNumber: ip(0), Length: 4000},
			exons: []int{2, 3}, consequence: "exon_loss_variant", hgvsg: "NC_000013.11:g.(32315901_32316101)_(32319900_32320100)del"},
		{file: "vcf44.vcf", id: "intronic", gene: "BRCA1", alt: 1,
			want:        Call{Type: DEL, Start: 43078001, End: 43080000, Length: 2000},
			consequence: "intron_variant", hgvsg: "NC_000017.11:g.43078001_43080000del", hgvsc: "NM_007294.4:c.4357+2404_4358-1387del"},
		{file: "vcf44.vcf", id: "alu", gene: "BRCA1", alt: 1,
			want:  Call{Type: DEL, Start: 43092001, End: 43092300, Length: 300},
			exons: []int{10}, consequence: "exon_loss_variant", hgvsg: "NC_000017.11:g.43092001_43092300del", hgvsc: "NM_007294.4:c.3231_3530del"},
		{file: "vcf44.vcf", id: "exon4del", gene: "MLH1", alt: 1,
			want:  Call{Type: DEL, Start: 37004391, End: 37004490, Length: 100, Explicit: true},
			exons: []int{4}, consequence: "exon_loss_variant", hgvsg: "NC_000003.12:g.37004391_37004490del"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.id, func(t *testing.T) {
			rec := records(t, tt.file)[tt.id]
			if rec == nil {
				t.Fatalf("no record %s in %s", tt.id, tt.file)
			}
			var s *vcf.Sample
			if len(rec.Samples) > 0 {
				s = &rec.Samples[0]
			}
			got, err := Parse(rec, tt.alt, s)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse: err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Allele = rec.Alts[tt.alt-1]
			if !sameCall(got, tt.want) {
				t.Errorf("Parse =\n %+v (CN %v)\nwant\n %+v (CN %v)", got, deref(got.CopyNumber), tt.want, deref(tt.want.CopyNumber))
			}
			tx := txs[tt.gene]
			o := Place(got, tx)
			if !slices.Equal(o.Exons, tt.exons) {
				t.Errorf("exons %v, want %v", o.Exons, tt.exons)
			}
			if c := Consequence(got, o); c != tt.consequence {
				t.Errorf("consequence %q, want %q", c, tt.consequence)
			}
			acc := map[string]string{"chr1": "NC_000001.11", "chr2": "NC_000002.12", "chr3": "NC_000003.12", "chr7": "NC_000007.14",
				"chr12": "NC_000012.12", "chr13": "NC_000013.11", "chr17": "NC_000017.11"}[rec.Chrom]
			if tt.hgvsg != "" {
				if g := HGVSg(got, acc); g != tt.hgvsg {
					t.Errorf("HGVSg %q, want %q", g, tt.hgvsg)
				}
			}
			if tt.hgvsc != "" {
				if c := HGVSc(got, tx); c != tt.hgvsc {
					t.Errorf("HGVSc %q, want %q", c, tt.hgvsc)
				}
			}
		})
	}
}

func seq(a, b int) []int {
	var out []int
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func sameCall(a, b Call) bool {
	if (a.CopyNumber == nil) != (b.CopyNumber == nil) || (a.CopyNumber != nil && *a.CopyNumber != *b.CopyNumber) {
		return false
	}
	a.CopyNumber, b.CopyNumber = nil, nil
	return a == b
}

// TestNotSV: base alleles, gVCF alleles and unknown symbolic alleles are not structural
// variants.
func TestNotSV(t *testing.T) {
	data := "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
		"chr1\t100\t.\tA\tG\t.\tPASS\t.\n" +
		"chr1\t200\t.\tA\t<NON_REF>\t.\tPASS\tEND=300\n" +
		"chr1\t400\t.\tA\t<*>\t.\tPASS\t.\n" +
		"chr1\t500\t.\tA\t<UNK>\t.\tPASS\t.\n" +
		"chr1\t600\t.\tACGT\tA\t.\tPASS\t.\n"
	r, err := vcf.NewReader(strings.NewReader(data), "not.vcf", vcf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if c, err := Parse(rec, 1, nil); !errors.Is(err, ErrNotSV) {
			t.Errorf("%d %s: Parse = %+v, %v; want ErrNotSV", rec.Pos, rec.Alts[0], c, err)
		}
	}
}

func TestExplicit(t *testing.T) {
	long := strings.Repeat("ACGTTGCA", 8) // 64 bases
	tests := []struct {
		pos      int
		ref, alt string
		ok       bool
		want     Call
	}{
		{100, "A" + long, "A", true, Call{Type: DEL, Start: 101, End: 164, Length: 64, Explicit: true}},
		{100, "A", "A" + long, true, Call{Type: INS, Start: 100, End: 100, Length: 64, Explicit: true}},
		{100, "A" + long[:48], "A", false, Call{}}, // 48 bp: below MinLength
		{100, "AC", "A", false, Call{}},
		{100, "T" + long, "G", true, Call{Type: DEL, Start: 100, End: 164, Length: 65, Explicit: true}}, // delins
	}
	for _, tt := range tests {
		got, ok := Explicit(tt.pos, tt.ref, tt.alt)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Explicit(%d, %d bp, %d bp) = %+v, %v; want %+v, %v", tt.pos, len(tt.ref), len(tt.alt), got, ok, tt.want, tt.ok)
		}
	}
}

// TestHGVSc on a small plus-strand model: exons 101-200, 301-400, 501-600; CDS 151..(tx
// 250), so c.1 is g.151.
func TestHGVSc(t *testing.T) {
	tx := &transcript.Transcript{ID: "NM_TEST.1", Chrom: "chr1", Strand: 1,
		Exons: []transcript.Exon{{Start: 101, End: 200}, {Start: 301, End: 400}, {Start: 501, End: 600}}, CDSStart: 51, CDSEnd: 251}
	tests := []struct {
		c    Call
		want string
	}{
		{Call{Type: DEL, Start: 250, End: 450}, "NM_TEST.1:c.50+50_150+50del"},
		{Call{Type: DEL, Start: 250, End: 450, Imprecise: true}, "NM_TEST.1:c.(50+1_51-1)_(150+1_151-1)del"},
		{Call{Type: DUP, Start: 250, End: 450, Imprecise: true}, "NM_TEST.1:c.(50+1_51-1)_(150+1_151-1)dup"},
		{Call{Type: DEL, Start: 150, End: 450, Imprecise: true}, ""}, // a breakpoint in an exon
		{Call{Type: DEL, Start: 50, End: 450}, ""},                   // beyond the transcript
		{Call{Type: INS, Start: 320, End: 320, Length: 60}, ""},
		{Call{Type: CNV, Start: 250, End: 450}, ""},
	}
	for _, tt := range tests {
		if got := HGVSc(tt.c, tx); got != tt.want {
			t.Errorf("HGVSc(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

// FuzzParse: Parse and the placing functions never panic, and a call they accept has
// Start <= End. Seeded from every record of every testdata file.
func FuzzParse(f *testing.F) {
	for _, b := range testfile.Glob(f, filepath.Join("testdata", "*.vcf")) {
		for _, line := range strings.Split(string(b), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				f.Add(line)
			}
		}
	}
	tx := &transcript.Transcript{ID: "NM_TEST.1", Chrom: "chr1", Strand: -1,
		Exons: []transcript.Exon{{Start: 501, End: 600}, {Start: 301, End: 400}, {Start: 101, End: 200}}, CDSStart: 51, CDSEnd: 251}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n\r") {
			return
		}
		head := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
		r, err := vcf.NewReader(strings.NewReader(head+line+"\n"), "fuzz.vcf", vcf.Options{})
		if err != nil {
			return
		}
		defer r.Close()
		rec, err := r.Next()
		if err != nil {
			return
		}
		for i := range rec.Alts {
			var s *vcf.Sample
			if len(rec.Samples) > 0 {
				s = &rec.Samples[0]
			}
			c, err := Parse(rec, i+1, s)
			if err != nil {
				continue
			}
			if c.Start > c.End {
				t.Fatalf("%q: Start %d > End %d", line, c.Start, c.End)
			}
			o := Place(c, tx)
			_ = Consequence(c, o)
			_ = HGVSg(c, "NC_000001.11")
			_ = HGVSc(c, tx)
		}
	})
}
