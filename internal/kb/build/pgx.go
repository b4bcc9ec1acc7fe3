package build

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/vcf"
)

// dpydPosition is one allele-definition position of PharmCAT's DPYD_translation.json.
type dpydPosition struct {
	Chromosome string   `json:"chromosome"`
	Position   int      `json:"position"` // 1-based VCF position of the first base of Ref
	RSID       string   `json:"rsid"`
	Ref        string   `json:"ref"` // plus-strand VCF REF (DPYD is on the minus strand)
	Alts       []string `json:"alts"`
}

// dpydTranslation is the part of DPYD_translation.json the knowledge base reads.
type dpydTranslation struct {
	Gene        string         `json:"gene"`
	Version     string         `json:"version"`
	GenomeBuild string         `json:"genomeBuild"`
	Variants    []dpydPosition `json:"variants"`
}

// parseDPYDTranslation reads the positions of PharmCAT's DPYD allele definition.
func parseDPYDTranslation(data []byte) (dpydTranslation, error) {
	var t dpydTranslation
	if err := json.Unmarshal(data, &t); err != nil {
		return t, fmt.Errorf("%w: DPYD_translation.json: %w", kb.ErrFormat, err)
	}
	if t.Gene != "DPYD" || !strings.HasPrefix(t.GenomeBuild, "GRCh38") || len(t.Variants) == 0 {
		return t, fmt.Errorf("%w: DPYD_translation.json: gene %q, build %q, %d positions", kb.ErrFormat, t.Gene, t.GenomeBuild, len(t.Variants))
	}
	for i, v := range t.Variants {
		if _, ok := vcf.CanonicalChrom(v.Chromosome); !ok || v.Position < 1 || !kb.IsAlleles(v.Ref) {
			return t, fmt.Errorf("%w: DPYD_translation.json: variant %d (%s) at %s:%d ref %q", kb.ErrFormat, i+1, v.RSID, v.Chromosome, v.Position, v.Ref)
		}
	}
	return t, nil
}

// dpydPhenotype is the part of PharmCAT's DPYD phenotype file the cross-check reads.
type dpydPhenotype struct {
	Version    string `json:"version"`
	Diplotypes []struct {
		Diplotype     string `json:"diplotype"`
		ActivityScore string `json:"activityScore"`
		Phenotype     string `json:"phenotype"`
	} `json:"diplotypes"`
}

// crossCheckCPIC checks that CPIC's DPYD diplotype-phenotype table and PharmCAT's
// DPYD_phenotype.json agree row for row: the same diplotypes (either allele order), the
// same activity scores and the same phenotypes. It returns the number of rows compared.
func crossCheckCPIC(phenotypeJSON, cpicCSV []byte) (int, string, error) {
	var ph dpydPhenotype
	if err := json.Unmarshal(phenotypeJSON, &ph); err != nil {
		return 0, "", fmt.Errorf("%w: DPYD_phenotype.json: %w", kb.ErrFormat, err)
	}
	type result struct{ score, phenotype string }
	byDiplotype := map[string]result{}
	for _, d := range ph.Diplotypes {
		byDiplotype[d.Diplotype] = result{d.ActivityScore, d.Phenotype}
	}
	rd := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(cpicCSV), "\ufeff")))
	rows, err := rd.ReadAll()
	if err != nil {
		return 0, "", fmt.Errorf("%w: CPIC DPYD table: %w", kb.ErrFormat, err)
	}
	if len(rows) < 2 || len(rows[0]) < 3 || rows[0][0] != "DPYD Diplotype" || rows[0][1] != "Activity Score" {
		return 0, "", fmt.Errorf("%w: CPIC DPYD table line 1: unexpected header %q", kb.ErrFormat, rows[0])
	}
	for i, r := range rows[1:] {
		line := i + 2
		got, ok := byDiplotype[r[0]]
		if !ok {
			if a, b, cut := strings.Cut(r[0], "/"); cut {
				got, ok = byDiplotype[b+"/"+a]
			}
		}
		if !ok {
			return 0, "", fmt.Errorf("%w: CPIC DPYD table line %d: diplotype %q is not in DPYD_phenotype.json", kb.ErrInconsistent, line, r[0])
		}
		if got.score != r[1] || "DPYD "+got.phenotype != r[2] {
			return 0, "", fmt.Errorf("%w: CPIC DPYD table line %d: %s is %s %q in CPIC, %s %q in PharmCAT",
				kb.ErrInconsistent, line, r[0], r[1], r[2], got.score, got.phenotype)
		}
	}
	if len(rows)-1 != len(byDiplotype) {
		return 0, "", fmt.Errorf("%w: CPIC DPYD table has %d diplotypes, DPYD_phenotype.json %d", kb.ErrInconsistent, len(rows)-1, len(byDiplotype))
	}
	return len(rows) - 1, ph.Version, nil
}

// Sources of the named-allele PGx genes and the oncology recommendation texts (issue 17).
const (
	srcPositions      = "pgx/pharmcat/pharmcat_positions.vcf"
	srcGuidelinesMD   = "pgx/guidelines/ONCOLOGY_PGX_RECOMMENDATIONS.md"
	srcGuidelinesJSON = "pgx/guidelines/pharmcat-v2.12.0/*.json"
)

// namedGenes are the PGx genes called by PharmCAT's named-allele matching, in report order,
// with their panels and knowledge-base files.
var namedGenes = []struct{ gene, panel, translation, phenotype string }{
	{"UGT1A1", kb.PanelUGT1A1, kb.FileUGT1A1Translation, kb.FileUGT1A1Phenotype},
	{"TPMT", kb.PanelTPMT, kb.FileTPMTTranslation, kb.FileTPMTPhenotype},
	{"NUDT15", kb.PanelNUDT15, kb.FileNUDT15Translation, kb.FileNUDT15Phenotype},
}

