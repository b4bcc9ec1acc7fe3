package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/precis-dx/precis/internal/guideline"
)

// WriteText writes a summary of r for a terminal. For each sample the pharmacogenomic dose
// alerts come first (DPYD, UGT1A1, TPMT, NUDT15; those of the planned drugs lead), in words
// a clinician reads in five seconds; then the findings grouped by panel, the
// tags with their reasons, and last the provenance.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	for i, s := range r.Samples {
		if i > 0 {
			b.WriteString("\n" + strings.Repeat("=", 78) + "\n\n")
		}
		writeSample(&b, r, &s)
	}
	if len(r.Samples) == 0 {
		fmt.Fprintf(&b, "No samples in %s.\n", r.Input.File)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// incomplete says why a gene's test is not complete, where its rule is narrower than the
// default: DPYD needs every AMP Tier-1 position (Pratt et al., J Mol Diagn 2024; internal/pgx).
var incomplete = map[string]string{
	"DPYD": "an AMP Tier-1 position was not tested at adequate quality, or a variant was seen without a genotype",
}

const incompleteDefault = "a position of the allele definition was not tested at adequate quality, or a variant was seen without a genotype"

func writeSample(b *strings.Builder, r *Report, s *Sample) {
	id := s.SampleID
	if m := r.ManifestSample(); m != "" && m != s.SampleID {
		id = m + " (VCF column " + s.SampleID + ")"
	}
	fmt.Fprintf(b, "PRECIS REPORT  sample %s  (%s, %s, specimen %s)\n\n", id, r.Input.File, r.Input.GenomeBuild, r.Input.Specimen)
	for _, p := range s.PGx {
		sev := strings.ToUpper(p.Alert.Severity)
		if sev == "" {
			sev = "NONE"
		}
		if guideline.Raises(p, r.Input.PlannedDrugs) || sev == "NONE" {
			fmt.Fprintf(b, "%s DOSE ALERT [%s]: %s\n", p.Gene, sev, p.Alert.Message)
		} else {
			// Reported, but no alert is raised: the gene bears on none of the planned drugs.
			fmt.Fprintf(b, "%s RESULT [%s], no alert: not relevant to the planned drugs (%s): %s\n", p.Gene, sev,
				strings.Join(r.Input.PlannedDrugs, ", "), p.Alert.Message)
		}
		switch {
		case p.ActivityScore != nil:
			fmt.Fprintf(b, "  diplotype %s; activity score %.1f; %s\n", p.Diplotype, *p.ActivityScore, p.Phenotype)
		case guideline.ActivityScored(p.Gene):
			fmt.Fprintf(b, "  diplotype %s; activity score no call; %s\n", p.Diplotype, p.Phenotype)
		default: // phenotyped from allele function, without an activity score
			fmt.Fprintf(b, "  diplotype %s; %s\n", p.Diplotype, p.Phenotype)
		}
		for _, rec := range p.Recommendations {
			// A text of several paragraphs continues indented under its drug.
			text := strings.ReplaceAll(rec.Text, "\n\n", "\n    ")
			fmt.Fprintf(b, "  - %s: %s (%s; %s)\n", rec.Drug, text, rec.Strength, rec.Guideline)
		}
		if len(p.UntestedPositions) > 0 {
			fmt.Fprintf(b, "  untested positions (%d): %s\n", len(p.UntestedPositions), strings.Join(p.UntestedPositions, ", "))
		}
		for _, u := range p.UntestedReasons {
			fmt.Fprintf(b, "  untested %s: %s\n", u.RSID, u.Reason)
		}
		for _, e := range p.LossOfFunction {
			fmt.Fprintf(b, "  LOSS-OF-FUNCTION EVIDENCE outside the CPIC definition (not in the activity score): %s %s (%s, %s): %s\n", e.HGVSc, e.HGVSp, e.Variant, e.Zygosity, e.Reason)
		}
		if !p.Complete {
			fmt.Fprintf(b, "  not a complete test: %s\n", cmp.Or(incomplete[p.Gene], incompleteDefault))
		}
		for _, wn := range p.Warnings {
			fmt.Fprintf(b, "  warning: %s\n", wn)
		}
		b.WriteString("\n")
	}
	byPanel := map[string][]Finding{}
	var order []string
	for _, f := range s.Findings {
		if _, ok := byPanel[f.Panel]; !ok {
			order = append(order, f.Panel)
		}
		byPanel[f.Panel] = append(byPanel[f.Panel], f)
	}
	if len(s.Findings) == 0 {
		fmt.Fprintf(b, "No variants in the ordered panels (%s).\n", strings.Join(r.Input.Panels, ", "))
		writeCoverage(b, s) // a negative result is followed by what it rests on
		b.WriteString("\n")
	}
	for _, p := range order {
		fmt.Fprintf(b, "Panel %s\n", strings.ToUpper(p))
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  gene\tHGVS c.\tHGVS p.\tconsequence\tzygosity\tclassification\ttags")
		for _, f := range byPanel[p] {
			c := f.HGVSc
			if c == "" {
				c = f.HGVSg
			}
			if c == "" {
				c = fmt.Sprintf("%s:%d %s>%s", f.Chrom, f.Pos, f.Ref, f.Alt)
			}
			if c == "" || (f.SVType != "" && f.HGVSc == "" && f.HGVSg == "") {
				c = fmt.Sprintf("%s %s:%d-%d", f.SVType, f.Chrom, f.Pos, f.End)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Gene, c, dash(f.HGVSp), dash(f.Consequence), f.Zygosity, f.Classification, dash(strings.Join(f.Tags, " ")))
		}
		tw.Flush()
		writeStructural(b, byPanel[p])
		b.WriteString("\n")
	}
	if len(s.Findings) > 0 {
		writeCoverage(b, s)
		b.WriteString("\n")
	}
	if len(s.TagRationale) > 0 {
		b.WriteString("Why these tags\n")
		for _, t := range s.TagRationale {
			fmt.Fprintf(b, "  %s  %s: %s [%s]\n", t.Tag, t.Finding, t.Reason, t.Source)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "QC: %d records read, %d in panels, %d off-panel, %d on other contigs, %d symbolic skipped, %d REF mismatches, %d no-calls\n",
		s.QC.RecordsRead, s.QC.RecordsInPanels, s.QC.SkippedOffPanel, s.QC.SkippedOtherContigs, s.QC.SkippedSymbolic, s.QC.SkippedRefMismatch, s.QC.NoCalls)
	if l := r.Input.Liftover; l != nil {
		fmt.Fprintf(b, "%s input: %d of %d panel records placed on %s, the knowledge base's build (%d with REF and ALT exchanged where the builds' reference bases differ, %d not placed); %s\n",
			l.From, l.Placed, l.Records, l.To, l.AllelesExchanged, l.Unplaced, l.Method)
		for _, n := range l.NotCovered {
			fmt.Fprintf(b, "not covered on %s: %s\n", l.From, n)
		}
	}
	for _, wn := range r.Input.Warnings {
		fmt.Fprintf(b, "warning: %s\n", wn)
	}
	input := "input sha256 " + r.Input.SHA256
	if a := r.Input.Access; a != nil && a.Mode == "indexed" {
		input = fmt.Sprintf("read through index %s: %d of %d bytes, sha256 of the bytes read %s", a.Index, a.BytesRead, a.ObjectBytes, r.Input.SHA256)
	}
	fmt.Fprintf(b, "Provenance: %s %s; knowledge base %s; %s\n", r.Pipeline.Name, r.Pipeline.Version, r.KnowledgeBase.Version, input)
}

// writeCoverage states the coverage of each ordered gene (DESIGN.md clinical rule 7), or
// that the report does not state it.
func writeCoverage(b *strings.Builder, s *Sample) {
	if len(s.Coverage) == 0 {
		b.WriteString("Coverage: not stated in this report: a negative result cannot exclude variants in the ordered genes.\n")
		return
	}
	b.WriteString("Coverage of the coding exons ±2 bp (MANE Select):\n")
	for _, c := range s.Coverage {
		fmt.Fprintf(b, "  %-6s %s\n", c.Gene, CoverageSummary(c))
	}
}

// CoverageSummary says one gene's coverage in a line: the covered percentage, the source
// and its note; for source none, the note alone (which says that a negative result cannot
// exclude variants in the gene).
func CoverageSummary(c Coverage) string {
	if c.Source == "none" || c.CoveredFraction == nil {
		if c.Note == "" {
			return "not known: a negative result cannot exclude variants in " + c.Gene
		}
		return "not known: " + c.Note
	}
	line := fmt.Sprintf("%.1f%% (%s", *c.CoveredFraction*100, c.Source)
	if c.MinDP != nil {
		line += fmt.Sprintf(", lowest depth %d", *c.MinDP)
	}
	line += ")"
	if c.Note != "" {
		line += ": " + c.Note
	}
	return line
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeStructural states each structural or copy-number finding of a panel in words: type,
// span, exons and copy number, so a deletion over whole exons is never read as "no variants".
func writeStructural(b *strings.Builder, fs []Finding) {
	for _, f := range fs {
		if f.SVType == "" {
			continue
		}
		fmt.Fprintf(b, "  structural variant: %s %s %s:%d-%d", f.Gene, StructuralSummary(&f), f.Chrom, f.Pos, f.End)
		if f.Transcript != "" {
			fmt.Fprintf(b, " on %s", f.Transcript)
		}
		b.WriteString("\n")
	}
}

// StructuralSummary describes a structural finding in a few words: "DEL of exons 4-11
// (copy number 1)", "INV, no exon (intronic)". "" for a sequence variant.
func StructuralSummary(f *Finding) string {
	if f.SVType == "" {
		return ""
	}
	s := f.SVType
	switch len(f.Exons) {
	case 0:
		s += ", no exon (intronic)"
	case 1:
		s += " of exon " + ExonRanges(f.Exons)
	default:
		s += " of exons " + ExonRanges(f.Exons)
	}
	if f.CopyNumber != nil {
		s += fmt.Sprintf(" (copy number %d)", *f.CopyNumber)
	}
	return s
}

// ExonRanges writes exon numbers as ranges: "4-11", "2, 5-6".
func ExonRanges(es []int) string {
	var parts []string
	for i := 0; i < len(es); {
		j := i
		for j+1 < len(es) && es[j+1] == es[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", es[i], es[j]))
		} else {
			parts = append(parts, fmt.Sprint(es[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
