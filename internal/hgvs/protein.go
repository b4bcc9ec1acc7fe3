package hgvs

import (
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/transcript"
)

// coding holds what protein naming needs of one transcript.
type coding struct {
	seq     string // spliced transcript, transcript strand, upper case; transcript.Unknown outside the CDS where the reference is not known
	cds0    int    // 0-based index in seq of the A of the start codon
	cdsEnd  int    // 0-based index in seq just past the stop codon
	protein string // translation of seq[cds0:cdsEnd], ending in '*'
}

// txEdit replaces seq[a:b] (0-based, half open, transcript orientation) by ins.
type txEdit struct {
	a, b int
	ins  string
}

func (e txEdit) delta() int { return len(e.ins) - (e.b - e.a) }

// pure reports whether the edit only inserts or only deletes bases.
func (e txEdit) pure() bool { return e.a == e.b || e.ins == "" }

// effect is the protein-level reading of an exonic edit.
type effect struct {
	hgvsp string   // "p.(...)", or "" for non-coding changes
	terms []string // Sequence Ontology terms
}

// aa writes amino acid i (0-based) of the reference protein as "Arg226".
func (c *coding) aa(i int) string {
	return transcript.ThreeLetter(c.protein[i]) + strconv.Itoa(i+1)
}

// span writes amino acids i..j (0-based, inclusive) as "Lys618" or "Lys618_Ala620".
func (c *coding) span(i, j int) string {
	if i == j {
		return c.aa(i)
	}
	return c.aa(i) + "_" + c.aa(j)
}

func threeLetters(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString(transcript.ThreeLetter(s[i]))
	}
	return b.String()
}

// altProtein translates the transcript carrying e from the start codon up to and
// including the first stop. When there is none before the end of the transcript or the
// first unknown base, the result has no '*' and the new C-terminus is not known (HGVS
// writes "?" for it). Codons before the edit are the reference's; after an in-frame edit
// they are the reference's again, so only the codons around the edit are translated.
func (c *coding) altProtein(e txEdit) string {
	k0 := (e.a - c.cds0) / 3
	if k0 >= len(c.protein) {
		return c.protein // the edit lies past the stop codon
	}
	head := c.seq[c.cds0+3*k0:e.a] + e.ins // alt bases from codon k0 up to the rest of the reference
	rest := c.seq[e.b:]
	at := func(i int) (byte, bool) { // i-th alt base from codon k0
		if i < len(head) {
			return head[i], true
		}
		if i-len(head) < len(rest) && rest[i-len(head)] != transcript.Unknown {
			return rest[i-len(head)], true
		}
		return 0, false
	}
	q := make([]byte, k0, len(c.protein)+8)
	copy(q, c.protein[:k0])
	delta := e.delta()
	var codon [3]byte
	for j := k0; ; j++ {
		off := 3 * (j - k0)
		if delta%3 == 0 && off >= len(head) && j-delta/3 < len(c.protein) {
			// Past an in-frame edit: the reference codons follow.
			return string(q) + c.protein[j-delta/3:]
		}
		for x := range codon {
			b, ok := at(off + x)
			if !ok {
				return string(q)
			}
			codon[x] = b
		}
		aa := transcript.Codon(string(codon[:]))
		q = append(q, aa)
		if aa == '*' {
			return string(q)
		}
	}
}

// justify returns the whole stretch of seq over which a pure insertion or deletion can
// be placed (SPDI full justification, https://www.ncbi.nlm.nih.gov/variation/notation/):
// seq[l:r] is replaced by alt. The stretch ends at an unknown base.
func (e txEdit) justify(seq string) (l, r int, alt string) {
	a, b, ins := e.a, e.b, e.ins
	if a == b { // insertion before seq[a]; an inserted base is never transcript.Unknown
		for a > 0 && seq[a-1] == ins[len(ins)-1] {
			ins = ins[len(ins)-1:] + ins[:len(ins)-1]
			a--
		}
		r, rot := a, ins
		for r < len(seq) && seq[r] == rot[0] {
			rot = rot[1:] + rot[:1]
			r++
		}
		return a, r, ins + seq[a:r]
	}
	for a > 0 && seq[a-1] == seq[b-1] && seq[a-1] != transcript.Unknown {
		a--
		b--
	}
	r = b
	for r < len(seq) && seq[r] == seq[r-(b-a)] && seq[r] != transcript.Unknown {
		r++
	}
	return a, r, seq[b:r]
}

