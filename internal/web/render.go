package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/panel"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/report"
)

//go:embed templates static
var files embed.FS

// pageNames are the page templates under templates/page; each defines "content".
var pageNames = []string{"signin", "runs", "run", "report", "alerts", "error", "notready"}

// staticFile is one embedded file under /static, with the hash that versions its URL.
type staticFile struct {
	body  []byte
	ctype string
	hash  string // first 12 hex digits of its SHA-256
}

// assetSet is everything parsed from the embedded files: the templates of each language and
// the static files. It is read-only once built and safe for concurrent use.
type assetSet struct {
	pages      map[string]map[string]*template.Template // lang -> page -> template
	standalone map[string]*template.Template            // lang -> standalone report document
	static     map[string]staticFile                    // name -> file
	reportCSS  string                                   // inlined in the standalone document
	reportCSP  string                                   // Content-Security-Policy of the standalone document
}

// assets parses the embedded templates once, on first use. A parse error is a programming
// error that the package tests catch; callers still get it as an error, not a panic.
var assets = sync.OnceValues(loadAssets)

func loadAssets() (*assetSet, error) {
	a := &assetSet{pages: map[string]map[string]*template.Template{},
		standalone: map[string]*template.Template{}, static: map[string]staticFile{}}
	entries, err := fs.ReadDir(files, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	for _, e := range entries {
		b, err := files.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("web: static file %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(e.Name()))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.static[e.Name()] = staticFile{body: b, ctype: ctype, hash: hex.EncodeToString(sum[:6])}
	}
	css, ok := a.static["report.css"]
	if !ok {
		return nil, fmt.Errorf("web: static/report.css is missing")
	}
	a.reportCSS = string(css.body)
	sum := sha256.Sum256(css.body)
	a.reportCSP = "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

	for _, lang := range languages {
		base, err := template.New("").Funcs(templateFuncs(lang, a.static)).ParseFS(files, "templates/*.html")
		if err != nil {
			return nil, fmt.Errorf("web: templates (%s): %w", lang, err)
		}
		a.standalone[lang] = base
		a.pages[lang] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := base.Clone()
			if err != nil {
				return nil, fmt.Errorf("web: template %s (%s): %w", name, lang, err)
			}
			if _, err := t.ParseFS(files, "templates/page/"+name+".html"); err != nil {
				return nil, fmt.Errorf("web: template %s (%s): %w", name, lang, err)
			}
			a.pages[lang][name] = t
		}
	}
	return a, nil
}

// timeLayout is how the pages write a time: unambiguous, in UTC.
const timeLayout = "2006-01-02 15:04 UTC"

// templateFuncs are the template functions of one language.
func templateFuncs(lang string, static map[string]staticFile) template.FuncMap {
	return template.FuncMap{
		"t":        func(key string) string { return msg(lang, key) },
		"tf":       func(key string, args ...any) string { return msgf(lang, key, args...) },
		"status":   func(s string) string { return msgOr(lang, "status."+s, s) },
		"sev":      func(s string) string { return msgOr(lang, "sev."+s, s) },
		"specimen": func(s string) string { return msgOr(lang, "specimen."+s, s) },
		"panel":    func(p string) string { return msgOr(lang, "panel."+p, strings.ToUpper(p)) },
		"role":     func(r string) string { return msgOr(lang, "role."+r, r) },
		"static": func(name string) string {
			if f, ok := static[name]; ok {
				return "/static/" + name + "?v=" + f.hash
			}
			return "/static/" + name
		},
		"when":       when,
		"score":      func(v *float64) string { return score(lang, v) },
		"scored":     guideline.ActivityScored,
		"paras":      paras,
		"recsources": func(recs []pgx.Recommendation) string { return recSources(lang, recs) },
		"vaf":        vaf,
		"depth":      depth,
		"human":      func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		"join":       strings.Join,
		"tagkind":    tagKind,
		"sevclass":   sevClass,
		"hgvs":       hgvs,
		"term":       term,
		"structural": func(f report.Finding) string { return structural(lang, &f) },
		"dash": func(s string) string {
			if s == "" {
				return "\u2013"
			}
			return s
		},
	}
}

// when writes a time.Time or an RFC 3339 string as timeLayout; another string as it is.
func when(v any) string {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return "\u2013"
		}
		return t.UTC().Format(timeLayout)
	case string:
		if p, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return p.UTC().Format(timeLayout)
		}
		return t
	}
	return fmt.Sprint(v)
}

