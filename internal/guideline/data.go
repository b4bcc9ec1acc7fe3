package guideline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrMalformed is wrapped by every error Parse returns.
var ErrMalformed = errors.New("guideline: malformed recommendation data")

// NoResult is the phenotype CPIC's thiopurine table looks up for a gene that was not called
// (PharmCAT: "No Result").
const NoResult = "No Result"

// Guideline is one guideline or label annotation for one drug: ClinPGx's annotation of a
// CPIC or DPWG guideline, or of an FDA label. It is a plain value.
type Guideline struct {
	ID        string   // ClinPGx annotation accession, e.g. PA166104933
	Name      string   // e.g. "Annotation of CPIC Guideline for azathioprine and NUDT15, TPMT"
	Source    string   // CPIC, DPWG or FDA
	Version   int      // annotation version; 0 when the file gives none
	Data      string   // ClinPGx data version, e.g. 2024-03-25-16-13; empty when not given
	Drug      string   // lower-case drug name
	Genes     []string // sorted gene symbols
	Citations string   // the publications or label versions, as the file lists them
	Origin    string   // where the texts were copied from, as the file says
	Rows      []Row
}

// Row is one recommendation of a Guideline. Exactly one of Phenotypes and Diplotype is set.
// It is a plain value.
type Row struct {
	ID           string            // ClinPGx recommendation accession, e.g. PA166297277
	Phenotypes   map[string]string // gene -> phenotype ("No Result": gene not called)
	Gene         string            // the gene of a Diplotype row
	Diplotype    string            // allele lookup, alleles sorted: "*28/*28", "*1/*80+*28"
	Text         string            // the recommendation, paragraphs separated by a blank line
	Implications string            // as the file writes them; several genes separated by " | "
	Strength     string            // classification as given ("Strong", "N/A", "No recommendation"); "none given" when the file has none
	Verified     bool              // shown word for word in PharmCAT 3.1.1 (see verified)
}

// Set is every guideline of one data version. Immutable after Parse; safe for concurrent use.
type Set struct {
	Guidelines []Guideline
}

// Markdown file lines.
var (
	// ### 1.1 azathioprine — Annotation of CPIC Guideline for azathioprine and NUDT15, TPMT (PA166104933, annotation version 52, data 2024-03-25-16-13)
	headingRE = regexp.MustCompile(`^### [0-9.]+ (?:.+? — )?(Annotation of (CPIC|DPWG|FDA) (?:Guideline|Label) for (.+?) and (.+?)) \((PA[0-9]+)(?:, annotation version ([0-9]+))?(?:, data ([0-9-]+))?\)$`)
	// **TPMT Normal Metabolizer · NUDT15 Normal Metabolizer** — strength: Strong — `PA166297277`
	rowRE = regexp.MustCompile("^\\*\\*(.+?)\\*\\* — strength: (.+?) — `(PA[0-9]+)`$")
	// one gene of a row key: "TPMT Normal Metabolizer" or "UGT1A1 *28/*28 (allele lookup)"
	keyRE    = regexp.MustCompile(`^([A-Z0-9]+) (.+?)( \(allele lookup\))?$`)
	geneName = regexp.MustCompile(`^[A-Z][A-Z0-9]+$`)
)

// Parse reads the recommendation Markdown (the one file named *.md) and the PharmCAT guideline
// JSON files (*.json) of files, keyed by name. Every CPIC and DPWG guideline of the Markdown
// needs its JSON, and every JSON recommendation must appear in the Markdown with the same
// lookup key, strength and words; FDA rows come from the Markdown alone (PharmCAT v2.12.0 has
// no FDA files).
func Parse(files map[string][]byte) (*Set, error) {
	var mdName string
	var jsonNames []string
	for name := range files {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".md":
			if mdName != "" {
				return nil, fmt.Errorf("%w: two Markdown files, %s and %s", ErrMalformed, min(mdName, name), max(mdName, name))
			}
			mdName = name
		case ".json":
			jsonNames = append(jsonNames, name)
		}
	}
	if mdName == "" {
		return nil, fmt.Errorf("%w: no recommendation Markdown (*.md)", ErrMalformed)
	}
	sort.Strings(jsonNames)
	set, err := parseMarkdown(mdName, files[mdName])
	if err != nil {
		return nil, err
	}
	checked := map[string]string{}
	for _, name := range jsonNames {
		id, err := set.verify(name, files[name])
		if err != nil {
			return nil, err
		}
		if prev, ok := checked[id]; ok {
			return nil, fmt.Errorf("%w: %s and %s both hold guideline %s", ErrMalformed, prev, name, id)
		}
		checked[id] = name
	}
	for _, g := range set.Guidelines {
		if g.Source != "FDA" && checked[g.ID] == "" {
			return nil, fmt.Errorf("%w: %s: %s (%s) has no PharmCAT JSON file to check its lookup keys", ErrMalformed, mdName, g.Name, g.ID)
		}
	}
	return set, nil
}

