package fhir_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/precis-dx/precis/internal/fhir"
	"github.com/precis-dx/precis/internal/report"
)

// The report of a VCF with one pathogenic BRCA2 frameshift becomes a GenomicReport, its
// Patient, the Variant with its Diagnostic Implication, the Therapeutic Implication behind
// the PARP-inhibitor tag, and one recommendation Task per tag.
func ExampleBundle() {
	b, err := os.ReadFile("../annotate/testdata/golden/brca_only.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		fmt.Println(err)
		return
	}
	bundle, err := fhir.Bundle(&rep)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range bundle.Entry {
		switch r := e.Resource.(type) {
		case *fhir.Patient:
			fmt.Println("Patient", r.Identifier[0].Value)
		case *fhir.DiagnosticReport:
			fmt.Println("DiagnosticReport", r.Code.Coding[0].Code, len(r.Result), "results")
		case *fhir.Observation:
			fmt.Println("Observation", r.Meta.Profile[0][len("http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"):])
		case *fhir.Task:
			fmt.Println("Task", r.Input[0].ValueString)
		}
	}
	// Output:
	// DiagnosticReport 51969-4 5 results
	// Patient DEMO-0001
	// Observation variant
	// Observation diagnostic-implication
	// Observation therapeutic-implication
	// Observation region-studied
	// Observation region-studied
	// Task follow-up:cascade-testing
	// Task follow-up:genetic-counselling
	// Task follow-up:risk-reducing-surgery-discussion
	// Task treatment:parp-inhibitor-candidate
}
