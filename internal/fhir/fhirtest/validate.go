package fhirtest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/precis-dx/precis/internal/fhir/ig"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/report"
)

// Problem is one rule a bundle breaks. Entry is the index of the entry in Bundle.entry, or
// -1 for the bundle as a whole. A Problem is a plain value.
type Problem struct {
	Entry   int
	FullURL string
	Msg     string
}

// String names the entry and the broken rule.
func (p Problem) String() string {
	if p.Entry < 0 {
		return "bundle: " + p.Msg
	}
	return fmt.Sprintf("entry[%d] %s: %s", p.Entry, p.FullURL, p.Msg)
}

// Validate checks bundle JSON against the rules Bundle follows: a collection whose entries
// have unique urn:uuid full URLs; every reference resolving to an entry; per profile of the
// Genomics Reporting IG STU3 the required elements and the LOINC codes and answers used here
// (GenomicReport, Variant, Genotype, Diagnostic and Therapeutic Implication,
// MedicationRecommendation, FollowupRecommendation, RegionStudied); a Patient with a pseudonymous
// identifier and nothing else; every observation listed in a GenomicReport's results; one
// Diagnostic Implication per Variant; at least one Therapeutic Implication per Genotype; one
// recommendation Task per tag, each named by its GenomicReport. It returns nil for a bundle
// that keeps every rule. Validate does not panic on any input.
func Validate(b []byte) []Problem {
	var v validator
	v.run(b)
	return v.problems
}

// ValidateFor runs Validate and then checks the bundle against the report it was made from:
// one GenomicReport per sample, one Variant per finding carrying the finding's c., p. and
// g. HGVS exactly (and its gene, allelic state, clinical significance and VAF), one Genotype
// per pharmacogenomic call with one Therapeutic Implication per recommendation, one Task per
// treatment: and follow-up: tag, one RegionStudied per gene of the coverage with its covered
// percentage (and, where coverage is unknown or incomplete, the statement that a negative
// result cannot exclude variants), and the provenance note naming every version and the
// input checksum.
func ValidateFor(rep *report.Report, b []byte) []Problem {
	var v validator
	v.run(b)
	if v.root != nil && rep != nil {
		v.against(rep)
	}
	return v.problems
}

