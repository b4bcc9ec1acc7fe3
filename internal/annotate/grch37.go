package annotate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/panel"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/sv"
	"github.com/precis-dx/precis/internal/vcf"
)

// GRCh37 input (issue 14). The knowledge base is on GRCh38; a GRCh37 record is placed on
// GRCh38 through the knowledge base's map of the panel genes (kb.Liftover, aligned by
// sequence from both builds' gene slices, never a constant offset) and then annotated as
// a GRCh38 record, so that the same DNA gets the same names, classification, DPYD call and
// tags on both builds. The report keeps the input's own coordinates (chrom, pos, ref,
// hgvs_g on the GRCh37 RefSeq accession) and says how every record was placed.
//
// Where the two builds' reference bases differ (DPYD c.85 rs1801265: GRCh37 C, GRCh38 T on
// the transcript), a GRCh37 caller writes the same genotype with REF and ALT exchanged: the
// record's alleles are re-listed against the GRCh38 reference and every genotype, AD and AF
// follows its allele. A gVCF reference block over such a position says the sample carries
// the GRCh37 base there, which on GRCh38 is a variant: the block is split and the position
// becomes a variant record.

// builds37 is what the annotator needs for GRCh37 input, built once in New.
type builds37 struct {
	lo       *kb.Liftover
	indexes  map[string]*panel.Index // GRCh37 panel regions, by comma-joined panel list
	unmapped []kb.Region             // GRCh38 panel regions (or parts) the map does not place on GRCh37
}

func newBuilds37(k *kb.KB, combos [][]string) *builds37 {
	if k.Liftover == nil {
		return nil
	}
	mapped, unmapped := k.Liftover.Regions37(k.Regions)
	b := &builds37{lo: k.Liftover, indexes: map[string]*panel.Index{}, unmapped: unmapped}
	for _, ps := range combos {
		b.indexes[strings.Join(ps, ",")] = panel.New(mapped, ps)
	}
	return b
}

// index37 returns the GRCh37 panel index of panels, nil when GRCh37 is not supported.
func (a *Annotator) index37(panels []string) *panel.Index {
	if a.b37 == nil {
		return nil
	}
	if ix, ok := a.b37.indexes[strings.Join(panels, ",")]; ok {
		return ix
	}
	mapped, _ := a.b37.lo.Regions37(a.kb.Regions)
	return panel.New(mapped, panels)
}

// geneSpans37 places the ordered genes' spans on GRCh37 (structural variants in introns).
func (a *Annotator) geneSpans37(spans geneSpans) geneSpans {
	if a.b37 == nil {
		return nil
	}
	var out geneSpans
	for _, g := range spans {
		c, s, ok1 := a.b37.lo.To37(g.chrom, g.start)
		_, e, ok2 := a.b37.lo.To37(g.chrom, g.end)
		if ok1 && ok2 && s <= e {
			out = append(out, geneSpan{chrom: c, start: s, end: e, gene: g.gene})
		}
	}
	return out
}

// fetch37 returns GRCh37 reference bases: from the GRCh37 exon sequence when it holds
// them, else rebuilt from GRCh38 through the map (kb.Liftover.Fetch37).
func (a *Annotator) fetch37(chrom string, start, end int) (string, bool) {
	if a.kb.GRCh37 != nil {
		if s, ok := a.kb.GRCh37.Fetch(chrom, start, end); ok {
			return s, true
		}
	}
	if a.b37 == nil {
		return "", false
	}
	return a.b37.lo.Fetch37(a.kb.Genome, chrom, start, end)
}

// lifted is what a record placed from GRCh37 on GRCh38 keeps of the input.
type lifted struct {
	orig    *vcf.Record
	fromRef []bool // per ALT of the placed record: the allele is the GRCh37 REF
	ref37   string // the GRCh37 reference bases over the placed REF span
	// approx names an end placed through the nearest block (structural variants only).
	approx string
}

// liftStats counts what placing a GRCh37 input did.
type liftStats struct {
	records, placed, exchanged, unplaced, split int
}

