package pgx

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/precis-dx/precis/internal/variant"
)

// Named-allele genes: TPMT, NUDT15 and UGT1A1 are data (PharmCAT's {GENE}_translation.json and
// {GENE}_phenotype.json) called by one method, PharmCAT's NamedAlleleMatcher
// (docs/methods/NamedAlleleMatcher-101.md, PharmCAT v3.1.1 @5431bf1):
//
//   - a null cell of the definition is the reference base there ("any non-reference named
//     allele that does not contain a base call for a given position ... will default to the
//     reference row's base call");
//   - an allele's score is the number of positions it defines; the reference allele defines
//     them all; a diplotype scores the sum of its two alleles;
//   - a position the sample does not cover is dropped from every definition ("Missing
//     Positions"): scores count only the tested positions, and an allele none of whose
//     defining positions is tested can never be matched ("*5 could never be matched");
//   - phased data give one diplotype per phase arrangement; unphased heterozygous positions
//     are enumerated (every arrangement of the genotypes), each haplotype is matched to every
//     named allele it equals, and every consistent pair is a candidate; candidates are
//     sorted by score, highest first (PharmCAT's pipeline reports the highest-scoring ones,
//     its tests assert the whole list: tests/EXPECTED_ONCO.md);
//   - a combination allele of the definition (UGT1A1 "*80+*28") is a named allele like any
//     other; TPMT *3A (*3B + *3C in cis) outscores *3B/*3C (Disclaimers.md item 8, Table 1);
//   - a partial genotype ("0/.") at a position is treated as missing; a partial ALT call
//     ("1/.") prevents a diplotype call (NamedAlleleMatcher-101, "Partial Genotypes");
//   - an ALT the definition does not know at one of its positions makes the gene "Not
//     called", except for the genes whose variation affects drug toxicity, where it is set
//     to reference (NamedAlleleMatcher-101, "Undocumented Variations": DPYD, NUDT15, TPMT
//     among them; UGT1A1 is not);
//   - the phenotype is the phenotype table's row for the diplotype's two alleles
//     ({GENE}_phenotype.json "diplotypes"); there is no activity score.
//
// Alleles are compared in normalised form (trimmed, VCF anchor base; left-aligned where the
// caller had sequence), so a multi-allelic record in any ALT order, a longer REF or a
// missing rsID is read through its own ALT list: the UGT1A1 TA repeat rs3064744 written
// CAT>CATAT,C,CATATAT with ID "." is the definition's CAT>C,CATAT,CATATAT.

// Genes lists the genes pgx calls, in report order: DPYD (activity-score method), then the
// named-allele genes.
var Genes = []string{"DPYD", "UGT1A1", "TPMT", "NUDT15"}

// undocumentedAsReference lists the genes whose undocumented alleles PharmCAT sets to
// reference (NamedAlleleMatcher-101, "Undocumented Variations"; Disclaimers.md).
var undocumentedAsReference = map[string]bool{"DPYD": true, "NUDT15": true, "TPMT": true, "CACNA1S": true, "G6PD": true, "RYR1": true}

// maxUnphasedBlocks bounds how many independently phased blocks (each unphased heterozygous
// position is one) are enumerated: 2^(n-1) arrangements. Beyond it no call is made.
const maxUnphasedBlocks = 16

// srcMatcher names the calling method of the named-allele genes.
const srcMatcher = "PharmCAT v3.1.1 (@5431bf1) NamedAlleleMatcher: named-allele matching, scoring by defined positions, missing positions dropped, unphased candidates enumerated (docs NamedAlleleMatcher-101, Disclaimers item 8)"

// geneSources lists the guideline sources of each named-allele gene's allele functions and
// phenotypes.
var geneSources = map[string][]string{
	"TPMT": {
		"CPIC guideline for thiopurines and TPMT and NUDT15 (Relling et al., Clin Pharmacol Ther 2019;105:1095-1105, PMID 30447069); https://cpicpgx.org/guidelines/guideline-for-thiopurines-and-tpmt/",
		"DPWG guidelines azathioprine, mercaptopurine and thioguanine with TPMT (Dutch Pharmacogenetics Working Group; texts via PharmCAT guideline annotations)",
	},
	"NUDT15": {
		"CPIC guideline for thiopurines and TPMT and NUDT15 (Relling et al., Clin Pharmacol Ther 2019;105:1095-1105, PMID 30447069); https://cpicpgx.org/guidelines/guideline-for-thiopurines-and-tpmt/",
		"DPWG guidelines azathioprine, mercaptopurine and thioguanine with NUDT15 (Dutch Pharmacogenetics Working Group; texts via PharmCAT guideline annotations)",
	},
	"UGT1A1": {
		"CPIC UGT1A1 allele function and diplotype-phenotype tables (CPIC guideline for atazanavir and UGT1A1, Gammal et al., Clin Pharmacol Ther 2016;99:363-369, PMID 26417955, with later CPIC table updates)",
		"DPWG guideline irinotecan and UGT1A1 (Hulshof et al., Eur J Hum Genet 2022;30:1114-1120, PMID 34782755)",
	},
}

