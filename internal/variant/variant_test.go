package variant_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/transcript/transcripttest"
	"github.com/precis-dx/precis/internal/variant"
)

func genome(t testing.TB, genes ...string) *transcripttest.Genome {
	t.Helper()
	g, err := transcripttest.NewGenome(transcripttest.DataDir(t), genes...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestNormalizeDPYDStar3 checks the two spellings of DPYD c.1898delC (*3) noted in the
// shared data README: PharmCAT's older tests write chr1:97450066 GG>G, the current
// definition chr1:97450065 TG>T.
func TestNormalizeDPYDStar3(t *testing.T) {
	g := genome(t, "DPYD")
	want := variant.Variant{Chrom: "chr1", Pos: 97450065, Ref: "TG", Alt: "T"}
	for _, in := range []variant.Variant{
		{Chrom: "chr1", Pos: 97450066, Ref: "GG", Alt: "G"},
		{Chrom: "chr1", Pos: 97450065, Ref: "TG", Alt: "T"},
		{Chrom: "chr1", Pos: 97450066, Ref: "gg", Alt: "g"},
		{Chrom: "chr1", Pos: 97450065, Ref: "TGG", Alt: "TG"}, // extra shared base
	} {
		t.Run(in.String(), func(t *testing.T) {
			if got := variant.Normalize(in, g); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// fixed is a Sequence over a literal string starting at position 1 of chrom "c".
type fixed string

func (f fixed) Fetch(chrom string, start, end int) (string, bool) {
	if chrom != "c" || start < 1 || end > len(f) || end < start {
		return "", false
	}
	return string(f[start-1 : end]), true
}

func vv(chrom string, pos int, ref, alt string) variant.Variant {
	return variant.Variant{Chrom: chrom, Pos: pos, Ref: ref, Alt: alt}
}

func TestNormalizeForms(t *testing.T) {
	//                 123456789012
	const seq = fixed("GATTACACACAT")
	tests := []struct {
		name string
		in   variant.Variant
		want variant.Variant
	}{
		{"snv unchanged", vv("c", 4, "T", "C"), vv("c", 4, "T", "C")},
		{"snv padded both sides", vv("c", 3, "TTA", "TCA"), vv("c", 4, "T", "C")},
		{"mnv trimmed", vv("c", 2, "ATT", "AGC"), vv("c", 3, "TT", "GC")},
		{"deletion in repeat left-aligned", vv("c", 8, "CAC", "C"), vv("c", 4, "TAC", "T")},
		{"insertion in repeat left-aligned", vv("c", 11, "A", "ACA"), vv("c", 4, "T", "TAC")},
		{"homopolymer deletion", vv("c", 3, "TT", "T"), vv("c", 2, "AT", "A")},
		{"complex indel trimmed", vv("c", 5, "ACAC", "AGGAC"), vv("c", 6, "C", "GG")},
		{"ref equals alt kept", vv("c", 5, "ac", "AC"), vv("c", 5, "AC", "AC")},
		{"symbolic kept", vv("c", 5, "A", "<DEL>"), vv("c", 5, "A", "<DEL>")},
		{"star kept", vv("c", 5, "A", "*"), vv("c", 5, "A", "*")},
		{"stops at sequence start", vv("c", 1, "GA", "G"), vv("c", 1, "GA", "G")},
		{"unknown contig: trimmed only", vv("x", 9, "CACA", "CA"), vv("x", 9, "CAC", "C")},
		{"unanchored deletion gets anchor", vv("c", 4, "T", ""), vv("c", 2, "AT", "A")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := variant.Normalize(tc.in, seq)
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if again := variant.Normalize(got, seq); again != got {
				t.Errorf("not idempotent: %v then %v", got, again)
			}
		})
	}
	t.Run("nil sequence", func(t *testing.T) {
		in := vv("c", 8, "CAC", "C")
		if got := variant.Normalize(in, nil); got != in {
			t.Errorf("got %v, want %v", got, in)
		}
	})
}

// mlh1Row is one variant of the ClinVar MLH1 export with a simple VCF form.
type mlh1Row struct {
	line int
	hgvs string
	v    variant.Variant
}

func readMLH1(t testing.TB) []mlh1Row {
	t.Helper()
	path := filepath.Join(transcripttest.DataDir(t), "hgvs", "MLH1_clinvar_GRCh38_pairs.open.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []mlh1Row
	sc := bufio.NewScanner(f)
	var cols map[string]int
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || text == "" {
			continue
		}
		c := strings.Split(text, "\t")
		if cols == nil {
			cols = map[string]int{}
			for i, name := range c {
				cols[name] = i
			}
			continue
		}
		pos, err := strconv.Atoi(c[cols["vcf_pos"]])
		if err != nil {
			continue // no simple SPDI
		}
		rows = append(rows, mlh1Row{line: line, hgvs: c[cols["hgvs_c"]], v: variant.Variant{
			Chrom: "chr3", Pos: pos, Ref: c[cols["vcf_ref"]], Alt: c[cols["vcf_alt"]],
		}})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// shiftRight moves a left-aligned anchored indel as far right as the sequence allows,
// the opposite of what Normalize does, without using Normalize.
func shiftRight(t *testing.T, v variant.Variant, seq variant.Sequence) variant.Variant {
	t.Helper()
	ins := len(v.Alt) > len(v.Ref)
	body := v.Ref[1:]
	if ins {
		body = v.Alt[1:]
	}
	pos := v.Pos // the anchor
	for {
		// The indel body sits after pos; it can move right when the base after it (for a
		// deletion: after the deleted bases) equals its first base.
		next := pos + 1
		if !ins {
			next = pos + len(body) + 1
		}
		b, ok := seq.Fetch(v.Chrom, next, next)
		if !ok || b[0] != body[0] {
			break
		}
		body = body[1:] + b
		pos++
	}
	anchor, ok := seq.Fetch(v.Chrom, pos, pos)
	if !ok {
		t.Fatalf("no anchor base at %d", pos)
	}
	if ins {
		return variant.Variant{Chrom: v.Chrom, Pos: pos, Ref: anchor, Alt: anchor + body}
	}
	return variant.Variant{Chrom: v.Chrom, Pos: pos, Ref: anchor + body, Alt: anchor}
}

// TestNormalizeMLH1ClinVar uses ClinVar's MLH1 variants, whose VCF forms are already
// left-aligned: Normalize must leave them alone, and must bring back each repeat indel
// after it has been moved to its rightmost equivalent position.
func TestNormalizeMLH1ClinVar(t *testing.T) {
	g := genome(t, "MLH1")
	var indels, shifted int
	for _, r := range readMLH1(t) {
		pure := (len(r.v.Ref) == 1 || len(r.v.Alt) == 1) && r.v.Ref[0] == r.v.Alt[0] && r.v.IsIndel()
		snv := len(r.v.Ref) == 1 && len(r.v.Alt) == 1
		if !pure && !snv {
			continue
		}
		if got := variant.Normalize(r.v, g); got != r.v {
			t.Errorf("line %d %s: Normalize(%v) = %v, want unchanged", r.line, r.hgvs, r.v, got)
		}
		if !pure {
			continue
		}
		indels++
		right := shiftRight(t, r.v, g)
		if right == r.v {
			continue
		}
		shifted++
		if got := variant.Normalize(right, g); got != r.v {
			t.Errorf("line %d %s: Normalize(%v) = %v, want %v", r.line, r.hgvs, right, got, r.v)
		}
	}
	t.Logf("%d pure indels, %d of them in repeats and shifted back", indels, shifted)
	if shifted < 50 {
		t.Errorf("only %d repeat indels tested, want at least 50", shifted)
	}
}

func FuzzNormalize(f *testing.F) {
	const seq = fixed("GATTACACACATGGGGGCCATATATATTTAGC")
	for _, s := range []struct {
		pos      int
		ref, alt string
	}{{9, "CAC", "C"}, {11, "A", "ACA"}, {4, "T", ""}, {3, "TTA", "TCA"}, {5, "A", "<DEL>"}, {1, "GA", "G"}, {0, "", ""}, {30, "AGC", "A"}} {
		f.Add(s.pos, s.ref, s.alt)
	}
	f.Fuzz(func(t *testing.T, pos int, ref, alt string) {
		v := variant.Variant{Chrom: "c", Pos: pos, Ref: ref, Alt: alt}
		n := variant.Normalize(v, seq)
		if again := variant.Normalize(n, seq); again != n {
			t.Errorf("not idempotent: %v -> %v -> %v", v, n, again)
		}
		if strings.ToUpper(ref) != strings.ToUpper(alt) && n.Ref == n.Alt && n.Ref != "" {
			t.Errorf("%v normalised to a non-variant %v", v, n)
		}
	})
}

func TestIsACGT(t *testing.T) {
	for s, want := range map[string]bool{"ACGT": true, "G": true, "": false, "ACGN": false, "acgt": false, "A-C": false} {
		if got := variant.IsACGT(s); got != want {
			t.Errorf("IsACGT(%q) = %v, want %v", s, got, want)
		}
	}
}
