package build

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/vcf"
)

// liftover aligns each gene's GRCh37 slice to its GRCh38 slice (alignSlices), checks
// every aligned base against both slices, and cross-checks the map against the exon
// models of both builds, the build markers and the CPIC DPYD positions. Any disagreement
// fails the build with kb.ErrInconsistent, naming the gene, the positions and the bases.
func (b *builder) liftover() error {
	s37 := map[string]kb.Segment{}
	for _, s := range b.slices37 {
		s37[sliceGene(s)] = s
	}
	var blocks []kb.LiftBlock
	var diffs []kb.RefDiff
	for _, pg := range panelGenes() {
		var s38 kb.Segment
		found := false
		for _, s := range b.slices38 {
			if sliceGene(s) == pg.gene {
				s38, found = s, true
			}
		}
		a, ok := s37[pg.gene]
		if !found || !ok {
			continue // POLE: no genomic slice on either build
		}
		if a.Chrom != s38.Chrom {
			return fmt.Errorf("%w: %s: GRCh37 slice on %s, GRCh38 slice on %s", kb.ErrInconsistent, pg.gene, a.Chrom, s38.Chrom)
		}
		al, err := alignSlices(a.Seq, s38.Seq)
		if err != nil {
			return fmt.Errorf("%w: %s: align GRCh37 %s:%d to GRCh38: %v", kb.ErrInconsistent, pg.gene, a.Chrom, a.Start, err)
		}
		gb, gd, err := verifyAlignment(pg.gene, a, s38, al)
		if err != nil {
			return err
		}
		blocks, diffs = append(blocks, gb...), append(diffs, gd...)
		aligned := 0
		for _, x := range gb {
			aligned += x.Len
		}
		var indels []string
		for i := 1; i < len(gb); i++ {
			d37 := gb[i].Start37 - gb[i-1].End37() - 1
			d38 := gb[i].Start38 - gb[i-1].End38() - 1
			indels = append(indels, fmt.Sprintf("%s:%d/%d %d GRCh37-only, %d GRCh38-only bases", pg.gene, gb[i-1].End37(), gb[i-1].End38(), d37, d38))
		}
		note := "no indel"
		if len(indels) > 0 {
			note = fmt.Sprintf("%d indels between the builds (after GRCh37/GRCh38 position: %s)", len(indels), strings.Join(indels, "; "))
		}
		b.check("liftover %s: GRCh37 %s:%d-%d (%d bases) aligned to GRCh38 %s:%d-%d (%d bases) by sequence: %d blocks, %d bases aligned, every one compared; %d reference differences; %s",
			pg.gene, a.Chrom, a.Start, a.Start+len(a.Seq)-1, len(a.Seq), s38.Chrom, s38.Start, s38.Start+len(s38.Seq)-1, len(s38.Seq),
			len(gb), aligned, len(gd), note)
	}
	lo, err := kb.NewLiftover(blocks, diffs)
	if err != nil {
		return err
	}
	b.lift = lo
	steps := []func(*kb.Liftover) error{b.liftExonModels, b.liftEnsembl75, b.liftMarkers, b.liftCPIC, b.liftRefDiffs}
	for _, step := range steps {
		if err := step(lo); err != nil {
			return err
		}
	}
	// POLE's exon-model blocks join the map last: nothing above may rely on them.
	b.lift, err = kb.NewLiftover(append(blocks, b.poleBlocks...), diffs)
	return err
}

// sliceGene is the gene a slice's label names ("BRCA1 LRG-derived GRCh38 (...)").
func sliceGene(s kb.Segment) string {
	g, _, _ := strings.Cut(s.Label, " ")
	return g
}