func srcNamedTranslation(gene string) string { return "pgx/pharmcat/" + gene + "_translation.json" }
func srcNamedPhenotype(gene string) string   { return "pgx/pharmcat/" + gene + "_phenotype.json" }

// namedTranslation is the part of a named-allele gene's translation file the build reads.
type namedTranslation struct {
	Gene        string `json:"gene"`
	Version     string `json:"version"`
	GenomeBuild string `json:"genomeBuild"`
	Variants    []struct {
		Chromosome string   `json:"chromosome"`
		Position   int      `json:"position"` // 1-based VCF position of the first base of Ref
		RSID       *string  `json:"rsid"`
		Ref        string   `json:"ref"`
		Alts       []string `json:"alts"`
	} `json:"variants"`
}

// pharmcatPositions reads pharmcat_positions.vcf: REF and ALTs by "chrom:pos".
func pharmcatPositions(data []byte) (map[string][2]string, error) {
	out := map[string][2]string{}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 6)
		if len(f) < 5 {
			return nil, fmt.Errorf("%w: %s line %d: %d columns", kb.ErrFormat, srcPositions, i+1, len(f))
		}
		out[f[0]+":"+f[1]] = [2]string{f[3], f[4]}
	}
	return out, nil
}

// namedPGx reads the UGT1A1, TPMT and NUDT15 definitions and phenotype tables (verbatim into
// the knowledge base), checks that the pgx package can call from them and that every
// position's REF and ALTs equal PharmCAT's pharmcat_positions.vcf (there is no genomic
// sequence of these genes here), and adds each position's REF span to the gene's panel
// regions. It also reads the recommendation texts the guideline package uses.
func (b *builder) namedPGx() error {
	posData, err := b.r.read(srcPositions, false)
	if err != nil {
		return err
	}
	positions, err := pharmcatPositions(posData)
	if err != nil {
		return err
	}
	b.named = map[string][2][]byte{}
	for _, ng := range namedGenes {
		tr, err := b.r.read(srcNamedTranslation(ng.gene), false)
		if err != nil {
			return err
		}
		ph, err := b.r.read(srcNamedPhenotype(ng.gene), false)
		if err != nil {
			return err
		}
		if _, err := pgx.LoadDefinition(tr, ph); err != nil {
			return fmt.Errorf("%w: %s: %w", kb.ErrInconsistent, srcNamedTranslation(ng.gene), err)
		}
		var t namedTranslation
		if err := json.Unmarshal(tr, &t); err != nil {
			return fmt.Errorf("%w: %s: %w", kb.ErrFormat, srcNamedTranslation(ng.gene), err)
		}
		if t.Gene != ng.gene || !strings.HasPrefix(t.GenomeBuild, "GRCh38") {
			return fmt.Errorf("%w: %s: gene %q, build %q", kb.ErrFormat, srcNamedTranslation(ng.gene), t.Gene, t.GenomeBuild)
		}
		regions, err := namedRegions(srcNamedTranslation(ng.gene), &t, ng.panel, positions)
		if err != nil {
			return err
		}
		b.rawRegions = append(b.rawRegions, regions...)
		b.named[ng.gene] = [2][]byte{tr, ph}
		b.namedVersions = append(b.namedVersions, ng.gene+" "+t.Version)
		b.check("PharmCAT %s_translation.json: REF and ALTs equal PharmCAT's pharmcat_positions.vcf at all %d positions (no %s genomic sequence here); the pgx package loads it with %s_phenotype.json", ng.gene, len(t.Variants), ng.gene, ng.gene)
	}
	if b.guidelineMD, err = b.r.read(srcGuidelinesMD, false); err != nil {
		return err
	}
	files, err := b.r.glob(srcGuidelinesJSON)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: no guideline annotations match %s", kb.ErrFormat, srcGuidelinesJSON)
	}
	b.guidelineJSON = map[string][]byte{}
	for _, f := range files {
		data, err := b.r.read(f, false)
		if err != nil {
			return err
		}
		if !json.Valid(data) {
			return fmt.Errorf("%w: %s is not JSON", kb.ErrFormat, f)
		}
		b.guidelineJSON[path.Base(f)] = data
	}
	b.check("oncology PGx recommendation texts: %s and %d PharmCAT v2.12.0 guideline annotations, verbatim", path.Base(srcGuidelinesMD), len(files))
	return nil
}

// namedRegions checks every position of a named-allele definition against PharmCAT's
// pharmcat_positions.vcf (REF and ALTs, in order; the knowledge base has no genomic sequence
// of these genes to check against) and returns the REF span of each as a cpic-position
// region of panel.
func namedRegions(name string, t *namedTranslation, panel string, positions map[string][2]string) ([]kb.Region, error) {
	var out []kb.Region
	for _, v := range t.Variants {
		chrom, ok := vcf.CanonicalChrom(v.Chromosome)
		want, found := positions[v.Chromosome+":"+strconv.Itoa(v.Position)]
		if !ok || !found || want[0] != v.Ref || want[1] != strings.Join(v.Alts, ",") {
			return nil, fmt.Errorf("%w: %s: %s:%d REF %s ALT %s; %s has %q", kb.ErrInconsistent, name, v.Chromosome, v.Position, v.Ref, strings.Join(v.Alts, ","), srcPositions, want)
		}
		out = append(out, kb.Region{Chrom: chrom, Start: v.Position, End: v.Position + len(v.Ref) - 1, Gene: t.Gene, Panel: panel, Kind: kb.KindCPICPosition})
	}
	return out, nil
}