// Load reads dir/*.md and dir/*/*.json (the layout of ../shared/data/pgx/guidelines) and parses
// them.
func Load(dir string) (*Set, error) {
	files := map[string][]byte{}
	for _, pattern := range []string{"*.md", "*/*.json"} {
		names, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(dir, n)
			files[rel] = b
		}
	}
	return Parse(files)
}

// parseMarkdown reads the recommendation file. Only guidelines under a "### ... Annotation of"
// heading are read; rows directly under a "## " heading (the partial 2025 CPIC update the file
// quotes "for orientation only") belong to no guideline and are skipped.
func parseMarkdown(name string, b []byte) (*Set, error) {
	set := &Set{}
	var g *Guideline
	var row *Row
	var origin string
	var para []string // the lines of the paragraph being read (Source:, a quoted text)
	inSource := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrMalformed, name, line, fmt.Sprintf(format, a...))
	}
	endRow := func() error {
		if row == nil {
			return nil
		}
		if len(para) > 0 {
			row.Text = joinText(para)
		}
		if row.Text == "" {
			return fail("recommendation %s has no text", row.ID)
		}
		g.Rows = append(g.Rows, *row)
		row, para = nil, nil
		return nil
	}
	endGuideline := func() error {
		if err := endRow(); err != nil {
			return err
		}
		if g != nil {
			if len(g.Rows) == 0 {
				return fail("%s has no recommendations", g.ID)
			}
			set.Guidelines = append(set.Guidelines, *g)
			g = nil
		}
		return nil
	}
	for sc.Scan() {
		line++
		l := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case inSource:
			if l == "" {
				inSource = false
				origin = sourceOf(para)
				para = nil
			} else {
				para = append(para, l)
			}
			continue
		case strings.HasPrefix(l, "## "):
			if err := endGuideline(); err != nil {
				return nil, err
			}
			origin = ""
		case strings.HasPrefix(l, "### "):
			if err := endGuideline(); err != nil {
				return nil, err
			}
			m := headingRE.FindStringSubmatch(l)
			if m == nil {
				return nil, fail("guideline heading %q: want \"### N.N [drug — ]Annotation of CPIC|DPWG Guideline|FDA Label for DRUG and GENES (PA..., annotation version N, data D)\"", l)
			}
			if origin == "" {
				return nil, fail("guideline %s: no \"Source:\" paragraph above it in its section", m[5])
			}
			g = &Guideline{Name: m[1], Source: m[2], Drug: strings.ToLower(m[3]), ID: m[5], Data: m[7]}
			for _, gene := range strings.Split(m[4], ", ") {
				if !geneName.MatchString(gene) {
					return nil, fail("guideline %s: %q is not a gene symbol", g.ID, gene)
				}
				g.Genes = append(g.Genes, gene)
			}
			sort.Strings(g.Genes)
			// The section's source names the files with placeholders: CPIC_{drug}_and_NUDT15_TPMT.json.
			g.Origin = strings.NewReplacer("{drug}", g.Drug, "{gene}", strings.Join(g.Genes, "_")).Replace(origin)
			if m[6] != "" {
				g.Version, _ = strconv.Atoi(m[6])
			}
		case strings.HasPrefix(l, "Source: "):
			inSource = true
			para = []string{strings.TrimPrefix(l, "Source: ")}
		case g == nil:
			// prose outside a guideline
		case strings.HasPrefix(l, "Citations: "), strings.HasPrefix(l, "Label versions cited: "):
			_, c, _ := strings.Cut(l, ": ")
			if c != "none listed in the file" {
				g.Citations = c
			}
		case strings.HasPrefix(l, "**"):
			if err := endRow(); err != nil {
				return nil, err
			}
			m := rowRE.FindStringSubmatch(l)
			if m == nil {
				return nil, fail("recommendation heading %q: want \"**KEY** — strength: S — `PA...`\"", l)
			}
			row = &Row{ID: m[3], Strength: m[2]}
			if err := row.setKey(m[1], g.Genes); err != nil {
				return nil, fail("recommendation %s: %v", row.ID, err)
			}
			row.Verified = verified(g.Source, row)
		case row == nil:
			// prose between a heading and its first row
		case l == ">":
			para = append(para, "")
		case strings.HasPrefix(l, "> "):
			para = append(para, strings.TrimPrefix(l, "> "))
		case strings.HasPrefix(l, "Implications: "):
			row.Implications = strings.TrimPrefix(l, "Implications: ")
			if len(para) > 0 {
				row.Text = joinText(para)
				para = nil
			}
		case l == "":
		default:
			return nil, fail("recommendation %s: unexpected line %q", row.ID, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
	}
	if err := endGuideline(); err != nil {
		return nil, err
	}
	if len(set.Guidelines) == 0 {
		return nil, fmt.Errorf("%w: %s: no guideline", ErrMalformed, name)
	}
	seen := map[string]bool{}
	for _, g := range set.Guidelines {
		for _, r := range g.Rows {
			k := g.ID + " " + r.key()
			if seen[k] {
				return nil, fmt.Errorf("%w: %s: guideline %s has two rows for %s", ErrMalformed, name, g.ID, r.key())
			}
			seen[k] = true
		}
	}
	return set, nil
}