// score writes an activity score with one decimal, as CPIC tables do, or "no call".
func score(lang string, v *float64) string {
	if v == nil {
		return msg(lang, "pgx.nocall")
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// paras writes a text of paragraphs separated by blank lines (a guideline's recommendation)
// escaped, with a blank line between paragraphs; a one-paragraph text is just escaped.
func paras(s string) template.HTML {
	ps := strings.Split(s, "\n\n")
	for i, p := range ps {
		ps[i] = template.HTMLEscapeString(p)
	}
	return template.HTML(strings.Join(ps, "<br><br>"))
}

// recSources names the guideline bodies of recommendations, each once in order, from the first
// word of their guideline field ("CPIC guideline for ...", "DPWG: Annotation of ..."), joined
// for "pgx.recs": "CPIC", "CPIC, DPWG and FDA"; in Swedish "CPIC-, DPWG- och FDA".
func recSources(lang string, recs []pgx.Recommendation) string {
	var names []string
	for _, r := range recs {
		w, _, _ := strings.Cut(r.Guideline, " ")
		w = strings.TrimSuffix(w, ":")
		if w != "" && !slices.Contains(names, w) {
			names = append(names, w)
		}
	}
	sep, and := ", ", " and "
	if lang == langSV {
		sep, and = "-, ", "- och "
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], sep) + and + names[len(names)-1]
}

// vaf writes a variant allele fraction (0..1 in the report) as a percentage.
func vaf(v *float64) string {
	if v == nil {
		return "\u2013"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "\u00a0%"
}

func depth(v *int) string {
	if v == nil {
		return "\u2013"
	}
	return strconv.Itoa(*v)
}

// hgvs writes an HGVS expression (or any text) escaped, with a line-break opportunity after
// each colon, so "NM_000059.4:c.5946del" wraps between reference and change, not inside them.
func hgvs(s string) template.HTML { return breakAfter(s, ":") }

// term writes a Sequence Ontology term (or a classification) escaped, with a line-break
// opportunity after each underscore, so "missense_variant" can wrap in a narrow column.
func term(s string) template.HTML { return breakAfter(s, "_") }

// breakAfter writes s escaped with a line-break opportunity (<wbr>) after each sep, and an
// en dash for an empty s.
func breakAfter(s, sep string) template.HTML {
	if s == "" {
		return "\u2013"
	}
	parts := strings.Split(s, sep)
	for i, p := range parts {
		parts[i] = template.HTMLEscapeString(p)
	}
	return template.HTML(strings.Join(parts, sep+"<wbr>"))
}

// tagKind is the kind of a report tag, "treatment" or "follow-up" (DESIGN.md, tags).
func tagKind(tag string) string {
	kind, _, _ := strings.Cut(tag, ":")
	return kind
}

// sevClass maps an alert severity to the CSS class that colours it; an unknown value gets
// the strongest colour, so a severity this page does not know is not shown as calm.
func sevClass(s string) string {
	switch s {
	case "none", "caution", "moderate", "high":
		return s
	case "":
		return "none"
	}
	return "high"
}

// reportView is a report prepared for the templates: the findings grouped by panel and the
// counts the page states, computed here rather than in the templates.
type reportView struct {
	Rep     *report.Report
	Samples []sampleView
}

type sampleView struct {
	ID         string // the manifest's pseudonymous sample id when the service made the report, else the VCF column
	Column     string // the VCF column, when it differs from ID
	PGx        []pgxView
	PGxOrdered bool // a pharmacogenomic panel was ordered, or the report has a pharmacogenomic result
	Panels     []panelView
	Rationale  []report.Rationale
	Untested   []untestedView
	QC         []qcRow
	Warnings   []string // input warnings, then the findings' own
}

type pgxView struct {
	*pgx.Result
	Scored        bool     // the gene has a CPIC activity score (guideline.ActivityScored)
	Assumed       bool     // missing policy "reference": untested positions were assumed reference
	OtherWarnings []string // the call's warnings that the alert message does not already say
	// NotRaised: the result raises no alert because it bears on none of the planned drugs
	// (guideline.Raises); Planned lists them.
	NotRaised bool
	Planned   string
}

type panelView struct {
	Key      string
	Findings []report.Finding
	Coverage []coverageView // the panel's genes; empty in a report made before coverage was stated
	Unstated bool           // the report states no coverage at all
}

// coverageView is one gene's coverage (report.Coverage) with what the page says of it.
type coverageView struct {
	Gene      string
	Source    string // gvcf | bed | none
	Known     bool   // source gvcf or bed with a covered fraction
	Percent   string // "98.2%"
	MinDP     *int
	Uncovered string // "2, 11" or ""
	Callable  string // the BED's name (source bed)
	GVCFMinDP int    // thresholds of the gVCF (source gvcf)
	GVCFMinGQ int
}

type untestedView struct {
	Gene    string
	Assumed bool
	IDs     []string
}

type qcRow struct {
	Key   string
	Value int
}

// newReportView prepares r for the templates. The report is not changed.
func newReportView(r *report.Report) reportView {
	v := reportView{Rep: r}
	for i := range r.Samples {
		v.Samples = append(v.Samples, newSampleView(r, &r.Samples[i]))
	}
	return v
}

// displayID is the id a sample is known by: the manifest's pseudonymous id (report.Run.Sample)
// when the service made a one-sample report, which is what the lab, the alerts and the
// printout name; the VCF column otherwise.
func displayID(r *report.Report, s *report.Sample) string {
	if m := r.ManifestSample(); m != "" {
		return m
	}
	return s.SampleID
}

func newSampleView(r *report.Report, s *report.Sample) sampleView {
	sv := sampleView{ID: displayID(r, s), Rationale: s.TagRationale,
		PGxOrdered: len(s.PGx) > 0 || slices.ContainsFunc(pipeline.PGxGenes, func(g string) bool { return slices.Contains(r.Input.Panels, strings.ToLower(g)) })}
	if sv.ID != s.SampleID {
		sv.Column = s.SampleID
	}
	for i := range s.PGx {
		p := &s.PGx[i]
		policy := p.MissingPolicy
		if policy == "" {
			policy = r.Input.MissingPolicy
		}
		pv := pgxView{Result: p, Scored: guideline.ActivityScored(p.Gene), Assumed: policy == "reference",
			NotRaised: p.Alert.Severity != "none" && !guideline.Raises(*p, r.Input.PlannedDrugs), Planned: strings.Join(r.Input.PlannedDrugs, ", ")}
		for _, w := range p.Warnings {
			if !strings.Contains(p.Alert.Message, w) {
				pv.OtherWarnings = append(pv.OtherWarnings, w)
			}
		}
		sv.PGx = append(sv.PGx, pv)
		if len(p.UntestedPositions) > 0 {
			sv.Untested = append(sv.Untested, untestedView{Gene: p.Gene, Assumed: pv.Assumed, IDs: p.UntestedPositions})
		}
	}
	// Every ordered panel gets a section, with or without findings, so an empty panel reads
	// as "looked at, nothing found" and not as "not shown". Findings of a panel the input
	// does not list (which the annotator does not make) still appear, after the others.
	byPanel := map[string][]report.Finding{}
	for _, f := range s.Findings {
		byPanel[f.Panel] = append(byPanel[f.Panel], f)
	}
	order := slices.Clone(r.Input.Panels)
	for _, f := range s.Findings {
		if !slices.Contains(order, f.Panel) {
			order = append(order, f.Panel)
		}
	}
	for _, p := range order {
		pv := panelView{Key: p, Findings: byPanel[p], Unstated: len(s.Coverage) == 0}
		for _, c := range s.Coverage {
			if panel.Of(c.Gene) == p {
				pv.Coverage = append(pv.Coverage, newCoverageView(r, c))
			}
		}
		sv.Panels = append(sv.Panels, pv)
	}
	q := s.QC
	sv.QC = []qcRow{
		{"qc.records_read", q.RecordsRead}, {"qc.records_in_panels", q.RecordsInPanels},
		{"qc.variants", q.Variants}, {"qc.skipped_off_panel", q.SkippedOffPanel},
		{"qc.skipped_other_contigs", q.SkippedOtherContigs}, {"qc.skipped_symbolic", q.SkippedSymbolic},
		{"qc.skipped_ref_mismatch", q.SkippedRefMismatch}, {"qc.reference_blocks", q.ReferenceBlocks},
		{"qc.multiallelic_split", q.MultiallelicSplit}, {"qc.no_calls", q.NoCalls},
	}
	sv.Warnings = slices.Clone(r.Input.Warnings)
	for _, f := range s.Findings {
		for _, w := range f.Warnings {
			sv.Warnings = append(sv.Warnings, fmt.Sprintf("%s %s: %s", f.Gene, firstNonEmpty(f.HGVSc, f.HGVSg), w))
		}
	}
	return sv
}

func newCoverageView(r *report.Report, c report.Coverage) coverageView {
	v := coverageView{Gene: c.Gene, Source: c.Source, MinDP: c.MinDP, Callable: r.Input.Callable,
		GVCFMinDP: r.Input.MinDP, GVCFMinGQ: r.Input.MinGQ}
	if c.Source != "none" && c.CoveredFraction != nil {
		v.Known = true
		v.Percent = strconv.FormatFloat(*c.CoveredFraction*100, 'f', 1, 64) + "%"
	}
	ex := make([]string, len(c.UncoveredExons))
	for i, e := range c.UncoveredExons {
		ex[i] = strconv.Itoa(e)
	}
	v.Uncovered = strings.Join(ex, ", ")
	return v
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// RenderReport writes rep as a standalone HTML document in lang ("sv" or "en"; anything
// else is English): the same content as the report page, with its style sheet inline
// (including the A4 print rules) and no script, so it can be saved in a patient's file,
// mailed or printed as it is. Serve it with the Content-Security-Policy of ReportCSP, which
// lets its inline style apply and nothing else. Every value is escaped by html/template.
func RenderReport(w io.Writer, rep *report.Report, lang string) error {
	if rep == nil {
		return fmt.Errorf("web: render report: no report")
	}
	a, err := assets()
	if err != nil {
		return err
	}
	if validLang(lang) == "" {
		lang = langEN
	}
	data := struct {
		Lang   string
		CSS    template.CSS
		Report reportView
	}{lang, template.CSS(a.reportCSS), newReportView(rep)}
	var buf bytes.Buffer
	if err := a.standalone[lang].ExecuteTemplate(&buf, "standalone", data); err != nil {
		return fmt.Errorf("web: render report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// ReportCSP returns the Content-Security-Policy header value for a document written by
// RenderReport: its inline style sheet (by hash) and nothing else.
func ReportCSP() string {
	a, err := assets()
	if err != nil {
		return "default-src 'none'"
	}
	return a.reportCSP
}

// structural describes a structural or copy-number finding for the page: type, span, exons
// and copy number (issue 11: a deletion over whole exons is never shown as "no variants").
// "" for a sequence variant.
func structural(lang string, f *report.Finding) string {
	if f.SVType == "" {
		return ""
	}
	s := msgf(lang, "sv.span", msgOr(lang, "sv.type."+f.SVType, f.SVType), f.Chrom, f.Pos, f.End)
	if len(f.Exons) > 0 {
		parts := make([]string, len(f.Exons))
		for i, e := range f.Exons {
			parts[i] = strconv.Itoa(e)
		}
		s += "; " + msgf(lang, "sv.exons", strings.Join(parts, ", "))
	} else {
		s += "; " + msg(lang, "sv.intronic")
	}
	if f.CopyNumber != nil {
		s += "; " + msgf(lang, "sv.cn", *f.CopyNumber)
	}
	return s
}
