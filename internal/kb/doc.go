// Package kb is Precis's versioned knowledge base: the MANE Select transcripts of the nine
// panel genes, GRCh38 reference bases inside the panels (and GRCh37 bases of the same exons,
// for genome-build evidence), ClinVar classifications, the panel regions, the POLE
// exonuclease-domain hotspots, genome-build markers and PharmCAT's DPYD definitions.
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
// Coordinates: positions are 1-based and ranges inclusive (VCF style) throughout the API
// and in the embedded files; the 0-based half-open BED inputs are converted when read.
package kb