// sourceOf keeps the first sentence of a section's "Source:" paragraph, without Markdown code
// marks: "PharmCAT v2.12.0 reporter/guidelines/CPIC_{drug}_and_NUDT15_TPMT.json".
func sourceOf(lines []string) string {
	s := strings.ReplaceAll(strings.Join(lines, " "), "`", "")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	s = strings.Replace(s, "; see above)", ")", 1)
	return strings.TrimSuffix(s, ".")
}

// joinText makes the text of a quoted recommendation: Markdown paragraphs separated by a blank
// line; the "**Other Considerations:**" heading and a paragraph's whole-paragraph emphasis
// lose their marks (a "*" inside the text, as in "UGT1A1*28", is kept).
func joinText(lines []string) string {
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) == 0 {
			return
		}
		p := strings.Join(cur, " ")
		p = strings.Replace(p, "**Other Considerations:**", "Other Considerations:", 1)
		if len(p) > 2 && p[0] == '*' && p[1] != '*' && p[len(p)-1] == '*' && p[1] != ' ' {
			p = p[1 : len(p)-1]
		}
		paras = append(paras, p)
		cur = nil
	}
	for _, l := range lines {
		if l == "" {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return strings.Join(paras, "\n\n")
}

// setKey reads a row key: "TPMT Normal Metabolizer · NUDT15 No Result" (phenotypes) or
// "UGT1A1 *28/*28 (allele lookup)" (a diplotype).
func (r *Row) setKey(key string, genes []string) error {
	for part := range strings.SplitSeq(key, " · ") {
		m := keyRE.FindStringSubmatch(part)
		if m == nil || !slices.Contains(genes, m[1]) {
			return fmt.Errorf("key %q: want GENE PHENOTYPE or GENE DIPLOTYPE (allele lookup) for genes %s", key, strings.Join(genes, ", "))
		}
		if m[3] != "" {
			if r.Phenotypes != nil || r.Diplotype != "" {
				return fmt.Errorf("key %q: an allele lookup names one gene", key)
			}
			d, err := sortDiplotype(m[2])
			if err != nil {
				return fmt.Errorf("key %q: %v", key, err)
			}
			r.Gene, r.Diplotype = m[1], d
			continue
		}
		if r.Diplotype != "" {
			return fmt.Errorf("key %q: an allele lookup names one gene", key)
		}
		if r.Phenotypes == nil {
			r.Phenotypes = map[string]string{}
		}
		if _, dup := r.Phenotypes[m[1]]; dup {
			return fmt.Errorf("key %q names %s twice", key, m[1])
		}
		r.Phenotypes[m[1]] = m[2]
	}
	if r.Phenotypes != nil && len(r.Phenotypes) != len(genes) {
		return fmt.Errorf("key %q: want a phenotype for each of %s", key, strings.Join(genes, ", "))
	}
	return nil
}

// key writes the lookup key of a row canonically: "NUDT15=No Result;TPMT=Normal Metabolizer"
// or "UGT1A1:*28/*28".
func (r *Row) key() string {
	if r.Diplotype != "" {
		return r.Gene + ":" + r.Diplotype
	}
	genes := make([]string, 0, len(r.Phenotypes))
	for g := range r.Phenotypes {
		genes = append(genes, g)
	}
	sort.Strings(genes)
	var b strings.Builder
	for i, g := range genes {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(g + "=" + r.Phenotypes[g])
	}
	return b.String()
}

// sortDiplotype writes a diplotype "A/B" with its two alleles in sorted order, so that a
// lookup does not depend on which allele was written first.
func sortDiplotype(d string) (string, error) {
	a, b, ok := strings.Cut(d, "/")
	if !ok || a == "" || b == "" || strings.ContainsAny(b, "/ ") || strings.Contains(a, " ") {
		return "", fmt.Errorf("diplotype %q: want two alleles, A/B", d)
	}
	if b < a {
		a, b = b, a
	}
	return a + "/" + b, nil
}

// verified says whether a row's text is known to be the one PharmCAT 3.1.1 ships. The
// Markdown's provenance section: the 3.1.1 example report (docs/examples/pharmcat.example.
// report.json @5431bf1) "contains the Normal Metabolizer row of all ten guidelines; all ten
// agree word for word" with v2.12.0, and (section 5) "every non-Normal-Metabolizer row above is
// from v2.12.0 (CPIC/DPWG) or from the 2026-05 data (FDA), not verified against 3.1.1". So a
// CPIC or DPWG row keyed on Normal Metabolizer for every gene is verified; no other row is.
func verified(source string, r *Row) bool {
	if source == "FDA" || r.Phenotypes == nil {
		return false
	}
	for _, p := range r.Phenotypes {
		if p != "Normal Metabolizer" {
			return false
		}
	}
	return true
}

// pharmcatJSON is the part of a PharmCAT v2.12.0 reporter/guidelines/*.json file Parse checks.
type pharmcatJSON struct {
	Guideline struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		Source           string `json:"source"`
		Version          int    `json:"version"`
		RelatedChemicals []struct {
			Name string `json:"name"`
		} `json:"relatedChemicals"`
		RelatedGenes []struct {
			Symbol string `json:"symbol"`
		} `json:"relatedGenes"`
	} `json:"guideline"`
	Version         string `json:"version"`
	Recommendations []struct {
		ID             string `json:"id"`
		Classification *struct {
			Term string `json:"term"`
		} `json:"classification"`
		Text struct {
			HTML string `json:"html"`
		} `json:"text"`
		Implications []string                   `json:"implications"`
		LookupKey    map[string]json.RawMessage `json:"lookupKey"`
	} `json:"recommendations"`
}

