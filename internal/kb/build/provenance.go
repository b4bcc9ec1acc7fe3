package build

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
)

// catalogueEntry describes one source: where its files come from, under which licence,
// and what the knowledge base derives from them. The facts come from the shared data
// folder's README.md; checksums and releases are taken from the files themselves.
type catalogueEntry struct {
	name, release, licence, origin string
	paths                          []string // paths or path.Match patterns relative to the shared data folder
	derived                        string
}

var maneVersionRe = regexp.MustCompile(`\.v(\d+\.\d+)\.`)

func (b *builder) catalogue() []catalogueEntry {
	maneRelease := "MANE"
	if m := maneVersionRe.FindStringSubmatch(srcMANE); m != nil {
		maneRelease = "MANE v" + m[1]
	}
	return append(b.clinvarCatalogue(), []catalogueEntry{
		{
			name: "MANE", release: maneRelease,
			licence: "public (NCBI/EMBL-EBI MANE; no restrictions on use)",
			origin:  "https://ftp.ncbi.nlm.nih.gov/refseq/MANE/MANE_human/release_1.0/ MANE.GRCh38.v1.0.summary.txt.gz",
			paths:   []string{srcMANE},
			derived: "MANE Select RefSeq and Ensembl accessions, contig, strand and gene span of the nine transcripts (checked against the exon models)",
		},
		{
			name: "Ensembl exon models", release: "Ensembl 110",
			licence: "Ensembl data: no restrictions (https://www.ensembl.org/info/about/legal/); Ideogram.js CC0",
			origin:  "Ensembl 110 canonical transcript structures from npm ideogram@1.53.0, anchored on MANE v1.0 spans",
			paths:   []string{srcBED38},
			derived: "exons and CDS of DPYD, MSH2, MSH6, PMS2, EPCAM and POLE; cross-check of BRCA1, BRCA2 and MLH1",
		},
		{
			name: "MANE exon models", release: "MANE v1.0 (BRCA1, BRCA2); MANE v1.5 GFF (MLH1)",
			licence: "public (MANE data); tools MIT",
			origin:  "varfish-org/mehari test snapshots (BRCA1, BRCA2); cinthiadevlab-py/lynch-mlh1 mlh1_exons.tsv from MANE.GRCh38.v1.5.refseq_genomic.gff (MLH1)",
			paths:   []string{srcExonModels},
			derived: "exons (with transcript coordinates) and CDS of BRCA1, BRCA2 and MLH1; GRCh37 and GRCh38 exons of all its transcripts, cross-check of the GRCh37-GRCh38 liftover",
		},
		{
			name: "LRG-derived GRCh38 sequence", release: "LRG records (EMBL-EBI/NCBI, 2015 snapshot) with the LRG-vs-GRCh38 differences applied",
			licence: "public sequence data (LRG, https://www.lrg-sequence.org)",
			origin:  "LRG XML records via github.com/MattWellie/LaTex_LRG, placed on GRCh38",
			paths:   []string{srcSlices38},
			derived: "GRCh38 reference bases of BRCA1, BRCA2, MLH1, MSH2, MSH6, PMS2, EPCAM and DPYD; the GRCh38 side of the GRCh37-GRCh38 liftover (liftover.GRCh37_GRCh38.tsv)",
		},
		{
			name: "MANE transcript sequences", release: "NM_007294.4, NM_000059.4, NM_006231.4 (published); NM_000249.4 (reconstructed from GRCh38)",
			licence: "public (NCBI RefSeq); test-snapshot repositories MIT",
			origin:  "varfish-org/mehari test snapshots (BRCA1, BRCA2); NCBI nuccore FASTA in Tsarin2061/HairpinDetector (POLE); MLH1 reconstructed over the GRCh38 slice",
			paths:   []string{transcriptFASTA["BRCA1"], transcriptFASTA["BRCA2"], transcriptFASTA["MLH1"], transcriptFASTA["POLE"]},
			derived: "POLE exonic bases (placed onto the POLE exons); verification of the BRCA1, BRCA2 and MLH1 models",
		},
		{
			name: "LRG-derived GRCh37 sequence", release: "LRG records (2015 snapshot) mapped to GRCh37.p13",
			licence: "public sequence data (LRG)",
			origin:  "LRG XML records via github.com/MattWellie/LaTex_LRG, placed on GRCh37",
			paths:   []string{srcSlices37},
			derived: fmt.Sprintf("GRCh37 bases of the panel exons ±%d bp, for genome-build evidence; the GRCh37 side of the GRCh37-GRCh38 liftover (liftover.GRCh37_GRCh38.tsv: aligned to the GRCh38 slices)", kb.GRCh37Flank),
		},
		{
			name: "GRCh37 exon models", release: "Ensembl 75 (CAVA defaultdb ensembl75s)",
			licence: "MIT (RahmanTeam/CAVA); Ensembl data no restrictions",
			origin:  "github.com/RahmanTeam/CAVA defaultdb/ensembl75s.gz",
			paths:   []string{srcBED37},
			derived: "which GRCh37 bases to keep (exons of the same transcripts); cross-check of the liftover against the MANE GRCh38 exons; the POLE exon-model blocks of the liftover (no POLE GRCh37 sequence)",
		},
		{
			name: "Build markers", release: "derived table (CAVA Ensembl 75, MANE v1.0, Hartwig PEACH panel v1.3, contig lengths from VCF headers)",
			licence: "facts from public sources (MIT/public)",
			origin:  "precis shared data genes/build_markers.GRCh37_vs_GRCh38.tsv",
			paths:   []string{srcMarkers},
			derived: "verbatim copy: contig lengths of both builds, gene spans and PGx rsID positions in both builds; cross-check of the GRCh37-GRCh38 liftover",
		},
		{
			name: "PharmCAT DPYD allele definition", release: "PharmCAT v3.1.1 (commit 5431bf1), definition data " + b.dpydVersion,
			licence: "MPL-2.0 (https://mozilla.org/MPL/2.0/)",
			origin:  "github.com/PharmGKB/PharmCAT src/main/resources/org/pharmgkb/pharmcat/definition/alleles/DPYD_translation.json",
			paths:   []string{srcTranslation},
			derived: "verbatim copy (DPYD_translation.json.gz); CPIC DPYD positions of the dpyd panel regions; cross-check of the liftover at all CPIC positions",
		},
		{
			name: "PharmCAT DPYD phenotypes", release: "PharmCAT v3.1.1 (commit 5431bf1), data " + b.phenoVersion,
			licence: "MPL-2.0 (https://mozilla.org/MPL/2.0/); CPIC content CC0",
			origin:  "github.com/PharmGKB/PharmCAT src/main/resources/org/pharmgkb/pharmcat/phenotype/DPYD.json",
			paths:   []string{srcPhenotype},
			derived: "verbatim copy (DPYD_phenotype.json.gz): CPIC activity values and diplotype-to-phenotype rows",
		},
		{
			name: "PharmCAT UGT1A1, TPMT and NUDT15 allele definitions", release: "PharmCAT v3.1.1 (commit 5431bf1), definition data " + strings.Join(b.namedVersions, ", "),
			licence: "MPL-2.0 (https://mozilla.org/MPL/2.0/)",
			origin:  "github.com/PharmGKB/PharmCAT src/main/resources/org/pharmgkb/pharmcat/definition/alleles/{UGT1A1,TPMT,NUDT15}_translation.json; pharmcat_positions.vcf",
			paths:   []string{srcNamedTranslation("UGT1A1"), srcNamedTranslation("TPMT"), srcNamedTranslation("NUDT15"), srcPositions},
			derived: "verbatim copies ({GENE}_translation.json.gz); the definition positions of the ugt1a1, tpmt and nudt15 panel regions (REF and ALTs checked against pharmcat_positions.vcf)",
		},
		{
			name: "PharmCAT UGT1A1, TPMT and NUDT15 phenotypes", release: "PharmCAT v3.1.1 (commit 5431bf1)",
			licence: "MPL-2.0 (https://mozilla.org/MPL/2.0/); CPIC content CC0",
			origin:  "github.com/PharmGKB/PharmCAT src/main/resources/org/pharmgkb/pharmcat/phenotype/{UGT1A1,TPMT,NUDT15}.json",
			paths:   []string{srcNamedPhenotype("UGT1A1"), srcNamedPhenotype("TPMT"), srcNamedPhenotype("NUDT15")},
			derived: "verbatim copies ({GENE}_phenotype.json.gz): CPIC allele functions and diplotype-to-phenotype rows",
		},
		{
			name: "Oncology PGx recommendation texts", release: "CPIC and DPWG texts from PharmCAT v2.12.0 (commit 0585c29, data 2024-03-25); FDA label texts from PharmCAT data 2026-05-05",
			licence: "MPL-2.0 (PharmCAT files); ClinPGx annotation data CC BY-SA 4.0; FDA label text public domain",
			origin:  "precis shared data pgx/guidelines/ONCOLOGY_PGX_RECOMMENDATIONS.md (rendered from PharmCAT guideline annotations); github.com/PharmGKB/PharmCAT src/main/resources/org/pharmgkb/pharmcat/reporter/guidelines/ @v2.12.0",
			paths:   []string{srcGuidelinesMD, srcGuidelinesJSON},
			derived: "verbatim copies (guidelines.*.gz): CPIC thiopurine, DPWG thiopurine and irinotecan, FDA irinotecan and sacituzumab govitecan texts by phenotype",
		},
		{
			name: "CPIC DPYD guideline", release: "CPIC DPYD diplotype-phenotype table (Amstutz et al. 2018, Clin Pharmacol Ther 103:210-216, and its updates)",
			licence: "CC0 (CPIC data)",
			origin:  "https://cpicpgx.org/guidelines/guideline-for-fluoropyrimidines-and-dpyd/ (download via github.com/hhakimjavadichla/PGxBridge)",
			paths:   []string{srcCPIC},
			derived: "nothing shipped; cross-check of the PharmCAT phenotype rows",
		},
		{
			name: "POLE hotspots", release: "León-Castillo et al. 2020",
			licence: "facts from the literature (not copyrightable)",
			origin:  leonCastillo2020,
			derived: "the 11 pathogenic POLE exonuclease-domain mutations (hotspots.tsv) and their codons in the pole panel regions",
		},
	}...)
}

