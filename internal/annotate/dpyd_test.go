package annotate

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
)

// The DPYD no-false-reassurance rules (DESIGN.md clinical rules 1 and 7), tested on whole
// gVCFs over DPYD whose reference blocks are real GATK blocks (FORMAT and values taken from
// ../shared/data/vcf-real/nfcore-slivar/gvcf_sample.g.vcf.gz) and whose variants are real
// ClinVar records.

// dpydSpan is the stretch of chr1 the test gVCFs cover: the built-in DPYD sequence.
const dpydFirst, dpydLast = 97075743, 97925000

// tier1 are the AMP Tier-1 positions (Pratt et al., J Mol Diagn 2024): rsID and 1-based
// GRCh38 position, from the PharmCAT DPYD definition.
var tier1 = []struct {
	rs  string
	pos int
}{{"rs3918290", 97450058}, {"rs55886062", 97515787}, {"rs67376798", 97082391}, {"rs75017182", 97579893}, {"rs115232898", 97699474}}

// gatkBlocks are real GATK HaplotypeCaller reference-block sample columns: one at adequate
// depth and quality, one without coverage (DP=0, GQ=0) and one with low depth and GQ.
type gatkBlocks struct {
	format, good, empty, low string
}

var (
	blocksOnce sync.Once
	blocksVal  gatkBlocks
)

func realBlocks(t *testing.T) gatkBlocks {
	t.Helper()
	blocksOnce.Do(func() {
		path := filepath.Join(oracle.Dir(t), "vcf-real", "nfcore-slivar", "gvcf_sample.g.vcf.gz")
		for _, c := range oracle.DataLines(t, path) {
			if c[4] != "<NON_REF>" || c[8] != "GT:DP:GQ:MIN_DP:PL" {
				continue
			}
			v := strings.Split(c[9], ":")
			dp, _ := strconv.Atoi(v[1])
			gq, _ := strconv.Atoi(v[2])
			minDP, _ := strconv.Atoi(v[3])
			b := &blocksVal
			b.format = c[8]
			switch {
			case dp == 0 && gq == 0 && b.empty == "":
				b.empty = c[9]
			case dp > 0 && dp < 10 && gq < 20 && b.low == "":
				b.low = c[9]
			case minDP >= 10 && gq >= 20 && b.good == "":
				b.good = c[9]
			}
		}
	})
	b := blocksVal
	if b.good == "" || b.empty == "" || b.low == "" {
		t.Fatalf("real GATK blocks not found: %+v", b)
	}
	return b
}

// rec is one record of a test gVCF: its line (without the trailing newline) and the
// reference span it covers (1-based, inclusive).
type rec struct {
	start, end int
	line       string
}

// site is a variant record in one sample with GATK's FORMAT.
func site(pos int, ref, alt, gt string) rec {
	return rec{pos, pos + len(ref) - 1, fmt.Sprintf("chr1\t%d\t.\t%s\t%s,<NON_REF>\t500\tPASS\t.\tGT:AD:DP:GQ\t%s:20,20,0:40:99", pos, ref, alt, gt)}
}

// block is a reference block with a given sample column.
func (b gatkBlocks) block(a *Annotator, t *testing.T, start, end int, sample string) rec {
	ref, ok := a.KB().Genome.Fetch("chr1", start, start)
	if !ok {
		t.Fatalf("no reference base at chr1:%d", start)
	}
	return rec{start, end, fmt.Sprintf("chr1\t%d\t.\t%s\t<NON_REF>\t.\t.\tEND=%d\t%s\t%s", start, ref, end, b.format, sample)}
}

// dpydGVCF writes a gVCF over the whole DPYD span: the records given, and adequate real
// reference blocks everywhere else.
func dpydGVCF(t *testing.T, recs ...rec) string {
	a := annotator(t)
	b := realBlocks(t)
	sort.Slice(recs, func(i, j int) bool { return recs[i].start < recs[j].start })
	var sb strings.Builder
	sb.WriteString("##fileformat=VCFv4.2\n##reference=GRCh38\n##contig=<ID=chr1,length=248956422,assembly=GRCh38>\n")
	sb.WriteString("##INFO=<ID=END,Number=1,Type=Integer,Description=\"Stop position of the interval\">\n")
	for _, f := range []string{
		`##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the order listed">`,
		`##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">`,
		`##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype Quality">`,
		`##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">`,
		`##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum DP observed within the GVCF block">`,
		`##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Normalized, Phred-scaled likelihoods for genotypes">`,
	} {
		sb.WriteString(f + "\n")
	}
	sb.WriteString("##ALT=<ID=NON_REF,Description=\"Represents any possible alternative allele at this location\">\n")
	sb.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	next := dpydFirst
	for _, r := range recs {
		if r.start > next {
			sb.WriteString(b.block(a, t, next, r.start-1, b.good).line + "\n")
		}
		sb.WriteString(r.line + "\n")
		next = max(next, r.end+1)
	}
	if next <= dpydLast {
		sb.WriteString(b.block(a, t, next, dpydLast, b.good).line + "\n")
	}
	return sb.String()
}