// verify checks one PharmCAT JSON guideline file against the Markdown rows and returns its
// guideline id: same name, version, data version, drug, genes and rows; each row with the same
// lookup key, classification, words and implications.
func (s *Set) verify(name string, b []byte) (string, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrMalformed, name, fmt.Sprintf(format, a...))
	}
	var f pharmcatJSON
	if err := json.Unmarshal(b, &f); err != nil {
		return "", fail("%v", err)
	}
	gi := slices.IndexFunc(s.Guidelines, func(g Guideline) bool { return g.ID == f.Guideline.ID })
	if gi < 0 {
		return "", fail("guideline %s (%s) is not in the Markdown", f.Guideline.ID, f.Guideline.Name)
	}
	g := &s.Guidelines[gi]
	var genes []string
	for _, x := range f.Guideline.RelatedGenes {
		genes = append(genes, x.Symbol)
	}
	sort.Strings(genes)
	switch {
	case f.Guideline.Name != g.Name:
		return "", fail("guideline %s: name %q, Markdown %q", g.ID, f.Guideline.Name, g.Name)
	case f.Guideline.Source != g.Source:
		return "", fail("guideline %s: source %q, Markdown %q", g.ID, f.Guideline.Source, g.Source)
	case f.Guideline.Version != g.Version:
		return "", fail("guideline %s: annotation version %d, Markdown %d", g.ID, f.Guideline.Version, g.Version)
	case f.Version != g.Data:
		return "", fail("guideline %s: data version %q, Markdown %q", g.ID, f.Version, g.Data)
	case len(f.Guideline.RelatedChemicals) != 1 || f.Guideline.RelatedChemicals[0].Name != g.Drug:
		return "", fail("guideline %s: drugs %v, Markdown %q", g.ID, f.Guideline.RelatedChemicals, g.Drug)
	case !slices.Equal(genes, g.Genes):
		return "", fail("guideline %s: genes %v, Markdown %v", g.ID, genes, g.Genes)
	case len(f.Recommendations) != len(g.Rows):
		return "", fail("guideline %s: %d recommendations, Markdown %d", g.ID, len(f.Recommendations), len(g.Rows))
	}
	for _, jr := range f.Recommendations {
		ri := slices.IndexFunc(g.Rows, func(r Row) bool { return r.ID == jr.ID })
		if ri < 0 {
			return "", fail("recommendation %s is not in the Markdown under %s", jr.ID, g.ID)
		}
		r := &g.Rows[ri]
		var want Row
		for gene, raw := range jr.LookupKey {
			var ph string
			if json.Unmarshal(raw, &ph) == nil {
				if want.Phenotypes == nil {
					want.Phenotypes = map[string]string{}
				}
				want.Phenotypes[gene] = ph
				continue
			}
			var counts map[string]float64
			if err := json.Unmarshal(raw, &counts); err != nil {
				return "", fail("recommendation %s: lookup key %s: %v", jr.ID, gene, err)
			}
			var alleles []string
			for a, n := range counts {
				for range int(n) {
					alleles = append(alleles, a)
				}
			}
			sort.Strings(alleles)
			if len(alleles) != 2 {
				return "", fail("recommendation %s: lookup key %s: %d alleles, want 2", jr.ID, gene, len(alleles))
			}
			want.Gene, want.Diplotype = gene, alleles[0]+"/"+alleles[1]
		}
		strength := "none given"
		if jr.Classification != nil {
			strength = jr.Classification.Term
		}
		switch {
		case want.key() != r.key():
			return "", fail("recommendation %s: lookup key %s, Markdown %s", jr.ID, want.key(), r.key())
		case strength != r.Strength:
			return "", fail("recommendation %s: strength %q, Markdown %q", jr.ID, strength, r.Strength)
		case words(jr.Text.HTML) != words(r.Text):
			return "", fail("recommendation %s: text differs from the Markdown:\n json: %s\n   md: %s", jr.ID, words(jr.Text.HTML), words(r.Text))
		case words(strings.Join(jr.Implications, " | ")) != words(r.Implications):
			return "", fail("recommendation %s: implications differ from the Markdown", jr.ID)
		}
	}
	return g.ID, nil
}

var (
	tagRE      = regexp.MustCompile(`<[^>]*>`)
	emOpenRE   = regexp.MustCompile(`(^|\s)\*([A-Za-z])`)
	emCloseRE  = regexp.MustCompile(`([.!?])\*(\s|$)`)
	bulletRE   = regexp.MustCompile(`(^|\s)- `)
	considerRE = regexp.MustCompile(`Other Considerations:?`)
)

// words reduces HTML or the Markdown rendering of it to its words, for comparing the two:
// entities decoded, tags, bold marks, whole-phrase emphasis, bullets and the "Other
// Considerations" heading dropped, white space collapsed.
func words(s string) string {
	s = html.UnescapeString(tagRE.ReplaceAllString(s, " "))
	s = strings.ReplaceAll(s, "**", "")
	s = considerRE.ReplaceAllString(s, " ")
	s = emOpenRE.ReplaceAllString(s, "$1$2")
	s = emCloseRE.ReplaceAllString(s, "$1$2")
	s = bulletRE.ReplaceAllString(s, "$1")
	return strings.Join(strings.Fields(s), " ")
}
