package vcf

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
)

// realFiles lists the real VCFs under vcf-real/ and the PharmCAT test inputs.
func realFiles(t *testing.T) []string {
	t.Helper()
	data := oracle.Dir(t)
	var files []string
	for _, pattern := range []string{"vcf-real/*/*", "pgx/pharmcat/tests/*.vcf*"} {
		m, err := filepath.Glob(filepath.Join(data, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, ".tbi") && !strings.HasSuffix(f, ".csi") {
				files = append(files, f)
			}
		}
	}
	if len(files) < 40 {
		t.Fatalf("found %d real files, want at least 40", len(files))
	}
	return files
}

// countDataLines counts the lines not starting with '#' the simple way: an independent oracle
// for the number of records.
func countDataLines(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	for range oracle.DataLines(t, path) {
		n++
	}
	return n
}

func TestRealFilesRead(t *testing.T) {
	for _, path := range realFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			r, err := Open(path, Options{})
			if strings.HasSuffix(path, ".bcf") {
				if !errors.Is(err, ErrBCF) || !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %v, want ErrBCF wrapped with ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for _, err := range r.All() {
				if err != nil {
					t.Fatal(err)
				}
			}
			st := r.Stats()
			want := countDataLines(t, path)
			if st.Records != want || st.Kept != want || st.Skipped != 0 || st.Malformed != 0 {
				t.Errorf("got stats %+v, want %d records all kept", st, want)
			}
			fi, _ := os.Stat(path)
			if st.Bytes != fi.Size() {
				t.Errorf("got %d bytes read, want the file size %d", st.Bytes, fi.Size())
			}
			if r.Header().FileFormat == "" {
				t.Error("empty FileFormat")
			}
		})
	}
}

// readAll returns every record of a shared-data file.
func readAll(t *testing.T, rel string) (*Header, []*Record, []Warning) {
	t.Helper()
	r, err := Open(filepath.Join(oracle.Dir(t), rel), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []*Record
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return r.Header(), recs, r.Warnings()
}

func findRecord(t *testing.T, recs []*Record, chrom string, pos int) *Record {
	t.Helper()
	for _, r := range recs {
		if r.Chrom == chrom && r.Pos == pos {
			return r
		}
	}
	t.Fatalf("no record at %s:%d", chrom, pos)
	return nil
}

func sampleIndex(t *testing.T, h *Header, name string) int {
	t.Helper()
	for i, s := range h.Samples {
		if s == name {
			return i
		}
	}
	t.Fatalf("no sample %s in %v", name, h.Samples)
	return -1
}

func TestAltFractionStrelka(t *testing.T) {
	tests := []struct {
		file  string
		chrom string
		pos   int
		smp   string
		want  float64
		note  string
	}{
		// strelka_snvs: chr22 10752719 G>A, FORMAT DP:FDP:SDP:SUBDP:AU:CU:GU:TU
		// TUMOR 144:0:0:0:7,23:0,0:137,172:0,0 -> tier-1 AU 7, GU 137.
		{"strelka_snvs_chr22.somatic.vcf.gz", "chr22", 10752719, "TUMOR", 7.0 / (7 + 137), "SNV tumour"},
		// NORMAL 134:0:0:0:0,11:0,0:134,171:0,0 -> tier-1 AU 0, GU 134.
		{"strelka_snvs_chr22.somatic.vcf.gz", "chr22", 10752719, "NORMAL", 0, "SNV normal"},
		// chr22 11477463 G>A TUMOR 28:22:0:0:6,33:0,0:0,2:0,0 -> AU 6, GU 0.
		{"strelka_snvs_chr22.somatic.vcf.gz", "chr22", 11477463, "TUMOR", 6.0 / (6 + 0), "SNV tier 1 only"},
		// strelka_indels: chr22 17619293 CA>C, FORMAT DP:DP2:TAR:TIR:TOR:...
		// NORMAL TAR 34,36 TIR 1,1; TUMOR TAR 47,50 TIR 7,7.
		{"strelka_indels_chr22.somatic.vcf.gz", "chr22", 17619293, "NORMAL", 1.0 / (1 + 34), "indel normal"},
		{"strelka_indels_chr22.somatic.vcf.gz", "chr22", 17619293, "TUMOR", 7.0 / (7 + 47), "indel tumour"},
	}
	for _, tc := range tests {
		t.Run(tc.note, func(t *testing.T) {
			h, recs, _ := readAll(t, "vcf-real/nfcore-slivar/"+tc.file)
			rec := findRecord(t, recs, tc.chrom, tc.pos)
			s := &rec.Samples[sampleIndex(t, h, tc.smp)]
			if s.GT != nil {
				t.Errorf("got GT %v, want nil: Strelka somatic calls have no GT", s.GT)
			}
			got, ok := s.AltFraction(rec, 1)
			if !ok || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("got %v, %v, want %v", got, ok, tc.want)
			}
			if _, ok := s.AltFraction(rec, 2); ok {
				t.Error("AltFraction of a second ALT that does not exist: got ok")
			}
		})
	}
}

