package kb

import "slices"

// Panel names.
const (
	PanelDPYD  = "dpyd"
	PanelBRCA  = "brca"
	PanelLynch = "lynch"
	PanelPOLE  = "pole"

	// Pharmacogenomic panels of one gene each, called by PharmCAT's named-allele matching
	// (package pgx): no MANE transcript, no findings; their regions are the PharmCAT
	// allele-definition positions (KindCPICPosition).
	PanelUGT1A1 = "ugt1a1"
	PanelTPMT   = "tpmt"
	PanelNUDT15 = "nudt15"
)

// pgxPanels are the one-gene PGx panels and their genes, in report order (issue 17: UGT1A1
// for irinotecan, TPMT and NUDT15 for thiopurines).
var pgxPanels = []struct{ panel, gene string }{
	{PanelUGT1A1, "UGT1A1"},
	{PanelTPMT, "TPMT"},
	{PanelNUDT15, "NUDT15"},
}

// PGxOnly reports whether gene is a gene of a one-gene PGx panel (UGT1A1, TPMT, NUDT15):
// reported by its pgx entry only, with no transcript, findings or exon coverage.
func PGxOnly(gene string) bool {
	return slices.ContainsFunc(pgxPanels, func(p struct{ panel, gene string }) bool { return p.gene == gene })
}

// DefaultPanels returns the panels reported when none is named: dpyd, brca, lynch, pole
// (the default of precis annotate --panels). The PGx panels ugt1a1, tpmt and nudt15 are
// reported when ordered (or with "all").
func DefaultPanels() []string { return []string{PanelDPYD, PanelBRCA, PanelLynch, PanelPOLE} }

// panelGene is one gene of a panel and its MANE Select transcript, as the panel table of
// the design (docs: /work/shared/DESIGN.md, "Panels") lists them.
type panelGene struct {
	gene, refseq, panel string
}

// panelGenes lists the genes in panel order. The transcript accessions are the MANE
// Select v1.0 transcripts; build.Build checks each against the MANE summary file.
var panelGenes = []panelGene{
	{"DPYD", "NM_000110.4", PanelDPYD},
	{"BRCA1", "NM_007294.4", PanelBRCA},
	{"BRCA2", "NM_000059.4", PanelBRCA},
	{"MLH1", "NM_000249.4", PanelLynch},
	{"MSH2", "NM_000251.3", PanelLynch},
	{"MSH6", "NM_000179.3", PanelLynch},
	{"PMS2", "NM_000535.7", PanelLynch},
	{"EPCAM", "NM_002354.3", PanelLynch},
	{"POLE", "NM_006231.4", PanelPOLE},
}

// Panels returns the panel names: dpyd, brca, lynch, pole, ugt1a1, tpmt, nudt15.
func Panels() []string {
	return []string{PanelDPYD, PanelBRCA, PanelLynch, PanelPOLE, PanelUGT1A1, PanelTPMT, PanelNUDT15}
}

// PanelOf returns the panel a gene belongs to, or "" for a gene outside the panels.
func PanelOf(gene string) string {
	for _, p := range pgxPanels {
		if p.gene == gene {
			return p.panel
		}
	}
	return panelGeneOf(gene).panel
}

// GenesOf returns the genes of a panel, in panel order.
func GenesOf(panel string) []string {
	for _, p := range pgxPanels {
		if p.panel == panel {
			return []string{p.gene}
		}
	}
	var out []string
	for _, g := range panelGenes {
		if g.panel == panel {
			out = append(out, g.gene)
		}
	}
	return out
}

// Genes returns all panel genes with a MANE Select transcript, in panel order (the PGx-only
// genes of PGxOnly are not among them).
func Genes() []string {
	out := make([]string, len(panelGenes))
	for i, g := range panelGenes {
		out[i] = g.gene
	}
	return out
}

// MANESelect returns the RefSeq accession of gene's MANE Select transcript as the panel
// table names it ("NM_007294.4" for BRCA1), or "" for a gene outside the panels.
func MANESelect(gene string) string { return panelGeneOf(gene).refseq }

// panelGeneOf returns gene's row of the panel table, or the zero row.
func panelGeneOf(gene string) panelGene {
	if i := slices.IndexFunc(panelGenes, func(g panelGene) bool { return g.gene == gene }); i >= 0 {
		return panelGenes[i]
	}
	return panelGene{}
}

func isPanelGene(gene string) bool { return panelGeneOf(gene).gene != "" }