// starAllele is one named allele of a named-allele gene.
type starAllele struct {
	name     string
	ref      bool
	at       []string // per position: the VCF allele the definition gives, "" for null (reference)
	function string   // CPIC function from the phenotype file, "" when the file has none
}

// matcher is a loaded named-allele gene. Read-only after loading.
type matcher struct {
	gene     string
	layout                // positions, their ALTs (as written and normalised like the sites), index
	alleles  []starAllele // alleles[0] is the reference allele
	pheno    map[string]string
	asRef    bool // undocumented alleles are set to reference
	versions [2]string
}

// loadMatcher parses and validates a named-allele gene's definition and phenotype table.
func loadMatcher(phenotype []byte, tf *translationFile) (*matcher, error) {
	var pf phenotypeFile
	if err := decodeJSON(tf.Gene+" phenotype", phenotype, &pf); err != nil {
		return nil, err
	}
	if pf.Gene != tf.Gene {
		return nil, fmt.Errorf("%w: gene is %q (translation) and %q (phenotype)", ErrDefinition, tf.Gene, pf.Gene)
	}
	if !strings.HasPrefix(tf.GenomeBuild, "GRCh38") {
		return nil, fmt.Errorf("%w: %s: genome build %q, want GRCh38", ErrDefinition, tf.Gene, tf.GenomeBuild)
	}
	m := &matcher{gene: tf.Gene, layout: layout{chrom: tf.Chromosome, index: map[int]int{}}, pheno: map[string]string{},
		asRef: undocumentedAsReference[tf.Gene], versions: [2]string{tf.Version, pf.Version}}
	if len(tf.Variants) == 0 {
		return nil, fmt.Errorf("%w: %s: no variants", ErrDefinition, tf.Gene)
	}
	for i, v := range tf.Variants {
		rs := v.rsid()
		where := fmt.Sprintf("%s variant %d (%s:%d)", tf.Gene, i+1, v.Chromosome, v.Position)
		switch {
		case v.Chromosome != tf.Chromosome:
			return nil, fmt.Errorf("%w: %s: chromosome %q, definition is on %q", ErrDefinition, where, v.Chromosome, tf.Chromosome)
		case v.Position < 1 || i > 0 && v.Position <= tf.Variants[i-1].Position:
			return nil, fmt.Errorf("%w: %s: position out of order", ErrDefinition, where)
		case !variant.IsACGT(v.Ref) || len(v.Alts) == 0:
			return nil, fmt.Errorf("%w: %s: REF %q, %d ALTs", ErrDefinition, where, v.Ref, len(v.Alts))
		}
		var norm []Allele
		for _, a := range v.Alts {
			if !variant.IsACGT(a) || a == v.Ref {
				return nil, fmt.Errorf("%w: %s: ALT %q", ErrDefinition, where, a)
			}
			n := variant.Normalize(variant.Variant{Chrom: v.Chromosome, Pos: v.Position, Ref: v.Ref, Alt: a}, nil)
			norm = append(norm, Allele{Pos: n.Pos, Ref: n.Ref, Alt: n.Alt})
		}
		if rs == "" {
			rs = fmt.Sprintf("%s:%d", v.Chromosome, v.Position) // PharmCAT names rsID-less positions by place
		}
		m.index[v.Position] = i
		m.positions = append(m.positions, Position{Chrom: v.Chromosome, Pos: v.Position, RSID: rs, Ref: v.Ref,
			Alt: strings.Join(v.Alts, ","), GDNA: v.HGVS})
		m.alts = append(m.alts, v.Alts)
		m.norm = append(m.norm, norm)
	}
	functions := map[string]string{}
	for _, a := range pf.NamedAlleles {
		functions[a.Name] = a.FunctionValue
	}
	seen := map[string]bool{}
	for _, na := range tf.NamedAlleles {
		if len(na.Alleles) != len(m.positions) {
			return nil, fmt.Errorf("%w: %s allele %q has %d alleles for %d positions", ErrDefinition, tf.Gene, na.Name, len(na.Alleles), len(m.positions))
		}
		if seen[na.Name] {
			return nil, fmt.Errorf("%w: %s allele %q defined twice", ErrDefinition, tf.Gene, na.Name)
		}
		seen[na.Name] = true
		a := starAllele{name: na.Name, ref: na.Reference, at: make([]string, len(m.positions)), function: functions[na.Name]}
		defined := 0
		for i, s := range na.Alleles {
			if s == nil {
				if na.Reference {
					return nil, fmt.Errorf("%w: %s reference allele %q has no base at %s", ErrDefinition, tf.Gene, na.Name, m.positions[i].RSID)
				}
				continue
			}
			switch {
			case na.Reference && *s != m.positions[i].Ref:
				return nil, fmt.Errorf("%w: %s reference allele %q at %s is %s, not REF %s", ErrDefinition, tf.Gene, na.Name, m.positions[i].RSID, *s, m.positions[i].Ref)
			case !na.Reference && !slices.Contains(m.alts[i], *s):
				return nil, fmt.Errorf("%w: %s allele %q at %s is %s, not one of the ALTs %v", ErrDefinition, tf.Gene, na.Name, m.positions[i].RSID, *s, m.alts[i])
			}
			a.at[i] = *s
			defined++
		}
		if na.Reference {
			a.at = slices.Clone(a.at)
			if len(m.alleles) > 0 && m.alleles[0].ref {
				return nil, fmt.Errorf("%w: %s has two reference alleles", ErrDefinition, tf.Gene)
			}
			m.alleles = append([]starAllele{a}, m.alleles...)
			continue
		}
		if defined == 0 {
			return nil, fmt.Errorf("%w: %s allele %q defines no position", ErrDefinition, tf.Gene, na.Name)
		}
		m.alleles = append(m.alleles, a)
	}
	if len(m.alleles) == 0 || !m.alleles[0].ref {
		return nil, fmt.Errorf("%w: %s has no reference allele", ErrDefinition, tf.Gene)
	}
	for _, d := range pf.Diplotypes {
		var names []string
		for n, c := range d.Key {
			for range c {
				names = append(names, n)
			}
		}
		if len(names) != 2 || d.GeneResult == "" {
			return nil, fmt.Errorf("%w: %s phenotype row %q: key %v, phenotype %q", ErrDefinition, tf.Gene, d.Diplotype, d.Key, d.GeneResult)
		}
		m.pheno[pairKey(names[0], names[1])] = d.GeneResult
	}
	for i := range m.positions {
		p := &m.positions[i]
		for _, a := range m.alleles[1:] {
			if a.at[i] != "" {
				p.Alleles = append(p.Alleles, a.name)
				if p.Function == "" || functionRank(a.function) < functionRank(p.Function) {
					p.Function = a.function
				}
			}
		}
	}
	return m, nil
}