// proteinEffect names the effect of an exonic edit on the protein. lo and hi (0-based,
// inclusive, transcript) are the bases its c. name spans (hi = lo-1 for an insertion
// that is not a duplication, placed before base lo): they decide whether the change is
// in an UTR or touches the start or stop codon. The naming follows HGVS
// (https://hgvs-nomenclature.org/stable/recommendations/protein/) and, where HGVS leaves
// a choice, the names ClinVar gives (NCBI Variation Services), checked against ClinVar's
// MLH1 names in the tests:
//   - a frameshift whose first changed amino acid is a stop is written as the insertion of
//     a stop after the last unchanged amino acid, p.(Lys33_Glu34insTer), when bases are
//     lost, and as a nonsense substitution, p.(Tyr173Ter), when bases are gained;
//   - a pure insertion or deletion whose new stop codon lies within the inserted bases is
//     a deletion-insertion, p.(Ile419delinsCysHisArgGlyTer), not a frameshift; a
//     deletion-insertion stays a frameshift (MLH1 c.1383_1385delinsTT p.Lys461fs);
//   - an in-frame insertion is a duplication only when its codons copy the codons before
//     it, p.(Glu703dup), otherwise an insertion, p.(Leu564_Ile565insLeu).
func (c *coding) proteinEffect(e txEdit, lo, hi int) effect {
	cds0, cdsEnd := c.cds0, c.cdsEnd
	switch {
	case hi < cds0:
		return effect{terms: []string{"5_prime_UTR_variant"}}
	case lo >= cdsEnd:
		return effect{terms: []string{"3_prime_UTR_variant"}}
	case lo < cds0+3:
		// HGVS: the consequence of changing the translation initiation codon cannot be
		// predicted, p.(Met1?).
		terms := []string{"start_lost"}
		if lo < cds0 {
			terms = append(terms, "5_prime_UTR_variant")
		}
		return effect{hgvsp: "p.(Met1?)", terms: terms}
	}
	q := c.altProtein(e)
	p := c.protein
	i := 0
	for i < len(p) && i < len(q) && p[i] == q[i] {
		i++
	}
	delta := e.delta()
	switch {
	case i == len(p) && len(q) == len(p):
		// No amino acid changes. Name the codons the variant touches.
		first := (lo - cds0) / 3
		last := min(max(hi-cds0, lo-cds0)/3, len(p)-1)
		if p[last] == '*' {
			return effect{hgvsp: "p.(" + c.aa(len(p)-1) + "=)", terms: []string{"stop_retained_variant"}}
		}
		return effect{hgvsp: "p.(" + c.span(first, last) + "=)", terms: []string{"synonymous_variant"}}
	case i >= len(q):
		// The variant transcript ends before the protein does; nothing to name.
		return effect{terms: []string{"coding_sequence_variant"}}
	case i < len(p) && p[i] == '*':
		return c.extension(i, q, delta)
	}
	if delta%3 != 0 {
		return c.frameshift(e, i, q)
	}
	return c.inframe(e, q)
}

// extension names a change of the stop codon at protein position i (0-based) to an
// amino acid: p.(Ter757GlnextTer12), or extTer? when no new stop is reached.
func (c *coding) extension(i int, q string, delta int) effect {
	n := "?"
	if strings.HasSuffix(q, "*") {
		n = strconv.Itoa(len(q) - i) // the first new amino acid counts as 1
	}
	terms := []string{"stop_lost"}
	if delta%3 != 0 {
		terms = []string{"frameshift_variant", "stop_lost"}
	}
	return effect{hgvsp: "p.(" + c.aa(i) + transcript.ThreeLetter(q[i]) + "extTer" + n + ")", terms: terms}
}

