package build

// Readers of ClinVar's VCF: the records of the panel genes, with their conditions and
// somatic classifications encoded as the knowledge base's ClinVar table holds them.

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/vcf"
)

// clinvarRelease finds a ClinVar release date in a VCF header: ##fileDate=2026-02-26, or a
// clinvar_YYYYMMDD file name in ##source.
var (
	fileDateRe = regexp.MustCompile(`^##fileDate=(\d{4})-?(\d{2})-?(\d{2})\s*$`)
	sourceRe   = regexp.MustCompile(`^##source=.*clinvar_(\d{4})(\d{2})(\d{2})`)
	// grch37Re finds a header that names GRCh37 (NCBI's vcf_GRCh37 files, hg19, b37).
	grch37Re = regexp.MustCompile(`(?i)^##reference=.*(GRCh37|hg19|b37|assembly19)`)
)

// readClinVarVCF reads a ClinVar VCF (GRCh38) and returns its records for the panel
// genes, with the release named in its header. Genes come from GENEINFO
// ("BRCA1:672|LOC...:...") or, in the 2024 P/LP extract, GENE; records naming no panel
// gene are dropped. The file is read line by line: only the kept records stay in memory.
func readClinVarVCF(rel string, r io.Reader) (release string, out []kb.Entry, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 1; ; n++ {
		l, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return "", nil, fmt.Errorf("%w: %s line %d: %w", kb.ErrFormat, rel, n, rerr)
		}
		l = strings.TrimRight(l, "\r\n")
		switch {
		case l == "":
		case grch37Re.MatchString(l):
			return "", nil, fmt.Errorf("%w: %s line %d: %s: a GRCh37 ClinVar file; the knowledge base takes GRCh38 (vcf_GRCh38) releases", kb.ErrFormat, rel, n, l)
		case strings.HasPrefix(l, "##"):
			for _, re := range []*regexp.Regexp{fileDateRe, sourceRe} {
				if m := re.FindStringSubmatch(l); m != nil && release == "" {
					release = fmt.Sprintf("ClinVar %s-%s-%s", m[1], m[2], m[3])
				}
			}
		case strings.HasPrefix(l, "#"):
		case release == "":
			return "", nil, fmt.Errorf("%w: %s line %d: no ##fileDate or clinvar_YYYYMMDD source line before the records", kb.ErrFormat, rel, n)
		default:
			e, keep, err := parseClinVarRecord(l)
			if err != nil {
				return "", nil, fmt.Errorf("%w: %s line %d: %w", kb.ErrFormat, rel, n, err)
			}
			if keep {
				e.Release = release
				out = append(out, e)
			}
		}
		if rerr == io.EOF {
			if release == "" {
				return "", nil, fmt.Errorf("%w: %s: no ##fileDate or clinvar_YYYYMMDD source line names the ClinVar release", kb.ErrFormat, rel)
			}
			return release, out, nil
		}
	}
}

