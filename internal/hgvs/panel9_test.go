package hgvs_test

import (
	"fmt"
	"github.com/precis-dx/precis/internal/oracle"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/transcript/transcripttest"
	"github.com/precis-dx/precis/internal/variant"
)

// loadKB returns the embedded knowledge base, read once for all tests.
func loadKB(tb testing.TB) *kb.KB {
	tb.Helper()
	k, err := embeddedKB()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

var embeddedKB = sync.OnceValues(kb.Load)

// plpRecord is one record of clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz.
type plpRecord struct {
	line int
	id   string          // ClinVar variation ID
	gene string          // INFO GENE
	mc   []string        // INFO MC term names, e.g. "frameshift_variant", "nonsense"
	v    variant.Variant // as written in the file, with a "chr" contig
}

// readPLP reads every record of the ClinVar P/LP file of the nine panel genes.
func readPLP(tb testing.TB) []plpRecord {
	tb.Helper()
	path := filepath.Join(transcripttest.DataDir(tb), "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	var out []plpRecord
	for line, rec := range oracle.Records(tb, path) {
		r := plpRecord{line: line, id: rec.ID, gene: rec.Info["GENE"], v: variant.Variant{Chrom: "chr" + rec.Chrom, Pos: rec.Pos, Ref: rec.Ref, Alt: rec.Alt}}
		if mc, ok := rec.Info["MC"]; ok {
			for _, m := range strings.Split(mc, ",") {
				if _, name, ok := strings.Cut(m, "|"); ok {
					r.mc = append(r.mc, name)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// mcAliases lists, for a term of ours, the names ClinVar's MC uses for the same event:
// ClinVar writes "nonsense" for stop_gained, "initiator_codon_variant" for start_lost and
// "inframe_indel" for an in-frame deletion-insertion, and it never reports
// splice_region_variant: it lists the intron_variant, synonymous_variant or
// missense_variant such a change also is.
var mcAliases = map[string][]string{
	"stop_gained":              {"nonsense"},
	"start_lost":               {"initiator_codon_variant"},
	"inframe_deletion":         {"inframe_indel"},
	"inframe_insertion":        {"inframe_indel"},
	"protein_altering_variant": {"inframe_indel"},
	"splice_region_variant":    {"intron_variant", "synonymous_variant", "missense_variant"},
}

// agreesMC reports whether our primary consequence is among ClinVar's MC terms.
func agreesMC(term string, mc []string) bool {
	if slices.Contains(mc, term) {
		return true
	}
	for _, a := range mcAliases[term] {
		if slices.Contains(mc, a) {
			return true
		}
	}
	return false
}

// TestClinVarPLPPanel runs every Pathogenic/Likely pathogenic ClinVar record (>= 2 stars,
// ClinVar 20241215) of the nine panel genes through variant.Normalize and Annotate on the
// gene's MANE transcript with the knowledge base's transcripts and genome, and checks
// that the primary consequence agrees with ClinVar's molecular consequence (INFO MC)
// for at least 98% of the records that have one. Disagreements are listed by gene.
func TestClinVarPLPPanel(t *testing.T) {
	records := readPLP(t)
	k := loadKB(t)
	a := hgvs.NewAnnotator(k.Genome)
	type tally struct {
		n, agree int
		misses   []string
	}
	genes := map[string]*tally{}
	var n, agree int
	for _, r := range records {
		tx, ok := k.Transcripts[r.gene]
		if !ok {
			t.Errorf("line %d %v: gene %q has no transcript", r.line, r.v, r.gene)
			continue
		}
		v := variant.Normalize(r.v, k.Genome)
		ann, err := a.Annotate(tx, v)
		if err != nil {
			t.Errorf("line %d %v: %v", r.line, r.v, err)
			continue
		}
		if len(r.mc) == 0 {
			continue
		}
		g := genes[r.gene]
		if g == nil {
			g = &tally{}
			genes[r.gene] = g
		}
		n++
		g.n++
		if agreesMC(ann.Consequence, r.mc) {
			agree++
			g.agree++
		} else {
			g.misses = append(g.misses, fmt.Sprintf("line %d ClinVar %s %v %s %s: got %v, MC %v",
				r.line, r.id, v, ann.HGVSc, ann.HGVSp, ann.Consequences, r.mc))
		}
		// A nonsense, missense or start-lost variant gets a p. name: every panel CDS is
		// known (PMS2 lacks only the end of its 3' UTR).
		if ann.HGVSp == "" && ann.HGVSc != "" && slices.ContainsFunc(r.mc, func(m string) bool {
			return m == "nonsense" || m == "missense_variant" || m == "initiator_codon_variant"
		}) && slices.ContainsFunc(ann.Consequences, func(c string) bool {
			return c == "stop_gained" || c == "missense_variant" || c == "start_lost"
		}) {
			t.Errorf("line %d %v %s: %v without a p. name", r.line, v, ann.HGVSc, ann.Consequences)
		}
	}
	names := make([]string, 0, len(genes))
	for name := range genes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g := genes[name]
		t.Logf("%s: consequence agrees with MC for %d of %d (%.2f%%)", name, g.agree, g.n, pct(g.agree, g.n))
		for _, m := range g.misses {
			t.Logf("  %s %s", name, m)
		}
	}
	t.Logf("all genes: consequence agrees with MC for %d of %d (%.2f%%) of %d records", agree, n, pct(agree, n), len(records))
	if len(records) < 9500 || n < 9400 {
		t.Errorf("%d records, %d with MC: the file is incomplete", len(records), n)
	}
	if pct(agree, n) < 98 {
		t.Errorf("consequence agrees with ClinVar MC for %d of %d records, want >= 98%%", agree, n)
	}
}

// TestKBTranscripts checks the sequence the knowledge base gives for each panel
// transcript: every exonic base is known except the last 314 bases of the PMS2 3' UTR,
// chr7:5,970,925-5,971,238, which the GRCh38 PMS2 slice lacks (shared data README); each
// CDS starts with ATG and translates with no stop before its last codon.
func TestKBTranscripts(t *testing.T) {
	k := loadKB(t)
	const pms2GapStart, pms2GapEnd = 5970925, 5971238 // 1-based, inclusive
	for _, gene := range []string{"BRCA1", "BRCA2", "DPYD", "EPCAM", "MLH1", "MSH2", "MSH6", "PMS2", "POLE"} {
		t.Run(gene, func(t *testing.T) {
			tx, ok := k.Transcripts[gene]
			if !ok {
				t.Fatalf("no transcript")
			}
			s, known := tx.KnownSequence(k.Genome)
			wantUnknown := 0
			if gene == "PMS2" {
				wantUnknown = pms2GapEnd - pms2GapStart + 1
				for i := len(s) - wantUnknown; i < len(s); i++ {
					if g := tx.Genomic(i+1, 0); s[i] != transcript.Unknown || g < pms2GapStart || g > pms2GapEnd {
						t.Fatalf("transcript base %d (chr7:%d) is %q, want unknown inside chr7:%d-%d", i+1, g, s[i], pms2GapStart, pms2GapEnd)
					}
				}
			}
			if unknown := len(s) - known; unknown != wantUnknown {
				t.Errorf("%d of %d bases unknown, want %d", unknown, len(s), wantUnknown)
			}
			cds := s[tx.CDSStart-1 : tx.CDSEnd]
			p := transcript.Translate(cds)
			if !strings.HasPrefix(cds, "ATG") || strings.IndexAny(p, "*X") != len(p)-1 || p[len(p)-1] != '*' {
				t.Errorf("CDS of %d bases translates to %.10s...%s (first stop or unknown codon at %d), want M...* with no earlier stop",
					len(cds), p, p[max(0, len(p)-10):], strings.IndexAny(p, "*X")+1)
			}
		})
	}
}

// TestPMS2 annotates PMS2 P/LP records whose CDS and 3' UTR start are known although the
// transcript's end is not: ClinVar's molecular consequence (INFO MC) is the oracle for
// the term; the c. names are ClinVar's (NM_000535.7).
func TestPMS2(t *testing.T) {
	k := loadKB(t)
	byKey := map[string]plpRecord{}
	for _, r := range readPLP(t) {
		byKey[r.v.String()] = r
	}
	tests := []struct {
		v     string // as in the ClinVar file
		wantC string
		wantP *regexp.Regexp
	}{
		{"chr7:5987468 T>A", "c.1297A>T", regexp.MustCompile(`^p\.\(Lys433Ter\)$`)},
		// The new reading frame must end at a stop found in the known sequence.
		{"chr7:6002477 CT>C", "c.512del", regexp.MustCompile(`^p\.\([A-Z][a-z]{2}171[A-Z][a-z]{2}fsTer[0-9]+\)$`)},
		{"chr7:6009017 C>T", "c.3G>A", regexp.MustCompile(`^p\.\(Met1\?\)$`)},
	}
	a := hgvs.NewAnnotator(k.Genome)
	for _, tc := range tests {
		t.Run(tc.v, func(t *testing.T) {
			r, ok := byKey[tc.v]
			if !ok {
				t.Fatalf("not in the ClinVar file")
			}
			ann, err := a.Annotate(k.Transcripts["PMS2"], variant.Normalize(r.v, k.Genome))
			if err != nil {
				t.Fatal(err)
			}
			if ann.HGVSc != "NM_000535.7:"+tc.wantC || !tc.wantP.MatchString(ann.HGVSp) || !agreesMC(ann.Consequence, r.mc) {
				t.Errorf("got %s %s %s, want NM_000535.7:%s, p. matching %s, a consequence among %v",
					ann.HGVSc, ann.HGVSp, ann.Consequence, tc.wantC, tc.wantP, r.mc)
			}
		})
	}
}