func TestAltFractionMutect2(t *testing.T) {
	h, recs, _ := readAll(t, "vcf-real/nfcore-slivar/mutect2_chr22.somatic.vcf.gz")
	// chr22 10752820 C>T, GT:AD:AF:DP:... tumour 0/1:559,10:0.018:569:..., normal
	// 0/0:563,9:0.02:572:... Mutect2's AF is used, not AD (10/569 = 0.0176).
	rec := findRecord(t, recs, "chr22", 10752820)
	for _, tc := range []struct {
		sample string
		want   float64
		gt     []int
	}{
		{"HCC1395_HCC1395T", 0.018, []int{0, 1}},
		{"HCC1395_HCC1395N", 0.02, []int{0, 0}},
	} {
		s := &rec.Samples[sampleIndex(t, h, tc.sample)]
		got, ok := s.AltFraction(rec, 1)
		if !ok || got != tc.want {
			t.Errorf("%s: got %v, %v, want %v", tc.sample, got, ok, tc.want)
		}
		if af, _ := s.Field("AF"); af == "" {
			t.Errorf("%s: no AF field", tc.sample)
		}
		if !equalInts(s.GT, tc.gt) || s.Phased {
			t.Errorf("%s: got GT %v phased %v, want %v unphased", tc.sample, s.GT, s.Phased, tc.gt)
		}
	}
	tumour := &rec.Samples[sampleIndex(t, h, "HCC1395_HCC1395T")]
	if tumour.DP != 569 || !equalInts(tumour.AD, []int{559, 10}) {
		t.Errorf("got DP %d AD %v, want 569 [559 10]", tumour.DP, tumour.AD)
	}
	// Every record: Mutect2's AF field is what AltFraction returns.
	for _, rec := range recs {
		for i := range rec.Samples {
			s := &rec.Samples[i]
			af, _ := s.Field("AF")
			want, ok := nthFloat(af, 0)
			got, gok := s.AltFraction(rec, 1)
			if ok && (!gok || got != want) {
				t.Fatalf("line %d sample %d: got %v, want AF %v", rec.Line, i, got, want)
			}
		}
	}
}

func TestAltFractionAD(t *testing.T) {
	h, recs, _ := readAll(t, "vcf-real/pharmcat-preprocessor/NA19226.pgx_regions.g.vcf.bgz")
	// chr1 11786035 G>GT,<*> GT:GQ:DP:AD:VAF:PL 1/1:41:81:14,49,0:0.604938,0:... DeepVariant
	// writes VAF, not AF, so AltFraction uses AD: 49 / (14+49+0).
	rec := findRecord(t, recs, "chr1", 11786035)
	s := &rec.Samples[sampleIndex(t, h, "NA19226")]
	if got, ok := s.AltFraction(rec, 1); !ok || got != 49.0/63 {
		t.Errorf("got %v, %v, want 49/63", got, ok)
	}
	if got, ok := s.AltFraction(rec, 2); !ok || got != 0 {
		t.Errorf("<*>: got %v, %v, want 0", got, ok)
	}
	if !equalInts(s.GT, []int{1, 1}) || s.DP != 81 {
		t.Errorf("got GT %v DP %d, want [1 1] 81", s.GT, s.DP)
	}
}

