package kb

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
)

// slice is one gene's genomic slice as the shared data holds it, read independently of
// package build: base i (0-based) of seq is at start+i.
type slice struct {
	chrom string
	start int
	seq   string
}

func (s slice) at(pos, n int) (string, bool) {
	i := pos - s.start
	if i < 0 || i+n > len(s.seq) {
		return "", false
	}
	return s.seq[i : i+n], true
}

// readSlices reads the shared data's genes/sequence/{build}/*.fa, by gene.
func readSlices(t testing.TB, build string) map[string]slice {
	t.Helper()
	dir := oracle.Dir(t) + "/genes/sequence/" + build
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("no %s slices: %v", build, err)
	}
	m := map[string]slice{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".fa") {
			continue
		}
		f := dir + "/" + e.Name()
		data := testfile.Read(t, f)
		hdr, body, _ := strings.Cut(string(data), "\n")
		// ">NC_000001.10:97541299-98391615 ..."
		acc, rng, _ := strings.Cut(strings.Fields(hdr)[0][1:], ":")
		from, _, _ := strings.Cut(rng, "-")
		var start int
		_, err = fmt.Sscan(from, &start)
		if err != nil {
			t.Fatalf("%s: header %q", f, hdr)
		}
		num, _, _ := strings.Cut(strings.TrimPrefix(acc, "NC_"), ".")
		var n int
		fmt.Sscan(strings.TrimLeft(num, "0"), &n) // "000017": not octal
		chrom := fmt.Sprint("chr", n)
		gene, _, _ := strings.Cut(e.Name(), "_")
		m[gene] = slice{chrom, start, strings.ToUpper(strings.ReplaceAll(body, "\n", ""))}
	}
	return m
}

// sliceAt returns the bases chrom:pos..pos+n-1 of whichever slice holds them.
func sliceAt(slices map[string]slice, chrom string, pos, n int) (string, bool) {
	for _, s := range slices {
		if s.chrom == chrom {
			if b, ok := s.at(pos, n); ok {
				return b, true
			}
		}
	}
	return "", false
}

// TestLiftoverEveryBase walks every sequence block of the embedded map over the real
// slices of both builds: equal bases except at the listed reference differences, whose
// bases are the slices' bases.
func TestLiftoverEveryBase(t *testing.T) {
	k := testKB(t)
	s37, s38 := readSlices(t, "GRCh37"), readSlices(t, "GRCh38")
	diffs := 0
	for _, b := range k.Liftover.Blocks() {
		if b.Evidence != EvidenceSequence {
			continue
		}
		a, ok1 := s37[b.Gene].at(b.Start37, b.Len)
		c, ok2 := s38[b.Gene].at(b.Start38, b.Len)
		if !ok1 || !ok2 {
			t.Fatalf("block %+v is outside the slices", b)
		}
		for i := range b.Len {
			d, listed := k.Liftover.RefDiff(b.Chrom, b.Start38+i)
			switch {
			case a[i] == c[i] && listed:
				t.Errorf("%s:%d: listed as a difference, both builds have %c", b.Chrom, b.Start38+i, a[i])
			case a[i] != c[i] && !listed:
				t.Errorf("%s %s: GRCh37 %d %c, GRCh38 %d %c: not listed", b.Gene, b.Chrom, b.Start37+i, a[i], b.Start38+i, c[i])
			case listed:
				if d.Base37 != a[i] || d.Base38 != c[i] || d.Pos37 != b.Start37+i {
					t.Errorf("difference %+v, slices have GRCh37 %d %c, GRCh38 %c", d, b.Start37+i, a[i], c[i])
				}
				diffs++
			}
		}
	}
	if diffs != len(k.Liftover.RefDiffs()) {
		t.Errorf("%d differences found in the blocks, %d listed", diffs, len(k.Liftover.RefDiffs()))
	}
}

