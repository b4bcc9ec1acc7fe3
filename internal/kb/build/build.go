// Package build derives Precis's knowledge base (package kb) from the source files in the
// shared data folder (see its README.md): it reads ClinVar's VCFs, the MANE summary and the
// exon models, the genomic and transcript sequences and PharmCAT's DPYD definitions,
// verifies them against each other and writes the files kb embeds, with their provenance
// (manifest.json and NOTICE). Only "precis kb build" runs it; the service never does.
//
// Coordinates: as in package kb, positions are 1-based and ranges inclusive; the 0-based
// half-open BED inputs are converted when read.
package build

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/vcf"
)

// Source files read by Build, relative to the shared data folder.
const (
	srcMANE          = "genes/MANE.GRCh38.v1.0.summary.txt.gz"
	srcBED38         = "genes/panel9.GRCh38.ensembl110_canonical.exons.bed"
	srcExonModels    = "genes/sequence/exon_models.tsv"
	srcSlices38      = "genes/sequence/GRCh38/*.fa"
	srcSlices37      = "genes/sequence/GRCh37/*.fa"
	srcBED37         = "genes/grch37/panel9.GRCh37.ensembl75_canonical.exons.bed"
	srcMarkers       = "genes/build_markers.GRCh37_vs_GRCh38.tsv"
	srcClinVar2026   = "clinvar/clinvar_genes.GRCh38.20260226.vcf.gz"
	srcClinVar2024   = "clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"
	srcTranslation   = "pgx/pharmcat/DPYD_translation.json"
	srcPhenotype     = "pgx/pharmcat/DPYD_phenotype.json"
	srcCPIC          = "pgx/cpic/DPYD_Diplotype_Phenotype_Table.csv"
	srcTranscriptDir = "genes/sequence/transcripts/"
)

// transcriptFASTA names the transcript sequence files: the exact MANE sequences of BRCA1,
// BRCA2 and POLE and the MLH1 transcript reconstructed from MANE v1.5 exons.
var transcriptFASTA = map[string]string{
	"BRCA1": srcTranscriptDir + "NM_007294.4.fa",
	"BRCA2": srcTranscriptDir + "NM_000059.4.fa",
	"MLH1":  srcTranscriptDir + "NM_000249.4.reconstructed.fa",
	"POLE":  srcTranscriptDir + "NM_006231.4.fa",
}

// exonModelGenes take their exons from exon_models.tsv (MANE rows with transcript
// coordinates); the other genes from the Ensembl 110 BED.
var exonModelGenes = map[string]bool{"BRCA1": true, "BRCA2": true, "MLH1": true}

// leonCastillo2020 cites the source of the POLE hotspot list.
const leonCastillo2020 = "León-Castillo A et al. Interpretation of somatic POLE mutations in endometrial carcinoma. J Pathol 2020;250:323-335. doi:10.1002/path.5372"

// poleEDMs are the pathogenic POLE exonuclease-domain mutations (EDMs) of León-Castillo
// et al. 2020 (J Pathol 250:323-335, doi:10.1002/path.5372): the five established
// hotspots (P286R, V411L, S297F, A456P, S459F) and the six further EDMs their POLE-score
// classified as pathogenic. ESGO/ESTRO/ESP 2020 endometrial-carcinoma guidelines use
// this list for the POLE-mutant molecular class. The positions are NP_006222.2 (the
// protein of MANE Select NM_006231.4); Build checks every reference amino acid against the
// translated transcript.
var poleEDMs = []string{"P286R", "V411L", "S297F", "A456P", "S459F", "F367S", "L424I", "M295R", "P436R", "M444K", "D368Y"}

// Build derives the knowledge base from the source files in srcDir (the shared data
// folder) and writes it to outDir, with the default ClinVar selection (both ClinVar files of
// the shared data folder). The output is deterministic: the same sources give
// byte-identical files (gzip streams carry no name or time). Build verifies the data as it
// goes (transcripts translate, REF alleles match the reference, sources agree) and fails
// with kb.ErrInconsistent when a check fails; the checks passed are listed in the manifest.
// Files already in outDir that Build does not write are left alone (TestBuild fails when
// the committed data/ holds one). "precis kb build" calls it with outDir internal/kb/data.
func Build(srcDir, outDir string) error {
	_, err := Run(Options{Src: srcDir, Out: outDir})
	return err
}

// Options selects what Run builds.
type Options struct {
	Src string // the shared data folder (MANE, exon models, sequences, PharmCAT, CPIC)
	Out string // the directory to write the knowledge base into (created when missing)
	// ClinVar lists the ClinVar VCFs (GRCh38; NCBI's monthly clinvar.vcf.gz format or the
	// subsets in the shared data folder) the knowledge base takes its classifications from.
	// Empty: the two files of the shared data folder (DefaultClinVar). Each file's release
	// is read from its header; where releases list the same variant, the newest wins.
	ClinVar []string
}