// liftKept places the kept records of a GRCh37 input on GRCh38. A record whose REF
// disagrees with GRCh37 is kept with refOK38 false (and not annotated, as on GRCh38); one
// the map cannot place is dropped with a warning and counted.
func (a *Annotator) liftKept(kept []keptRecord, rep *report.Report, qc *report.QC, at lines) ([]keptRecord, liftStats) {
	var out []keptRecord
	var st liftStats
	warned := 0
	unplaced := func(rec *vcf.Record, why string) {
		st.unplaced++
		if warned < maxLiftWarnings {
			rep.Input.Warnings = append(rep.Input.Warnings, fmt.Sprintf("%s: GRCh37 %s:%d %s: cannot be placed on GRCh38 (%s); record not annotated", at.at(rec.Line), rec.Chrom, rec.Pos, rec.Ref, why))
		} else if warned == maxLiftWarnings {
			rep.Input.Warnings = append(rep.Input.Warnings, "more GRCh37 records could not be placed on GRCh38; qc.skipped_unplaced counts them all")
		}
		warned++
	}
	lo := a.b37.lo
	for _, k := range kept {
		rec := k.rec
		st.records++
		end := rec.Pos + max(len(rec.Ref), 1) - 1
		// The REF as written must be the GRCh37 reference.
		if seq, ok := a.fetch37(k.chrom, rec.Pos, end); ok && !allN(rec.Ref) && rec.Ref != "" {
			if !strings.EqualFold(seq, rec.Ref) {
				out = append(out, keptRecord{rec: rec, chrom: k.chrom, refOK38: false, refSeq38: seq, refBuild: assembly.GRCh37})
				continue
			}
		}
		switch {
		case rec.IsRefBlock():
			pieces, diffs := a.liftBlock(k.chrom, rec)
			st.exchanged += diffs
			if len(pieces) == 0 {
				continue // a block wholly outside the map holds no GRCh38 panel base
			}
			if len(pieces) > 1 {
				st.split++
			}
			out = append(out, pieces...)
			st.placed++
		case hasSV(rec) && anySymbolic(rec):
			p, ok := a.liftSV(k.chrom, rec)
			if !ok {
				unplaced(rec, "its position lies outside the aligned GRCh37 gene slices")
				continue
			}
			out = append(out, p)
			st.placed++
		default:
			l, ok := lo.Lift(k.chrom, rec.Pos, rec.Ref)
			if !ok {
				unplaced(rec, "its REF span lies outside the aligned GRCh37 gene slices or across a sequence difference between GRCh37 and GRCh38")
				continue
			}
			p := *rec
			p.Chrom, p.Pos = l.Chrom, l.Pos
			p.End = rec.End + l.Pos - rec.Pos
			lf := &lifted{orig: rec, ref37: rec.Ref, fromRef: make([]bool, len(rec.Alts))}
			if l.RefChanged {
				lf.fromRef = exchange(&p, l.Ref) // p.Ref is still the GRCh37 REF
				st.exchanged++
			}
			nk := keptRecord{rec: &p, chrom: l.Chrom, refOK38: true, from37: lf}
			if seq, ok := a.kb.Genome.Fetch(l.Chrom, p.Pos, p.Pos+len(p.Ref)-1); ok && !allN(p.Ref) && !strings.EqualFold(seq, p.Ref) {
				// Only where the map has no GRCh37 sequence (POLE: exon models only) can
				// the placed REF disagree with GRCh38: a reference difference there is not
				// known, so the record is not annotated.
				nk.refOK38, nk.refSeq38, nk.refBuild = false, seq, "GRCh38 (placed from GRCh37; no GRCh37 sequence here to tell a reference difference from a wrong REF)"
			}
			out = append(out, nk)
			st.placed++
		}
	}
	qc.SkippedUnplaced = st.unplaced
	return out, st
}

// maxLiftWarnings bounds the per-record placement warnings of one report.
const maxLiftWarnings = 20

func anySymbolic(rec *vcf.Record) bool {
	for _, a := range rec.Alts {
		if vcf.IsSymbolic(a) && a != "<NON_REF>" && a != "<*>" {
			return true
		}
	}
	return false
}

