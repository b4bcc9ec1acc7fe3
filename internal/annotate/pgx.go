package annotate

import (
	"fmt"
	"slices"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/pgx"
)

// namedGene is a pharmacogene called by PharmCAT's named-allele matching (UGT1A1, TPMT,
// NUDT15: package pgx) and the panel that orders it.
type namedGene struct {
	gene, panel string
	def         *pgx.Definition
}

// loadNamed loads the definitions of the named-allele genes of pgx.Genes from the knowledge
// base, in report order.
func loadNamed(k *kb.KB) ([]namedGene, error) {
	var out []namedGene
	for _, g := range pgx.Genes {
		if g == "DPYD" {
			continue // the DPYD activity-score method, loaded on its own
		}
		def, err := pgx.LoadDefinition(k.PGxTranslation(g), k.PGxPhenotype(g))
		if err != nil {
			return nil, fmt.Errorf("annotate: %s definition: %w", g, err)
		}
		out = append(out, namedGene{gene: g, panel: kb.PanelOf(g), def: def})
	}
	return out, nil
}

// orderedNamed returns the named-allele genes whose panels are ordered, in report order
// (after DPYD: UGT1A1, TPMT, NUDT15).
func (a *Annotator) orderedNamed(panels []string) []namedGene {
	var out []namedGene
	for _, n := range a.named {
		if slices.Contains(panels, n.panel) {
			out = append(out, n)
		}
	}
	return out
}

// callNamed calls one named-allele gene for a sample from its pgx sites. A sample not in the
// file (sites-only VCF) has nothing tested. GRCh37 input: the knowledge base places none of
// these genes' positions on GRCh37 (no sequence or liftover there), so the gene is not
// called and the result says why, never reading as normal.
func (a *Annotator) callNamed(n namedGene, sites []pgx.Site, noSample bool, opts Options, build string) pgx.Result {
	po := pgx.Options{Missing: opts.Missing, MinDP: max(opts.MinDP, 0), MinGQ: max(opts.MinGQ, 0), Specimen: opts.Specimen}
	if noSample || build == assembly.GRCh37 {
		// Nothing is tested: no position may be assumed reference either.
		sites, po.Missing = nil, pgx.MissingNoCall
	}
	res := n.def.Call(sites, po)
	if build == assembly.GRCh37 {
		why := fmt.Sprintf("%s is not covered on GRCh37 input: the knowledge base has no GRCh37 sequence or liftover for %s, so none of its %d PharmCAT definition positions can be placed; submit GRCh38 data to call %s.",
			n.gene, n.gene, len(res.UntestedPositions), n.gene)
		res.Warnings = append([]string{why}, res.Warnings...)
		res.Alert.Message = why + " " + res.Alert.Message
		if res.Alert.Severity == "none" {
			res.Alert.Severity = "caution"
		}
	}
	return res
}