// verifyAlignment turns the offsets of al into genomic blocks and reference differences
// and checks them against the slices independently of the aligner: every aligned base pair
// is equal unless it is a listed difference, whose bases must be the slices' bases; blocks
// never overlap and run forward on both builds.
func verifyAlignment(gene string, a, b kb.Segment, al alignment) ([]kb.LiftBlock, []kb.RefDiff, error) {
	isDiff := map[[2]int]bool{}
	var diffs []kb.RefDiff
	for _, d := range al.diffs {
		isDiff[[2]int{d.i, d.j}] = true
		diffs = append(diffs, kb.RefDiff{Gene: gene, Chrom: a.Chrom, Pos37: a.Start + d.i, Pos38: b.Start + d.j, Base37: a.Seq[d.i], Base38: b.Seq[d.j]})
	}
	var blocks []kb.LiftBlock
	seen := 0
	for n, x := range al.blocks {
		if x.n < 1 || x.i < 0 || x.j < 0 || x.i+x.n > len(a.Seq) || x.j+x.n > len(b.Seq) {
			return nil, nil, fmt.Errorf("%w: %s: liftover block %d outside the slices", kb.ErrInconsistent, gene, n+1)
		}
		if n > 0 {
			p := al.blocks[n-1]
			if x.i < p.i+p.n || x.j < p.j+p.n {
				return nil, nil, fmt.Errorf("%w: %s: liftover blocks %d and %d overlap", kb.ErrInconsistent, gene, n, n+1)
			}
		}
		for k := 0; k < x.n; k++ {
			i, j := x.i+k, x.j+k
			if a.Seq[i] == b.Seq[j] {
				continue
			}
			if !isDiff[[2]int{i, j}] {
				return nil, nil, fmt.Errorf("%w: %s: GRCh37 %s:%d is %c but the aligned GRCh38 %s:%d is %c, and the alignment does not list the difference",
					kb.ErrInconsistent, gene, a.Chrom, a.Start+i, a.Seq[i], b.Chrom, b.Start+j, b.Seq[j])
			}
			seen++
		}
		blocks = append(blocks, kb.LiftBlock{Gene: gene, Chrom: a.Chrom, Start37: a.Start + x.i, Start38: b.Start + x.j, Len: x.n, Evidence: kb.EvidenceSequence})
	}
	if seen != len(diffs) {
		return nil, nil, fmt.Errorf("%w: %s: the alignment lists %d reference differences, the slices differ at %d aligned positions", kb.ErrInconsistent, gene, len(diffs), seen)
	}
	return blocks, diffs, nil
}

// exonSpan is an exon's place on one build (1-based, inclusive).
type exonSpan struct {
	chrom      string
	start, end int
}

