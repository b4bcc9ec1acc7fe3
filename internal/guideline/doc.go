// Package guideline holds the pharmacogenomic recommendation texts for TPMT, NUDT15 and
// UGT1A1 as versioned data, looks them up for called genes, and decides which pharmacogenomic
// results raise alerts for the drugs a clinician plans.
//
// The texts are those of ONCOLOGY_PGX_RECOMMENDATIONS.md and the PharmCAT v2.12.0 guideline
// files beside it (../shared/data/pgx/guidelines/, carried verbatim by the knowledge base):
//
//   - CPIC thiopurines and TPMT/NUDT15 (2018 update; Relling et al., Clin Pharmacol Ther
//     2019;105:1095-1105, PMID 30447069), looked up by the (TPMT, NUDT15) phenotype pair for
//     azathioprine, mercaptopurine and thioguanine, 35 rows per drug;
//   - DPWG azathioprine, mercaptopurine and thioguanine with TPMT and with NUDT15, and DPWG
//     irinotecan with UGT1A1 (Hulshof et al., Eur J Hum Genet 2023, PMID 36443464), looked up
//     by the gene's phenotype or, where DPWG keys a row on alleles, by the diplotype;
//   - the FDA label statements for irinotecan (Camptosar, Onivyde) and sacituzumab govitecan
//     (Trodelvy) with UGT1A1, keyed on diplotypes only: a label says nothing for a genotype it
//     does not name.
//
// Parse reads the Markdown (texts, FDA rows) and the PharmCAT JSON (lookup keys, CPIC and DPWG)
// and refuses the pair unless every JSON recommendation has the same key and the same words in
// the Markdown. A recommendation the Markdown marks as not verified against PharmCAT 3.1.1 says
// so in its guideline field.
//
// Recommend fills the recommendations, alert and tags of the TPMT, NUDT15 and UGT1A1 results
// and orders every result (DPYD included) so the genes relevant to the planned drugs come
// first; Raises says which results raise an alert. DPYD's recommendations are internal/pgx's.
//
// A Set is immutable once parsed and safe for concurrent use.
package guideline
