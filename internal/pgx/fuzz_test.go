package pgx

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
)

// FuzzLoadDefinition feeds the definition parser mutations of the real PharmCAT files: it
// must return a definition or an ErrDefinition, never panic, and a definition it accepts
// must call.
func FuzzLoadDefinition(f *testing.F) {
	loadDef(f)
	f.Add(defRaw[0], defRaw[1])
	f.Add(defRaw[0][:len(defRaw[0])/2], defRaw[1])
	f.Add([]byte(`{"gene":"DPYD","variants":[]}`), []byte(`{"gene":"DPYD"}`))
	for _, g := range []string{"UGT1A1", "NUDT15"} {
		f.Add(testfile.Read(f, pgxData(f, "pharmcat", g+"_translation.json")), testfile.Read(f, pgxData(f, "pharmcat", g+"_phenotype.json")))
	}
	f.Add([]byte(`{"gene":"TPMT","chromosome":"chr6","genomeBuild":"GRCh38","variants":[]}`), []byte(`{"gene":"TPMT"}`))
	f.Fuzz(func(t *testing.T, tr, ph []byte) {
		d, err := LoadDefinition(tr, ph)
		if err != nil {
			if d != nil {
				t.Fatal("definition returned with an error")
			}
			return
		}
		r := d.Call(nil, Options{})
		if r.Phenotype != "Indeterminate" || len(r.UntestedPositions) != len(d.Positions()) {
			t.Fatalf("empty input: %q, %d untested", r.Phenotype, len(r.UntestedPositions))
		}
	})
}

var tagPattern = regexp.MustCompile(`^(treatment|follow-up):[a-z0-9]+(-[a-z0-9]+)*$`)

// FuzzCall feeds Call single-sample VCF records (seeded from every DPYD test VCF) and checks
// the invariants of a result.
func FuzzCall(f *testing.F) {
	d := loadDef(f)
	seq := dpydSequence(f)
	for _, pattern := range []string{pgxData(f, "pharmcat", "tests", "DPYD_*.vcf"), pgxData(f, "cases", "vcf", "hapb3_row_0[0-2]*.vcf")} {
		for _, b := range testfile.Glob(f, pattern) {
			// The records that carry an allele keep the seeds small (minimising an 83-record
			// input takes the fuzzer minutes).
			var recs []string
			for _, l := range strings.Split(string(b), "\n") {
				if l != "" && !strings.HasPrefix(l, "#") && !strings.HasSuffix(l, "0/0") && !strings.HasSuffix(l, "0|0") {
					recs = append(recs, l)
				}
			}
			f.Add(strings.Join(recs, "\n"), false)
		}
	}
	f.Add("chr1\t97450058\trs3918290\tC\tT,A\t.\tLowQual\t.\tGT:PS\t2|1:7\nchr1\t97450066\t.\tGG\tG\t.\tPASS\t.\tGT\t./1", true)
	f.Add("chr1\t97078000\t.\tN\t<NON_REF>\t.\t.\tEND=97900000\tGT\t0/0", false)
	rsids := map[string]bool{}
	for _, p := range d.Positions() {
		rsids[p.RSID] = true
	}
	f.Fuzz(func(t *testing.T, records string, reference bool) {
		v, err := parseVCF(strings.NewReader("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"+records), seq)
		if err != nil {
			return
		}
		opts := Options{}
		if reference {
			opts.Missing = MissingReference
		}
		r := d.Call(v.sites[0], opts)
		if (r.ActivityScore == nil) != (r.Phenotype == "Indeterminate") {
			t.Fatalf("activity score %s with phenotype %q", score(r), r.Phenotype)
		}
		if reference && r.ActivityScore == nil {
			t.Fatal("no call with the reference policy")
		}
		if as := r.ActivityScore; as != nil {
			h := *as * 2
			if h < 0 || h > 4 || h != math.Trunc(h) || r.Phenotype != d.phenotype[int(h)] {
				t.Fatalf("activity score %v, phenotype %q", *as, r.Phenotype)
			}
			if len(r.Recommendations) != 2 || !strings.Contains(r.Alert.Message, "activity score") {
				t.Fatalf("recommendations %v, alert %q", r.Recommendations, r.Alert.Message)
			}
		}
		if !slices.Contains([]string{"none", "moderate", "high"}, r.Alert.Severity) || r.Alert.Message == "" {
			t.Fatalf("alert %+v", r.Alert)
		}
		for _, rs := range r.UntestedPositions {
			if !rsids[rs] {
				t.Fatalf("untested %q is not a definition position", rs)
			}
		}
		for _, tg := range r.Tags {
			if !tagPattern.MatchString(tg) {
				t.Fatalf("tag %q", tg)
			}
		}
		if r.Warnings == nil || r.Tags == nil || r.UntestedPositions == nil || r.Alleles == nil {
			t.Fatal("nil slice in result (JSON null)")
		}
	})
}

// BenchmarkCall measures one Call per sample over PharmCAT's 100-sample VCF.
func BenchmarkCall(b *testing.B) {
	d := loadDef(b)
	v := readVCF(b, pgxData(b, "pharmcat", "tests", "100samples.vcf.bgz"))
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range v.sites {
			d.Call(s, Options{})
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/sample")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "samples/s")
}