func TestGVCF(t *testing.T) {
	tests := []struct {
		file         string
		headerGVCF   bool // set by the header alone
		gvcf         bool // after reading every record
		firstIsBlock bool
		firstEnd     int
	}{
		// PharmCAT's gVCF detection fixtures.
		{"vcf-real/pharmcat-preprocessor/test_gvcf_block.vcf", false, true, true, 223456},
		{"vcf-real/pharmcat-preprocessor/test_gvcf_block_in_header.vcf", true, true, true, 123457},
		{"vcf-real/pharmcat-preprocessor/test_not_gvcf_block.vcf", false, false, false, 123456},
		// DeepVariant: <*> blocks, no ##GVCFBlock; first record chr1 11785319 END=11786034.
		{"vcf-real/pharmcat-preprocessor/NA19226.pgx_regions.g.vcf.bgz", false, true, true, 11786034},
		// GATK: <NON_REF> blocks and ##GVCFBlock lines; first record chr22 1 END=1951.
		{"vcf-real/nfcore-slivar/gvcf_sample.g.vcf.gz", true, true, true, 1951},
		{"vcf-real/nfcore-slivar/mutect2_chr22.somatic.vcf.gz", false, false, false, 10752820},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			r, err := Open(filepath.Join(oracle.Dir(t), tc.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Header().GVCF != tc.headerGVCF {
				t.Errorf("header: got GVCF %v, want %v", r.Header().GVCF, tc.headerGVCF)
			}
			first, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if first.IsRefBlock() != tc.firstIsBlock || first.End != tc.firstEnd {
				t.Errorf("first record: got block %v End %d, want %v %d", first.IsRefBlock(), first.End, tc.firstIsBlock, tc.firstEnd)
			}
			for err == nil {
				_, err = r.Next()
			}
			if err != io.EOF {
				t.Fatal(err)
			}
			if r.Header().GVCF != tc.gvcf {
				t.Errorf("after reading: got GVCF %v, want %v", r.Header().GVCF, tc.gvcf)
			}
		})
	}
}

func TestHeaderFields(t *testing.T) {
	h, _, _ := readAll(t, "vcf-real/pharmcat-preprocessor/test_gvcf_block.vcf")
	// ##contig=<ID=chr1,assembly=hg38,species="Homo sapiens">, ##reference=hg38
	if len(h.Contigs) != 1 || h.Contigs[0] != (Contig{ID: "chr1", Assembly: "hg38"}) {
		t.Errorf("got contigs %+v, want [{chr1 0 hg38}]", h.Contigs)
	}
	if h.Reference != "hg38" || h.FileFormat != "VCFv4.1" || len(h.Samples) != 1 || h.Samples[0] != "Sample_1" {
		t.Errorf("got reference %q fileformat %q samples %v", h.Reference, h.FileFormat, h.Samples)
	}
	if f := h.Formats["GT"]; f.Number != "1" || f.Type != "String" {
		t.Errorf("got FORMAT GT %+v", f)
	}

	h, _, _ = readAll(t, "vcf-real/nfcore-slivar/mutect2_chr22.somatic.vcf.gz")
	var chr22 *Contig
	for i := range h.Contigs {
		if h.Contigs[i].ID == "chr22" {
			chr22 = &h.Contigs[i]
		}
	}
	// The file's header: ##contig=<ID=chr22,length=50818468> (GRCh38).
	if chr22 == nil || chr22.Length != 50818468 {
		t.Errorf("got chr22 contig %+v, want length 50818468", chr22)
	}
	if len(h.Contigs) < 24 || h.Contigs[0].ID != "chr1" || h.Contigs[0].Length != 248956422 {
		t.Errorf("got %d contigs, first %+v, want chr1 of 248956422 first", len(h.Contigs), h.Contigs[0])
	}
	h, _, _ = readAll(t, "vcf-real/nfcore-slivar/gvcf_sample.g.vcf.gz")
	if f := h.Infos["END"]; f.Type != "Integer" || f.Number != "1" {
		t.Errorf("got INFO END %+v", f)
	}
	if len(h.Meta) == 0 || !strings.HasPrefix(h.Meta[0], "##fileformat=VCFv4.2") {
		t.Errorf("got Meta[0] %q", h.Meta)
	}

	h, recs, _ := readAll(t, "vcf-real/nfcore-slivar/dbsnp_subset.vcf40.vcf.gz")
	if h.FileFormat != "VCFv4.0" || h.Reference != "GRCh38.p2" || len(recs) == 0 {
		t.Errorf("VCFv4.0 file: got %q %q, %d records", h.FileFormat, h.Reference, len(recs))
	}

	h, recs, _ = readAll(t, "vcf-real/nfcore-slivar/empty.vcf.gz")
	if len(recs) != 0 || len(h.Samples) != 1 || h.Samples[0] != "test" {
		t.Errorf("empty.vcf.gz: got %d records, samples %v", len(recs), h.Samples)
	}
}

