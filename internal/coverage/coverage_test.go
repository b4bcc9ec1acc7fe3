package coverage

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/vcf"
)

func TestTargets(t *testing.T) {
	// Plus strand: exons 100-199 (tx 1-100), 300-399 (101-200), 500-599 (201-300); CDS tx
	// 51..250: coding exon 1 is 150-199 (no flank at the CDS start, +2 donor flank), exon 2
	// 298-401 (both flanks), exon 3 498-549 (acceptor flank, none at the CDS end).
	plus := &transcript.Transcript{ID: "NM_PLUS.1", Gene: "P", Chrom: "chr1", Strand: 1,
		Exons: []transcript.Exon{{Start: 100, End: 199}, {Start: 300, End: 399}, {Start: 500, End: 599}}, CDSStart: 51, CDSEnd: 250}
	// Minus strand, transcript order 500-599, 300-399, 100-199; CDS tx 1..300 starts at
	// the first base of exon 1 (no flank there) and ends at the last base of exon 3.
	minus := &transcript.Transcript{ID: "NM_MINUS.1", Gene: "M", Chrom: "chr1", Strand: -1,
		Exons: []transcript.Exon{{Start: 500, End: 599}, {Start: 300, End: 399}, {Start: 100, End: 199}}, CDSStart: 1, CDSEnd: 300}
	// A non-coding first exon is left out and the numbering keeps its place.
	utr := &transcript.Transcript{ID: "NM_UTR.1", Gene: "U", Chrom: "chr1", Strand: 1,
		Exons: []transcript.Exon{{Start: 100, End: 199}, {Start: 300, End: 399}}, CDSStart: 111, CDSEnd: 200}
	for _, tt := range []struct {
		tx   *transcript.Transcript
		want []Exon
	}{
		{plus, []Exon{{1, 150, 201}, {2, 298, 401}, {3, 498, 549}}},
		{minus, []Exon{{1, 498, 599}, {2, 298, 401}, {3, 100, 201}}},
		{utr, []Exon{{2, 310, 399}}},
	} {
		t.Run(tt.tx.ID, func(t *testing.T) {
			if got := Targets(tt.tx).Exons; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTargetsKB checks the targets of the knowledge base's MANE Select transcripts against
// their coding lengths: coding bases plus 2 bases per splice junction inside the CDS.
func TestTargetsKB(t *testing.T) {
	k := kbtest.Load(t)
	for gene, tx := range k.Transcripts {
		g := Targets(tx)
		cds := tx.CDSEnd - tx.CDSStart + 1
		junctions := 2 * (len(g.Exons) - 1) // each junction between coding exons: donor + acceptor
		if got, want := g.Bases(), cds+junctions*SpliceFlank; got != want {
			t.Errorf("%s: %d target bases, want %d (CDS %d, %d coding exons)", gene, got, want, cds, len(g.Exons))
		}
	}
	// BRCA1 NM_007294.4: exon 1 is 5' UTR; the coding exons are 2..23.
	g := Targets(k.Transcripts["BRCA1"])
	if first, last := g.Exons[0].Number, g.Exons[len(g.Exons)-1].Number; first != 2 || last != 23 || len(g.Exons) != 22 {
		t.Errorf("BRCA1 coding exons %d..%d (%d), want 2..23 (22)", first, last, len(g.Exons))
	}
}

// readGVCF feeds every record of a real gVCF to a GVCF tally for sample 0.
func readGVCF(t *testing.T, path string, genes []Gene, th Thresholds) []report.Coverage {
	t.Helper()
	r, err := vcf.Open(path, vcf.Options{})
	if err != nil {
		t.Skipf("real data not here: %v", err)
	}
	defer r.Close()
	g := NewGVCF(genes, th)
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		chrom, _ := vcf.CanonicalChrom(rec.Chrom)
		g.Add(chrom, rec, &rec.Samples[0])
	}
	return g.Coverage()
}

func ptr[T any](v T) *T { return &v }

// TestGVCFReal reads the real gVCFs of ../shared/data against hand-placed targets on their
// blocks (neither file reaches a panel gene).
func TestGVCFReal(t *testing.T) {
	def := Thresholds{MinDP: DefaultMinDP, MinGQ: DefaultMinGQ}
	sharedData := oracle.Dir(t)
	gatk := filepath.Join(sharedData, "vcf-real/nfcore-slivar/gvcf_sample.g.vcf.gz")
	dv := filepath.Join(sharedData, "vcf-real/pharmcat-preprocessor/NA19226.pgx_regions.g.vcf.bgz")
	for _, tt := range []struct {
		name     string
		file     string
		th       Thresholds
		exons    []Exon
		fraction float64
		uncov    []int
		minDP    *int
	}{
		// GATK: chr22:1-1951 is one block with DP=0 GQ=0: uncovered.
		{"gatk DP=0 block", gatk, def, []Exon{{1, 100, 199}}, 0, []int{1}, nil},
		// chr22:1967-1981: DP 107 but MIN_DP 35, GQ 99: covered at depth 35 (MIN_DP, not DP).
		{"gatk block MIN_DP", gatk, def, []Exon{{1, 1967, 1981}}, 1, []int{}, ptr(35)},
		// chr22:1963-1966: MIN_DP 6/6/11/25, GQ 15/18/33/75: the last two bases only.
		{"gatk shallow bases", gatk, def, []Exon{{1, 1963, 1966}}, 0.5, []int{1}, ptr(11)},
		// chr22:1982 variant site DP 185 GQ 99 inside blocks of MIN_DP 35 and 209.
		{"gatk variant site", gatk, def, []Exon{{1, 1975, 1990}}, 1, []int{}, ptr(35)},
		// Several exons: exon 1 (21 bases) lies in the DP=0 and shallow blocks, exon 2 (136) is covered: 136/157.
		{"gatk exons", gatk, def, []Exon{{1, 1940, 1960}, {2, 1967, 2102}}, 0.8662, []int{1}, ptr(35)},
		// DeepVariant <*>: chr1:11786426 is a ./. block with GQ 0: uncovered.
		{"deepvariant no-call block", dv, def, []Exon{{1, 11786420, 11786430}}, 0.9091, []int{1}, ptr(91)},
		// chr1:11786609-11787996: MIN_DP 27, GQ 50 (the block has no DP at all).
		{"deepvariant block", dv, def, []Exon{{1, 11786610, 11786620}}, 1, []int{}, ptr(27)},
		{"deepvariant block below --min-dp 30", dv, Thresholds{MinDP: 30, MinGQ: 20}, []Exon{{1, 11786610, 11786620}}, 0, []int{1}, nil},
		// chr1:11793149 CT>C RefCall 0/0 GQ 25 DP 166: a reference site, covered; GQ 30 fails it.
		{"deepvariant RefCall site", dv, def, []Exon{{1, 11793149, 11793150}}, 1, []int{}, ptr(166)},
		{"deepvariant RefCall site --min-gq 30", dv, Thresholds{MinDP: 10, MinGQ: 30}, []Exon{{1, 11793149, 11793150}}, 0, []int{1}, nil},
		// Beyond the file's last record: nothing says it was sequenced.
		{"deepvariant beyond the file", dv, def, []Exon{{1, 50000000, 50000100}}, 0, []int{1}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			chrom := "chr22"
			if tt.file == dv {
				chrom = "chr1"
			}
			got := readGVCF(t, tt.file, []Gene{{Name: "G", Transcript: "NM_TEST.1", Chrom: chrom, Exons: tt.exons}}, tt.th)[0]
			if got.Source != SourceGVCF || got.CoveredFraction == nil || *got.CoveredFraction != tt.fraction {
				t.Errorf("source %s fraction %v, want gvcf %v", got.Source, deref(got.CoveredFraction), tt.fraction)
			}
			if !reflect.DeepEqual(got.UncoveredExons, tt.uncov) {
				t.Errorf("uncovered exons %v, want %v", got.UncoveredExons, tt.uncov)
			}
			if !reflect.DeepEqual(got.MinDP, tt.minDP) {
				t.Errorf("min_dp %v, want %v", deref(got.MinDP), deref(tt.minDP))
			}
			if len(tt.uncov) > 0 && !strings.Contains(got.Note, "cannot exclude") {
				t.Errorf("note %q does not say a negative result cannot exclude variants", got.Note)
			}
		})
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestPasses covers records that lack what the thresholds need.
func TestPasses(t *testing.T) {
	for _, tt := range []struct {
		name, format, value string
		alt                 string
		want                bool
	}{
		{"site passes", "GT:DP:GQ", "0/1:30:99", "T", true},
		{"no GQ", "GT:DP", "0/1:30", "T", false},
		{"no DP", "GT:GQ", "0/1:99", "T", false},
		{"missing DP", "GT:DP:GQ", "0/1:.:99", "T", false},
		{"no-call", "GT:DP:GQ", "./.:30:99", "T", false},
		{"block MIN_DP wins over DP", "GT:DP:GQ:MIN_DP", "0/0:50:99:3", "<NON_REF>", false},
		{"block DP only", "GT:DP:GQ", "0/0:50:99", "<NON_REF>", true},
		{"GQ below", "GT:DP:GQ", "0/0:50:19", "<*>", false},
		{"DP at threshold", "GT:DP:GQ", "0/0:10:20", "<*>", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n" +
				"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"x\">\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"x\">\n" +
				"##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"x\">\n##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description=\"x\">\n" +
				"##INFO=<ID=END,Number=1,Type=Integer,Description=\"x\">\n" +
				"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n" +
				"chr1\t100\t.\tA\t" + tt.alt + "\t.\t.\tEND=100\t" + tt.format + "\t" + tt.value + "\n"
			r, err := vcf.NewReader(strings.NewReader(text), "t.vcf", vcf.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if _, got := Passes(rec, &rec.Samples[0], Thresholds{MinDP: 10, MinGQ: 20}); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func brca1Like() []Gene {
	return []Gene{
		{Name: "BRCA1", Transcript: "NM_007294.4", Chrom: "chr17", Exons: []Exon{{2, 43045700, 43045810}, {3, 43047643, 43047705}, {4, 43049120, 43049150}}},
		{Name: "BRCA2", Transcript: "NM_000059.4", Chrom: "chr13", Exons: []Exon{{2, 32315900, 32316010}, {3, 32316400, 32316600}}},
		{Name: "MSH2", Transcript: "NM_000251.3", Chrom: "chr2", Exons: []Exon{{1, 47403100, 47403199}, {2, 47404900, 47405099}}},
	}
}

func TestReadBED(t *testing.T) {
	for _, tt := range []struct {
		file, gene string
		minDP      int
		fraction   float64
		uncov      []int
	}{
		// GATK CallableLoci: exon 2 runs into LOW_COVERAGE (43045803-43045810, 8 of 111
		// bases); exon 3 is CALLABLE under the name "17"; exon 4 is NO_COVERAGE: 166/205.
		{"callableloci.bed", "BRCA1", 10, 0.8098, []int{2, 4}},
		{"callableloci.bed.gz", "BRCA1", 10, 0.8098, []int{2, 4}},
		// mosdepth --quantize 0:1:10:150: "10:150" and "150:inf" count at min_dp 10; exon 2
		// is in "0:1" and "1:10" (uncovered), exon 3 has 101 of 201 bases in "1:10": 100/312.
		{"mosdepth.quantized.bed.gz", "BRCA2", 10, 0.3205, []int{2, 3}},
		{"mosdepth.quantized.bed", "BRCA2", 10, 0.3205, []int{2, 3}},
		// At min_dp 20 the "10:150" bin no longer counts.
		{"mosdepth.quantized.bed", "BRCA2", 20, 0, []int{2, 3}},
		// Three columns: every interval is callable; "2" and "chr2" are one contig: 199/300.
		{"plain.bed", "MSH2", 10, 0.6633, []int{2}},
	} {
		t.Run(tt.file+"/"+tt.gene, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c, err := ReadBED(f, tt.file, tt.minDP, brca1Like())
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range c.Coverage() {
				if got.Gene != tt.gene {
					continue
				}
				if got.Source != SourceBED || got.CoveredFraction == nil || *got.CoveredFraction != tt.fraction || got.MinDP != nil {
					t.Errorf("source %s fraction %v min_dp %v, want bed %v null", got.Source, deref(got.CoveredFraction), deref(got.MinDP), tt.fraction)
				}
				if !reflect.DeepEqual(got.UncoveredExons, tt.uncov) {
					t.Errorf("uncovered exons %v, want %v", got.UncoveredExons, tt.uncov)
				}
				if !strings.Contains(got.Note, tt.file) {
					t.Errorf("note %q does not name the file", got.Note)
				}
			}
		})
	}
}

func TestReadBEDMalformed(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"bad_fields.bed", "bad_fields.bed:1: 2 fields"},
		{"bad_order.bed", "bad_order.bed:1: end 100 is before start 200"},
		{"bad_start.bed", `bad_start.bed:1: start "x"`},
		{"bad_negative.bed", `bad_negative.bed:2: start "-5"`},
	} {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = ReadBED(f, tt.file, 10, brca1Like())
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrMalformed naming %q", err, tt.want)
			}
		})
	}
	// A truncated gzip stream is malformed too.
	b, _ := os.ReadFile(filepath.Join("testdata", "callableloci.bed.gz"))
	if _, err := ReadBED(strings.NewReader(string(b[:len(b)-10])), "cut.bed.gz", 10, brca1Like()); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated gzip: got %v, want ErrMalformed", err)
	}
}

func TestCallableLabels(t *testing.T) {
	for _, tt := range []struct {
		label string
		want  bool
	}{
		{"CALLABLE", true}, {"callable", true}, {"NO_COVERAGE", false}, {"LOW_COVERAGE", false},
		{"EXCESSIVE_COVERAGE", false}, {"POOR_MAPPING_QUALITY", false}, {"REF_N", false},
		{"0:1", false}, {"1:10", false}, {"10:150", true}, {"150:inf", true}, {"BRCA1_exon2", false}, {"x:y", false},
	} {
		if got := Callable4th(tt.label, 10); got != tt.want {
			t.Errorf("%q: got %v, want %v", tt.label, got, tt.want)
		}
	}
}

func TestBEDWarning(t *testing.T) {
	c, err := ReadBED(strings.NewReader("chr17\t1\t100\tBRCA1_exon2\n"), "design.bed", 10, brca1Like())
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warning(); !strings.Contains(w, `"BRCA1_exon2"`) {
		t.Errorf("warning %q does not name the label", w)
	}
	c, _ = ReadBED(strings.NewReader("chr17\t1\t100\n"), "plain.bed", 10, brca1Like())
	if w := c.Warning(); w != "" {
		t.Errorf("plain BED: warning %q", w)
	}
}

func TestNone(t *testing.T) {
	got := None([]Gene{{Name: "BRCA2"}})[0]
	want := report.Coverage{Gene: "BRCA2", Source: "none", UncoveredExons: []int{},
		Note: "the input does not show which bases were sequenced (no gVCF reference blocks and no callable-regions file): a negative result cannot exclude variants in BRCA2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