// DefaultClinVar lists the ClinVar files Run reads when Options.ClinVar is empty, relative to
// the shared data folder.
var DefaultClinVar = []string{srcClinVar2026, srcClinVar2024}

// Run builds a knowledge base as Options say and returns its version (the one
// kb.LoadDir(o.Out) reports).
func Run(o Options) (version string, err error) {
	b := &builder{r: &sourceReader{root: o.Src, files: map[string]fileDigest{}, paths: map[string]string{}}}
	if _, err := os.Stat(filepath.Join(o.Src, filepath.FromSlash(srcMANE))); err != nil {
		return "", fmt.Errorf("kb: %s is not the shared data folder: %w", o.Src, err)
	}
	if b.clinvarFiles, err = b.r.addFiles(o.ClinVar); err != nil {
		return "", err
	}
	if len(b.clinvarFiles) == 0 {
		b.clinvarFiles = DefaultClinVar
	}
	steps := []func() error{
		b.transcripts, b.genome38, b.verifyTranscripts, b.clinvar, b.pgx, b.namedPGx,
		b.hotspots, b.regions, b.genome37, b.markers, b.liftover,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return "", err
		}
	}
	return b.write(o.Out)
}

// panelGene is one gene of the panels with its MANE Select transcript and its panel.
type panelGene struct{ gene, refseq, panel string }

// panelGenes lists the panel genes of package kb in panel order.
func panelGenes() []panelGene {
	var out []panelGene
	for _, g := range kb.Genes() {
		out = append(out, panelGene{g, kb.MANESelect(g), kb.PanelOf(g)})
	}
	return out
}

type builder struct {
	r      *sourceReader
	checks []string

	mane         map[string]maneRow
	tx           map[string]*transcript.Transcript
	g38, g37     *kb.Genome
	clinvarDB    *kb.ClinVar
	clinvarFiles []string          // the ClinVar sources read, as the manifest names them
	releases     map[string]string // ClinVar source path -> release
	rawRegions   []kb.Region
	regionList   []kb.Region
	hotspotList  []kb.Hotspot
	translation  []byte
	phenotype    []byte
	dpydVersion  string
	phenoVersion string
	markersRaw   []byte
	markerCount  int

	named         map[string][2][]byte // UGT1A1, TPMT, NUDT15: translation and phenotype, verbatim
	namedVersions []string             // "TPMT 2025-11-05-00-25"
	guidelineMD   []byte
	guidelineJSON map[string][]byte // "{name}.json" (PharmCAT v2.12.0) -> bytes

	slices37, slices38 []kb.Segment // the genomic slices as read (GRCh38: without POLE)
	full37             *kb.Genome   // all GRCh37 slice bases (g37 keeps the exons only)
	lift               *kb.Liftover
	poleBlocks         []kb.LiftBlock // POLE exons mapped by exon model (no GRCh37 sequence)
}

func (b *builder) check(format string, args ...any) {
	b.checks = append(b.checks, fmt.Sprintf(format, args...))
}

func (b *builder) readString(rel string) (string, error) {
	data, err := b.r.read(rel, true)
	return string(data), err
}

// transcriptSequence reads the transcript FASTA rel: the accession, the CDS range its
// header states (1-based transcript positions) and the bases.
func (b *builder) transcriptSequence(rel string) (acc string, cdsStart, cdsEnd int, seq string, err error) {
	data, err := b.readString(rel)
	if err != nil {
		return "", 0, 0, "", err
	}
	return readTranscriptFASTA(rel, data)
}

// transcripts builds the nine MANE Select transcript models and cross-checks the two
// exon-model sources where both describe a transcript.
func (b *builder) transcripts() error {
	mane, err := b.readString(srcMANE)
	if err != nil {
		return err
	}
	if b.mane, err = readMANE(mane); err != nil {
		return fmt.Errorf("%s: %w", srcMANE, err)
	}
	bed, err := b.readString(srcBED38)
	if err != nil {
		return err
	}
	em, err := b.readString(srcExonModels)
	if err != nil {
		return err
	}
	b.tx = map[string]*transcript.Transcript{}
	for _, pg := range panelGenes() {
		bedT, enst, err := readBEDModel(bed, pg.refseq)
		if err != nil {
			return fmt.Errorf("%s: %w", srcBED38, err)
		}
		t := bedT
		if exonModelGenes[pg.gene] {
			emT, err := readExonModels(em, pg.refseq)
			if err != nil {
				return fmt.Errorf("%s: %w", srcExonModels, err)
			}
			if d := modelDifference(emT, bedT); d != "" {
				return fmt.Errorf("%w: %s %s: exon_models.tsv and the Ensembl 110 BED disagree: %s", kb.ErrInconsistent, pg.gene, pg.refseq, d)
			}
			b.check("%s %s: exon_models.tsv (MANE) and the Ensembl 110 BED agree on all %d exons and the CDS (c.1 at transcript position %d, stop codon ending at %d)",
				pg.gene, pg.refseq, len(emT.Exons), emT.CDSStart, emT.CDSEnd)
			t = emT
		}
		m := b.mane[pg.gene]
		if t.Gene != pg.gene || enst != m.ensembl || t.Chrom != m.chrom || t.Strand != m.strand {
			return fmt.Errorf("%w: %s %s: model (%s %s strand %d, %s) disagrees with MANE v1.0 (%s strand %d, %s)",
				kb.ErrInconsistent, pg.gene, pg.refseq, t.Gene, t.Chrom, t.Strand, enst, m.chrom, m.strand, m.ensembl)
		}
		lo, hi := span(t)
		if lo != m.start || hi != m.end {
			return fmt.Errorf("%w: %s %s: exons span %d-%d, MANE v1.0 says %d-%d", kb.ErrInconsistent, pg.gene, pg.refseq, lo, hi, m.start, m.end)
		}
		t.Ensembl = m.ensembl
		b.tx[pg.gene] = t
	}
	b.check("all 9 transcripts are MANE v1.0 MANE Select (RefSeq and Ensembl accessions, contig, strand and span agree with the MANE summary)")
	return nil
}