// TestLiftoverBRCA1Indels: the BRCA1 slices differ in length; the map's indels between
// the builds account for exactly that difference, and the BRCA1 gene (MANE span) lies in
// one block with the offset the build markers document for the ga4gh BRCA1 region.
func TestLiftoverBRCA1Indels(t *testing.T) {
	k := testKB(t)
	s37, s38 := readSlices(t, "GRCh37")["BRCA1"], readSlices(t, "GRCh38")["BRCA1"]
	var blocks []LiftBlock
	for _, b := range k.Liftover.Blocks() {
		if b.Gene == "BRCA1" {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) < 2 {
		t.Fatalf("BRCA1: %d blocks, want an indel between the builds", len(blocks))
	}
	only37, only38 := blocks[0].Start37-s37.start, blocks[0].Start38-s38.start
	for i := 1; i < len(blocks); i++ {
		only37 += blocks[i].Start37 - blocks[i-1].End37() - 1
		only38 += blocks[i].Start38 - blocks[i-1].End38() - 1
	}
	last := blocks[len(blocks)-1]
	only37 += s37.start + len(s37.seq) - 1 - last.End37()
	only38 += s38.start + len(s38.seq) - 1 - last.End38()
	if got, want := only37-only38, len(s37.seq)-len(s38.seq); got != want {
		t.Errorf("BRCA1: unaligned GRCh37 minus GRCh38 bases %d, slice lengths differ by %d", got, want)
	}
	var region Marker
	for _, m := range k.Markers {
		if m.Kind == "region_sequence" {
			region = m
		}
	}
	_, s, e, ok := k.Liftover.Interval38(region.GRCh37Chrom, region.GRCh37Start, region.GRCh37End)
	if !ok || s != region.GRCh38Start || e != region.GRCh38End {
		t.Errorf("%s: GRCh37 %d-%d maps to %d-%d (%v), markers say %d-%d", region.Name, region.GRCh37Start, region.GRCh37End, s, e, ok, region.GRCh38Start, region.GRCh38End)
	}
	t.Logf("BRCA1: %d blocks; %d GRCh37-only and %d GRCh38-only bases", len(blocks), only37, only38)
}

// cpicPosition is one position of the PharmCAT DPYD definition (GRCh38).
type cpicPosition struct {
	Chromosome string   `json:"chromosome"`
	Position   int      `json:"position"`
	RSID       string   `json:"rsid"`
	Ref        string   `json:"ref"`
	Alts       []string `json:"alts"`
}

// cpicPositions reads the PharmCAT DPYD definition embedded in the knowledge base.
func cpicPositions(t testing.TB, k *KB) []cpicPosition {
	t.Helper()
	var def struct {
		Variants []cpicPosition `json:"variants"`
	}
	if err := json.Unmarshal(k.DPYDTranslation(), &def); err != nil {
		t.Fatal(err)
	}
	return def.Variants
}

// TestLiftoverCPIC maps the 83 CPIC DPYD positions (PharmCAT, GRCh38) to GRCh37: the
// positions the build markers document for PGx rsIDs come out, the GRCh37 slice holds the
// GRCh38 REF or, at a listed reference difference, one of the definition's ALT alleles;
// rs1801265 (c.85T>C) is such a difference, G on GRCh37 where GRCh38 has A.
func TestLiftoverCPIC(t *testing.T) {
	k := testKB(t)
	s37 := readSlices(t, "GRCh37")
	documented := map[int]int{} // GRCh38 position -> GRCh37 position, from the markers
	for _, m := range k.Markers {
		if m.Kind == "pgx_variant" && strings.HasPrefix(m.Name, "DPYD:") {
			documented[m.GRCh38Start] = m.GRCh37Start
		}
	}
	vs := cpicPositions(t, k)
	if len(vs) != 83 {
		t.Fatalf("%d CPIC positions, want 83", len(vs))
	}
	checked, swapped := 0, 0
	for _, v := range vs {
		chrom := "chr1"
		_, p37, end37, ok := k.Liftover.Interval37(chrom, v.Position, v.Position+len(v.Ref)-1)
		if !ok {
			t.Errorf("%s %s:%d does not map to GRCh37", v.RSID, chrom, v.Position)
			continue
		}
		if want, ok := documented[v.Position]; ok {
			checked++
			if p37 != want {
				t.Errorf("%s: GRCh38 %d maps to GRCh37 %d, build markers say %d", v.RSID, v.Position, p37, want)
			}
		}
		got, _ := sliceAt(s37, chrom, p37, end37-p37+1)
		if got == v.Ref {
			if _, listed := k.Liftover.RefDiff(chrom, v.Position); listed && len(v.Ref) == 1 {
				t.Errorf("%s: listed as a reference difference, GRCh37 has the REF", v.RSID)
			}
			continue
		}
		d, listed := k.Liftover.RefDiff(chrom, v.Position)
		if !listed || len(v.Ref) != 1 || string(d.Base38) != v.Ref || string(d.Base37) != got || !slices.Contains(v.Alts, got) {
			t.Errorf("%s: GRCh37 %d holds %q, GRCh38 REF %s, ALTs %v, listed difference %+v (%v)", v.RSID, p37, got, v.Ref, v.Alts, d, listed)
		}
		swapped++
	}
	if checked != 6 {
		t.Errorf("%d CPIC positions documented in the build markers, want 6", checked)
	}
	if swapped != 1 {
		t.Errorf("%d CPIC positions where GRCh37 holds a GRCh38 ALT, want 1 (rs1801265)", swapped)
	}
	// rs1801265, DPYD c.85T>C (*9A): PharmCAT gives GRCh38 chr1:97883329 A>G (+ strand).
	for _, v := range vs {
		if v.RSID != "rs1801265" {
			continue
		}
		d, ok := k.Liftover.RefDiff("chr1", v.Position)
		if !ok || string(d.Base38) != v.Ref || !slices.Contains(v.Alts, string(d.Base37)) {
			t.Errorf("rs1801265 GRCh38 %d: difference %+v (%v), want GRCh38 %s, GRCh37 one of %v", v.Position, d, ok, v.Ref, v.Alts)
		}
		// ClinVar 2016 on GRCh37 writes the same site as REF G, ALT A.
		found := false
		for _, r := range readVCF(t, clinvar2016(t)) {
			if r.pos == d.Pos37 && r.chrom == "1" {
				found = found || (r.ref == string(d.Base37) && r.alt == string(d.Base38))
			}
		}
		if !found {
			t.Errorf("rs1801265: no ClinVar 2016 GRCh37 record %d %c>%c", d.Pos37, d.Base37, d.Base38)
		}
		l, ok := k.Liftover.Lift("1", d.Pos37, string(d.Base37))
		if !ok || !l.RefChanged || l.Ref != v.Ref || l.Pos != v.Position {
			t.Errorf("Lift(1, %d, %c) = %+v, %v; want GRCh38 %d REF %s, RefChanged", d.Pos37, d.Base37, l, ok, v.Position, v.Ref)
		}
	}
}

// TestLiftoverClinVarGRCh37 lifts every record of ClinVar 2016 (GRCh37) whose REF matches
// the GRCh37 slice: the GRCh38 bases at the lifted position are the record's REF or its
// ALT, and the lifted record is the GRCh38 ClinVar record of the same Variation ID.
func TestLiftoverClinVarGRCh37(t *testing.T) {
	k := testKB(t)
	s37, s38 := readSlices(t, "GRCh37"), readSlices(t, "GRCh38")
	byID := map[string][]Entry{}
	for e := range k.ClinVar.All() {
		byID[e.VariationID] = append(byID[e.VariationID], e)
	}
	var (
		total, outside, refMismatch, unlifted, lifted, refChanged int
		withID, same, shifted                                     int
		disagree                                                  = map[string]int{}
		examples                                                  = map[string]string{}
	)
	for _, r := range readVCF(t, clinvar2016(t)) {
		total++
		chrom := "chr" + r.chrom
		got, ok := sliceAt(s37, chrom, r.pos, len(r.ref))
		if !ok {
			outside++
			continue
		}
		if got != r.ref {
			refMismatch++
			continue
		}
		l, ok := k.Liftover.Lift(r.chrom, r.pos, r.ref)
		if !ok {
			unlifted++
			continue
		}
		lifted++
		g38, ok := sliceAt(s38, l.Chrom, l.Pos, len(r.ref))
		if !ok || g38 != l.Ref {
			t.Errorf("line %d %s:%d %s>%s lifts to %s:%d REF %s, GRCh38 slice has %q", r.line, r.chrom, r.pos, r.ref, r.alt, l.Chrom, l.Pos, l.Ref, g38)
			continue
		}
		if g38 != r.ref && g38 != r.alt {
			t.Errorf("line %d %s:%d %s>%s: GRCh38 %s:%d has %s, neither REF nor ALT", r.line, r.chrom, r.pos, r.ref, r.alt, l.Chrom, l.Pos, g38)
		}
		if l.RefChanged {
			refChanged++
		}
		es := byID[r.infoValue("MEASURESET_ID")]
		if len(es) == 0 {
			continue
		}
		withID++
		why := "a different variant"
		if len(r.alt) > len(r.ref) {
			why = "an insertion placed at another position (not the same sequence)"
		}
		for _, e := range es {
			if e.Chrom != l.Chrom {
				continue
			}
			for _, alt := range []string{r.alt, r.ref} {
				if alt == r.ref && !l.RefChanged {
					continue
				}
				a, ok1 := applied(s38, l.Chrom, l.Pos, l.Ref, alt, e.Pos)
				b, ok2 := applied(s38, e.Chrom, e.Pos, e.Ref, e.Alt, l.Pos)
				if ok1 && ok2 && a == b {
					why = ""
				}
			}
		}
		if why == "" {
			same++
			if e := es[0]; e.Pos != l.Pos || e.Ref != l.Ref {
				shifted++
			}
			continue
		}
		disagree[why]++
		if _, ok := examples[why]; !ok {
			examples[why] = fmt.Sprintf("%s:%d %s>%s id %s -> %s:%d %s>%s", r.chrom, r.pos, r.ref, r.alt, r.infoValue("MEASURESET_ID"), es[0].Chrom, es[0].Pos, es[0].Ref, es[0].Alt)
		}
	}
	t.Logf("ClinVar 2016 GRCh37: %d records; %d outside the GRCh37 slices (POLE), %d REF differs from the slice, %d not in one block, %d lifted (%d across a reference difference)",
		total, outside, refMismatch, unlifted, lifted, refChanged)
	t.Logf("same Variation ID in the GRCh38 ClinVar of the knowledge base: %d; the same variant: %d (%d of them written at another position of a repeat)", withID, same, shifted)
	for why, n := range disagree {
		t.Logf("  %d: %s (e.g. %s)", n, why, examples[why])
	}
	// The figures measured on the real files. All 15,043 records but POLE's 359 lie in
	// the slices, match the GRCh37 reference and lift; of the 10,978 whose Variation ID the
	// GRCh38 ClinVar releases also hold, 10,793 (98.3%) lift to exactly that record's
	// variant. The 185 others are all insertions that the 2016 file (macarthur-lab's
	// conversion of ClinVar's XML) places elsewhere than ClinVar 2024/2026 does: 124 one
	// base to the left, 38 two, 12 three, 1 four, 4 five, 1 six, 1 twenty-five, and 4 at the
	// same position with rotated inserted bases; applied to the sequence they give another
	// haplotype, so it is the 2016 record, not the map, that differs. Every SNV, deletion
	// and delins agrees.
	want := [...]int{15043, 359, 0, 0, 14684, 1, 10978, 10793}
	got := [...]int{total, outside, refMismatch, unlifted, lifted, refChanged, withID, same}
	if got != want {
		t.Errorf("records, outside, REF mismatch, unlifted, lifted, across a difference, with a GRCh38 Variation ID, same variant = %v, want %v", got, want)
	}
	if n := disagree["a different variant"]; n != 0 {
		t.Errorf("%d lifted records that are not insertions disagree with ClinVar GRCh38 (e.g. %s)", n, examples["a different variant"])
	}
}

// applied returns the GRCh38 sequence around a variant with the variant applied: the
// slice bases from 60 before the nearer of pos and other to 60 after the farther, with
// ref at pos replaced by alt. Two records are the same variant when they give the same
// sequence (whatever position of a repeat each writes an indel at).
func applied(slices map[string]slice, chrom string, pos int, ref, alt string, other int) (string, bool) {
	lo, hi := min(pos, other)-60, max(pos, other)+len(ref)+60
	window, ok := sliceAt(slices, chrom, lo, hi-lo)
	if !ok || pos+len(ref) > hi || window[pos-lo:pos-lo+len(ref)] != ref {
		return "", false
	}
	return window[:pos-lo] + alt + window[pos-lo+len(ref):], true
}

// TestLiftoverAPI exercises the lookups on the embedded map at the places the real data
// documents: a PGx marker, the BRCA1 indels, POLE's exon-model blocks and a position
// outside every slice.
func TestLiftoverAPI(t *testing.T) {
	l := testKB(t).Liftover
	for _, m := range testKB(t).Markers {
		if m.Kind != "pgx_variant" || !strings.HasPrefix(m.Name, "DPYD:") {
			continue
		}
		for _, chrom := range []string{"1", "chr1"} {
			if c, p, ok := l.To38(chrom, m.GRCh37Start); !ok || c != "chr1" || p != m.GRCh38Start {
				t.Errorf("To38(%s, %d) = %s %d %v, want chr1 %d", chrom, m.GRCh37Start, c, p, ok, m.GRCh38Start)
			}
		}
		if c, p, ok := l.To37("chr1", m.GRCh38Start); !ok || c != "chr1" || p != m.GRCh37Start {
			t.Errorf("To37(chr1, %d) = %s %d %v, want chr1 %d", m.GRCh38Start, c, p, ok, m.GRCh37Start)
		}
	}
	// Around each BRCA1 indel: the bases either side map, and an interval across it does not.
	var prev LiftBlock
	for _, b := range l.Blocks() {
		if b.Gene != "BRCA1" {
			continue
		}
		if prev.Len > 0 {
			if _, _, _, ok := l.Interval38(b.Chrom, prev.End37(), b.Start37); ok {
				t.Errorf("Interval38 across the indel after GRCh37 %d maps", prev.End37())
			}
			if _, ok := l.Lift("17", prev.End37()-1, "NNN"); ok && b.Start37-prev.End37() < 3 {
				t.Errorf("Lift across the indel after GRCh37 %d succeeded", prev.End37())
			}
		}
		prev = b
	}
	// POLE: mapped only by exon model, on the exons.
	pole := 0
	for _, b := range l.Blocks() {
		if b.Gene == "POLE" {
			pole++
			if b.Evidence != EvidenceExonModel {
				t.Errorf("POLE block %+v: evidence %q", b, b.Evidence)
			}
		}
	}
	if pole != 49 {
		t.Errorf("%d POLE blocks, want one per exon (49)", pole)
	}
	if _, _, ok := l.To38("1", 1000); ok {
		t.Error("chr1:1000 maps")
	}
}

// clinvar2016 is the path of ClinVar 2016 on GRCh37 in the shared data.
func clinvar2016(t testing.TB) string {
	return oracle.Dir(t) + "/clinvar/macarthur_clinvar_2016-09.b37.panel9.vcf.gz"
}

// TestRegions37 places the panel regions on GRCh37. Every CPIC DPYD position comes out,
// and the GRCh37 exons of the MANE transcripts in exon_models.tsv (BRCA1, BRCA2, MLH1) lie
// wholly in the mapped exon regions; what stays unmapped is POLE's splice padding and the
// parts of the regions outside the slices.
func TestRegions37(t *testing.T) {
	k := testKB(t)
	mapped, unmapped := k.Liftover.Regions37(k.RegionsFor())
	cpic := 0
	for _, r := range mapped {
		if r.Kind == KindCPICPosition {
			cpic++
		}
	}
	unmappedBases := map[string]int{}
	for _, r := range unmapped {
		unmappedBases[r.Gene+" "+r.Kind] += r.End - r.Start + 1
	}
	t.Logf("%d GRCh37 regions; unmapped GRCh38 bases by gene and kind: %v", len(mapped), unmappedBases)
	// Measured: PMS2's last 314 3'UTR bases (and their padding) are in neither build's
	// slice (the shared data's README says so for GRCh38); POLE is mapped on its exons only,
	// so its splice padding and one intronic ClinVar P/LP site are not.
	// The UGT1A1, TPMT and NUDT15 definition positions (issue 17) have no GRCh37 slice at
	// all: those genes are not covered on GRCh37 (annotate says so in the report).
	wantUnmapped := map[string]int{"PMS2 exon": 314, "PMS2 splice-padding": 20, "POLE splice-padding": 1960, "POLE clinvar-plp": 1,
		"UGT1A1 cpic-position": 6, "TPMT cpic-position": 43, "NUDT15 cpic-position": 25}
	if !reflect.DeepEqual(unmappedBases, wantUnmapped) {
		t.Errorf("unmapped bases %v, want %v", unmappedBases, wantUnmapped)
	}
	// The CPIC regions of the table: one per base run labelled cpic-position.
	want := 0
	for _, r := range k.RegionsFor("dpyd") {
		if r.Kind == KindCPICPosition {
			want++
		}
	}
	if cpic != want {
		t.Errorf("%d CPIC regions on GRCh37, %d on GRCh38", cpic, want)
	}
	// Each exon of the GRCh37 exon models lies in mapped exon regions.
	s37 := readSlices(t, "GRCh37")
	exons := 0
	for n, f := range oracle.DataLines(t, oracle.Dir(t)+"/genes/sequence/exon_models.tsv") {
		if f[3] != "GRCh37" || f[2] != "MANE" {
			continue
		}
		var start, end int
		fmt.Sscan(f[6], &start)
		fmt.Sscan(f[7], &end)
		if _, ok := sliceAt(s37, "chr"+strings.TrimLeft(strings.TrimPrefix(strings.Split(f[5], ".")[0], "NC_"), "0"), start, end-start+1); !ok {
			continue
		}
		exons++
		covered := 0
		for _, r := range mapped {
			if r.Gene == f[1] && (r.Kind == KindExon || r.Kind == KindCPICPosition || r.Kind == KindHotspot) {
				covered += max(0, min(r.End, end)-max(r.Start, start)+1)
			}
		}
		if covered != end-start+1 {
			t.Errorf("exon_models.tsv line %d: %s exon %s GRCh37 %d-%d: %d of %d bases in mapped exon regions", n, f[0], f[4], start, end, covered, end-start+1)
		}
	}
	if exons != 23+27+19 {
		t.Errorf("%d MANE GRCh37 exons checked, want 69 (BRCA1, BRCA2, MLH1)", exons)
	}
}

// TestFetch37 rebuilds GRCh37 bases from the GRCh38 genome and the map, and compares them
// with the GRCh37 slices of the shared data at every base of the knowledge base's GRCh37
// genome (panel exons ±50) and at the 83 CPIC positions.
func TestFetch37(t *testing.T) {
	k := testKB(t)
	s37 := readSlices(t, "GRCh37")
	compared, unknown := 0, 0
	for _, sp := range k.GRCh37.Spans() {
		for p := sp.Start; p <= sp.End; p++ {
			got, ok := k.Liftover.Fetch37(k.Genome, sp.Chrom, p, p)
			if !ok {
				unknown++
				continue
			}
			want, _ := sliceAt(s37, sp.Chrom, p, 1)
			if got != want {
				t.Fatalf("Fetch37(%s, %d) = %s, the GRCh37 slice has %s", sp.Chrom, p, got, want)
			}
			compared++
		}
	}
	if compared != k.GRCh37.Len() || unknown != 0 {
		t.Errorf("%d of the %d bases of the GRCh37 genome rebuilt, %d not reachable; want all", compared, k.GRCh37.Len(), unknown)
	}
	for _, v := range cpicPositions(t, k) {
		_, p37, _ := k.Liftover.To37("chr1", v.Position)
		got, ok := k.Liftover.Fetch37(k.Genome, "chr1", p37, p37+len(v.Ref)-1)
		want, _ := sliceAt(s37, "chr1", p37, len(v.Ref))
		if !ok || got != want {
			t.Errorf("%s: Fetch37(chr1, %d) = %q %v, the GRCh37 slice has %s", v.RSID, p37, got, ok, want)
		}
	}
}
