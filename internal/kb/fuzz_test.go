package kb

import (
	"bytes"
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
	f.Add(string(embeddedContent(f, FileGenome37))[:4000])
	f.Fuzz(func(t *testing.T, data string) {
		g, err := parseFASTA("GRCh38", data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteFASTA(&buf, g); err != nil {
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
	seedLines(f, FileClinVar, 40)
	f.Add(clinvarHeader + "chr17\t43124027\tACT\tA\t17662\tBRCA1\tPathogenic\treviewed_by_expert_panel\t3\tpathogenic\tClinVar 2026-02-26\tframeshift_variant\trs80357914\n" +
		"chr17\t43124027\tACT\tA\t17662\tBRCA1\tPathogenic\treviewed_by_expert_panel\t3\tpathogenic\tClinVar 2026-02-26\t.\t.\n")
	f.Fuzz(func(t *testing.T, data string) {
		roundTrip(t, data, parseClinVar, func(b *bytes.Buffer, c *ClinVar) error { return WriteClinVar(b, c) })
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
	seedLines(f, FileTranscripts, 3)
	f.Fuzz(func(t *testing.T, data string) {
		roundTrip(t, data, parseTranscripts, func(b *bytes.Buffer, m map[string]*transcript.Transcript) error { return WriteTranscripts(b, m) })
	})
}

func FuzzParseRegions(f *testing.F) {
	seedLines(f, FileRegions, 30)
	f.Add(regionsHeader + "chr1\t10\t20\tDPYD\tdpyd\texon\nchr1\t15\t30\tDPYD\tdpyd\texon\n")
	f.Fuzz(func(t *testing.T, data string) {
		roundTrip(t, data, parseRegions, func(b *bytes.Buffer, rs []Region) error { return WriteRegions(b, rs) })
	})
}

func FuzzParseHotspots(f *testing.F) {
	seedLines(f, FileHotspots, 4)
	f.Fuzz(func(t *testing.T, data string) {
		roundTrip(t, data, parseHotspots, func(b *bytes.Buffer, hs []Hotspot) error { return WriteHotspots(b, hs) })
	})
}

func FuzzParseMarkers(f *testing.F) {
	seedLines(f, FileMarkers, 12)
	f.Fuzz(func(t *testing.T, data string) {
		ms, err := ParseMarkers(data)
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

func FuzzParseLiftover(f *testing.F) {
	seedLines(f, FileLiftover, 12)
	f.Add("block\tX\tchr1\t10\t20\t5\tsequence\ndiff\tX\tchr1\t12\t22\tA>G\tsequence\n")
	f.Add("block\tX\tchr1\t10\t20\t5\tsequence\nblock\tX\tchr1\t12\t30\t5\tsequence\n")
	f.Fuzz(func(t *testing.T, data string) {
		l, err := parseLiftover(data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteLiftover(&buf, l); err != nil {
			t.Fatal(err)
		}
		l2, err := parseLiftover(buf.String())
		if err != nil {
			t.Fatalf("re-reading the written map: %v", err)
		}
		if !reflect.DeepEqual(l.Blocks(), l2.Blocks()) || !reflect.DeepEqual(l.RefDiffs(), l2.RefDiffs()) {
			t.Fatal("map changed on a write/read round trip")
		}
		for _, b := range l.Blocks() {
			if c, p, ok := l.To38(b.Chrom, b.Start37); !ok || c != b.Chrom || p != b.Start38 {
				t.Fatalf("To38(%s, %d) = %s %d %v, block %+v", b.Chrom, b.Start37, c, p, ok, b)
			}
			if c, p, ok := l.To37(b.Chrom, b.End38()); !ok || c != b.Chrom || p != b.End37() {
				t.Fatalf("To37(%s, %d) = %s %d %v, block %+v", b.Chrom, b.End38(), c, p, ok, b)
			}
		}
	})
}