// functionRank orders CPIC allele functions from the most to the least concerning, so a
// position is described by the worst allele defined there.
func functionRank(f string) int {
	switch strings.ToLower(f) {
	case "no function":
		return 0
	case "decreased function":
		return 1
	case "uncertain function", "unknown function", "":
		return 2
	}
	return 3
}

// pairKey is the phenotype-table key of two allele names, in either order.
func pairKey(a, b string) string {
	if compareStar(a, b) > 0 {
		a, b = b, a
	}
	return a + "/" + b
}

// compareStar orders allele names as PharmCAT's HaplotypeNameComparator does for star
// alleles: digit runs compare as numbers, other runs as text, a name that is a prefix of
// another first ("*3" < "*3A" < "*3B" < "*28" < "*80" < "*80+*28").
func compareStar(a, b string) int {
	for a != "" && b != "" {
		ca, ra := chunk(a)
		cb, rb := chunk(b)
		na, ea := strconv.Atoi(ca)
		nb, eb := strconv.Atoi(cb)
		switch {
		case ea == nil && eb == nil && na != nb:
			return na - nb
		case ea == nil && eb != nil:
			return -1
		case ea != nil && eb == nil:
			return 1
		case ca != cb:
			return strings.Compare(ca, cb)
		}
		a, b = ra, rb
	}
	return len(a) - len(b)
}

// chunk splits the leading run of digits or of non-digits off s.
func chunk(s string) (string, string) {
	digit := unicode.IsDigit(rune(s[0]))
	i := 1
	for i < len(s) && unicode.IsDigit(rune(s[i])) == digit {
		i++
	}
	return s[:i], s[i:]
}

// compareAlleles orders two named alleles as PharmCAT's NamedAllele.compareTo: the reference
// allele first, then by name.
func (m *matcher) compareAlleles(a, b int) int {
	ra, rb := m.alleles[a].ref, m.alleles[b].ref
	switch {
	case a == b:
		return 0
	case ra && !rb:
		return -1
	case rb && !ra:
		return 1
	}
	return compareStar(m.alleles[a].name, m.alleles[b].name)
}

// Candidate is one diplotype a named-allele gene's genotypes allow, with PharmCAT's match
// score (the number of tested positions its two alleles define) and the phenotype table's
// phenotype. It is a plain value.
type Candidate struct {
	Diplotype string    `json:"diplotype"` // "*1/*3A"
	Score     int       `json:"score"`
	Phenotype string    `json:"phenotype"`
	Functions [2]string `json:"functions"` // CPIC function of each allele; "n/a" when the phenotype file has none
}