// liftBlock places a gVCF reference block: cut to the map's blocks, and at every reference
// difference inside it a one-base record whose genotype carries the GRCh37 base (diffs
// counts those).
func (a *Annotator) liftBlock(chrom string, rec *vcf.Record) (out []keptRecord, diffs int) {
	lo := a.b37.lo
	c38, pieces := lo.Pieces38(chrom, rec.Pos, rec.End)
	emit := func(s37, e37, s38, e38 int) {
		if s37 > e37 {
			return
		}
		p := *rec
		p.Chrom, p.Pos, p.End = c38, s38, e38
		if b, ok := a.kb.Genome.Fetch(c38, s38, s38); ok {
			p.Ref = b
		} else {
			p.Ref = "N"
		}
		p.Info = setInfoEnd(rec.Info, e38)
		out = append(out, keptRecord{rec: &p, chrom: c38, refOK38: true, from37: &lifted{orig: rec, ref37: rec.Ref, fromRef: make([]bool, len(p.Alts))}})
	}
	for _, pc := range pieces {
		s37, s38 := pc.Start37, pc.Start38
		for pos38 := pc.Start38; pos38 <= pc.End38; pos38++ {
			d, ok := lo.RefDiff(c38, pos38)
			if !ok {
				continue
			}
			pos37 := pc.Start37 + pos38 - pc.Start38
			emit(s37, pos37-1, s38, pos38-1)
			p := *rec
			p.Chrom, p.Pos, p.End, p.Ref = c38, pos38, pos38, string(d.Base37)
			p.Info = setInfoEnd(rec.Info, pos38)
			fromRef := exchange(&p, string(d.Base38))
			o := *rec // the input's claim at this one GRCh37 position
			o.Pos, o.End, o.Ref = pos37, pos37, string(d.Base37)
			out = append(out, keptRecord{rec: &p, chrom: c38, refOK38: true, from37: &lifted{orig: &o, ref37: string(d.Base37), fromRef: fromRef}})
			s37, s38 = pos37+1, pos38+1
			diffs++
		}
		emit(s37, pc.End37, s38, pc.End38)
	}
	return out, diffs
}

// liftSV places a symbolic structural-variant record: POS through its block, END through
// its block or, beyond the gene slices, the nearest one (said in a warning on the finding).
func (a *Annotator) liftSV(chrom string, rec *vcf.Record) (keptRecord, bool) {
	lo := a.b37.lo
	c38, pos38, exact, ok := lo.Near38(chrom, rec.Pos)
	if !ok {
		return keptRecord{}, false
	}
	lf := &lifted{orig: rec, ref37: rec.Ref, fromRef: make([]bool, len(rec.Alts))}
	if !exact {
		lf.approx = fmt.Sprintf("POS %d", rec.Pos)
	}
	p := *rec
	p.Chrom, p.Pos = c38, pos38
	if b, ok := a.kb.Genome.Fetch(c38, pos38, pos38); ok && len(rec.Ref) == 1 && !allN(rec.Ref) {
		p.Ref = b
	}
	if rec.End != rec.Pos+len(rec.Ref)-1 {
		_, end38, exact, _ := lo.Near38(chrom, rec.End)
		if !exact {
			lf.approx = strings.TrimPrefix(lf.approx+fmt.Sprintf(" and END %d", rec.End), " and ")
		}
		p.End = max(end38, pos38)
		p.Info = setInfoEnd(rec.Info, p.End)
	} else {
		p.End = pos38 + len(p.Ref) - 1
	}
	return keptRecord{rec: &p, chrom: c38, refOK38: true, from37: lf}, true
}

// setInfoEnd writes END=end into an INFO column that has END (structural variants and
// gVCF blocks read their end from it); INFO without END is returned unchanged.
func setInfoEnd(info string, end int) string {
	parts := strings.Split(info, ";")
	for i, p := range parts {
		if strings.HasPrefix(p, "END=") {
			parts[i] = "END=" + strconv.Itoa(end)
			return strings.Join(parts, ";")
		}
	}
	return info
}

