// Package pgx calls pharmacogenes from a sample's genotypes. A gene is data — PharmCAT's
// allele definition ({GENE}_translation.json) and phenotype table ({GENE}_phenotype.json) —
// loaded by LoadDefinition and called by (*Definition).Call; Genes lists the genes in report
// order (DPYD, UGT1A1, TPMT, NUDT15).
//
// Every gene's genotypes are read by one reader (reader.go): for each definition position
// it picks the record that tests it (quality thresholds, gVCF reference blocks, split
// multi-allelic records, records without GT) and reads the sample's alleles through the
// record's own ALT list in normalised form. The few ways the genes read differently are
// readRules, each documented with the reason; what the alleles mean is each method's own.
//
// UGT1A1, TPMT and NUDT15 are called by PharmCAT's NamedAlleleMatcher method (named.go:
// scoring, missing positions, unphased candidates, undocumented alleles) and a phenotype
// table lookup; Result.Candidates lists every diplotype the genotypes allow, highest
// PharmCAT score first. Their recommendations are not filled here.
//
// DPYD is the documented exception (PharmCAT "Gene Definition Exceptions: DPYD"): genotype
// -> named alleles -> activity score -> phenotype -> fluoropyrimidine recommendation and
// dose alert, as follows.
//
// The allele definition and the function of each allele are PharmCAT's
// (DPYD_translation.json and DPYD_phenotype.json, https://github.com/PharmGKB/PharmCAT),
// which carry the CPIC DPYD allele definition and functionality tables. The calling method is
// PharmCAT's DPYD method ("Gene Definition Exceptions: DPYD",
// https://pharmcat.clinpgx.org/methods/Gene-Definition-Exceptions/):
//
//   - the activity score is the sum of the activity values of the two lowest-value alleles
//     (CPIC guideline for fluoropyrimidines and DPYD, Amstutz et al., Clin Pharmacol Ther
//     2018;103:210-216, PMID 29152729);
//   - phased or effectively phased data (homozygous everywhere, or heterozygous at one
//     position) give one diplotype listing every variant per strand, scored by the lowest
//     value on each strand;
//   - unphased data give the list of alleles found, an allele seen on both strands listed as
//     homozygous, scored by the two lowest values;
//   - HapB3 is called from the intronic, causal c.1129-5923C>G (rs75017182) when it is
//     tested, else from the exonic tag c.1236G>A (rs56038477) with a warning (CPIC January
//     2024 update);
//   - an alternate allele the definition does not know is scored as reference and reported.
//
// Positions the input does not cover are untested, not reference (DESIGN.md, clinical rule
// 1): the call is made from the tested positions, as PharmCAT does, and when an untested
// position carries a decreased- or no-function allele the alert says the true activity score
// could be lower than reported.
//
// Recommendations follow CPIC Table 2 (2017 guideline) with its November 2018 update.
//
// The package does not read VCF files: the caller passes each sample's records, already
// normalised (trimmed, left-aligned, VCF anchor base), as []Site.
package pgx
