package pgx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/variant"
)

// Names and rsIDs the DPYD method refers to. They are PharmCAT's (DpydHapB3Matcher) and CPIC's
// names; LoadDefinition checks that the definition holds them.
const (
	gene            = "DPYD"
	referenceName   = "Reference"
	unknownName     = "Unknown/Unknown"
	hapB3Name       = "c.1129-5923C>G, c.1236G>A (HapB3)"
	hapB3IntronName = "c.1129-5923C>G"
	hapB3ExonRSID   = "rs56038477" // c.1236G>A, synonymous tag SNP
	hapB3IntronRSID = "rs75017182" // c.1129-5923C>G, the causal variant
)

// ErrDefinition is returned (wrapped) when the PharmCAT DPYD definition cannot be parsed or
// does not have the shape the DPYD method needs.
var ErrDefinition = errors.New("pgx: invalid DPYD definition")

// Position is one position of the DPYD allele definition. It is a plain value, safe for
// concurrent use.
type Position struct {
	Chrom         string   // contig as in the definition, "chr1"
	Pos           int      // 1-based (VCF) position of the first base of Ref
	RSID          string   // dbSNP id, e.g. "rs3918290"
	Ref           string   // plus-strand reference allele, VCF style (an indel keeps its anchor base)
	Alt           string   // plus-strand alternate allele CPIC defines here, VCF style
	GDNA          string   // genomic name from the definition, e.g. "g.97450058C>T"
	CDNA          string   // coding name on NM_000110.4, e.g. "c.1905+1G>A"
	Alleles       []string // CPIC named alleles defined at this position, e.g. ["c.1905+1G>A (*2A)"]
	Function      string   // CPIC function of the lowest-value allele here, e.g. "No function"
	ActivityValue float64  // CPIC activity value of that allele (1, 0.5 or 0)
}

// namedAllele is one CPIC DPYD allele other than Reference.
type namedAllele struct {
	name      string
	half      int    // activity value in half units: 0 (no function), 1 (decreased), 2 (normal)
	function  string // CPIC function, e.g. "Decreased function"
	positions []int  // indexes into Definition.positions
}

// Definition is a loaded, validated DPYD allele definition. It is read-only after
// LoadDefinition and safe for concurrent use.
type Definition struct {
	layout                   // positions, their alleles and index (Position.Pos -> index into positions)
	single    []int          // per position: the single-position allele defined there, or -1
	alleles   []namedAllele  // every named allele except Reference
	byName    map[string]int // allele name -> index into alleles
	hapB3     int            // index of the HapB3 allele
	intronic  int            // index of the c.1129-5923C>G allele
	exonPos   int            // index of rs56038477 in positions
	intronPos int            // index of rs75017182 in positions
	phenotype [5]string      // phenotype by activity score in half units (0..4)
	versions  [2]string      // translation and phenotype versions, e.g. "2025-11-05-00-25"
	refHalf   int            // activity value of Reference in half units
	lowName   []string       // per position: name of the lowest-value allele defined there
	tier1     []int          // indexes of the AMP Tier-1 positions (tier1RSIDs)
	// named is set for a named-allele gene (TPMT, NUDT15, UGT1A1): the gene is called by
	// PharmCAT's NamedAlleleMatcher (named.go) and the DPYD fields above are unused.
	named *matcher
}

// translationFile is the part of a PharmCAT {GENE}_translation.json that is used, for every
// gene.
type translationFile struct {
	Gene         string               `json:"gene"`
	Version      string               `json:"version"`
	Chromosome   string               `json:"chromosome"`
	GenomeBuild  string               `json:"genomeBuild"`
	Variants     []translationVariant `json:"variants"`
	NamedAlleles []struct {
		Name      string    `json:"name"`
		Alleles   []*string `json:"alleles"`
		Reference bool      `json:"reference"`
	} `json:"namedAlleles"`
}

// translationVariant is one position of a translation file.
type translationVariant struct {
	Chromosome string   `json:"chromosome"`
	Position   int      `json:"position"`
	RSID       *string  `json:"rsid"` // null for a position without an rsID (NUDT15 chr13:48037749)
	HGVS       string   `json:"chromosomeHgvsName"`
	Ref        string   `json:"ref"`
	Alts       []string `json:"alts"`
}