// checkCDS verifies that cds is a complete open reading frame: a multiple of three long,
// starting with ATG, ending with a stop codon and free of internal stops.
func checkCDS(name, cds string) error {
	if len(cds)%3 != 0 {
		return fmt.Errorf("%w: %s: CDS length %d is not a multiple of 3", kb.ErrInconsistent, name, len(cds))
	}
	if !strings.HasPrefix(cds, "ATG") {
		return fmt.Errorf("%w: %s: CDS starts with %.3s, not ATG", kb.ErrInconsistent, name, cds)
	}
	p := transcript.Translate(cds)
	if p[len(p)-1] != '*' {
		return fmt.Errorf("%w: %s: CDS ends with %s, not a stop codon", kb.ErrInconsistent, name, cds[len(cds)-3:])
	}
	if i := strings.IndexAny(p[:len(p)-1], "*X"); i >= 0 {
		return fmt.Errorf("%w: %s: codon %d (%s) is a stop or unreadable", kb.ErrInconsistent, name, i+1, cds[3*i:3*i+3])
	}
	return nil
}

// span returns the genomic extent of t's exons (1-based inclusive).
func span(t *transcript.Transcript) (lo, hi int) {
	lo, hi = t.Exons[0].Start, t.Exons[0].End
	for _, e := range t.Exons {
		lo, hi = min(lo, e.Start), max(hi, e.End)
	}
	return lo, hi
}

// modelDifference describes the first difference between two transcript models, or "".
func modelDifference(a, b *transcript.Transcript) string {
	switch {
	case a.Chrom != b.Chrom || a.Strand != b.Strand:
		return fmt.Sprintf("contig/strand %s/%d vs %s/%d", a.Chrom, a.Strand, b.Chrom, b.Strand)
	case len(a.Exons) != len(b.Exons):
		return fmt.Sprintf("%d vs %d exons", len(a.Exons), len(b.Exons))
	}
	for i := range a.Exons {
		if a.Exons[i] != b.Exons[i] {
			return fmt.Sprintf("exon %d is %d-%d vs %d-%d", i+1, a.Exons[i].Start, a.Exons[i].End, b.Exons[i].Start, b.Exons[i].End)
		}
	}
	if a.CDSStart != b.CDSStart || a.CDSEnd != b.CDSEnd {
		return fmt.Sprintf("CDS %d..%d vs %d..%d", a.CDSStart, a.CDSEnd, b.CDSStart, b.CDSEnd)
	}
	return ""
}

// genome38 assembles the GRCh38 bases: the eight LRG-derived slices, and the POLE
// transcript's bases placed onto its exons (there is no POLE genomic slice).
func (b *builder) genome38() error {
	segs, err := b.readSlices(srcSlices38, "GRCh38")
	if err != nil {
		return err
	}
	b.slices38 = slices.Clone(segs)
	t := b.tx["POLE"]
	rel := transcriptFASTA["POLE"]
	acc, cs, ce, seq, err := b.transcriptSequence(rel)
	if err != nil {
		return err
	}
	if acc != t.ID || cs != t.CDSStart || ce != t.CDSEnd || len(seq) != t.Len() {
		return fmt.Errorf("%w: %s (%s, CDS %d..%d, %d nt) does not fit the %s model (CDS %d..%d, %d nt)",
			kb.ErrInconsistent, rel, acc, cs, ce, len(seq), t.ID, t.CDSStart, t.CDSEnd, t.Len())
	}
	off := 0
	for i, e := range t.Exons {
		n := e.End - e.Start + 1
		piece := seq[off : off+n]
		if t.Strand < 0 {
			piece = transcript.ReverseComplement(piece)
		}
		segs = append(segs, kb.Segment{Chrom: t.Chrom, Start: e.Start, Seq: piece,
			Label: fmt.Sprintf("POLE exon %d, bases of %s placed on the exon (%s)", i+1, t.ID, path.Base(rel))})
		off += n
	}
	b.check("POLE: no genomic slice; the %d bases of %s were placed onto its %d exons (minus strand, reverse complemented); introns stay unknown",
		len(seq), t.ID, len(t.Exons))
	b.g38, err = kb.NewGenome("GRCh38", segs)
	return err
}