// liftExonModels maps every GRCh37 exon of exon_models.tsv onto the same transcript's
// GRCh38 exon: the same exon must come out, base for base.
func (b *builder) liftExonModels(lo *kb.Liftover) error {
	data, err := b.readString(srcExonModels)
	if err != nil {
		return err
	}
	type key struct {
		tx   string
		exon int
	}
	exons := map[string]map[key]exonSpan{"GRCh37": {}, "GRCh38": {}}
	var order []key
	err = kb.EachLine(data, func(n int, l string) error {
		f := strings.Split(l, "\t")
		if len(f) < 9 || f[0] == "transcript" {
			return nil
		}
		num, err1 := strconv.Atoi(f[4])
		s, err2 := strconv.Atoi(f[6])
		e, err3 := strconv.Atoi(f[7])
		chrom, ok := refseqChrom(f[5])
		if err1 != nil || err2 != nil || err3 != nil || !ok || exons[f[3]] == nil {
			return fmt.Errorf("%w: %s line %d", kb.ErrFormat, srcExonModels, n)
		}
		k := key{f[0] + " " + f[1], num}
		exons[f[3]][k] = exonSpan{chrom, s, e}
		if f[3] == "GRCh37" {
			order = append(order, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range order {
		e37, e38 := exons["GRCh37"][k], exons["GRCh38"][k]
		c, s, e, ok := lo.Interval38(e37.chrom, e37.start, e37.end)
		if !ok || c != e38.chrom || s != e38.start || e != e38.end {
			return fmt.Errorf("%w: %s exon %d: GRCh37 %s:%d-%d maps to %s:%d-%d (whole exon in one block: %v), exon_models.tsv has GRCh38 %s:%d-%d",
				kb.ErrInconsistent, k.tx, k.exon, e37.chrom, e37.start, e37.end, c, s, e, ok, e38.chrom, e38.start, e38.end)
		}
	}
	b.check("liftover: all %d GRCh37 exons of exon_models.tsv (%s) map onto the same transcript's GRCh38 exon, same length", len(order), "MANE BRCA1, BRCA2, MLH1 and the LRG transcripts of DPYD, MSH2, MSH6, PMS2, EPCAM")
	return nil
}

// liftEnsembl75 maps the Ensembl 75 GRCh37 exons onto the MANE GRCh38 exons of the panel
// transcripts. Internal exon boundaries must agree exactly; a transcript end (the 5' end of
// exon 1, the 3' end of the last exon) may differ, since Ensembl 75 and MANE annotate
// different UTR ends: those are listed in the checks. For POLE, which has no GRCh37
// sequence, the exons whose lengths agree become exon-model blocks of the map.
func (b *builder) liftEnsembl75(lo *kb.Liftover) error {
	data, err := b.readString(srcBED37)
	if err != nil {
		return err
	}
	byGene := map[string]map[int]exonSpan{}
	err = kb.EachLine(data, func(n int, l string) error {
		f := strings.Split(l, "\t")
		if len(f) < 7 {
			return fmt.Errorf("%w: %s line %d", kb.ErrFormat, srcBED37, n)
		}
		chrom, ok := vcf.CanonicalChrom(f[0])
		s0, err1 := strconv.Atoi(f[1])
		e, err2 := strconv.Atoi(f[2])
		_, num, ok2 := strings.Cut(f[3], "_exon")
		x, err3 := strconv.Atoi(num)
		if !ok || !ok2 || err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("%w: %s line %d: %q", kb.ErrFormat, srcBED37, n, l)
		}
		if byGene[f[6]] == nil {
			byGene[f[6]] = map[int]exonSpan{}
		}
		byGene[f[6]][x] = exonSpan{chrom, s0 + 1, e}
		return nil
	})
	if err != nil {
		return err
	}
	var ends []string
	var poleBlocks []kb.LiftBlock
	exact, total := 0, 0
	for _, pg := range panelGenes() {
		t := b.tx[pg.gene]
		e37s := byGene[pg.gene]
		if len(e37s) != len(t.Exons) {
			return fmt.Errorf("%w: %s: Ensembl 75 has %d exons, %s %d", kb.ErrInconsistent, pg.gene, len(e37s), t.ID, len(t.Exons))
		}
		for i, e38 := range t.Exons {
			num := i + 1
			e37, ok := e37s[num]
			if !ok || e37.chrom != t.Chrom {
				return fmt.Errorf("%w: %s: Ensembl 75 exon %d missing or on another contig", kb.ErrInconsistent, pg.gene, num)
			}
			total++
			// Which genomic end of the exon is a transcript end (may differ)?
			fiveEnd, threeEnd := num == 1, num == len(t.Exons)
			loFree, hiFree := fiveEnd && t.Strand > 0 || threeEnd && t.Strand < 0, fiveEnd && t.Strand < 0 || threeEnd && t.Strand > 0
			if pg.gene == "POLE" {
				if e37.end-e37.start == e38.End-e38.Start {
					poleBlocks = append(poleBlocks, kb.LiftBlock{Gene: "POLE", Chrom: t.Chrom, Start37: e37.start, Start38: e38.Start, Len: e38.End - e38.Start + 1, Evidence: kb.EvidenceExonModel})
					exact++
					continue
				}
				if loFree == hiFree {
					return fmt.Errorf("%w: POLE exon %d: GRCh37 %s:%d-%d (%d bp) and GRCh38 %d-%d (%d bp) differ in length",
						kb.ErrInconsistent, num, e37.chrom, e37.start, e37.end, e37.end-e37.start+1, e38.Start, e38.End, e38.End-e38.Start+1)
				}
				// A transcript-end exon: map the bases both models share, counted from
				// the splice site (the UTR end is where Ensembl 75 and MANE differ).
				n := min(e37.end-e37.start, e38.End-e38.Start) + 1
				blk := kb.LiftBlock{Gene: "POLE", Chrom: t.Chrom, Start37: e37.start, Start38: e38.Start, Len: n, Evidence: kb.EvidenceExonModel}
				if loFree {
					blk.Start37, blk.Start38 = e37.end-n+1, e38.End-n+1
				}
				poleBlocks = append(poleBlocks, blk)
				ends = append(ends, fmt.Sprintf("POLE exon %d (GRCh37 %d-%d, %d bp; GRCh38 %d-%d, %d bp; the %d bases next to the splice site mapped)",
					num, e37.start, e37.end, e37.end-e37.start+1, e38.Start, e38.End, e38.End-e38.Start+1, n))
				continue
			}
			_, s, okS := lo.To38(e37.chrom, e37.start)
			_, e, okE := lo.To38(e37.chrom, e37.end)
			if okS && okE && s == e38.Start && e == e38.End {
				if _, _, _, one := lo.Interval38(e37.chrom, e37.start, e37.end); !one {
					return fmt.Errorf("%w: %s exon %d: GRCh37 %s:%d-%d spans an indel between the builds", kb.ErrInconsistent, pg.gene, num, e37.chrom, e37.start, e37.end)
				}
				exact++
				continue
			}
			if (okS && s == e38.Start || loFree) && (okE && e == e38.End || hiFree) {
				ends = append(ends, fmt.Sprintf("%s exon %d (GRCh37 %d-%d maps to %s, MANE GRCh38 %d-%d)", pg.gene, num, e37.start, e37.end, mapped(okS, s, okE, e), e38.Start, e38.End))
				continue
			}
			return fmt.Errorf("%w: %s exon %d: GRCh37 %s:%d-%d maps to %s, MANE GRCh38 exon is %d-%d",
				kb.ErrInconsistent, pg.gene, num, e37.chrom, e37.start, e37.end, mapped(okS, s, okE, e), e38.Start, e38.End)
		}
	}
	b.poleBlocks = poleBlocks
	b.check("liftover: %d of the %d Ensembl 75 GRCh37 exons map onto their MANE GRCh38 exon with the same length (POLE by exon model: %d exons, no GRCh37 bases to compare); transcript ends that differ (Ensembl 75 vs MANE UTR ends): %s",
		exact, total, len(poleBlocks), strings.Join(ends, "; "))
	return nil
}

func mapped(okS bool, s int, okE bool, e int) string {
	f := func(ok bool, p int) string {
		if !ok {
			return "unmapped"
		}
		return strconv.Itoa(p)
	}
	return f(okS, s) + "-" + f(okE, e)
}

// liftMarkers checks the build-marker table against the map: every PGx rsID inside the
// slices maps from its GRCh37 to its GRCh38 position with the stated bases, and the BRCA1
// region said to be identical in both builds maps by the stated offset.
func (b *builder) liftMarkers(lo *kb.Liftover) error {
	ms, err := kb.ParseMarkers(string(b.markersRaw))
	if err != nil {
		return err
	}
	pgx, regions := 0, 0
	var spans []string
	for _, m := range ms {
		switch m.Kind {
		case "pgx_variant":
			c, p, ok := lo.To38(m.GRCh37Chrom, m.GRCh37Start)
			if !ok {
				continue // outside the slices (UGT1A1)
			}
			if c != m.GRCh38Chrom || p != m.GRCh38Start {
				return fmt.Errorf("%w: %s: %s GRCh37 %s:%d maps to %s:%d, the markers say %s:%d", kb.ErrInconsistent, srcMarkers, m.Name, m.GRCh37Chrom, m.GRCh37Start, c, p, m.GRCh38Chrom, m.GRCh38Start)
			}
			if err := b.checkBothBuilds(m.Name, m.GRCh37Chrom, m.GRCh37Start, m.RefGRCh37, m.RefGRCh38); err != nil {
				return err
			}
			pgx++
		case "region_sequence":
			c, s, e, ok := lo.Interval38(m.GRCh37Chrom, m.GRCh37Start, m.GRCh37End)
			if !ok || c != m.GRCh38Chrom || s != m.GRCh38Start || e != m.GRCh38End {
				return fmt.Errorf("%w: %s: %s GRCh37 %s:%d-%d maps to %s:%d-%d (one block: %v), the markers say %s:%d-%d", kb.ErrInconsistent, srcMarkers, m.Name,
					m.GRCh37Chrom, m.GRCh37Start, m.GRCh37End, c, s, e, ok, m.GRCh38Chrom, m.GRCh38Start, m.GRCh38End)
			}
			regions++
		case "gene_span":
			_, s, okS := lo.To38(m.GRCh37Chrom, m.GRCh37Start)
			_, e, okE := lo.To38(m.GRCh37Chrom, m.GRCh37End)
			if okS && okE && (s != m.GRCh38Start || e != m.GRCh38End) {
				spans = append(spans, fmt.Sprintf("%s %s (MANE %d-%d)", m.Name, mapped(okS, s, okE, e), m.GRCh38Start, m.GRCh38End))
			}
		}
	}
	b.check("liftover: %d PGx rsIDs of the build markers map from their GRCh37 to their GRCh38 position with the stated REF on both builds; %d region marker maps with the stated offset; Ensembl 75 gene spans mapped that differ from MANE's (UTR ends): %s",
		pgx, regions, strings.Join(spans, ", "))
	return nil
}

// checkBothBuilds checks that the GRCh37 slice holds ref37 at chrom:pos37 and that the GRCh38
// slice holds ref38 at its mapped position.
func (b *builder) checkBothBuilds(what, chrom string, pos37 int, ref37, ref38 string) error {
	c, s, e, ok := b.lift.Interval38(chrom, pos37, pos37+len(ref37)-1)
	if !ok {
		return fmt.Errorf("%w: %s: GRCh37 %s:%d-%d does not map to GRCh38 in one block", kb.ErrInconsistent, what, chrom, pos37, pos37+len(ref37)-1)
	}
	g37, ok37 := b.full37.Fetch(chrom, pos37, pos37+len(ref37)-1)
	g38, ok38 := b.g38.Fetch(c, s, e)
	if !ok37 || !ok38 || g37 != ref37 || g38 != ref38 {
		return fmt.Errorf("%w: %s: GRCh37 %s:%d is %q (want %s), GRCh38 %s:%d is %q (want %s)", kb.ErrInconsistent, what, chrom, pos37, g37, ref37, c, s, g38, ref38)
	}
	return nil
}

// liftCPIC maps the 83 CPIC DPYD positions to GRCh37 and checks the bases there: GRCh37
// holds the definition's GRCh38 REF unless the map lists a reference difference, whose
// GRCh37 base must then be one of the position's CPIC alleles.
func (b *builder) liftCPIC(lo *kb.Liftover) error {
	def, err := parseDPYDTranslation(b.translation)
	if err != nil {
		return err
	}
	var swapped []string
	for _, v := range def.Variants {
		chrom, _ := vcf.CanonicalChrom(v.Chromosome)
		end := v.Position + len(v.Ref) - 1
		c, s, e, ok := lo.Interval37(chrom, v.Position, end)
		if !ok {
			return fmt.Errorf("%w: %s: %s %s:%d-%d does not map to GRCh37 in one block", kb.ErrInconsistent, srcTranslation, v.RSID, chrom, v.Position, end)
		}
		g37, ok := b.full37.Fetch(c, s, e)
		if !ok {
			return fmt.Errorf("%w: %s: %s GRCh37 %s:%d-%d is not in the GRCh37 slices", kb.ErrInconsistent, srcTranslation, v.RSID, c, s, e)
		}
		want := []byte(v.Ref)
		for i := range want {
			if d, ok := lo.RefDiff(chrom, v.Position+i); ok {
				want[i] = d.Base37
			}
		}
		if g37 != string(want) {
			return fmt.Errorf("%w: %s: %s GRCh38 %s:%d %s maps to GRCh37 %s:%d, which holds %s", kb.ErrInconsistent, srcTranslation, v.RSID, chrom, v.Position, v.Ref, c, s, g37)
		}
		if g37 != v.Ref {
			if !slices.Contains(v.Alts, g37) {
				return fmt.Errorf("%w: %s: %s GRCh37 %s:%d holds %s, neither REF %s nor an ALT %v of the definition", kb.ErrInconsistent, srcTranslation, v.RSID, c, s, g37, v.Ref, v.Alts)
			}
			swapped = append(swapped, fmt.Sprintf("%s GRCh37 %s:%d %s = GRCh38 %s:%d ALT (REF %s)", v.RSID, c, s, g37, chrom, v.Position, v.Ref))
		}
	}
	b.check("liftover: all %d CPIC DPYD positions map to GRCh37 within one block; the GRCh37 bases equal the GRCh38 REF except at %d where GRCh37 carries the GRCh38 ALT: %s",
		len(def.Variants), len(swapped), strings.Join(swapped, "; "))
	return nil
}

// liftRefDiffs requires every reference difference inside the panel regions (exons and
// their splice padding, CPIC positions, ClinVar P/LP sites, hotspot codons) to be a known
// variant: a CPIC DPYD position whose alleles include both bases, or a GRCh38 ClinVar record
// at the position whose REF and ALT are the two bases. A difference nothing explains
// there is taken for an error in a sequence source and fails the build; differences
// outside the panels (introns, flanks) are listed in the checks.
func (b *builder) liftRefDiffs(lo *kb.Liftover) error {
	def, err := parseDPYDTranslation(b.translation)
	if err != nil {
		return err
	}
	cpic := map[int][]string{}
	for _, v := range def.Variants {
		if len(v.Ref) == 1 {
			cpic[v.Position] = append([]string{v.Ref}, v.Alts...)
		}
	}
	inPanels, outside := 0, 0
	for _, d := range lo.RefDiffs() {
		in := false
		for _, r := range b.regionList {
			if r.Contains(d.Chrom, d.Pos38) {
				in = true
				break
			}
		}
		if !in {
			outside++
			continue
		}
		b37, b38 := string(d.Base37), string(d.Base38)
		known := d.Chrom == "chr1" && slices.Contains(cpic[d.Pos38], b37) && slices.Contains(cpic[d.Pos38], b38)
		for _, e := range b.clinvarDB.At(d.Chrom, d.Pos38) {
			known = known || e.Ref == b38 && e.Alt == b37
		}
		if !known {
			return fmt.Errorf("%w: %s: GRCh37 %s:%d is %s, the aligned GRCh38 %s:%d is %s, inside the %s panel regions, and no CPIC allele or ClinVar record explains the difference",
				kb.ErrInconsistent, d.Gene, d.Chrom, d.Pos37, b37, d.Chrom, d.Pos38, b38, d.Gene)
		}
		inPanels++
	}
	b.check("liftover: %d reference differences inside the panel regions, each a known allele (CPIC or ClinVar); %d outside the panel regions (introns and flanks)", inPanels, outside)
	return nil
}