// rsid is the variant's rsID, "" when the file has none.
func (v *translationVariant) rsid() string {
	if v.RSID == nil {
		return ""
	}
	return *v.RSID
}

// phenotypeFile is the part of a PharmCAT {GENE}_phenotype.json that is used, for every gene.
// DPYD reads activity values and scores ("phenotype" of a diplotype row is its activity-score
// phenotype); the named-allele genes read functions and the row's "generesult" by its
// "diplotypekey" (PharmCAT's own lookup).
type phenotypeFile struct {
	Gene         string `json:"gene"`
	Version      string `json:"version"`
	NamedAlleles []struct {
		Name          string `json:"name"`
		ActivityValue string `json:"activityValue"`
		FunctionValue string `json:"functionValue"`
	} `json:"namedAlleles"`
	Diplotypes []struct {
		Diplotype     string         `json:"diplotype"`
		ActivityScore string         `json:"activityScore"`
		Phenotype     string         `json:"phenotype"`
		GeneResult    string         `json:"generesult"`
		Key           map[string]int `json:"diplotypekey"`
	} `json:"diplotypes"`
}

// LoadDefinition parses and validates PharmCAT's DPYD_translation.json (translation) and
// DPYD phenotype file (phenotype), given as the raw bytes of the files. It checks everything
// the calling method relies on: one alternate allele per position, a Reference allele equal
// to the position references, single-position alleles apart from HapB3, the two HapB3
// positions, an activity value for every allele and a phenotype for every possible activity
// score.
//
// The same function loads a named-allele gene (Genes other than DPYD: UGT1A1, TPMT, NUDT15)
// from its PharmCAT {GENE}_translation.json and {GENE}_phenotype.json; such a gene is called
// by PharmCAT's NamedAlleleMatcher (named.go). DPYD keeps its activity-score method: it is
// the documented exception (PharmCAT Gene Definition Exceptions: DPYD).
func LoadDefinition(translation, phenotype []byte) (*Definition, error) {
	var head struct {
		Gene string `json:"gene"`
	}
	if err := decodeJSON("translation", translation, &head); err != nil {
		return nil, err
	}
	named := head.Gene != gene && slices.Contains(Genes, head.Gene)
	name := "DPYD_translation.json"
	if named {
		name = head.Gene + "_translation.json"
	}
	var tf translationFile
	if err := decodeJSON(name, translation, &tf); err != nil {
		return nil, err
	}
	if named {
		m, err := loadMatcher(phenotype, &tf)
		if err != nil {
			return nil, err
		}
		return &Definition{named: m, versions: m.versions}, nil
	}
	var pf phenotypeFile
	if err := decodeJSON("DPYD phenotype", phenotype, &pf); err != nil {
		return nil, err
	}
	if tf.Gene != gene || pf.Gene != gene {
		return nil, fmt.Errorf("%w: gene is %q (translation) and %q (phenotype), want %q", ErrDefinition, tf.Gene, pf.Gene, gene)
	}
	d := &Definition{layout: layout{chrom: tf.Chromosome, index: map[int]int{}}, byName: map[string]int{}, hapB3: -1, intronic: -1, exonPos: -1, intronPos: -1,
		versions: [2]string{tf.Version, pf.Version}}
	if err := d.loadPositions(&tf); err != nil {
		return nil, err
	}
	values, err := loadValues(&pf)
	if err != nil {
		return nil, err
	}
	if err := d.loadAlleles(&tf, values); err != nil {
		return nil, err
	}
	if err := d.loadPhenotypes(&pf); err != nil {
		return nil, err
	}
	if err := d.describePositions(); err != nil {
		return nil, err
	}
	for _, rs := range tier1RSIDs {
		i := slices.IndexFunc(d.positions, func(p Position) bool { return p.RSID == rs })
		if i < 0 {
			return nil, fmt.Errorf("%w: AMP Tier-1 position %s is not in the definition", ErrDefinition, rs)
		}
		d.tier1 = append(d.tier1, i)
	}
	return d, nil
}

