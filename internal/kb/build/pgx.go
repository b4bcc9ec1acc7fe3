package build

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
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