// readSlices reads the plus-strand genomic slices matching pattern.
func (b *builder) readSlices(pattern, build string) ([]kb.Segment, error) {
	files, err := b.r.glob(pattern)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("kb: no %s sequence files match %s", build, pattern)
	}
	var segs []kb.Segment
	for _, rel := range files {
		data, err := b.readString(rel)
		if err != nil {
			return nil, err
		}
		seg, err := readSlice(rel, data)
		if err != nil {
			return nil, err
		}
		gene, _, _ := strings.Cut(path.Base(rel), "_")
		seg.Label = fmt.Sprintf("%s LRG-derived %s (%s)", gene, build, path.Base(rel))
		segs = append(segs, seg)
	}
	return segs, nil
}

// verifyTranscripts checks every transcript against the sequence: a complete open reading
// frame, and for the transcripts with a sequence file, the spliced exons equal it.
func (b *builder) verifyTranscripts() error {
	for _, pg := range panelGenes() {
		t := b.tx[pg.gene]
		cds, ok := b.g38.CDS(t)
		if !ok {
			return fmt.Errorf("%w: %s %s: CDS bases are not all in the GRCh38 sequence", kb.ErrInconsistent, pg.gene, t.ID)
		}
		if err := checkCDS(pg.gene+" "+t.ID, cds); err != nil {
			return err
		}
		b.check("%s %s: CDS of %d nt (%d amino acids and a stop) starts ATG, ends %s, no internal stop", pg.gene, t.ID, len(cds), len(cds)/3-1, cds[len(cds)-3:])
		if _, ok := b.g38.Spliced(t); !ok {
			var missing []string
			for _, e := range t.Exons {
				for p := e.Start; p <= e.End; {
					if _, ok := b.g38.Fetch(t.Chrom, p, p); ok {
						p++
						continue
					}
					q := p
					for q+1 <= e.End {
						if _, ok := b.g38.Fetch(t.Chrom, q+1, q+1); ok {
							break
						}
						q++
					}
					missing = append(missing, fmt.Sprintf("%s:%d-%d", t.Chrom, p, q))
					p = q + 1
				}
			}
			b.check("%s %s: exon bases %s are outside the GRCh38 sources (UTR; the CDS is complete)", pg.gene, t.ID, strings.Join(missing, ", "))
		}
		rel, ok := transcriptFASTA[pg.gene]
		if !ok {
			continue
		}
		acc, cs, ce, seq, err := b.transcriptSequence(rel)
		if err != nil {
			return err
		}
		spliced, ok := b.g38.Spliced(t)
		if !ok || acc != t.ID || cs != t.CDSStart || ce != t.CDSEnd {
			return fmt.Errorf("%w: %s: %s CDS %d..%d vs model %s CDS %d..%d (sequence known: %v)",
				kb.ErrInconsistent, rel, acc, cs, ce, t.ID, t.CDSStart, t.CDSEnd, ok)
		}
		if spliced != seq {
			i := 0
			for i < min(len(seq), len(spliced)) && seq[i] == spliced[i] {
				i++
			}
			return fmt.Errorf("%w: %s: spliced GRCh38 exons (%d nt) differ from %s (%d nt) at transcript position %d",
				kb.ErrInconsistent, t.ID, len(spliced), rel, len(seq), i+1)
		}
		b.check("%s %s: spliced GRCh38 exon sequence equals %s (%d nt)", pg.gene, t.ID, path.Base(rel), len(seq))
	}
	return nil
}

