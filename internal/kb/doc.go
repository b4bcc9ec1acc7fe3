// Package kb is Precis's versioned knowledge base: the MANE Select transcripts of the nine
// panel genes, GRCh38 reference bases inside the panels (and GRCh37 bases of the same exons,
// for genome-build evidence), ClinVar classifications, the panel regions, the POLE
// exonuclease-domain hotspots, genome-build markers, a GRCh37<->GRCh38 map of the panel
// genes, PharmCAT's allele definitions and phenotype tables of DPYD, UGT1A1, TPMT and NUDT15
// (PGxTranslation, PGxPhenotype) and the oncology PGx recommendation texts (PGxGuidelines).
// UGT1A1, TPMT and NUDT15 have no GRCh37 sequence or liftover here: they are not covered on
// GRCh37 input.
//
// The data lives in data/ beside this file and is embedded in the binary; Load reads it.
// Nothing in data/ is written by hand: package kb/build ("precis kb build") derives every
// file from the source files in the shared data folder (see its README.md),
// deterministically, and records each source's origin, release, licence and SHA-256 in
// data/manifest.json and data/NOTICE. This package holds the types and the file formats
// (the readers Load uses and the writers the builder uses); it never reads the sources. The
// version of the knowledge base is computed from the manifest, so it changes whenever the
// content does.
//
// GRCh37: Liftover maps positions between GRCh37 and GRCh38 inside the panel genes. The
// builder derives it from sequence: each gene's GRCh37 slice is aligned to its GRCh38 slice
// (unique 24-mer anchors in order; between anchors the bases are compared one by one, and
// a small global alignment places the indels), every aligned base is compared on both
// builds, and the map is cross-checked against the exon models of both builds, the build
// markers and the 83 CPIC DPYD positions. Measured on the shared data: DPYD 1 block and 3
// reference differences (rs1801265, c.85T>C, is the one inside the panel: GRCh37 holds the
// GRCh38 ALT); BRCA1 4 blocks (three poly-A length differences upstream of the gene's 5' end) and 7
// reference differences outside the panel; BRCA2, MLH1, MSH2, MSH6, PMS2 and EPCAM one
// block and no difference each. 10,793 of the 10,978 ClinVar 2016 GRCh37 records whose
// Variation ID the GRCh38 releases hold lift to exactly that GRCh38 variant (the 185 others
// are insertions the 2016 file places elsewhere). POLE has no GRCh37 sequence: its exons are
// mapped by exon model only (LiftBlock.Evidence "exon-model"), its introns not at all.
// For GRCh37 input: Liftover.Lift places a record on GRCh38 (REF and ALT exchanged where
// the builds' reference differs), Fetch37 gives GRCh37 reference bases for REF checks and
// Regions37 the panel regions on GRCh37.
//
// Coordinates: positions are 1-based and ranges inclusive (VCF style) throughout the API
// and in the embedded files; the 0-based half-open BED inputs are converted when read.
package kb