var fullURLRE = regexp.MustCompile(`^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// node is a decoded JSON object.
type node = map[string]any

type entry struct {
	index   int
	fullURL string
	res     node
	kind    string // resourceType, or the profile for observations and tasks
}

type validator struct {
	problems []Problem
	root     node
	entries  []*entry
	byURL    map[string]*entry
}

func (v *validator) addf(e *entry, format string, args ...any) {
	p := Problem{Entry: -1, Msg: fmt.Sprintf(format, args...)}
	if e != nil {
		p.Entry, p.FullURL = e.index, e.fullURL
	}
	v.problems = append(v.problems, p)
}

func obj(x any) node   { m, _ := x.(node); return m }
func arr(x any) []any  { a, _ := x.([]any); return a }
func str(x any) string { s, _ := x.(string); return s }
func objs(x any) []node {
	var out []node
	for _, y := range arr(x) {
		if m := obj(y); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// codings returns the codings of a CodeableConcept.
func codings(cc node) []node { return objs(cc["coding"]) }

// hasCoding reports whether the CodeableConcept cc has a coding system|code.
func hasCoding(cc node, system, code string) bool {
	for _, c := range codings(cc) {
		if str(c["system"]) == system && str(c["code"]) == code {
			return true
		}
	}
	return false
}

// components returns the components of res whose code has system|code.
func components(res node, system, code string) []node {
	var out []node
	for _, c := range objs(res["component"]) {
		if hasCoding(obj(c["code"]), system, code) {
			out = append(out, c)
		}
	}
	return out
}

func profiles(res node) []string {
	var out []string
	for _, p := range arr(obj(res["meta"])["profile"]) {
		out = append(out, str(p))
	}
	return out
}

var knownProfiles = []string{ig.ProfileGenomicReport, ig.ProfileVariant, ig.ProfileGenotype, ig.ProfileDiagnosticImplication,
	ig.ProfileTherapeuticImplication, ig.ProfileMedicationRecommendation, ig.ProfileFollowupRecommendation, ig.ProfileRegionStudied}

func (v *validator) run(b []byte) {
	var root any
	if err := json.Unmarshal(b, &root); err != nil {
		v.addf(nil, "not JSON: %v", err)
		return
	}
	v.root = obj(root)
	if v.root == nil {
		v.addf(nil, "not a JSON object")
		return
	}
	if str(v.root["resourceType"]) != "Bundle" {
		v.addf(nil, "resourceType is %q, want Bundle", str(v.root["resourceType"]))
	}
	if str(v.root["type"]) != "collection" {
		v.addf(nil, "type is %q, want collection", str(v.root["type"]))
	}
	if str(v.root["id"]) == "" {
		v.addf(nil, "no id")
	}
	v.byURL = map[string]*entry{}
	for i, x := range arr(v.root["entry"]) {
		e := &entry{index: i}
		m := obj(x)
		e.fullURL = str(m["fullUrl"])
		e.res = obj(m["resource"])
		v.entries = append(v.entries, e)
		sub := fullURLRE.FindStringSubmatch(e.fullURL)
		switch {
		case sub == nil:
			v.addf(e, "fullUrl is not urn:uuid:<lower-case uuid>")
		case v.byURL[e.fullURL] != nil:
			v.addf(e, "fullUrl repeats entry[%d]", v.byURL[e.fullURL].index)
		default:
			v.byURL[e.fullURL] = e
		}
		if e.res == nil {
			v.addf(e, "no resource")
			continue
		}
		if sub != nil && str(e.res["id"]) != sub[1] {
			v.addf(e, "resource id %q differs from the fullUrl", str(e.res["id"]))
		}
		e.kind = str(e.res["resourceType"])
		for _, p := range profiles(e.res) {
			for _, k := range knownProfiles {
				if p == k {
					e.kind = p
				}
			}
		}
	}
	if len(v.entries) == 0 {
		v.addf(nil, "no entries")
	}
	for _, e := range v.entries {
		if e.res != nil {
			v.references(e, e.res, "")
		}
	}
	for _, e := range v.entries {
		if e.res == nil {
			continue
		}
		switch e.kind {
		case "Patient":
			v.patient(e)
		case ig.ProfileGenomicReport:
			v.genomicReport(e)
		case ig.ProfileVariant:
			v.observation(e)
			v.variant(e)
		case ig.ProfileGenotype:
			v.observation(e)
			v.genotype(e)
		case ig.ProfileDiagnosticImplication:
			v.observation(e)
			v.implication(e, ig.TBDDiagnostic, ig.ProfileVariant)
			v.significance(e, "Diagnostic Implication")
		case ig.ProfileTherapeuticImplication:
			v.observation(e)
			v.implication(e, ig.TBDTherapeutic, ig.ProfileVariant, ig.ProfileGenotype)
			v.therapeutic(e)
		case ig.ProfileRegionStudied:
			v.observation(e)
			v.regionStudied(e)
		case ig.ProfileMedicationRecommendation:
			v.task(e, "treatment:", ig.ProfileTherapeuticImplication)
		case ig.ProfileFollowupRecommendation:
			v.task(e, "follow-up:", ig.ProfileTherapeuticImplication, ig.ProfileDiagnosticImplication)
		case "DiagnosticReport", "Observation", "Task":
			v.addf(e, "%s does not claim a Genomics Reporting profile this package writes", e.kind)
		default:
			v.addf(e, "unexpected resource %q", e.kind)
		}
	}
	v.links()
}

// references checks that every Reference in x (at path) resolves to an entry.
func (v *validator) references(e *entry, x any, path string) {
	switch t := x.(type) {
	case node:
		if r, ok := t["reference"]; ok {
			s := str(r)
			if v.byURL[s] == nil {
				v.addf(e, "reference %q at %s does not resolve to an entry of the bundle", s, strings.TrimPrefix(path, "."))
			}
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v.references(e, t[k], path+"."+k)
		}
	case []any:
		for i, y := range t {
			v.references(e, y, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// target returns the entry a Reference object points at, or nil.
func (v *validator) target(ref any) *entry {
	return v.byURL[str(obj(ref)["reference"])]
}

// points checks that ref resolves to an entry of one of the kinds.
func (v *validator) points(e *entry, what string, ref any, kinds ...string) *entry {
	t := v.target(ref)
	if t == nil {
		return nil // reported by references, or absent
	}
	for _, k := range kinds {
		if t.kind == k {
			return t
		}
	}
	v.addf(e, "%s points at a %s, want %s", what, t.kind, strings.Join(kinds, " or "))
	return nil
}

// Patient: only the pseudonymous sample id (DESIGN.md rule 6).
func (v *validator) patient(e *entry) {
	ids := objs(e.res["identifier"])
	if len(ids) == 0 {
		v.addf(e, "Patient has no identifier")
	}
	for _, id := range ids {
		if s := str(id["value"]); s == "" {
			v.addf(e, "Patient identifier has no value")
		} else if manifest.LooksLikePersonnummer(s) {
			v.addf(e, "Patient identifier looks like a personal identity number")
		}
	}
	for _, k := range []string{"name", "telecom", "address", "birthDate", "gender", "photo", "contact", "deceasedDateTime", "maritalStatus"} {
		if _, ok := e.res[k]; ok {
			v.addf(e, "Patient carries %s; only the pseudonymous sample id may identify the subject", k)
		}
	}
}

// kind checks that a resource under profile is of the type rtype and has the status a
// resource of the profile must have; name is what a failure calls the resource.
func (v *validator) kind(e *entry, profile, rtype, name, status string) {
	r := e.res
	if str(r["resourceType"]) != rtype {
		v.addf(e, "%s profile on a %s", profile, str(r["resourceType"]))
	}
	if str(r["status"]) != status {
		v.addf(e, "%s status is %q, want %s", name, str(r["status"]), status)
	}
}

func (v *validator) genomicReport(e *entry) {
	r := e.res
	v.kind(e, "genomic-report", "DiagnosticReport", "GenomicReport", "final")
	if !hasCoding(obj(r["code"]), ig.SysLOINC, ig.LOINCGeneticReport) {
		v.addf(e, "GenomicReport code is not LOINC %s", ig.LOINCGeneticReport)
	}
	ge := false
	for _, c := range objs(r["category"]) {
		ge = ge || hasCoding(c, ig.SysV20074, "GE")
	}
	if !ge {
		v.addf(e, "GenomicReport has no category %s|GE", ig.SysV20074)
	}
	if r["subject"] == nil {
		v.addf(e, "GenomicReport has no subject")
	}
	v.points(e, "subject", r["subject"], "Patient")
	if str(r["issued"]) == "" {
		v.addf(e, "GenomicReport has no issued time")
	}
	for i, ref := range arr(r["result"]) {
		v.points(e, fmt.Sprintf("result[%d]", i), ref,
			ig.ProfileVariant, ig.ProfileGenotype, ig.ProfileDiagnosticImplication, ig.ProfileTherapeuticImplication, ig.ProfileRegionStudied)
	}
	note := ""
	for _, x := range objs(r["extension"]) {
		switch str(x["url"]) {
		case ig.ExtGenomicReportNote:
			a := obj(x["valueAnnotation"])
			for _, ax := range objs(a["extension"]) {
				if str(ax["url"]) == ig.ExtAnnotationCode && hasCoding(obj(ax["valueCodeableConcept"]), ig.SysAnnotation, ig.AnnotationMethodNote) {
					note += str(a["text"]) + "\n"
				}
			}
		case ig.ExtRecommendedAction:
			v.points(e, "recommended-action", x["valueReference"], ig.ProfileMedicationRecommendation, ig.ProfileFollowupRecommendation)
		}
	}
	for _, label := range []string{"Pipeline: ", "Knowledge base: ", "Input SHA-256: ", "Genome build: "} {
		if !strings.Contains(note, label) {
			v.addf(e, "GenomicReport methodology note has no %q line (provenance)", strings.TrimSpace(label))
		}
	}
}

// observation checks what the guide's GenomicBase asks of every observation.
func (v *validator) observation(e *entry) {
	r := e.res
	v.kind(e, "observation", "Observation", "Observation", "final")
	lab, ge := false, false
	for _, c := range objs(r["category"]) {
		lab = lab || hasCoding(c, ig.SysObsCategory, "laboratory")
		ge = ge || hasCoding(c, ig.SysV20074, "GE")
	}
	if !lab || !ge {
		v.addf(e, "categories laboratory and GE are both required (GenomicBase)")
	}
	if r["subject"] == nil {
		v.addf(e, "no subject")
	}
	v.points(e, "subject", r["subject"], "Patient")
	if n := len(components(r, ig.SysTBD, ig.TBDConclusion)); n > 1 {
		v.addf(e, "%d conclusion-string components, want at most one (GenomicBase)", n)
	}
	for i, c := range objs(r["component"]) {
		cs := codings(obj(c["code"]))
		if len(cs) == 0 || str(cs[0]["code"]) == "" {
			v.addf(e, "component[%d] has no code", i)
		}
	}
}

// one returns the single component system|code of e, reporting when there is none or more.
func (v *validator) one(e *entry, system, code, what string) node {
	cs := components(e.res, system, code)
	switch len(cs) {
	case 0:
		v.addf(e, "no %s component (%s)", what, code)
		return nil
	case 1:
		return cs[0]
	}
	v.addf(e, "%d %s components (%s), want one", len(cs), what, code)
	return cs[0]
}

func (v *validator) gene(e *entry) {
	if c := v.one(e, ig.SysLOINC, ig.LOINCGene, "gene studied"); c != nil {
		cc := obj(c["valueCodeableConcept"])
		ok := str(cc["text"]) != ""
		for _, cd := range codings(cc) {
			ok = ok || (str(cd["system"]) == ig.SysHGNC && strings.HasPrefix(str(cd["code"]), "HGNC:"))
		}
		if !ok {
			v.addf(e, "gene studied has neither an HGNC coding nor a text")
		}
	}
}

func (v *validator) variant(e *entry) {
	r := e.res
	if !hasCoding(obj(r["code"]), ig.SysLOINC, ig.LOINCVariant) {
		v.addf(e, "Variant code is not LOINC %s", ig.LOINCVariant)
	}
	if !hasCoding(obj(r["valueCodeableConcept"]), ig.SysLOINC, ig.AnswerPresent) {
		v.addf(e, "Variant value is not LOINC %s (Present)", ig.AnswerPresent)
	}
	v.gene(e)
	hgvs := 0
	for _, code := range []string{ig.LOINCHGVSc, ig.LOINCHGVSp, ig.LOINCHGVSg} {
		cs := components(r, ig.SysLOINC, code)
		if len(cs) > 1 {
			v.addf(e, "%d HGVS components %s, want at most one", len(cs), code)
		}
		for _, c := range cs {
			cd := codings(obj(c["valueCodeableConcept"]))
			if len(cd) == 0 || str(cd[0]["system"]) != ig.SysHGVS || str(cd[0]["code"]) == "" {
				v.addf(e, "HGVS component %s is not coded in %s", code, ig.SysHGVS)
			}
			if code != ig.LOINCHGVSp {
				hgvs++
			}
		}
	}
	sv := v.structural(e)
	if hgvs == 0 && !sv {
		v.addf(e, "Variant has neither a c. (%s) nor a g. (%s) HGVS component, nor a structural DNA change type (%s) with its start-end", ig.LOINCHGVSc, ig.LOINCHGVSg, ig.LOINCDNAChangeType)
	}
	if c := v.one(e, ig.SysLOINC, ig.LOINCAssembly, "reference sequence assembly"); c != nil {
		cc := obj(c["valueCodeableConcept"])
		if str(cc["text"]) == "" && !hasCoding(cc, ig.SysLOINC, ig.AnswerGRCh38) && !hasCoding(cc, ig.SysLOINC, ig.AnswerGRCh37) {
			v.addf(e, "assembly is neither GRCh38 (%s), GRCh37 (%s) nor a text", ig.AnswerGRCh38, ig.AnswerGRCh37)
		}
	}
	for _, c := range components(r, ig.SysLOINC, ig.LOINCAllelicState) {
		ok := false
		for _, a := range ig.ZygosityAnswers {
			ok = ok || hasCoding(obj(c["valueCodeableConcept"]), ig.SysLOINC, a.Code)
		}
		if !ok {
			v.addf(e, "allelic state is not a LOINC LL381-5 answer")
		}
	}
	for _, c := range components(r, ig.SysLOINC, ig.LOINCVAF) {
		q := obj(c["valueQuantity"])
		f, isNum := q["value"].(float64)
		if !isNum || str(q["system"]) != ig.SysUCUM || f < 0 || f > 100 {
			v.addf(e, "sample allelic frequency is not a UCUM quantity between 0 and 100 %%")
		}
	}
	v.significance(e, "Variant")
}

// significance checks the single 53037-8 component: an LL4034-6 answer, or text without a
// coding for the classifications LL4034-6 has no answer for.
func (v *validator) significance(e *entry, what string) {
	c := v.one(e, ig.SysLOINC, ig.LOINCClinSig, what+" clinical significance")
	if c == nil {
		return
	}
	cc := obj(c["valueCodeableConcept"])
	cd := codings(cc)
	if len(cd) == 0 {
		if str(cc["text"]) == "" {
			v.addf(e, "clinical significance has neither a code nor a text")
		}
		return
	}
	for _, x := range cd {
		ok := false
		for _, a := range ig.ClassificationAnswers {
			ok = ok || (str(x["system"]) == ig.SysLOINC && str(x["code"]) == a.Code)
		}
		if !ok {
			v.addf(e, "clinical significance %s|%s is not a LOINC LL4034-6 answer", str(x["system"]), str(x["code"]))
		}
	}
}

func (v *validator) genotype(e *entry) {
	r := e.res
	if !hasCoding(obj(r["code"]), ig.SysLOINC, ig.LOINCGenotype) {
		v.addf(e, "Genotype code is not LOINC %s", ig.LOINCGenotype)
	}
	if str(obj(r["valueCodeableConcept"])["text"]) == "" {
		v.addf(e, "Genotype has no genotype text")
	}
	v.gene(e)
}

// implication checks a GenomicImplication: its code, no value, derivedFrom 1..*.
func (v *validator) implication(e *entry, code string, from ...string) {
	r := e.res
	if !hasCoding(obj(r["code"]), ig.SysTBD, code) {
		v.addf(e, "code is not %s|%s", ig.SysTBD, code)
	}
	for k := range r {
		if strings.HasPrefix(k, "value") {
			v.addf(e, "an implication has no value[x] (%s)", k)
		}
	}
	d := arr(r["derivedFrom"])
	if len(d) == 0 {
		v.addf(e, "no derivedFrom (1..* for implications)")
	}
	for i, ref := range d {
		v.points(e, fmt.Sprintf("derivedFrom[%d]", i), ref, from...)
	}
}

func (v *validator) therapeutic(e *entry) {
	r := e.res
	fromGenotype := false
	for _, ref := range arr(r["derivedFrom"]) {
		if t := v.target(ref); t != nil && t.kind == ig.ProfileGenotype {
			fromGenotype = true
		}
	}
	if fromGenotype {
		if c := v.one(e, ig.SysTBD, ig.TBDTherapeutic, "therapeutic implication (phenotype)"); c != nil {
			cc := obj(c["valueCodeableConcept"])
			if str(cc["text"]) == "" && len(codings(cc)) == 0 {
				v.addf(e, "phenotype has neither a code nor a text")
			}
		}
	} else if len(components(r, ig.SysLOINC, ig.LOINCClinSig)) > 0 {
		v.significance(e, "Therapeutic Implication")
	}
	for _, c := range components(r, ig.SysLOINC, ig.LOINCMedication) {
		cc := obj(c["valueCodeableConcept"])
		ok := str(cc["text"]) != ""
		for _, cd := range codings(cc) {
			ok = ok || (str(cd["system"]) == ig.SysRxNorm && str(cd["code"]) != "")
		}
		if !ok {
			v.addf(e, "medication assessed has neither an RxNorm coding nor a text")
		}
	}
}

// tag returns the tag a Task carries in its "tag" input.
func tag(task node) string {
	for _, in := range objs(task["input"]) {
		if str(obj(in["type"])["text"]) == ig.InputTag {
			return str(in["valueString"])
		}
	}
	return ""
}

func (v *validator) task(e *entry, prefix string, reasons ...string) {
	r := e.res
	v.kind(e, "recommendation", "Task", "Task", "requested")
	if str(r["intent"]) != "proposal" {
		v.addf(e, "Task intent is %q, want proposal", str(r["intent"]))
	}
	if r["for"] == nil {
		v.addf(e, "Task has no for (Patient)")
	}
	v.points(e, "for", r["for"], "Patient")
	if r["reasonReference"] != nil {
		v.points(e, "reasonReference", r["reasonReference"], reasons...)
	}
	if t := tag(r); !strings.HasPrefix(t, prefix) {
		v.addf(e, "Task tag %q does not start with %q", t, prefix)
	}
	report := false
	for _, in := range objs(r["input"]) {
		if str(obj(in["type"])["text"]) == ig.InputReport {
			report = v.points(e, "genomic-report input", in["valueReference"], ig.ProfileGenomicReport) != nil || report
		}
	}
	if !report {
		v.addf(e, "Task names no GenomicReport in its inputs")
	}
	if c := obj(r["code"]); c != nil {
		allowed := ig.FollowupActions
		if prefix == "treatment:" {
			allowed = ig.MedicationActions
		}
		for _, cd := range codings(c) {
			ok := false
			for _, a := range allowed {
				ok = ok || (str(cd["system"]) == ig.SysLOINC && str(cd["code"]) == a.Code)
			}
			if !ok {
				v.addf(e, "Task code %s|%s is not an answer of the profile's LOINC list", str(cd["system"]), str(cd["code"]))
			}
		}
		if len(codings(c)) == 0 && str(c["text"]) == "" {
			v.addf(e, "Task code has neither a coding nor a text")
		}
	} else if prefix == "follow-up:" {
		v.addf(e, "FollowupRecommendation has no code")
	}
}

// links checks what spans entries: results, one Diagnostic Implication per Variant, a
// Therapeutic Implication per Genotype, and one named Task per tag of each GenomicReport.
func (v *validator) links() {
	listed := map[string]int{}
	named := map[string]int{}
	for _, e := range v.entries {
		if e.kind != ig.ProfileGenomicReport {
			continue
		}
		subject := str(obj(e.res["subject"])["reference"])
		for _, ref := range arr(e.res["result"]) {
			u := str(obj(ref)["reference"])
			listed[u]++
			if t := v.byURL[u]; t != nil && str(obj(t.res["subject"])["reference"]) != subject {
				v.addf(e, "result %s is about another subject", u)
			}
		}
		tags := map[string]bool{}
		for _, x := range objs(e.res["extension"]) {
			if str(x["url"]) != ig.ExtRecommendedAction {
				continue
			}
			u := str(obj(x["valueReference"])["reference"])
			named[u]++
			if t := v.byURL[u]; t != nil {
				tg := tag(t.res)
				if tags[tg] {
					v.addf(e, "two Tasks for tag %q", tg)
				}
				tags[tg] = true
			}
		}
	}
	derived := map[string]map[string]int{} // target URL -> deriving kind -> count
	for _, e := range v.entries {
		for _, ref := range arr(e.res["derivedFrom"]) {
			u := str(obj(ref)["reference"])
			if derived[u] == nil {
				derived[u] = map[string]int{}
			}
			derived[u][e.kind]++
		}
	}
	for _, e := range v.entries {
		switch e.kind {
		case ig.ProfileVariant, ig.ProfileGenotype, ig.ProfileDiagnosticImplication, ig.ProfileTherapeuticImplication, ig.ProfileRegionStudied:
			if listed[e.fullURL] != 1 {
				v.addf(e, "observation is listed in %d GenomicReport results, want 1", listed[e.fullURL])
			}
		case ig.ProfileMedicationRecommendation, ig.ProfileFollowupRecommendation:
			if named[e.fullURL] != 1 {
				v.addf(e, "Task is named by %d GenomicReport recommended-action extensions, want 1", named[e.fullURL])
			}
		}
		switch e.kind {
		case ig.ProfileVariant:
			if n := derived[e.fullURL][ig.ProfileDiagnosticImplication]; n != 1 {
				v.addf(e, "Variant has %d Diagnostic Implications, want 1", n)
			}
		case ig.ProfileGenotype:
			if derived[e.fullURL][ig.ProfileTherapeuticImplication] == 0 {
				v.addf(e, "Genotype has no Therapeutic Implication")
			}
		}
	}
}

// against checks the bundle against the report it was made from.
func (v *validator) against(rep *report.Report) {
	reports := map[string]*entry{} // sample id -> GenomicReport
	for _, e := range v.entries {
		if e.kind != ig.ProfileGenomicReport {
			continue
		}
		p := v.target(e.res["subject"])
		if p == nil {
			continue
		}
		for _, id := range objs(p.res["identifier"]) {
			reports[str(id["value"])] = e
		}
	}
	n := 0
	for _, e := range v.entries {
		if e.kind == ig.ProfileGenomicReport {
			n++
		}
	}
	if n != len(rep.Samples) {
		v.addf(nil, "%d GenomicReports for %d samples", n, len(rep.Samples))
	}
	for i := range rep.Samples {
		s := &rep.Samples[i]
		dr := reports[ig.Pseudonym(rep, s)]
		if dr == nil {
			v.addf(nil, "no GenomicReport about sample %q", ig.Pseudonym(rep, s))
			continue
		}
		v.provenance(dr, rep)
		results := map[string][]*entry{}
		for _, ref := range arr(dr.res["result"]) {
			if t := v.target(ref); t != nil {
				results[t.kind] = append(results[t.kind], t)
			}
		}
		v.findings(dr, s, results[ig.ProfileVariant], rep.Input.Specimen)
		v.calls(dr, s, results[ig.ProfileGenotype], results[ig.ProfileTherapeuticImplication])
		v.tasks(dr, s)
		v.regions(dr, s, results[ig.ProfileRegionStudied])
	}
}

// regionStudied checks a RegionStudied observation (Genomics Reporting IG STU3): code LOINC
// 53041-0, no value, one gene studied, one region description, and a region coverage, when
// given, that is a percentage from 0 to 100.
func (v *validator) regionStudied(e *entry) {
	r := e.res
	if !hasCoding(obj(r["code"]), ig.SysLOINC, ig.LOINCRegionStudied) {
		v.addf(e, "RegionStudied code is not LOINC %s", ig.LOINCRegionStudied)
	}
	for k := range r {
		if strings.HasPrefix(k, "value") {
			v.addf(e, "RegionStudied has a %s (value[x] 0..0)", k)
		}
	}
	v.gene(e)
	if c := v.one(e, ig.SysLOINC, ig.LOINCRegionDesc, "region description"); c != nil && strings.TrimSpace(str(c["valueString"])) == "" {
		v.addf(e, "region description has no valueString")
	}
	cs := components(r, ig.SysTBD, ig.TBDRegionCoverage)
	if len(cs) > 1 {
		v.addf(e, "%d region-coverage components, want at most one", len(cs))
	}
	for _, c := range cs {
		q := obj(c["valueQuantity"])
		val, ok := q["value"].(float64)
		if !ok || val < 0 || val > 100 || str(q["code"]) != "%" || str(q["system"]) != ig.SysUCUM {
			v.addf(e, "region coverage is not a UCUM %% quantity from 0 to 100: %v", c["valueQuantity"])
		}
	}
}

// regions checks that a sample's GenomicReport lists one RegionStudied per coverage entry,
// for the same gene, with the covered percentage of the report, and that a gene whose
// coverage is not known says a negative result cannot exclude variants in it.
func (v *validator) regions(dr *entry, s *report.Sample, regions []*entry) {
	if len(regions) != len(s.Coverage) {
		v.addf(dr, "sample %q: %d RegionStudied observations for %d coverage entries", s.SampleID, len(regions), len(s.Coverage))
	}
	byGene := map[string]*entry{}
	for _, e := range regions {
		for _, c := range components(e.res, ig.SysLOINC, ig.LOINCGene) {
			cc := obj(c["valueCodeableConcept"])
			g := str(cc["text"])
			for _, cd := range codings(cc) {
				g = cmpOr(str(cd["display"]), g)
			}
			byGene[g] = e
		}
	}
	for _, c := range s.Coverage {
		e := byGene[c.Gene]
		if e == nil {
			v.addf(dr, "sample %q: no RegionStudied for %s", s.SampleID, c.Gene)
			continue
		}
		desc := ""
		for _, d := range components(e.res, ig.SysLOINC, ig.LOINCRegionDesc) {
			desc += str(d["valueString"])
		}
		cov := components(e.res, ig.SysTBD, ig.TBDRegionCoverage)
		if c.Source == "none" || c.CoveredFraction == nil {
			if len(cov) > 0 {
				v.addf(e, "%s: region coverage given though the report's coverage is not known", c.Gene)
			}
			if !strings.Contains(desc, "cannot exclude variants in "+c.Gene) {
				v.addf(e, "%s: coverage not known, but the region description does not say that a negative result cannot exclude variants in it", c.Gene)
			}
			continue
		}
		want := math.Round(*c.CoveredFraction*1000) / 10
		if len(cov) != 1 {
			v.addf(e, "%s: no region coverage for a covered fraction of %v", c.Gene, *c.CoveredFraction)
		} else if got, _ := obj(cov[0]["valueQuantity"])["value"].(float64); got != want {
			v.addf(e, "%s: region coverage %v%%, want %v%%", c.Gene, got, want)
		}
		if len(c.UncoveredExons) > 0 && !strings.Contains(desc, "cannot exclude variants") {
			v.addf(e, "%s: exons not fully covered, but the region description does not say that a negative result cannot exclude variants there", c.Gene)
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (v *validator) provenance(dr *entry, rep *report.Report) {
	note := ""
	for _, x := range objs(dr.res["extension"]) {
		if str(x["url"]) == ig.ExtGenomicReportNote {
			note += str(obj(x["valueAnnotation"])["text"]) + "\n"
		}
	}
	want := []string{
		"Pipeline: " + rep.Pipeline.Name + " " + rep.Pipeline.Version + "\n",
		"Knowledge base: " + rep.KnowledgeBase.Version + "\n",
		"Input SHA-256: " + rep.Input.SHA256 + "\n",
		"Genome build: " + rep.Input.GenomeBuild + "\n",
	}
	for _, s := range rep.KnowledgeBase.Sources {
		want = append(want, "Source: "+s.Name+", "+s.Release+"\n")
	}
	if l := rep.Input.Liftover; l != nil {
		// What a GRCh37 input cannot show must reach the receiving system (issue 14).
		for _, n := range l.NotCovered {
			want = append(want, "Not covered on "+l.From+": "+n+"\n")
		}
	}
	for _, w := range want {
		if !strings.Contains(note, w) {
			v.addf(dr, "provenance note lacks %q", strings.TrimSpace(w))
		}
	}
}

// value returns the code (or, without one, the text) of the single component system|code.
func value(res node, system, code string) string {
	for _, c := range components(res, system, code) {
		cc := obj(c["valueCodeableConcept"])
		if cd := codings(cc); len(cd) > 0 {
			return str(cd[0]["code"])
		}
		return str(cc["text"])
	}
	return ""
}

func (v *validator) findings(dr *entry, s *report.Sample, variants []*entry, specimen string) {
	if len(variants) != len(s.Findings) {
		v.addf(dr, "sample %q: %d Variant observations for %d findings", s.SampleID, len(variants), len(s.Findings))
	}
	used := map[*entry]bool{}
	for i := range s.Findings {
		f := &s.Findings[i]
		match := claim(variants, used, func(e *entry) bool {
			return value(e.res, ig.SysLOINC, ig.LOINCHGVSc) == f.HGVSc && value(e.res, ig.SysLOINC, ig.LOINCHGVSp) == f.HGVSp &&
				value(e.res, ig.SysLOINC, ig.LOINCHGVSg) == f.HGVSg
		})
		if match == nil {
			v.addf(dr, "sample %q: no Variant carries exactly the HGVS of finding %s %s / %s / %s", s.SampleID, f.Gene, f.HGVSc, f.HGVSp, f.HGVSg)
			continue
		}
		gene := f.Gene
		if id, ok := ig.HGNC[f.Gene]; ok {
			gene = id
		}
		if got := value(match.res, ig.SysLOINC, ig.LOINCGene); got != gene {
			v.addf(match, "gene studied is %q, want %q (%s)", got, gene, f.Gene)
		}
		if got := value(match.res, ig.SysLOINC, ig.LOINCTranscript); got != f.Transcript {
			v.addf(match, "transcript is %q, want %q", got, f.Transcript)
		}
		want := ""
		if a, ok := ig.ZygosityAnswers[f.Zygosity]; ok {
			want = a.Code
		}
		if got := value(match.res, ig.SysLOINC, ig.LOINCAllelicState); got != want {
			v.addf(match, "allelic state is %q, want %q (%s)", got, want, f.Zygosity)
		}
		wantSig := ig.ClassificationText[f.Classification]
		if a, ok := ig.ClassificationAnswers[f.Classification]; ok {
			wantSig = a.Code
		} else if wantSig == "" {
			wantSig = f.Classification
		}
		if got := value(match.res, ig.SysLOINC, ig.LOINCClinSig); got != wantSig {
			v.addf(match, "Variant clinical significance is %q, want %q (%s)", got, wantSig, f.Classification)
		}
		for _, e := range v.entries {
			if e.kind != ig.ProfileDiagnosticImplication {
				continue
			}
			for _, ref := range arr(e.res["derivedFrom"]) {
				if str(obj(ref)["reference"]) == match.fullURL {
					if got := value(e.res, ig.SysLOINC, ig.LOINCClinSig); got != wantSig {
						v.addf(e, "Diagnostic Implication clinical significance is %q, want %q (%s)", got, wantSig, f.Classification)
					}
				}
			}
		}
		vaf := components(match.res, ig.SysLOINC, ig.LOINCVAF)
		switch {
		case f.VAF == nil && len(vaf) > 0:
			v.addf(match, "sample allelic frequency given for a finding without VAF")
		case f.VAF != nil && len(vaf) == 0:
			v.addf(match, "no sample allelic frequency for VAF %g", *f.VAF)
		case f.VAF != nil:
			got, _ := obj(vaf[0]["valueQuantity"])["value"].(float64)
			if d := got - *f.VAF*100; d > 1e-6 || d < -1e-6 {
				v.addf(match, "sample allelic frequency %g %%, want %g %%", got, *f.VAF*100)
			}
		}
		v.structuralFor(match, f)
		source := obj(firstComponent(match.res, ig.LOINCSourceClass)["valueCodeableConcept"])
		if germ := hasCoding(source, ig.SysLOINC, ig.AnswerGermline); germ != (specimen == "germline") {
			v.addf(match, "genomic source class germline is %v for a %s specimen", germ, specimen)
		}
	}
}

// claim returns the first entry of es not yet in used for which ok holds and marks it used,
// or nil: each observation answers for one finding or call only.
func claim(es []*entry, used map[*entry]bool, ok func(*entry) bool) *entry {
	for _, e := range es {
		if !used[e] && ok(e) {
			used[e] = true
			return e
		}
	}
	return nil
}

func firstComponent(res node, code string) node {
	if cs := components(res, ig.SysLOINC, code); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// conclusions returns the conclusion-string values of res.
func conclusions(res node) []string {
	var out []string
	for _, c := range components(res, ig.SysTBD, ig.TBDConclusion) {
		out = append(out, str(c["valueString"]))
	}
	return out
}

func (v *validator) calls(dr *entry, s *report.Sample, genotypes, implications []*entry) {
	if len(genotypes) != len(s.PGx) {
		v.addf(dr, "sample %q: %d Genotype observations for %d pharmacogenomic calls", s.SampleID, len(genotypes), len(s.PGx))
	}
	used := map[*entry]bool{}
	for i := range s.PGx {
		p := &s.PGx[i]
		g := claim(genotypes, used, func(e *entry) bool {
			return str(obj(e.res["valueCodeableConcept"])["text"]) == p.Diplotype
		})
		if g == nil {
			v.addf(dr, "sample %q: no Genotype states diplotype %q", s.SampleID, p.Diplotype)
			continue
		}
		var tis []*entry
		for _, e := range implications {
			for _, ref := range arr(e.res["derivedFrom"]) {
				if str(obj(ref)["reference"]) == g.fullURL {
					tis = append(tis, e)
				}
			}
		}
		want := len(p.Recommendations)
		if want == 0 {
			want = 1
		}
		if len(tis) != want {
			v.addf(g, "%d Therapeutic Implications for %d recommendations", len(tis), len(p.Recommendations))
		}
		phenotype := p.Phenotype
		if t, ok := ig.PartialNormal(p); ok {
			phenotype = t
		} else if a, ok := ig.PhenotypeAnswers[p.Phenotype]; ok {
			phenotype = a.Code
		}
		for _, ti := range tis {
			if got := value(ti.res, ig.SysTBD, ig.TBDTherapeutic); got != phenotype {
				v.addf(ti, "phenotype is %q, want %q (%s)", got, phenotype, p.Phenotype)
			}
		}
		for _, r := range p.Recommendations {
			found := false
			for _, ti := range tis {
				drug := components(ti.res, ig.SysLOINC, ig.LOINCMedication)
				if len(drug) == 1 && str(obj(drug[0]["valueCodeableConcept"])["text"]) == r.Drug &&
					slices.Contains(conclusions(ti.res), r.Text) && strings.Contains(notes(ti.res), ig.GuidelineBody(r.Guideline)+" strength of recommendation: "+r.Strength) {
					found = true
				}
			}
			if !found {
				v.addf(g, "no Therapeutic Implication states the %s recommendation for %s with its text and strength %q", ig.GuidelineBody(r.Guideline), r.Drug, r.Strength)
			}
		}
	}
}

func notes(res node) string {
	var b strings.Builder
	for _, n := range objs(res["note"]) {
		b.WriteString(str(n["text"]))
		b.WriteByte('\n')
	}
	return b.String()
}

func (v *validator) tasks(dr *entry, s *report.Sample) {
	got := map[string]*entry{}
	for _, x := range objs(dr.res["extension"]) {
		if str(x["url"]) == ig.ExtRecommendedAction {
			if t := v.target(x["valueReference"]); t != nil {
				got[tag(t.res)] = t
			}
		}
	}
	want := map[string]bool{}
	for _, t := range s.Tags {
		var profile string
		switch {
		case strings.HasPrefix(t, "treatment:"):
			profile = ig.ProfileMedicationRecommendation
		case strings.HasPrefix(t, "follow-up:"):
			profile = ig.ProfileFollowupRecommendation
		default:
			continue
		}
		want[t] = true
		e := got[t]
		if e == nil {
			v.addf(dr, "sample %q: no Task for tag %q", s.SampleID, t)
			continue
		}
		if e.kind != profile {
			v.addf(e, "Task for %q claims %s, want %s", t, e.kind, profile)
		}
	}
	extra := make([]string, 0, len(got))
	for t := range got {
		if !want[t] {
			extra = append(extra, t)
		}
	}
	sort.Strings(extra)
	for _, t := range extra {
		v.addf(got[t], "Task for tag %q, which sample %q does not carry", t, s.SampleID)
	}
}