// clinvar reads the ClinVar files, checks every REF against the reference, and merges
// them: one entry per variant (contig, position, REF and ALT as ClinVar's VCF writes them,
// left-aligned), the newer release winning. Every entry keeps the release it came from.
func (b *builder) clinvar() error {
	b.releases = map[string]string{}
	type file struct {
		rel     string
		release string
		entries []kb.Entry
	}
	var files []file
	for _, rel := range b.clinvarFiles {
		rd, err := b.r.open(rel, true)
		if err != nil {
			return err
		}
		name := rel // errors name the file as given
		if p, ok := b.r.paths[rel]; ok {
			name = p
		}
		release, entries, err := readClinVarVCF(name, rd)
		if err != nil {
			return err
		}
		b.releases[rel] = release
		files = append(files, file{rel, release, entries})
	}
	// Oldest first, so that newer releases overwrite.
	sort.SliceStable(files, func(i, j int) bool { return files[i].release < files[j].release })
	merged := map[string]kb.Entry{}
	inBoth, changed := 0, map[string]int{}
	for _, f := range files {
		checked, outside, notPLP2, noAlt := 0, 0, 0, 0
		var bad []string
		for _, e := range f.entries {
			got, ok := b.g38.Fetch(e.Chrom, e.Pos, e.Pos+len(e.Ref)-1)
			switch {
			case !ok:
				outside++
			case got != e.Ref:
				bad = append(bad, fmt.Sprintf("%s:%d %s (reference %s)", e.Chrom, e.Pos, e.Ref, got))
			default:
				checked++
			}
			if e.Alt == "." {
				noAlt++
				continue
			}
			if plp2Only(f.rel) && (!kb.IsPLP(e.Classification) || e.Stars < 2) {
				notPLP2++
			}
			if kb.IsPLP(e.Classification) {
				b.rawRegions = append(b.rawRegions, kb.Region{Chrom: e.Chrom, Start: e.Pos, End: e.Pos + len(e.Ref) - 1,
					Gene: e.Gene, Panel: kb.PanelOf(e.Gene), Kind: kb.KindClinVarPLP})
			}
			k := fmt.Sprintf("%s:%d:%s:%s", e.Chrom, e.Pos, e.Ref, e.Alt)
			if old, ok := merged[k]; ok {
				if old.Release == e.Release {
					return fmt.Errorf("%w: %s: %s listed twice in %s", kb.ErrInconsistent, f.rel, k, e.Release)
				}
				inBoth++
				if old.Classification != e.Classification {
					changed[old.Classification+" -> "+e.Classification]++
				}
			}
			merged[k] = e
		}
		if len(bad) > 0 {
			return fmt.Errorf("%w: %s: %d REF alleles disagree with GRCh38, e.g. %s", kb.ErrInconsistent, f.rel, len(bad), bad[0])
		}
		b.check("%s (%s): %d records of the panel genes; REF equals the GRCh38 reference at all %d whose bases are known, %d lie outside the known sequence; %d reference-allele records (ALT \".\", HGVS g.=) not kept",
			f.release, path.Base(f.rel), len(f.entries), checked, outside, noAlt)
		if plp2Only(f.rel) && notPLP2 > 0 {
			return fmt.Errorf("%w: %s: %d records are not P/LP with >= 2 stars as the file claims", kb.ErrInconsistent, f.rel, notPLP2)
		}
	}
	entries := make([]kb.Entry, 0, len(merged))
	counts := map[string]int{}
	for _, e := range merged {
		entries = append(entries, e)
		counts[e.Release]++
	}
	var err error
	if b.clinvarDB, err = kb.NewClinVar(entries); err != nil {
		return err
	}
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d from %s", counts[r], r))
	}
	if len(files) == 1 {
		b.check("ClinVar: %d variants (%s)", len(entries), strings.Join(parts, ", "))
		return nil
	}
	both := "both releases list"
	if len(files) > 2 {
		both = "several releases list"
	}
	b.check("ClinVar merged: %d variants (%s); where %s a variant the newer wins", len(entries), strings.Join(parts, ", "), both)
	var moves []string
	nChanged := 0
	for _, m := range slices.Sorted(maps.Keys(changed)) {
		moves = append(moves, fmt.Sprintf("%s %d", m, changed[m]))
		nChanged += changed[m]
	}
	in := "both"
	if len(files) > 2 {
		in = "more than one"
	}
	b.check("ClinVar releases: %d variants are in %s; %d of them changed classification (%s)", inBoth, in, nChanged, strings.Join(moves, "; "))
	return nil
}

// pgx reads PharmCAT's DPYD definitions, checks every position's REF against the reference
// and cross-checks the phenotype table with CPIC's.
func (b *builder) pgx() error {
	var err error
	if b.translation, err = b.r.read(srcTranslation, false); err != nil {
		return err
	}
	if b.phenotype, err = b.r.read(srcPhenotype, false); err != nil {
		return err
	}
	cpic, err := b.r.read(srcCPIC, false)
	if err != nil {
		return err
	}
	def, err := parseDPYDTranslation(b.translation)
	if err != nil {
		return err
	}
	b.dpydVersion = def.Version
	for _, v := range def.Variants {
		chrom, _ := vcf.CanonicalChrom(v.Chromosome)
		end := v.Position + len(v.Ref) - 1
		got, ok := b.g38.Fetch(chrom, v.Position, end)
		if !ok || got != v.Ref {
			return fmt.Errorf("%w: %s: %s %s:%d REF %s, GRCh38 has %q", kb.ErrInconsistent, srcTranslation, v.RSID, chrom, v.Position, v.Ref, got)
		}
		b.rawRegions = append(b.rawRegions, kb.Region{Chrom: chrom, Start: v.Position, End: end, Gene: "DPYD", Panel: kb.PanelDPYD, Kind: kb.KindCPICPosition})
	}
	b.check("PharmCAT DPYD_translation.json: REF equals the GRCh38 reference at all %d positions", len(def.Variants))
	n, version, err := crossCheckCPIC(b.phenotype, cpic)
	if err != nil {
		return err
	}
	b.phenoVersion = version
	b.check("CPIC DPYD diplotype-phenotype table and PharmCAT DPYD_phenotype.json agree on all %d diplotypes (activity score and phenotype)", n)
	return nil
}