// clinvarLicence is the licence of NCBI's ClinVar data.
const clinvarLicence = "public domain (NCBI ClinVar data; https://www.ncbi.nlm.nih.gov/home/about/policies/)"

// plp2Only reports whether the ClinVar file rel is the shared data folder's 2024-12 extract,
// which holds only P/LP records with review >= 2 stars (Build checks that it does).
func plp2Only(rel string) bool { return path.Base(rel) == path.Base(srcClinVar2024) }

// clinvarCatalogue describes the ClinVar files read, newest release first: each by its
// release and name, the shared data folder's two files with their curated origin. The
// default selection (those two files) keeps its curated descriptions of what each gives.
func (b *builder) clinvarCatalogue() []catalogueEntry {
	isDefault := len(b.clinvarFiles) == len(DefaultClinVar)
	for _, rel := range DefaultClinVar {
		isDefault = isDefault && slices.Contains(b.clinvarFiles, rel)
	}
	files := slices.Clone(b.clinvarFiles)
	sort.SliceStable(files, func(i, j int) bool { return b.releases[files[i]] > b.releases[files[j]] })
	derived := "classifications of the records that name a panel gene"
	if len(files) > 1 {
		derived += "; where several releases list a variant, the newest wins"
	}
	var out []catalogueEntry
	for _, rel := range files {
		c := catalogueEntry{name: "ClinVar", release: b.releases[rel], licence: clinvarLicence,
			origin: "NCBI ClinVar GRCh38 VCF (https://ftp.ncbi.nlm.nih.gov/pub/clinvar/vcf_GRCh38/), file " + path.Base(rel),
			paths:  []string{rel}, derived: derived}
		switch path.Base(rel) {
		case path.Base(srcClinVar2026):
			c.origin = "NCBI ClinVar GRCh38 VCF (https://ftp.ncbi.nlm.nih.gov/pub/clinvar/vcf_GRCh38/), gene subset via github.com/astone0411/VCFannotate-Streamlit"
			if isDefault {
				c.derived = "classifications (all classes) of the records whose GENEINFO names a panel gene; the newer release where both list a variant"
			}
		case path.Base(srcClinVar2024):
			c.name = "ClinVar P/LP 2-star"
			c.release += " (pathogenic/likely pathogenic, review >= 2 stars)"
			c.licence = "public domain (NCBI ClinVar data); Ideogram.js cache CC0"
			c.origin = "ClinVar clinvar_20241215 GRCh38, decoded from the ClinVar cache in npm ideogram@1.53.0"
			if isDefault {
				c.derived = "P/LP classifications of all nine panel genes where the newer release lacks the variant; ClinVar P/LP regions"
			}
		}
		out = append(out, c)
	}
	return out
}