// callDPYD annotates a test gVCF for the DPYD panel and returns the sample and its call.
func callDPYD(t *testing.T, vcf string, o Options) (report.Sample, pgx.Result) {
	t.Helper()
	o.Panels = []string{"dpyd"}
	rep, err := annotator(t).Annotate(context.Background(), strings.NewReader(vcf), "dpyd.g.vcf", fixed(o))
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	validate(t, []byte(buf.String()))
	return rep.Samples[0], rep.Samples[0].PGx[0]
}

// TestDPYDCompleteNormal is the control: a gVCF covering all of DPYD at adequate quality with
// no variant is the one plain normal (alert severity none, a complete test).
func TestDPYDCompleteNormal(t *testing.T) {
	s, p := callDPYD(t, dpydGVCF(t), Options{})
	if p.Alert.Severity != "none" || !p.Complete || p.Phenotype != "Normal Metabolizer" || len(p.UntestedPositions) != 0 {
		t.Fatalf("complete normal gVCF: severity %q complete %v %s untested %v: %s", p.Alert.Severity, p.Complete, p.Phenotype, p.UntestedPositions, p.Alert.Message)
	}
	if len(s.Tags) != 0 {
		t.Errorf("tags %v, want none", s.Tags)
	}
	// The same DNA read from a tumour is not a germline genotype.
	s, p = callDPYD(t, dpydGVCF(t), Options{Specimen: "tumour"})
	if p.Alert.Severity != "caution" || !slices.Contains(s.Tags, "follow-up:germline-confirmation") || !strings.Contains(p.Alert.Message, "germline") {
		t.Errorf("tumour: severity %q tags %v: %s", p.Alert.Severity, s.Tags, p.Alert.Message)
	}
}

