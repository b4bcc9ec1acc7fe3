package build

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
)

// TestNamedRegions: every UGT1A1, TPMT and NUDT15 definition position agrees with
// pharmcat_positions.vcf and becomes a region of its panel; a definition whose REF or ALTs
// disagree is refused.
func TestNamedRegions(t *testing.T) {
	src := oracle.Dir(t)
	positions, err := pharmcatPositions(testfile.Read(t, filepath.Join(src, srcPositions)))
	if err != nil {
		t.Fatal(err)
	}
	for _, ng := range namedGenes {
		var tr namedTranslation
		raw := testfile.Read(t, filepath.Join(src, srcNamedTranslation(ng.gene)))
		if err := json.Unmarshal(raw, &tr); err != nil {
			t.Fatal(err)
		}
		rs, err := namedRegions(ng.gene, &tr, ng.panel, positions)
		if err != nil || len(rs) != len(tr.Variants) {
			t.Fatalf("%s: %d regions for %d positions, %v", ng.gene, len(rs), len(tr.Variants), err)
		}
		for _, r := range rs {
			if r.Panel != ng.panel || r.Gene != ng.gene || r.Kind != kb.KindCPICPosition || r.End < r.Start {
				t.Errorf("%s: region %+v", ng.gene, r)
			}
		}
		// The TA repeat and other indels span their REF.
		for i, v := range tr.Variants {
			if rs[i].End-rs[i].Start+1 != len(v.Ref) {
				t.Errorf("%s %d: region %d-%d for REF %s", ng.gene, v.Position, rs[i].Start, rs[i].End, v.Ref)
			}
		}
		bad := tr
		bad.Variants = append(bad.Variants[:0:0], tr.Variants...)
		bad.Variants[0].Alts = append([]string{}, bad.Variants[0].Alts...)
		bad.Variants[0].Alts[0] = strings.ToLower(bad.Variants[0].Alts[0]) + "A"
		if _, err := namedRegions(ng.gene, &bad, ng.panel, positions); !errors.Is(err, kb.ErrInconsistent) {
			t.Errorf("%s: changed ALT accepted: %v", ng.gene, err)
		}
	}
}