// sources resolves the catalogue against the files the build read: every read file must
// belong to exactly one source, and every source's paths must have been read.
func (b *builder) sources() ([]kb.Source, error) {
	owner := map[string]string{}
	var out []kb.Source
	for _, c := range b.catalogue() {
		s := kb.Source{Name: c.name, Release: c.release, Licence: c.licence, Origin: c.origin, Derived: c.derived}
		for _, p := range c.paths {
			matched := 0
			for _, rel := range slices.Sorted(maps.Keys(b.r.files)) {
				if ok, _ := path.Match(p, rel); !ok {
					continue
				}
				if prev, dup := owner[rel]; dup {
					return nil, fmt.Errorf("kb: source %s is catalogued twice (%s, %s)", rel, prev, c.name)
				}
				owner[rel] = c.name
				d := b.r.files[rel]
				s.Files = append(s.Files, kb.SourceFile{Path: rel, SHA256: d.sha256, Bytes: d.size})
				matched++
			}
			if matched == 0 {
				return nil, fmt.Errorf("kb: source %q: %s was not read", c.name, p)
			}
		}
		out = append(out, s)
	}
	for _, rel := range slices.Sorted(maps.Keys(b.r.files)) {
		if _, ok := owner[rel]; !ok {
			return nil, fmt.Errorf("kb: %s was read but is not in the source catalogue", rel)
		}
	}
	return out, nil
}