// parseClinVarRecord parses one ClinVar VCF data line. keep is false for a record that
// names no panel gene.
func parseClinVarRecord(l string) (e kb.Entry, keep bool, err error) {
	f := strings.SplitN(l, "\t", 9)
	if len(f) < 8 {
		return e, false, fmt.Errorf("%d fields, want 8", len(f))
	}
	chrom, ok := vcf.CanonicalChrom(f[0])
	if !ok {
		return e, false, nil // ClinVar also lists unplaced contigs; none is a panel locus
	}
	pos, err := strconv.Atoi(f[1])
	if err != nil || pos < 1 {
		return e, false, fmt.Errorf("POS %q", f[1])
	}
	// ALT "." is ClinVar's record of a reference allele (HGVS g.=); Build checks its REF
	// but does not keep it, since no sample variant can match it.
	if !kb.IsAlleles(f[3]) || (!kb.IsAlleles(f[4]) && f[4] != ".") {
		return e, false, fmt.Errorf("alleles %q>%q", f[3], f[4])
	}
	if !namesPanelGene(f[7]) {
		return e, false, nil
	}
	e = kb.Entry{Chrom: chrom, Pos: pos, Ref: f[3], Alt: f[4], VariationID: f[2]}
	var clndn, clndisdb, oncdn, oncdisdb, scidn, scidisdb string
	var som kb.Somatic
	for _, kv := range strings.Split(f[7], ";") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "GENEINFO":
			for _, gi := range strings.Split(v, "|") {
				sym, _, _ := strings.Cut(gi, ":")
				if kb.PanelOf(sym) != "" && e.Gene == "" {
					e.Gene = sym
				}
			}
		case "GENE":
			if kb.PanelOf(v) != "" {
				e.Gene = v
			}
		case "CLNSIG":
			e.CLNSIG = v
		case "CLNREVSTAT":
			e.ReviewStatus = v
		case "CLNDN":
			clndn = v
		case "CLNDISDB":
			clndisdb = v
		case "CLNDISDB_MONDO":
			e.ConditionText = encodeMONDO(v)
		case "ONC":
			som.Oncogenicity = v
		case "ONCREVSTAT":
			som.OncogenicityReview = v
		case "ONCDN":
			oncdn = v
		case "ONCDISDB":
			oncdisdb = v
		case "SCI":
			som.ClinicalImpact = v
		case "SCIREVSTAT":
			som.ClinicalImpactReview = v
		case "SCIDN":
			scidn = v
		case "SCIDISDB":
			scidisdb = v
		case "MC":
			for _, mc := range strings.Split(v, ",") {
				_, label, ok := strings.Cut(mc, "|")
				if !ok || label == "" {
					return e, false, fmt.Errorf("MC %q is not SO:id|label", mc)
				}
				e.MC = append(e.MC, label)
			}
		case "RS":
			first, _, _ := strings.Cut(v, "|")
			if _, err := strconv.Atoi(first); err != nil {
				return e, false, fmt.Errorf("RS %q", v)
			}
			e.RSID = "rs" + first
		}
	}
	if e.Gene == "" {
		return e, false, nil
	}
	if clndn != "" {
		e.ConditionText = encodeConditions(clndn, clndisdb)
	}
	if noSomatic(som.Oncogenicity) {
		som.Oncogenicity, som.OncogenicityReview = "", ""
	} else {
		som.OncogenicityConditions = encodeConditions(oncdn, oncdisdb)
	}
	if noSomatic(som.ClinicalImpact) {
		som.ClinicalImpact, som.ClinicalImpactReview = "", ""
	} else {
		som.ClinicalImpactConds = encodeConditions(scidn, scidisdb)
	}
	if som.Oncogenicity != "" || som.ClinicalImpact != "" {
		e.Somatic = &som
	}
	// A record without CLNSIG has no germline classification (only an oncogenicity or
	// somatic clinical-impact one, or none yet); it is kept as not_in_knowledge_base so a
	// report can still name the ClinVar variation.
	e.Stars = kb.ReviewStars(e.ReviewStatus)
	e.Classification = kb.ClassifyCLNSIG(e.CLNSIG)
	return e, true, nil
}

// namesPanelGene reports whether an INFO field may name a panel gene (a quick test that
// lets most records of other genes be skipped unparsed).
func namesPanelGene(info string) bool {
	for _, g := range kb.Genes() {
		if strings.Contains(info, g) {
			return true
		}
	}
	return false
}

// keptDB lists the CLNDISDB databases the knowledge base keeps, by ClinVar's tag, with the
// prefix an id is written with. MONDO is the ontology ClinGen and the condition rules use;
// MedGen is ClinVar's own concept id; OMIM names the Mendelian entry. MeSH, Orphanet and HPO
// ids add size without changing a rule.
var keptDB = map[string]string{"MONDO": "", "MedGen": "MedGen:", "OMIM": "OMIM:"}

// encodeConditions pairs ClinVar's CLNDN names with its CLNDISDB id lists (both
// '|'-separated, in the same order; "." for a condition without ids) in the table's encoding.
// ClinVar writes MONDO ids twice prefixed ("MONDO:MONDO:0005835"); the id is kept once.
func encodeConditions(clndn, clndisdb string) string {
	if clndn == "" || clndn == "." {
		return ""
	}
	names := strings.Split(clndn, "|")
	dbs := strings.Split(clndisdb, "|")
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(cleanConditionName(n))
		if i >= len(dbs) {
			continue
		}
		first := true
		for _, id := range strings.Split(dbs[i], ",") {
			tag, val, ok := strings.Cut(id, ":")
			prefix, keep := keptDB[tag]
			if !ok || !keep || val == "" {
				continue
			}
			if first {
				b.WriteByte('=')
				first = false
			} else {
				b.WriteByte(',')
			}
			b.WriteString(prefix + val)
		}
	}
	return b.String()
}

// encodeMONDO converts the 2024 P/LP extract's CLNDISDB_MONDO value ("0010130|Name,
// 0013196|Name", commas inside names written %2C) to the table's encoding.
func encodeMONDO(v string) string {
	if v == "" || v == "." || v == "-" {
		return ""
	}
	var parts []string
	for _, c := range strings.Split(v, ",") {
		id, name, ok := strings.Cut(c, "|")
		if !ok {
			id, name = "", id
		}
		name = cleanConditionName(strings.ReplaceAll(name, "%2C", ","))
		if id != "" {
			name += "=MONDO:" + id
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, "|")
}

// cleanConditionName keeps a name inside the table's encoding: no tab, '|' or '=' (ClinVar
// writes none), spaces as ClinVar's underscores.
func cleanConditionName(n string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\t', '|', '=', ' ':
			return '_'
		}
		return r
	}, n)
}

// noSomatic reports whether an ONC or SCI value says ClinVar has no somatic classification.
func noSomatic(v string) bool {
	return v == "" || v == "." || strings.HasPrefix(v, "no_classification")
}