// hotspots checks each POLE EDM's reference amino acid against the translated MANE POLE
// CDS and adds its codon to the regions.
func (b *builder) hotspots() error {
	t := b.tx["POLE"]
	cds, ok := b.g38.CDS(t)
	if !ok {
		return fmt.Errorf("%w: POLE CDS unknown", kb.ErrInconsistent)
	}
	protein := transcript.Translate(cds)
	for _, s := range poleEDMs {
		h, err := kb.NewHotspot("POLE", s, leonCastillo2020)
		if err != nil {
			return err
		}
		if h.Codon > len(protein) || transcript.ThreeLetter(protein[h.Codon-1]) != h.Ref {
			return fmt.Errorf("%w: POLE %s: %s codon %d is not %s", kb.ErrInconsistent, s, t.ID, h.Codon, h.Ref)
		}
		first := t.CDSStart + 3*(h.Codon-1)
		for tx := first; tx <= first+2; tx++ { // a base at a time: a codon may span an intron
			p := t.Genomic(tx, 0)
			b.rawRegions = append(b.rawRegions, kb.Region{Chrom: t.Chrom, Start: p, End: p, Gene: "POLE", Panel: kb.PanelPOLE, Kind: kb.KindHotspot})
		}
		b.hotspotList = append(b.hotspotList, h)
	}
	b.check("POLE hotspots: the reference amino acid of all %d León-Castillo 2020 EDMs matches the translated %s CDS", len(poleEDMs), t.ID)
	return nil
}

// regions pads every exon and partitions all intervals per panel.
func (b *builder) regions() error {
	for _, pg := range panelGenes() {
		t := b.tx[pg.gene]
		for _, e := range t.Exons {
			b.rawRegions = append(b.rawRegions,
				kb.Region{Chrom: t.Chrom, Start: e.Start, End: e.End, Gene: pg.gene, Panel: pg.panel, Kind: kb.KindExon},
				kb.Region{Chrom: t.Chrom, Start: max(1, e.Start-kb.SplicePadding), End: e.Start - 1, Gene: pg.gene, Panel: pg.panel, Kind: kb.KindSplicePadding},
				kb.Region{Chrom: t.Chrom, Start: e.End + 1, End: e.End + kb.SplicePadding, Gene: pg.gene, Panel: pg.panel, Kind: kb.KindSplicePadding})
		}
	}
	for _, r := range b.rawRegions {
		if r.Panel == "" || r.End < r.Start {
			return fmt.Errorf("%w: region %+v", kb.ErrInconsistent, r)
		}
	}
	b.regionList = partitionRegions(b.rawRegions)
	bases := 0
	for _, r := range b.regionList {
		bases += r.End - r.Start + 1
	}
	b.check("regions: %d, covering %d bases (exons ±%d bp, %d PharmCAT/CPIC allele-definition positions (DPYD, UGT1A1, TPMT, NUDT15), ClinVar P/LP sites, %d POLE hotspot codons)",
		len(b.regionList), bases, kb.SplicePadding, countKind(b.rawRegions, kb.KindCPICPosition), len(b.hotspotList))
	return nil
}

