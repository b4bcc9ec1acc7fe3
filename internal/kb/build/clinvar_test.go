package build

import (
	"testing"
)

func TestEncodeConditions(t *testing.T) {
	if got, want := encodeMONDO("0013184|A%2C_b,0013196|Lynch_syndrome_8"), "A,_b=MONDO:0013184|Lynch_syndrome_8=MONDO:0013196"; got != want {
		t.Errorf("encodeMONDO = %q, want %q", got, want)
	}
	if got, want := encodeConditions("A|B", "MONDO:MONDO:1,MeSH:D1,Human_Phenotype_Ontology:HP:1|."), "A=MONDO:1|B"; got != want {
		t.Errorf("encodeConditions = %q, want %q", got, want)
	}
}