// frameshift names a frameshift whose first changed amino acid is at i (0-based).
func (c *coding) frameshift(e txEdit, i int, q string) effect {
	p := c.protein
	stop := -1
	if strings.HasSuffix(q, "*") {
		stop = len(q) - 1
	}
	if e.pure() && stop >= 0 {
		l, r, alt := e.justify(c.seq)
		if len(alt) > 0 && stop <= (l+len(alt)-1-c.cds0)/3 {
			// The new stop lies within the inserted bases.
			rc0, rc1 := (l-c.cds0)/3, min((r-1-c.cds0)/3, len(p)-1)
			refw, altw := p[rc0:rc1+1], q[(l-c.cds0)/3:stop+1]
			j := 0
			for j < len(refw) && j < len(altw) && refw[j] == altw[j] {
				j++
			}
			s := rc0 + j
			refw, altw = refw[j:], altw[j:]
			if refw == "" {
				// The frameshift changes the next amino acid anyway.
				refw = p[s : s+1] // s <= i < len(p)
			}
			terms := []string{"stop_gained", "frameshift_variant"}
			switch {
			case len(refw) == 1 && altw == "*" && e.delta() > 0:
				return effect{hgvsp: "p.(" + c.aa(s) + "Ter)", terms: terms}
			case len(refw) == 1 && altw == "*" && s > 0:
				return effect{hgvsp: "p.(" + c.aa(s-1) + "_" + c.aa(s) + "insTer)", terms: terms}
			}
			return effect{hgvsp: "p.(" + c.span(s, s+len(refw)-1) + "delins" + threeLetters(altw) + ")", terms: terms}
		}
	}
	if q[i] == '*' {
		terms := []string{"stop_gained", "frameshift_variant"}
		if i == 0 {
			return effect{hgvsp: "p.(" + c.aa(0) + "Ter)", terms: terms}
		}
		return effect{hgvsp: "p.(" + c.aa(i-1) + "_" + c.aa(i) + "insTer)", terms: terms}
	}
	n := "?"
	if stop >= 0 {
		n = strconv.Itoa(stop - i + 1) // the first changed amino acid counts as 1
	}
	return effect{hgvsp: "p.(" + c.aa(i) + transcript.ThreeLetter(q[i]) + "fsTer" + n + ")", terms: []string{"frameshift_variant"}}
}