// TestMultiSample checks every sample column of PharmCAT's 100-sample file against a plain
// split of the raw line.
func TestMultiSample(t *testing.T) {
	path := filepath.Join(oracle.Dir(t), "pgx/pharmcat/tests/100samples.vcf.bgz")
	h, recs, _ := readAll(t, "pgx/pharmcat/tests/100samples.vcf.bgz")
	if len(h.Samples) != 100 || h.Samples[0] != "s1" || h.Samples[99] != "s100" {
		t.Fatalf("got %d samples %v...", len(h.Samples), h.Samples[:3])
	}
	i := 0
	for _, cols := range oracle.DataLines(t, path) {
		rec := recs[i]
		i++
		if rec.Chrom != cols[0] || rec.ID != cols[2] || len(rec.Samples) != 100 {
			t.Fatalf("line %d: got %s %s with %d samples", rec.Line, rec.Chrom, rec.ID, len(rec.Samples))
		}
		for j, s := range rec.Samples {
			if got := strings.Join(s.Values, ":"); got != cols[9+j] {
				t.Fatalf("line %d sample %d: got %q, want %q", rec.Line, j, got, cols[9+j])
			}
			if gt, _ := s.Field("GT"); gtString(s.GT, s.Phased) != gt {
				t.Fatalf("line %d sample %d: GT %q parsed as %v phased %v", rec.Line, j, gt, s.GT, s.Phased)
			}
		}
	}
	if i != len(recs) {
		t.Errorf("got %d records, file has %d", len(recs), i)
	}
}

func TestPhaseSets(t *testing.T) {
	h, recs, _ := readAll(t, "vcf-real/pharmcat-preprocessor/VcfReaderTest-phaseSet.vcf")
	s1, s2 := sampleIndex(t, h, "Sample_1"), sampleIndex(t, h, "Sample_2")
	// chr19 40991224 T>C GT:PS 0|1:40991224 0/1:40991224
	rec := findRecord(t, recs, "chr19", 40991224)
	if a, b := rec.Samples[s1], rec.Samples[s2]; !a.Phased || a.PS != "40991224" || !equalInts(a.GT, []int{0, 1}) || b.Phased {
		t.Errorf("got %+v and %+v", a, b)
	}
	// chr19 40991381 A>T GT 0|0 0/0: no PS.
	rec = findRecord(t, recs, "chr19", 40991381)
	if a := rec.Samples[s1]; a.PS != "" || !a.Phased {
		t.Errorf("got PS %q phased %v, want none, phased", a.PS, a.Phased)
	}
}

func gtString(gt []int, phased bool) string {
	sep := "/"
	if phased {
		sep = "|"
	}
	parts := make([]string, len(gt))
	for i, a := range gt {
		if a < 0 {
			parts[i] = "."
		} else {
			parts[i] = strconv.Itoa(a)
		}
	}
	return strings.Join(parts, sep)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