// exchange re-lists the alleles of rec, whose REF span holds a reference difference,
// against the GRCh38 reference ref38: the GRCh37 REF becomes an ALT (unless it is ref38),
// an ALT equal to ref38 becomes the REF, and each sample's GT, AD and AF follow their
// alleles. It returns, per new ALT, whether it is the GRCh37 REF.
func exchange(rec *vcf.Record, ref38 string) []bool {
	old := append([]string{rec.Ref}, rec.Alts...)
	alts := []string{}
	fromRef := []bool{}
	to := make([]int, len(old)) // old allele index -> new
	for i, al := range old {
		switch {
		case strings.EqualFold(al, ref38):
			to[i] = 0
		case al == "" && i > 0:
			to[i] = -1 // "." ALT: no allele
		default:
			j := -1
			for x, b := range alts {
				if b == al {
					j = x
				}
			}
			if j < 0 {
				alts = append(alts, al)
				fromRef = append(fromRef, i == 0)
				j = len(alts) - 1
			}
			to[i] = j + 1
		}
	}
	rec.Ref, rec.Alts = strings.ToUpper(ref38), alts
	samples := make([]vcf.Sample, len(rec.Samples))
	for si, s := range rec.Samples {
		n := s
		if s.GT != nil {
			n.GT = make([]int, len(s.GT))
			for h, g := range s.GT {
				n.GT[h] = g
				if g >= 0 && g < len(to) {
					n.GT[h] = to[g]
				}
			}
		}
		if len(s.AD) == len(old) {
			n.AD = make([]int, len(alts)+1)
			for i, d := range s.AD {
				if to[i] >= 0 {
					n.AD[to[i]] += d
				}
			}
		} else {
			n.AD = nil
		}
		n.Values = append([]string(nil), s.Values...)
		for ki, key := range s.Keys {
			if ki >= len(n.Values) {
				break
			}
			switch key {
			case "GT":
				n.Values[ki] = gtText(n.GT, s.Phased)
			case "AD":
				n.Values[ki] = intsText(n.AD)
			case "AF":
				n.Values[ki] = afText(s.Values[ki], to, len(alts))
			}
		}
		samples[si] = n
	}
	rec.Samples = samples
	return fromRef
}

func gtText(gt []int, phased bool) string {
	if gt == nil {
		return "."
	}
	sep := "/"
	if phased {
		sep = "|"
	}
	parts := make([]string, len(gt))
	for i, g := range gt {
		parts[i] = "."
		if g >= 0 {
			parts[i] = strconv.Itoa(g)
		}
	}
	return strings.Join(parts, sep)
}