// inframe names an in-frame change. The codons the edit touches are compared first as
// bases, then as amino acids; insertions are checked for being duplications before they
// are moved to their most C-terminal place (HGVS 3' rule for proteins).
func (c *coding) inframe(e txEdit, q string) effect {
	p := c.protein
	// Codon-aligned window around the edit.
	cs := c.cds0 + (e.a-c.cds0)/3*3
	ce := min(c.cds0+(max(e.b, e.a)-c.cds0+2)/3*3, len(c.seq))
	refNt := c.seq[cs:ce]
	altNt := c.seq[cs:e.a] + e.ins + c.seq[e.b:ce]
	// Trim whole codons equal as bases.
	k := (cs - c.cds0) / 3 // protein index of refNt's first codon
	for len(refNt) >= 3 && len(altNt) >= 3 && refNt[:3] == altNt[:3] {
		refNt, altNt, k = refNt[3:], altNt[3:], k+1
	}
	for len(refNt) >= 3 && len(altNt) >= 3 && refNt[len(refNt)-3:] == altNt[len(altNt)-3:] {
		refNt, altNt = refNt[:len(refNt)-3], altNt[:len(altNt)-3]
	}
	ref, alt := transcript.Translate(refNt), transcript.Translate(altNt)
	delta := e.delta()
	var terms []string
	switch {
	case delta > 0:
		terms = []string{"inframe_insertion"}
	case delta < 0:
		terms = []string{"inframe_deletion"}
	default:
		terms = []string{"missense_variant"}
	}
	if strings.Contains(ref, "*") {
		// The stop codon is touched: compare the whole proteins, the variant one read
		// into the 3' UTR up to its first stop.
		i := 0
		for i < len(p) && i < len(q) && p[i] == q[i] {
			i++
		}
		if i >= len(p) {
			return effect{terms: []string{"stop_retained_variant"}}
		}
		r, a := p[i:], q[i:]
		for len(r) > 0 && len(a) > 0 && r[len(r)-1] == a[len(a)-1] {
			r, a = r[:len(r)-1], a[:len(a)-1]
		}
		if !strings.HasSuffix(q, "*") {
			// The stop codon is lost and no new one is known: the new C-terminus (and
			// so which amino acids the edit changes) cannot be named.
			return effect{terms: append([]string{"stop_lost"}, terms...)}
		}
		switch {
		case r == "":
			return effect{terms: terms}
		case a == "":
			return effect{hgvsp: "p.(" + c.span(i, i+len(r)-1) + "del)", terms: terms}
		case len(r) == 1 && len(a) == 1:
			return effect{hgvsp: "p.(" + c.aa(i) + transcript.ThreeLetter(a[0]) + ")", terms: terms}
		}
		return effect{hgvsp: "p.(" + c.span(i, i+len(r)-1) + "delins" + threeLetters(a) + ")", terms: terms}
	}
	if j := strings.IndexByte(alt, '*'); j >= 0 {
		alt = alt[:j+1]
		// Amino acids unchanged at the start of the window.
		n := 0
		for n < len(ref) && n < len(alt) && ref[n] == alt[n] {
			n++
		}
		s, r, a := k+n, ref[n:], alt[n:]
		// A stop is not an amino acid: a same-length change that brings one is
		// stop_gained, not also missense_variant (Ensembl VEP's missense_variant
		// excludes stop_gained); an in-frame insertion or deletion keeps its term.
		if delta == 0 {
			terms = []string{"stop_gained"}
		} else {
			terms = append([]string{"stop_gained"}, terms...)
		}
		switch {
		case len(r) == 1 && a == "*":
			return effect{hgvsp: "p.(" + c.aa(s) + "Ter)", terms: terms}
		case r == "":
			return effect{hgvsp: "p.(" + c.aa(s-1) + "_" + c.aa(s) + "ins" + threeLetters(a) + ")", terms: terms}
		}
		return effect{hgvsp: "p.(" + c.span(s, s+len(r)-1) + "delins" + threeLetters(a) + ")", terms: terms}
	}
	// Trim equal amino acids.
	n := 0
	for n < len(ref) && n < len(alt) && ref[n] == alt[n] {
		n++
	}
	s, r, a := k+n, ref[n:], alt[n:]
	for len(r) > 0 && len(a) > 0 && r[len(r)-1] == a[len(a)-1] {
		r, a = r[:len(r)-1], a[:len(a)-1]
	}
	switch {
	case r == "" && a == "":
		return effect{hgvsp: "p.(" + c.aa(k) + "=)", terms: []string{"synonymous_variant"}}
	case r == "":
		// Insertion between s-1 and s.
		if s >= len(a) && p[s-len(a):s] == a {
			x, y := s-len(a), s-1
			for y+1 < len(p) && p[y+1] == p[x] && p[y+1] != '*' {
				x, y = x+1, y+1
			}
			return effect{hgvsp: "p.(" + c.span(x, y) + "dup)", terms: terms}
		}
		for s < len(p) && p[s] == a[0] && p[s] != '*' {
			a = a[1:] + a[:1]
			s++
		}
		if s == 0 {
			return effect{terms: terms}
		}
		return effect{hgvsp: "p.(" + c.aa(s-1) + "_" + c.aa(s) + "ins" + threeLetters(a) + ")", terms: terms}
	case a == "":
		x, y := s, s+len(r)-1
		for y+1 < len(p) && p[y+1] == p[x] {
			x, y = x+1, y+1
		}
		return effect{hgvsp: "p.(" + c.span(x, y) + "del)", terms: terms}
	case len(r) == 1 && len(a) == 1:
		return effect{hgvsp: "p.(" + c.aa(s) + transcript.ThreeLetter(a[0]) + ")", terms: terms}
	}
	return effect{hgvsp: "p.(" + c.span(s, s+len(r)-1) + "delins" + threeLetters(a) + ")", terms: terms}
}