// TestDPYDClinVarLossOfFunction: every ClinVar pathogenic or likely pathogenic DPYD record
// (ClinVar 2024-12-15, >= 2 stars) that the CPIC definition does not score raises the alert
// to at least moderate, names the variant, and asks for DPD phenotyping, though every CPIC
// position is tested as reference; homozygous, it is high.
func TestDPYDClinVarLossOfFunction(t *testing.T) {
	a := annotator(t)
	path := filepath.Join(oracle.Dir(t), "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	n := 0
	for _, c := range oracle.DataLines(t, path) {
		if info(c[7], "GENE") != "DPYD" {
			continue
		}
		pos, _ := strconv.Atoi(c[1])
		if a.dpyd.Defines(pos, c[3], c[4]) {
			continue // a CPIC allele: scored by the call itself
		}
		n++
		for _, gt := range []string{"0/1", "1/1"} {
			s, p := callDPYD(t, dpydGVCF(t, site(pos, c[3], c[4], gt)), Options{})
			want := []string{"moderate", "high"}
			if gt == "1/1" {
				want = []string{"high"}
			}
			if !slices.Contains(want, p.Alert.Severity) {
				t.Errorf("ClinVar %s chr1:%d %s>%s %s: severity %q, want %v: %s", c[2], pos, c[3], c[4], gt, p.Alert.Severity, want, p.Alert.Message)
			}
			for _, tag := range []string{"follow-up:dpd-phenotyping", "follow-up:confirmatory-testing"} {
				if !slices.Contains(s.Tags, tag) {
					t.Errorf("ClinVar %s %s: tags %v lack %s", c[2], gt, s.Tags, tag)
				}
			}
			if !strings.Contains(p.Alert.Message, strconv.Itoa(pos)) || len(p.LossOfFunction) != 1 {
				t.Errorf("ClinVar %s %s: alert does not name chr1:%d or evidence %v: %s", c[2], gt, pos, p.LossOfFunction, p.Alert.Message)
			}
			if p.ActivityScore == nil || *p.ActivityScore != 2 || !strings.Contains(p.Alert.Message, "does not account") {
				t.Errorf("ClinVar %s %s: the CPIC score must stay 2.0 and say it does not account for the variant: %v %s", c[2], gt, p.ActivityScore, p.Alert.Message)
			}
			if strings.Contains(p.Alert.Message, "standard fluorouracil/capecitabine dosing") {
				t.Errorf("ClinVar %s %s: alert still reads as standard dosing: %s", c[2], gt, p.Alert.Message)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d ClinVar DPYD P/LP records outside the CPIC definition; the data has about 20", n)
	}
	// Beside a decreased-function CPIC allele (c.2846A>T, score 1.5 alone) a heterozygous
	// frameshift could be in trans: as low as 0.5, high. Beside nothing, it could be 1.0: moderate.
	fs := site(97098508, "CT", "C", "0/1") // ClinVar 1722331, likely pathogenic frameshift
	for _, c := range []struct {
		recs []rec
		sev  string
	}{
		{[]rec{fs}, "moderate"},
		{[]rec{fs, site(97082391, "T", "A", "0/1")}, "high"},
	} {
		_, p := callDPYD(t, dpydGVCF(t, c.recs...), Options{})
		if p.Alert.Severity != c.sev {
			t.Errorf("%d records: severity %q, want %q: %s", len(c.recs), p.Alert.Severity, c.sev, p.Alert.Message)
		}
	}
}

// TestDPYDNovelFrameshift: a one-base deletion in the middle of every internal coding exon
// of DPYD (not in ClinVar, not in CPIC) is predicted loss of function (a frameshift, or a stop
// where the new frame stops at once) and raises the alert.
func TestDPYDNovelFrameshift(t *testing.T) {
	a := annotator(t)
	tx := a.KB().Transcripts["DPYD"]
	for i, e := range tx.Exons[1 : len(tx.Exons)-1] {
		pos := (e.Start + e.End) / 2
		ref, _ := a.KB().Genome.Fetch("chr1", pos, pos+1)
		if _, ok := a.KB().ClinVar.Lookup("chr1", pos, ref, ref[:1]); ok {
			continue
		}
		s, p := callDPYD(t, dpydGVCF(t, site(pos, ref, ref[:1], "0/1")), Options{})
		if p.Alert.Severity != "moderate" && p.Alert.Severity != "high" {
			t.Errorf("exon %d chr1:%d %s>%s: severity %q: %s", i+2, pos, ref, ref[:1], p.Alert.Severity, p.Alert.Message)
		}
		if len(p.LossOfFunction) != 1 || !slices.Contains([]string{"frameshift_variant", "stop_gained"}, p.LossOfFunction[0].Consequence) || !slices.Contains(s.Tags, "follow-up:dpd-phenotyping") {
			t.Errorf("exon %d chr1:%d: evidence %+v tags %v", i+2, pos, p.LossOfFunction, s.Tags)
		}
	}
}

// TestDPYDZeroCoverageBlocks: a real GATK block with DP=0 GQ=0 (or DP 1, GQ 3) over an AMP
// Tier-1 position leaves it untested, with the reason, and the result is never a plain
// normal.
func TestDPYDZeroCoverageBlocks(t *testing.T) {
	a := annotator(t)
	b := realBlocks(t)
	for _, pos := range tier1 {
		for name, sample := range map[string]string{"DP=0": b.empty, "low": b.low} {
			vcf := dpydGVCF(t, b.block(a, t, pos.pos-40, pos.pos+60, sample))
			_, p := callDPYD(t, vcf, Options{})
			if !slices.Contains(p.UntestedPositions, pos.rs) {
				t.Errorf("%s block over %s: untested %v", name, pos.rs, p.UntestedPositions)
			}
			if !slices.ContainsFunc(p.UntestedReasons, func(u pgx.Untested) bool { return u.RSID == pos.rs && strings.Contains(u.Reason, "GQ") }) {
				t.Errorf("%s block over %s: no reason given: %+v", name, pos.rs, p.UntestedReasons)
			}
			if p.Alert.Severity == "none" || p.Complete {
				t.Errorf("%s block over %s: severity %q complete %v: %s", name, pos.rs, p.Alert.Severity, p.Complete, p.Alert.Message)
			}
		}
	}
	// Thresholds are options: with --min-dp 0 --min-gq 0 (off) the low block counts again.
	_, p := callDPYD(t, dpydGVCF(t, b.block(a, t, 97450000, 97450100, b.low)), Options{MinDP: -1, MinGQ: -1})
	if slices.Contains(p.UntestedPositions, "rs3918290") || p.Alert.Severity != "none" {
		t.Errorf("thresholds off: untested %v severity %q", p.UntestedPositions, p.Alert.Severity)
	}
}

// TestDPYDUnknownAllele: an alternate allele the CPIC definition does not know, at an AMP
// Tier-1 position, is never read as a plain normal; a splice-donor one (c.1905+1G>C or G>T
// at *2A) is loss-of-function evidence.
func TestDPYDUnknownAllele(t *testing.T) {
	a := annotator(t)
	for _, pos := range tier1 {
		ref, _ := a.KB().Genome.Fetch("chr1", pos.pos, pos.pos)
		for _, alt := range []string{"A", "C", "G", "T"} {
			if alt == ref || a.dpyd.Defines(pos.pos, ref, alt) {
				continue
			}
			_, p := callDPYD(t, dpydGVCF(t, site(pos.pos, ref, alt, "0/1")), Options{})
			if p.Alert.Severity == "none" {
				t.Errorf("%s %s>%s: plain normal: %s", pos.rs, ref, alt, p.Alert.Message)
			}
			if pos.rs == "rs3918290" && (len(p.LossOfFunction) != 1 || p.Alert.Severity == "caution") {
				t.Errorf("*2A donor %s>%s: evidence %+v severity %q", ref, alt, p.LossOfFunction, p.Alert.Severity)
			}
		}
	}
	// *2A and c.1905+1G>C on the other strand (GT 1/2): possibly no function on both.
	_, p := callDPYD(t, dpydGVCF(t, rec{97450058, 97450058, "chr1\t97450058\trs3918290\tC\tT,G,<NON_REF>\t500\tPASS\t.\tGT:AD:DP:GQ\t1/2:0,20,20,0:40:99"}), Options{})
	if p.Alert.Severity != "high" || len(p.LossOfFunction) != 1 {
		t.Errorf("*2A + c.1905+1G>C: severity %q evidence %+v: %s", p.Alert.Severity, p.LossOfFunction, p.Alert.Message)
	}
}

// TestDPYDReadsWithoutGenotype: a tumour caller's record with allele depths and no GT at a
// CPIC position is detected with unknown zygosity: not untested, Indeterminate, and the
// message names the allele.
func TestDPYDReadsWithoutGenotype(t *testing.T) {
	for _, c := range []struct{ rs, line, name string }{
		{"rs3918290", "chr1\t97450058\trs3918290\tC\tT\t.\tPASS\t.\tAD:DP\t40,38:78", "c.1905+1G>A"},
		{"rs55886062", "chr1\t97515787\trs55886062\tA\tC\t.\tPASS\t.\tAD:DP\t30,12:42", "c.1679T>G"},
		{"rs67376798", "chr1\t97082391\trs67376798\tT\tA\t.\tPASS\t.\tAD:DP\t25,25:50", "c.2846A>T"},
	} {
		vcf := "##fileformat=VCFv4.2\n##reference=GRCh38\n##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"AD\">\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"DP\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOUR\n" + c.line + "\n"
		s, p := callDPYD(t, vcf, Options{Specimen: "tumour"})
		if slices.Contains(p.UntestedPositions, c.rs) {
			t.Errorf("%s seen in the reads but listed untested", c.rs)
		}
		if p.Phenotype != "Indeterminate" || p.ActivityScore != nil || !strings.Contains(p.Alert.Message, c.name) || !strings.Contains(p.Alert.Message, "zygosity unknown") {
			t.Errorf("%s: %s %v %q", c.rs, p.Phenotype, p.ActivityScore, p.Alert.Message)
		}
		if p.Alert.Severity != "moderate" && p.Alert.Severity != "high" {
			t.Errorf("%s: severity %q", c.rs, p.Alert.Severity)
		}
		if !slices.Contains(s.Tags, "follow-up:germline-confirmation") || !slices.Contains(s.Tags, "follow-up:dpd-phenotyping") {
			t.Errorf("%s: tags %v", c.rs, s.Tags)
		}
	}
}

// TestDPYDExonDeletion: a structural deletion over DPYD exons (Manta <DEL>, a copy-number
// <CN0>/<CN1>) is loss-of-function evidence, in a gVCF whose every CPIC position is tested.
func TestDPYDExonDeletion(t *testing.T) {
	for _, c := range []struct{ alt, info, gt, sev string }{
		{"<DEL>", "SVTYPE=DEL;END=97320000;SVLEN=-20000", "0/1", "moderate"},
		{"<CN1>", "SVTYPE=CNV;END=97320000", "0/1", "moderate"},
		{"<CN0>", "SVTYPE=CNV;END=97320000", "1/1", "high"},
	} {
		line := fmt.Sprintf("chr1\t97300000\t.\tN\t%s\t.\tPASS\t%s\tGT\t%s", c.alt, c.info, c.gt)
		vcf := strings.Replace(dpydGVCF(t, rec{97300000, 97320000, line}), "##ALT=", "##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"Type\">\n##INFO=<ID=SVLEN,Number=1,Type=Integer,Description=\"Length\">\n##ALT=", 1)
		s, p := callDPYD(t, vcf, Options{})
		if p.Alert.Severity != c.sev || len(p.LossOfFunction) != 1 || !strings.Contains(p.LossOfFunction[0].Reason, "exon(s) 17,18") {
			t.Errorf("%s: severity %q evidence %+v: %s", c.alt, p.Alert.Severity, p.LossOfFunction, p.Alert.Message)
		}
		if !slices.Contains(s.Tags, "follow-up:dpd-phenotyping") || !strings.Contains(p.Alert.Message, "97300000") {
			t.Errorf("%s: tags %v: %s", c.alt, s.Tags, p.Alert.Message)
		}
	}
}