func countKind(rs []kb.Region, kind string) int {
	n := 0
	for _, r := range rs {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// genome37 keeps the GRCh37 bases of every panel exon ±kb.GRCh37Flank that the GRCh37 slices
// cover.
func (b *builder) genome37() error {
	segs, err := b.readSlices(srcSlices37, "GRCh37")
	if err != nil {
		return err
	}
	full, err := kb.NewGenome("GRCh37", segs)
	if err != nil {
		return err
	}
	b.slices37, b.full37 = segs, full
	bed, err := b.readString(srcBED37)
	if err != nil {
		return err
	}
	var kept []kb.Segment
	exons, missing := map[string]int{}, map[string]int{}
	err = kb.EachLine(bed, func(n int, l string) error {
		f := strings.Split(l, "\t")
		if len(f) < 7 {
			return fmt.Errorf("%w: %s line %d: %d fields, want 8", kb.ErrFormat, srcBED37, n, len(f))
		}
		chrom, ok := vcf.CanonicalChrom(f[0])
		s0, err1 := strconv.Atoi(f[1])
		e, err2 := strconv.Atoi(f[2])
		if !ok || err1 != nil || err2 != nil || e <= s0 || kb.PanelOf(f[6]) == "" {
			return fmt.Errorf("%w: %s line %d: %s:%s-%s %s", kb.ErrFormat, srcBED37, n, f[0], f[1], f[2], f[6])
		}
		exons[f[6]]++
		a, z := max(1, s0+1-kb.GRCh37Flank), e+kb.GRCh37Flank // 0-based half-open -> 1-based, flanked
		// Keep the part of the flanked exon that the slices cover.
		covered := false
		for _, sp := range full.Spans() {
			lo, hi := max(a, sp.Start), min(z, sp.End)
			if sp.Chrom != chrom || lo > hi {
				continue
			}
			seq, _ := full.Fetch(chrom, lo, hi)
			kept = append(kept, kb.Segment{Chrom: chrom, Start: lo, Seq: seq,
				Label: fmt.Sprintf("%s GRCh37 exons ±%d bp (LRG-derived)", f[6], kb.GRCh37Flank)})
			covered = covered || (lo <= s0+1 && hi >= e)
		}
		if !covered {
			missing[f[6]]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if b.g37, err = kb.NewGenome("GRCh37", kept); err != nil {
		return err
	}
	var parts []string
	for _, g := range slices.Sorted(maps.Keys(missing)) {
		parts = append(parts, fmt.Sprintf("%s %d of %d exons", g, missing[g], exons[g]))
	}
	note := "none"
	if len(parts) > 0 {
		note = strings.Join(parts, ", ")
	}
	b.check("GRCh37: %d bases kept around the Ensembl 75 exons (±%d bp) of the panel genes; exons not fully covered by a GRCh37 sequence source: %s",
		b.g37.Len(), kb.GRCh37Flank, note)
	return nil
}

// markers copies the build-marker table and checks it against the other sources.
func (b *builder) markers() error {
	var err error
	if b.markersRaw, err = b.r.read(srcMarkers, false); err != nil {
		return err
	}
	ms, err := kb.ParseMarkers(string(b.markersRaw))
	if err != nil {
		return fmt.Errorf("%s: %w", srcMarkers, err)
	}
	b.markerCount = len(ms)
	spans, refs := 0, 0
	for _, m := range ms {
		switch m.Kind {
		case "gene_span":
			mr, ok := b.mane[m.Name]
			if !ok || mr.chrom != m.GRCh38Chrom || mr.start != m.GRCh38Start || mr.end != m.GRCh38End {
				return fmt.Errorf("%w: %s: gene_span %s %s:%d-%d is not the MANE v1.0 span", kb.ErrInconsistent, srcMarkers, m.Name, m.GRCh38Chrom, m.GRCh38Start, m.GRCh38End)
			}
			spans++
		case "pgx_variant":
			if m.RefGRCh38 == "" {
				continue
			}
			got, ok := b.g38.Fetch(m.GRCh38Chrom, m.GRCh38Start, m.GRCh38Start+len(m.RefGRCh38)-1)
			if !ok {
				continue // outside the panels (UGT1A1)
			}
			if got != m.RefGRCh38 {
				return fmt.Errorf("%w: %s: %s REF %s, GRCh38 has %s", kb.ErrInconsistent, srcMarkers, m.Name, m.RefGRCh38, got)
			}
			if g37, ok := b.g37.Fetch(m.GRCh37Chrom, m.GRCh37Start, m.GRCh37Start+len(m.RefGRCh37)-1); ok && g37 != m.RefGRCh37 {
				return fmt.Errorf("%w: %s: %s GRCh37 REF %s, GRCh37 has %s", kb.ErrInconsistent, srcMarkers, m.Name, m.RefGRCh37, g37)
			}
			refs++
		}
	}
	b.check("build markers: %d rows; %d gene spans equal MANE v1.0, %d PGx REF alleles inside the panels equal the reference", len(ms), spans, refs)
	return nil
}

// output is one file Build writes.
type output struct {
	name        string
	content     []byte
	gzip        bool
	records     int
	description string
}

// write writes the data files, the manifest and the NOTICE into outDir and returns the
// version.
func (b *builder) write(outDir string) (string, error) {
	var outs []output
	add := func(name string, gz bool, records int, desc string, fill func(*bytes.Buffer) error) error {
		var buf bytes.Buffer
		if err := fill(&buf); err != nil {
			return fmt.Errorf("kb: write %s: %w", name, err)
		}
		outs = append(outs, output{name, buf.Bytes(), gz, records, desc})
		return nil
	}
	raw := func(p []byte) func(*bytes.Buffer) error {
		return func(buf *bytes.Buffer) error { _, err := buf.Write(p); return err }
	}
	steps := []error{
		add(kb.FileTranscripts, false, len(b.tx), "MANE Select transcript models (exons 1-based inclusive GRCh38, transcript order; CDS in transcript positions)",
			func(buf *bytes.Buffer) error { return kb.WriteTranscripts(buf, b.tx) }),
		add(kb.FileGenome38, true, len(b.g38.Spans()), "GRCh38 reference bases inside the panels (FASTA; record names chrom:start-end, 1-based inclusive)",
			func(buf *bytes.Buffer) error { return kb.WriteFASTA(buf, b.g38) }),
		add(kb.FileGenome37, true, len(b.g37.Spans()), fmt.Sprintf("GRCh37 bases of the panel exons ±%d bp (FASTA; chrom:start-end, 1-based inclusive)", kb.GRCh37Flank),
			func(buf *bytes.Buffer) error { return kb.WriteFASTA(buf, b.g37) }),
		add(kb.FileClinVar, true, b.clinvarDB.Len(), "ClinVar classifications of the panel genes with their conditions and somatic classifications (TSV; 1-based VCF positions)",
			func(buf *bytes.Buffer) error { return kb.WriteClinVar(buf, b.clinvarDB) }),
		add(kb.FileRegions, false, len(b.regionList), "panel regions (TSV; 1-based inclusive)",
			func(buf *bytes.Buffer) error { return kb.WriteRegions(buf, b.regionList) }),
		add(kb.FileHotspots, false, len(b.hotspotList), "POLE exonuclease-domain pathogenic mutations (León-Castillo 2020)",
			func(buf *bytes.Buffer) error { return kb.WriteHotspots(buf, b.hotspotList) }),
		add(kb.FileMarkers, false, b.markerCount, "GRCh37-vs-GRCh38 build markers, verbatim copy of "+srcMarkers, raw(b.markersRaw)),
		add(kb.FileDPYDTranslation, true, 1, "PharmCAT DPYD_translation.json, verbatim (MPL-2.0)", raw(b.translation)),
		add(kb.FileDPYDPhenotype, true, 1, "PharmCAT DPYD_phenotype.json, verbatim (MPL-2.0)", raw(b.phenotype)),
		add(kb.FileLiftover, false, len(b.lift.Blocks())+len(b.lift.RefDiffs()), "GRCh37<->GRCh38 map of the panel genes: aligned blocks and reference differences, from an alignment of the two builds' sequence slices (POLE: exon models) (TSV; 1-based)",
			func(buf *bytes.Buffer) error { return kb.WriteLiftover(buf, b.lift) }),
	}
	for _, ng := range namedGenes {
		steps = append(steps,
			add(ng.translation, true, 1, "PharmCAT "+ng.gene+"_translation.json, verbatim (MPL-2.0)", raw(b.named[ng.gene][0])),
			add(ng.phenotype, true, 1, "PharmCAT "+ng.gene+"_phenotype.json, verbatim (MPL-2.0)", raw(b.named[ng.gene][1])))
	}
	steps = append(steps, add(kb.FileGuidelines, true, 1, "oncology PGx recommendation texts (CPIC, DPWG, FDA) by phenotype, verbatim copy of "+srcGuidelinesMD, raw(b.guidelineMD)))
	for _, name := range slices.Sorted(maps.Keys(b.guidelineJSON)) {
		steps = append(steps, add(kb.GuidelinePrefix+name+".gz", true, 1, "PharmCAT v2.12.0 guideline annotation "+name+", verbatim (MPL-2.0; reporter/guidelines/ @v2.12.0, commit 0585c29)", raw(b.guidelineJSON[name])))
	}
	for _, err := range steps {
		if err != nil {
			return "", err
		}
	}
	sources, err := b.sources()
	if err != nil {
		return "", err
	}
	newest := ""
	for _, r := range b.releases {
		newest = max(newest, strings.TrimPrefix(r, "ClinVar "))
	}
	m := kb.Manifest{Format: kb.ManifestFormat, Name: "Precis knowledge base", Released: newest, GenomeBuild: "GRCh38",
		SplicePadding: kb.SplicePadding, GRCh37Flank: kb.GRCh37Flank, Sources: sources, Checks: b.checks}
	for _, o := range outs {
		m.Files = append(m.Files, kb.DataFile{Path: o.name, SHA256: sha256Hex(o.content), Gzip: o.gzip, Records: o.records, Description: o.description})
	}
	mjson, version, err := kb.EncodeManifest(m)
	if err != nil {
		return "", err
	}
	outs = append(outs,
		output{name: kb.FileManifest, content: mjson},
		output{name: kb.FileNotice, content: notice(version, m)})

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("kb: %w", err)
	}
	for _, o := range outs {
		content := o.content
		if o.gzip {
			// DNA has little for deflate's match finder: Huffman coding alone gets close to
			// two bits a base, faster and smaller than the best LZ77 level.
			level := gzip.DefaultCompression
			if strings.HasSuffix(o.name, ".fa.gz") {
				level = gzip.HuffmanOnly
			}
			if content, err = gzipBytes(content, level); err != nil {
				return "", fmt.Errorf("kb: compress %s: %w", o.name, err)
			}
		}
		if err := writeFileAtomic(filepath.Join(outDir, o.name), content); err != nil {
			return "", err
		}
	}
	return version, nil
}

// gzipBytes compresses p with no name, comment or modification time in the header, so the
// output depends on p and level alone.
func gzipBytes(p []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(p); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeFileAtomic(name string, content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("kb: %w", err)
	}
	_, err = tmp.Write(content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("kb: write %s: %w", name, err)
	}
	return nil
}
