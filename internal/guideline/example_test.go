package guideline_test

import (
	"fmt"

	"github.com/precis-dx/precis/internal/guideline"
)

// The genes a plan bears on decide which pharmacogenomic alerts are raised and shown first.
func ExampleGenes() {
	fmt.Println(guideline.Genes([]string{"FOLFIRI"}))
	fmt.Println(guideline.Genes([]string{"mFOLFOX6", "6-MP"}))
	fmt.Println(guideline.Ingredients([]string{"FOLFIRINOX + bevacizumab"}))
	fmt.Println(guideline.AlertDrugs("UGT1A1", []string{"FOLFIRI"}))
	// Output:
	// [DPYD UGT1A1]
	// [DPYD TPMT NUDT15]
	// [fluorouracil irinotecan oxaliplatin bevacizumab]
	// [irinotecan]
}
