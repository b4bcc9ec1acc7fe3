package kb

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/vcf"
)

// seedLines adds the header and the first n data lines of an embedded file as seeds, and
// the whole file when it is small.
func seedLines(f *testing.F, name string, n int) {
	data := string(embeddedContent(f, name))
	lines := strings.SplitAfter(data, "\n")
	f.Add(strings.Join(lines[:min(n, len(lines))], ""))
	if len(data) < 64<<10 {
		f.Add(data)
	}
	f.Add("")
	f.Add("#only a comment\n")
}

func FuzzParseFASTA(f *testing.F) {
	f.Add(">chr12:132687254-132687342 POLE exon 1\n" + strings.Repeat("ACGT", 22) + "A\n")
	f.Add(">chr1:10-13 x\nAC\nGN\n>chr1:20-20\nT\n")
	f.Add(">chr1:10-13\nACGT\n>chr1:12-14\nGTA\n")
	f.Add(string(embeddedContent(f, fileGenome37))[:4000])
	f.Fuzz(func(t *testing.T, data string) {
		g, err := parseFASTA("GRCh38", data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := writeFASTA(&buf, g); err != nil {
			t.Fatal(err)
		}
		g2, err := parseFASTA("GRCh38", buf.String())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(g.Spans(), g2.Spans()) {
			t.Fatalf("spans changed: %v vs %v", g.Spans(), g2.Spans())
		}
		for _, sp := range g.Spans() {
			a, okA := g.Fetch(sp.Chrom, sp.Start, sp.End)
			b, okB := g2.Fetch(sp.Chrom, sp.Start, sp.End)
			if a != b || okA != okB || (okA && len(a) != sp.End-sp.Start+1) {
				t.Fatalf("%v: %q/%v vs %q/%v", sp, a, okA, b, okB)
			}
		}
	})
}

// roundTrip checks parse -> write -> parse -> write is stable.
func roundTrip[T any](t *testing.T, data string, parse func(string) (T, error), write func(*bytes.Buffer, T) error) {
	v, err := parse(data)
	if err != nil {
		return
	}
	var a, b bytes.Buffer
	if err := write(&a, v); err != nil {
		t.Fatal(err)
	}
	v2, err := parse(a.String())
	if err != nil {
		t.Fatalf("re-parse of written output: %v\n%s", err, a.String())
	}
	if err := write(&b, v2); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatalf("output changed on a second round:\n%s\n%s", a.String(), b.String())
	}
}

func FuzzParseClinVar(f *testing.F) {
	seedLines(f, fileClinVar, 40)
	f.Add(clinvarHeader + "chr17\t43124027\tACT\tA\t17662\tBRCA1\tPathogenic\treviewed_by_expert_panel\t3\tpathogenic\tClinVar 2026-02-26\tframeshift_variant\trs80357914\n" +
		"chr17\t43124027\tACT\tA\t17662\tBRCA1\tPathogenic\treviewed_by_expert_panel\t3\tpathogenic\tClinVar 2026-02-26\t.\t.\n")
	f.Fuzz(func(t *testing.T, data string) {
		roundTrip(t, data, parseClinVar, func(b *bytes.Buffer, c *ClinVar) error { return writeClinVar(b, c) })
		c, err := parseClinVar(data)
		if err != nil {
			return
		}
		for e := range c.All() {
			if got, ok := c.Lookup(e.Chrom, e.Pos, e.Ref, e.Alt); !ok || !reflect.DeepEqual(got, e) {
				t.Fatalf("Lookup(%s:%d %s>%s) = %+v, %v", e.Chrom, e.Pos, e.Ref, e.Alt, got, ok)
			}
		}
	})
}

func FuzzParseTranscripts(f *testing.F) {
	seedLines(f, fileTranscripts, 3)
	f.Fuzz(func(t *testing.T, data string) {
		roundTrip(t, data, parseTranscripts, func(b *bytes.Buffer, m map[string]*transcript.Transcript) error { return writeTranscripts(b, m) })
	})
}

func FuzzParseRegions(f *testing.F) {
	seedLines(f, fileRegions, 30)
	f.Add(regionsHeader + "chr1\t10\t20\tDPYD\tdpyd\texon\nchr1\t15\t30\tDPYD\tdpyd\texon\n")
	f.Fuzz(func(t *testing.T, data string) {
		roundTrip(t, data, parseRegions, func(b *bytes.Buffer, rs []Region) error { return writeRegions(b, rs) })
	})
}

func FuzzParseHotspots(f *testing.F) {
	seedLines(f, fileHotspots, 4)
	f.Fuzz(func(t *testing.T, data string) {
		roundTrip(t, data, parseHotspots, func(b *bytes.Buffer, hs []Hotspot) error { return writeHotspots(b, hs) })
	})
}

func FuzzParseMarkers(f *testing.F) {
	seedLines(f, fileMarkers, 12)
	f.Fuzz(func(t *testing.T, data string) {
		ms, err := parseMarkers(data)
		if err != nil {
			return
		}
		for _, m := range ms {
			if c, ok := vcf.CanonicalChrom(m.GRCh38Chrom); !ok || c != m.GRCh38Chrom {
				t.Fatalf("contig %q is not canonical", m.GRCh38Chrom)
			}
		}
	})
}

// FuzzParseClinVarRecord fuzzes the reader of ClinVar's source VCF lines.
func FuzzParseClinVarRecord(f *testing.F) {
	raw, err := os.ReadFile("testdata/clinvar_records.vcf")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, keep, err := parseClinVarRecord(line)
		if err != nil || !keep {
			return
		}
		if !isPanelGene(e.Gene) || !isClassification(e.Classification) || e.Stars < 0 || e.Stars > 4 || e.Pos < 1 {
			t.Fatalf("got %+v", e)
		}
	})
}

// FuzzReadBEDModel fuzzes the reader of the Ensembl exon BED: a model it accepts must be a
// valid transcript.
func FuzzReadBEDModel(f *testing.F) {
	raw, err := os.ReadFile("testdata/epcam.ensembl110.bed")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(raw))
	f.Fuzz(func(t *testing.T, data string) {
		tx, _, err := readBEDModel(data, "NM_002354.3")
		if err != nil {
			return
		}
		if err := validTranscript(tx); err != nil {
			t.Fatalf("accepted an invalid model: %v", err)
		}
	})
}

// TestReadBEDModelSeed checks the fuzz seed itself: EPCAM's CDS from the BED excerpt.
func TestReadBEDModelSeed(t *testing.T) {
	raw, err := os.ReadFile("testdata/epcam.ensembl110.bed")
	if err != nil {
		t.Fatal(err)
	}
	tx, enst, err := readBEDModel(string(raw), "NM_002354.3")
	if err != nil {
		t.Fatal(err)
	}
	// 5'UTR chr2:47369311-47369505 (195 bases) -> c.1 at 196; 3'UTR 47386614-47387020 (407).
	if tx.CDSStart != 196 || tx.CDSEnd != txLen(tx)-407 || len(tx.Exons) != 9 || enst != "ENST00000263735.9" {
		t.Errorf("got CDS %d..%d of %d, %d exons, %s", tx.CDSStart, tx.CDSEnd, txLen(tx), len(tx.Exons), enst)
	}
}