// decodeJSON unmarshals data, turning a byte offset in a JSON error into a line number.
func decodeJSON(name string, data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	off := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off >= 0 {
		line := 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n"))
		return fmt.Errorf("%w: %s line %d: %v", ErrDefinition, name, line, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrDefinition, name, err)
}

func (d *Definition) loadPositions(tf *translationFile) error {
	if len(tf.Variants) == 0 {
		return fmt.Errorf("%w: no variants", ErrDefinition)
	}
	for i, v := range tf.Variants {
		where := fmt.Sprintf("variant %d (%s)", i+1, v.rsid())
		switch {
		case v.Chromosome == "" || v.Chromosome != tf.Chromosome:
			return fmt.Errorf("%w: %s: chromosome %q, definition is on %q", ErrDefinition, where, v.Chromosome, tf.Chromosome)
		case v.Position < 1:
			return fmt.Errorf("%w: %s: position %d", ErrDefinition, where, v.Position)
		case i > 0 && v.Position <= tf.Variants[i-1].Position:
			return fmt.Errorf("%w: %s: position %d not after %d", ErrDefinition, where, v.Position, tf.Variants[i-1].Position)
		case !strings.HasPrefix(v.rsid(), "rs"):
			return fmt.Errorf("%w: %s: rsid %q", ErrDefinition, where, v.rsid())
		case len(v.Alts) != 1:
			return fmt.Errorf("%w: %s: %d alternate alleles, the DPYD method needs one", ErrDefinition, where, len(v.Alts))
		}
		// Definition alleles must already be in the normalised form the sites come in (VCF
		// style, trimmed): variant.Normalize without sequence only trims, so a change means
		// the definition writes the allele differently from the pipeline.
		vv := variant.Variant{Chrom: v.Chromosome, Pos: v.Position, Ref: v.Ref, Alt: v.Alts[0]}
		if !variant.IsACGT(v.Ref) || !variant.IsACGT(v.Alts[0]) || v.Ref == v.Alts[0] {
			return fmt.Errorf("%w: %s: alleles %s>%s are not plain bases", ErrDefinition, where, v.Ref, v.Alts[0])
		}
		if n := variant.Normalize(vv, nil); n != vv {
			return fmt.Errorf("%w: %s: %s is not trimmed (normalised form %s)", ErrDefinition, where, vv, n)
		}
		d.index[v.Position] = i
		d.positions = append(d.positions, Position{Chrom: v.Chromosome, Pos: v.Position, RSID: v.rsid(),
			Ref: v.Ref, Alt: v.Alts[0], GDNA: v.HGVS})
		d.alts = append(d.alts, v.Alts)
		d.norm = append(d.norm, []Allele{{Pos: v.Position, Ref: v.Ref, Alt: v.Alts[0]}}) // already normalised: checked above
		switch v.rsid() {
		case hapB3ExonRSID:
			d.exonPos = i
		case hapB3IntronRSID:
			d.intronPos = i
		}
	}
	if d.exonPos < 0 || d.intronPos < 0 {
		return fmt.Errorf("%w: HapB3 positions %s and %s are not both defined", ErrDefinition, hapB3ExonRSID, hapB3IntronRSID)
	}
	return nil
}

// alleleValue is an allele's CPIC activity value and function.
type alleleValue struct {
	half     int
	function string
}

func loadValues(pf *phenotypeFile) (map[string]alleleValue, error) {
	values := map[string]alleleValue{}
	for _, a := range pf.NamedAlleles {
		h, err := halfUnits(a.ActivityValue)
		if err != nil || h > 2 {
			return nil, fmt.Errorf("%w: allele %q: activity value %q", ErrDefinition, a.Name, a.ActivityValue)
		}
		if a.FunctionValue == "" {
			return nil, fmt.Errorf("%w: allele %q: no function", ErrDefinition, a.Name)
		}
		values[a.Name] = alleleValue{half: h, function: a.FunctionValue}
	}
	return values, nil
}

// halfUnits parses an activity value or score ("0.5", "2.0") into half units.
func halfUnits(s string) (int, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	h := f * 2
	if h < 0 || h != float64(int(h)) {
		return 0, fmt.Errorf("activity %q is not a multiple of 0.5", s)
	}
	return int(h), nil
}

func (d *Definition) loadAlleles(tf *translationFile, values map[string]alleleValue) error {
	n := len(d.positions)
	d.single = make([]int, n)
	for i := range d.single {
		d.single[i] = -1
	}
	refSeen := false
	for _, na := range tf.NamedAlleles {
		if len(na.Alleles) != n {
			return fmt.Errorf("%w: allele %q has %d alleles for %d positions", ErrDefinition, na.Name, len(na.Alleles), n)
		}
		v, ok := values[na.Name]
		if !ok {
			return fmt.Errorf("%w: allele %q has no activity value in the phenotype file", ErrDefinition, na.Name)
		}
		if na.Reference {
			if refSeen || na.Name != referenceName {
				return fmt.Errorf("%w: unexpected reference allele %q", ErrDefinition, na.Name)
			}
			refSeen = true
			for i, a := range na.Alleles {
				if a == nil || *a != d.positions[i].Ref {
					return fmt.Errorf("%w: Reference allele at %s is not the position's reference %s", ErrDefinition, d.positions[i].RSID, d.positions[i].Ref)
				}
			}
			d.refHalf = v.half
			continue
		}
		if _, dup := d.byName[na.Name]; dup {
			return fmt.Errorf("%w: allele %q defined twice", ErrDefinition, na.Name)
		}
		al := namedAllele{name: na.Name, half: v.half, function: v.function}
		for i, a := range na.Alleles {
			if a == nil {
				continue
			}
			if *a != d.positions[i].Alt {
				return fmt.Errorf("%w: allele %q at %s is %s, not the position's alternate %s", ErrDefinition, na.Name, d.positions[i].RSID, *a, d.positions[i].Alt)
			}
			al.positions = append(al.positions, i)
		}
		idx := len(d.alleles)
		switch {
		case na.Name == hapB3Name:
			if len(al.positions) != 2 || !hasBoth(al.positions, d.exonPos, d.intronPos) {
				return fmt.Errorf("%w: %q must be defined at %s and %s", ErrDefinition, hapB3Name, hapB3ExonRSID, hapB3IntronRSID)
			}
			d.hapB3 = idx
		case len(al.positions) != 1:
			return fmt.Errorf("%w: allele %q is defined at %d positions; the DPYD method expects one", ErrDefinition, na.Name, len(al.positions))
		default:
			p := al.positions[0]
			if d.single[p] >= 0 {
				return fmt.Errorf("%w: alleles %q and %q are both defined at %s", ErrDefinition, d.alleles[d.single[p]].name, na.Name, d.positions[p].RSID)
			}
			d.single[p] = idx
			if na.Name == hapB3IntronName {
				if p != d.intronPos {
					return fmt.Errorf("%w: %q is not defined at %s", ErrDefinition, hapB3IntronName, hapB3IntronRSID)
				}
				d.intronic = idx
			}
		}
		d.byName[na.Name] = idx
		d.alleles = append(d.alleles, al)
	}
	switch {
	case !refSeen:
		return fmt.Errorf("%w: no Reference allele", ErrDefinition)
	case d.hapB3 < 0 || d.intronic < 0:
		return fmt.Errorf("%w: alleles %q and %q are both needed", ErrDefinition, hapB3Name, hapB3IntronName)
	case d.single[d.exonPos] >= 0:
		return fmt.Errorf("%w: %s must carry only HapB3", ErrDefinition, hapB3ExonRSID)
	}
	for i, p := range d.positions {
		if d.single[i] < 0 && i != d.exonPos {
			return fmt.Errorf("%w: no allele is defined at %s", ErrDefinition, p.RSID)
		}
	}
	return nil
}

func hasBoth(ps []int, a, b int) bool {
	return (ps[0] == a && ps[1] == b) || (ps[0] == b && ps[1] == a)
}

// loadPhenotypes reads CPIC's activity score -> phenotype mapping from the diplotype table
// and checks that every score two alleles can add up to (0 to 2 in steps of 0.5) has exactly
// one phenotype.
func (d *Definition) loadPhenotypes(pf *phenotypeFile) error {
	for _, dp := range pf.Diplotypes {
		h, err := halfUnits(dp.ActivityScore)
		if err != nil || h >= len(d.phenotype) || dp.Phenotype == "" {
			return fmt.Errorf("%w: diplotype %q: activity score %q, phenotype %q", ErrDefinition, dp.Diplotype, dp.ActivityScore, dp.Phenotype)
		}
		if old := d.phenotype[h]; old != "" && old != dp.Phenotype {
			return fmt.Errorf("%w: activity score %s maps to both %q and %q", ErrDefinition, dp.ActivityScore, old, dp.Phenotype)
		}
		d.phenotype[h] = dp.Phenotype
	}
	for h, p := range d.phenotype {
		if p == "" {
			return fmt.Errorf("%w: no phenotype for activity score %.1f", ErrDefinition, float64(h)/2)
		}
	}
	return nil
}

// starSuffix matches a trailing legacy name such as " (*2A)" or " (HapB3)".
var starSuffix = regexp.MustCompile(`\s*\([^()]*\)$`)

// describePositions fills each position's c. name, alleles and function.
func (d *Definition) describePositions() error {
	for i := range d.positions {
		p := &d.positions[i]
		low := -1
		for ai, a := range d.alleles {
			for _, pi := range a.positions {
				if pi == i {
					p.Alleles = append(p.Alleles, a.name)
					if low < 0 || a.half < d.alleles[low].half {
						low = ai
					}
				}
			}
		}
		p.Function, p.ActivityValue = d.alleles[low].function, float64(d.alleles[low].half)/2
		d.lowName = append(d.lowName, d.alleles[low].name)
		if s := d.single[i]; s >= 0 {
			p.CDNA = starSuffix.ReplaceAllString(d.alleles[s].name, "")
		}
	}
	// A position that only a multi-position allele defines (the HapB3 exonic tag) takes the
	// part of that allele's name ("c.A, c.B (HapB3)") that no other position claims.
	for i := range d.positions {
		p := &d.positions[i]
		if p.CDNA != "" {
			continue
		}
		for _, part := range strings.Split(starSuffix.ReplaceAllString(d.alleles[d.hapB3].name, ""), ", ") {
			claimed := false
			for _, q := range d.alleles[d.hapB3].positions {
				claimed = claimed || d.positions[q].CDNA == part
			}
			if !claimed {
				p.CDNA = part
			}
		}
		if p.CDNA == "" {
			return fmt.Errorf("%w: cannot name %s from %q", ErrDefinition, p.RSID, d.alleles[d.hapB3].name)
		}
	}
	return nil
}

// Defines reports whether the normalised allele pos ref>alt (1-based, VCF style) is a CPIC
// allele of the definition: such an allele is scored by the call, not reported as evidence
// outside it.
func (d *Definition) Defines(pos int, ref, alt string) bool {
	if d.named != nil {
		i, ok := d.named.index[pos]
		if !ok {
			return false
		}
		return slices.ContainsFunc(d.named.norm[i], func(n Allele) bool {
			return n.Pos == pos && strings.EqualFold(n.Ref, ref) && strings.EqualFold(n.Alt, alt)
		})
	}
	i, ok := d.index[pos]
	if !ok {
		return false
	}
	p := &d.positions[i]
	return strings.EqualFold(p.Ref, ref) && strings.EqualFold(p.Alt, alt)
}

// Positions returns the definition's positions in genomic order (a copy).
//
// A named-allele gene's Position has no CDNA or ActivityValue; its Alt lists every ALT the
// definition gives, comma-separated ("C,CATAT,CATATAT"), its Function is the worst function
// of the alleles defined there, and an rsID-less position is named "chr13:48037749".
func (d *Definition) Positions() []Position {
	ps := d.positions
	if d.named != nil {
		ps = d.named.positions
	}
	out := make([]Position, len(ps))
	for i, p := range ps {
		p.Alleles = append([]string(nil), p.Alleles...)
		out[i] = p
	}
	return out
}

// Version returns the versions of the translation and phenotype files, e.g.
// "2025-11-05-00-25".
func (d *Definition) Version() (translation, phenotype string) { return d.versions[0], d.versions[1] }

// Gene returns the gene the definition calls: "DPYD", "UGT1A1", "TPMT" or "NUDT15".
func (d *Definition) Gene() string {
	if d.named != nil {
		return d.named.gene
	}
	return gene
}

// Chrom returns the contig of the definition's positions, e.g. "chr6".
func (d *Definition) Chrom() string {
	if d.named != nil {
		return d.named.chrom
	}
	return d.positions[0].Chrom
}