// notice renders data/NOTICE: the provenance and licences of everything in data/.
func notice(version string, m kb.Manifest) []byte {
	var w bytes.Buffer
	fmt.Fprintf(&w, "Precis knowledge base %s\n", version)
	w.WriteString(strings.Repeat("=", 80) + "\n\n")
	w.WriteString(wrap(`The files in this directory were generated by "precis kb build" (package
internal/kb/build, function Build) from the source files listed below; do not edit them by hand.
Precis itself is licensed under the Apache License 2.0. That licence covers the Precis code
only: it does not change the licence of the data below, each of which stays under its own
terms as stated. manifest.json lists the same information in machine-readable form, with the
SHA-256 of every source file and of every file in this directory.`) + "\n\n")
	w.WriteString(wrap(`Several files are verbatim copies of PharmCAT source files (gzip-compressed here):
DPYD_translation.json.gz, DPYD_phenotype.json.gz, UGT1A1_, TPMT_ and NUDT15_translation.json.gz and
_phenotype.json.gz (PharmCAT v3.1.1), and guidelines.*.json.gz (PharmCAT
v2.12.0, commit 0585c29). They are subject to the terms of the
Mozilla Public License, v. 2.0. If a copy of the MPL was not distributed with this file, you
can obtain one at https://mozilla.org/MPL/2.0/. Their source form is available from
https://github.com/PharmGKB/PharmCAT (release v3.1.1, commit 5431bf1; release v2.12.0,
commit 0585c29). guidelines.ONCOLOGY_PGX_RECOMMENDATIONS.md.gz renders PharmCAT's guideline
annotations (MPL-2.0; ClinPGx annotation data CC BY-SA 4.0) and FDA label texts (public
domain).`) + "\n\n")
	w.WriteString("Sources\n-------\n\n")
	for i, s := range m.Sources {
		fmt.Fprintf(&w, "%d. %s\n", i+1, s.Name)
		fmt.Fprintf(&w, "   Release: %s\n", s.Release)
		fmt.Fprintf(&w, "   Licence: %s\n", s.Licence)
		fmt.Fprintf(&w, "   Origin:  %s\n", s.Origin)
		fmt.Fprintf(&w, "   Derived: %s\n", s.Derived)
		for _, f := range s.Files {
			fmt.Fprintf(&w, "   File:    %s\n            sha256 %s (%d bytes)\n", f.Path, f.SHA256, f.Bytes)
		}
		w.WriteString("\n")
	}
	w.WriteString("Files in this directory\n-----------------------\n\n")
	files := append([]kb.DataFile(nil), m.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		fmt.Fprintf(&w, "%s: %s\n   sha256 of the content%s: %s\n", f.Path, f.Description, map[bool]string{true: " (uncompressed)", false: ""}[f.Gzip], f.SHA256)
	}
	w.WriteString("\nChecks passed when this knowledge base was built\n------------------------------------------------\n\n")
	for _, c := range m.Checks {
		w.WriteString(wrap("- "+c) + "\n")
	}
	return w.Bytes()
}

// wrap re-flows text to lines of at most 92 characters, keeping paragraph breaks; lines
// after the first of a "- " item are indented by two spaces.
func wrap(text string) string {
	words := strings.Fields(text)
	var lines []string
	line := ""
	indent := ""
	if strings.HasPrefix(text, "- ") {
		indent = "  "
	}
	for _, w := range words {
		if line != "" && len(line)+1+len(w) > 92 {
			lines = append(lines, line)
			line = indent + w
			continue
		}
		if line == "" {
			line = w
		} else if line == indent {
			line += w
		} else {
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
