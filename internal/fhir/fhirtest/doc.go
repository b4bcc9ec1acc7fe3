// Package fhirtest validates the FHIR bundles package fhir writes against the rules of the
// HL7 FHIR Genomics Reporting Implementation Guide STU3 (Validate) and against the report
// they were made from (ValidateFor). Only tests call it: every golden bundle is validated.
// It is test support, never linked into the precis binary; it shares the guide's codes with
// the writer through package ig.
package fhirtest