func intsText(xs []int) string {
	if xs == nil {
		return "."
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// afText re-lists a Number=A allele-fraction value: an ALT that was the GRCh37 REF has no
// fraction in the input, so it is written ".".
func afText(v string, to []int, nalts int) string {
	old := strings.Split(v, ",")
	out := make([]string, nalts)
	for i := range out {
		out[i] = "."
	}
	for i, f := range old {
		if i+1 < len(to) && to[i+1] > 0 {
			out[to[i+1]-1] = f
		}
	}
	return strings.Join(out, ",")
}

// finding37 writes a finding made from a record placed from GRCh37 in the input's terms:
// its position and REF as written, hgvs_g on the GRCh37 RefSeq accession (the GRCh38 name
// kept in hgvs_g_grch38), and a warning where the GRCh37 reference carries the allele.
func (a *Annotator) finding37(f *report.Finding, k keptRecord, alt int) {
	lf := k.from37
	if lf == nil {
		return
	}
	o := lf.orig
	f.Chrom = k.chrom
	f.Pos, f.Ref = o.Pos, o.Ref
	symbolic := alt >= 1 && alt <= len(o.Alts) && vcf.IsSymbolic(o.Alts[alt-1])
	if f.SVType != "" && f.End != 0 {
		f.End += o.Pos - k.rec.Pos
		if symbolic {
			f.End = o.End
		}
		if lf.approx != "" {
			f.Warnings = append(f.Warnings, "GRCh37 "+lf.approx+" lies outside the aligned gene slices and was placed on GRCh38 through the nearest aligned block; the exons it reaches are those of the placed position")
		}
	}
	g38 := f.HGVSg
	f.HGVSgGRCh38 = g38
	if f.SVType != "" && symbolic {
		f.HGVSg = ""
		if acc, ok := hgvs.AccessionOn(assembly.GRCh37, k.chrom); ok {
			if c, err := sv.Parse(o, alt, nil); err == nil {
				f.HGVSg = sv.HGVSg(c, acc)
			}
		}
	} else {
		f.HGVSg = a.hgvsG37(f, k, alt)
	}
	if alt >= 1 && alt <= len(lf.fromRef) && lf.fromRef[alt-1] {
		f.Warnings = append(f.Warnings, fmt.Sprintf("the GRCh37 reference carries %s at %s:%d where GRCh38 carries %s: on GRCh37 this allele is the reference (%s); on GRCh38 and the MANE Select transcript it is the variant named here",
			lf.ref37, k.chrom, o.Pos, k.rec.Ref, f.HGVSg))
	}
	if f.HGVSg == "" && g38 != "" {
		f.Warnings = append(f.Warnings, "hgvs_g: the variant's sequence context crosses a difference between GRCh37 and GRCh38, so no GRCh37 name is given; hgvs_g_grch38 names it on GRCh38")
	}
}

// hgvsG37 names a finding's variant on the GRCh37 RefSeq chromosome. Where the GRCh38 name's
// span and the bases next to it lie in one block of the map with no reference difference,
// both builds hold the same sequence there and the name is the GRCh38 one moved by the
// block's offset (3' shifting sees the same bases). Where the span holds a reference
// difference the name is written from the GRCh37 record itself: "=" when the allele is the
// GRCh37 reference, else a substitution or deletion-insertion.
func (a *Annotator) hgvsG37(f *report.Finding, k keptRecord, alt int) string {
	acc, ok := hgvs.AccessionOn(assembly.GRCh37, k.chrom)
	if !ok || f.HGVSgGRCh38 == "" {
		return ""
	}
	lo := a.b37.lo
	_, desc, _ := strings.Cut(f.HGVSgGRCh38, ":g.")
	lo38, hi38, rest, ok := gSpan(desc)
	if !ok {
		return ""
	}
	first, last := lo38, hi38
	if len(f.Normalized.Ref) != 1 || len(f.Normalized.Alt) != 1 {
		// An insertion or deletion is shifted along a repeat: the bases beside the
		// left-aligned and the 3'-shifted placements must be the same on both builds.
		first, last = min(lo38, f.Normalized.Pos)-1, max(hi38, f.Normalized.Pos+len(f.Normalized.Ref))+1
	}
	_, s37, _, inOne := lo.Interval37(k.chrom, first, last)
	diff := false
	for p := first; p <= last; p++ {
		if _, ok := lo.RefDiff(k.chrom, p); ok {
			diff = true
			break
		}
	}
	if inOne && !diff {
		off := s37 - first
		name := strconv.Itoa(lo38 + off)
		if hi38 != lo38 {
			name += "_" + strconv.Itoa(hi38+off)
		}
		return acc + ":g." + name + rest
	}
	if !inOne {
		return ""
	}
	// A reference difference in the span: name the allele against the GRCh37 record, its
	// common bases trimmed (not shifted 3': the bases next to it differ between the builds).
	o := k.from37.orig
	allele := ""
	if alt >= 1 && alt <= len(k.rec.Alts) {
		allele = strings.ToUpper(k.rec.Alts[alt-1])
	}
	ref, start := strings.ToUpper(k.from37.ref37), o.Pos
	if ref == allele {
		return acc + ":g." + span37(start, start+len(ref)-1) + "="
	}
	for len(ref) > 0 && len(allele) > 0 && ref[0] == allele[0] {
		ref, allele, start = ref[1:], allele[1:], start+1
	}
	for len(ref) > 0 && len(allele) > 0 && ref[len(ref)-1] == allele[len(allele)-1] {
		ref, allele = ref[:len(ref)-1], allele[:len(allele)-1]
	}
	switch {
	case ref == "":
		return acc + ":g." + span37(start-1, start) + "ins" + allele
	case allele == "":
		return acc + ":g." + span37(start, start+len(ref)-1) + "del"
	case len(ref) == 1 && len(allele) == 1:
		return acc + ":g." + strconv.Itoa(start) + ref + ">" + allele
	}
	return acc + ":g." + span37(start, start+len(ref)-1) + "delins" + allele
}

// span37 writes an HGVS position or range.
func span37(s, e int) string {
	if e > s {
		return strconv.Itoa(s) + "_" + strconv.Itoa(e)
	}
	return strconv.Itoa(s)
}

// gSpan reads the leading position or range of an HGVS g. description ("123A>G",
// "123_125del", "123CTA[2]"): the positions and what follows them.
func gSpan(desc string) (lo, hi int, rest string, ok bool) {
	i := 0
	for i < len(desc) && desc[i] >= '0' && desc[i] <= '9' {
		i++
	}
	lo, err := strconv.Atoi(desc[:i])
	if err != nil {
		return 0, 0, "", false
	}
	hi, rest = lo, desc[i:]
	if strings.HasPrefix(rest, "_") {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if hi, err = strconv.Atoi(rest[1:j]); err != nil {
			return 0, 0, "", false
		}
		rest = rest[j:]
	}
	return lo, hi, rest, true
}

// lifted37 writes the findings of one ALT of k in the input's terms when k was placed from
// GRCh37 (finding37); findings of a GRCh38 input pass unchanged.
func (a *Annotator) lifted37(k keptRecord, alt int, fs []report.Finding) []report.Finding {
	if k.from37 == nil {
		return fs
	}
	for i := range fs {
		a.finding37(&fs[i], k, alt)
	}
	return fs
}

// liftoverNote is the report's account of placing a GRCh37 input, with the panel bases the
// map does not reach for the ordered genes.
func (a *Annotator) liftoverNote(st liftStats, panels []string) *report.Liftover {
	n := &report.Liftover{From: assembly.GRCh37, To: assembly.GRCh38,
		Method:  "knowledge base " + a.kb.Version + " " + kb.FileLiftover + ": the GRCh37 and GRCh38 slices of each panel gene aligned by sequence (every aligned base compared; POLE by its exon models on both builds, having no GRCh37 sequence)",
		Records: st.records, Placed: st.placed, AllelesExchanged: st.exchanged, Unplaced: st.unplaced, NotCovered: []string{}}
	bases := map[string]int{}
	kinds := map[string]map[string]bool{}
	var genes []string
	for _, r := range a.b37.unmapped {
		if !containsStr(panels, r.Panel) {
			continue
		}
		if _, ok := bases[r.Gene]; !ok {
			genes = append(genes, r.Gene)
			kinds[r.Gene] = map[string]bool{}
		}
		bases[r.Gene] += r.End - r.Start + 1
		kinds[r.Gene][r.Kind] = true
	}
	for _, g := range genes {
		var ks []string
		for _, k := range []string{"exon", "splice-padding", "cpic-position", "clinvar-plp", "hotspot"} {
			if kinds[g][k] {
				ks = append(ks, k)
			}
		}
		why := "outside the sequence-aligned slices"
		if g == "POLE" {
			why = "POLE has no GRCh37 sequence in the knowledge base: its exons are placed by exon models, the intronic splice padding and intronic sites are not"
		}
		if kb.PGxOnly(g) {
			why = "the knowledge base has no GRCh37 sequence or liftover of " + g + ": " + g + " is not called on GRCh37 input"
		}
		n.NotCovered = append(n.NotCovered, fmt.Sprintf("%s: %d GRCh38 panel bases (%s) not placed on GRCh37 (%s)", g, bases[g], strings.Join(ks, ", "), why))
	}
	return n
}

// inputRef gives, for a GRCh37 input, the GRCh37 base at every chr1 position (GRCh38
// coordinates) where the two builds' references differ, for the DPYD caller's missing
// policy "reference" (pgx.Options.InputRef); nil for GRCh38.
func (a *Annotator) inputRef(build string) map[int]string {
	if build != assembly.GRCh37 || a.b37 == nil {
		return nil
	}
	m := map[int]string{}
	for _, d := range a.b37.lo.RefDiffs() {
		if d.Chrom == "chr1" {
			m[d.Pos38] = string(d.Base37)
		}
	}
	return m
}

// liftInterval places a GRCh37 interval on GRCh38 for coverage.ReadBEDLifted.
func (a *Annotator) liftInterval(chrom string, start, end int) (string, [][2]int) {
	c, ps := a.b37.lo.Pieces38(chrom, start, end)
	out := make([][2]int, len(ps))
	for i, p := range ps {
		out[i] = [2]int{p.Start38, p.End38}
	}
	return c, out
}
