package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/report"
)

// TestAnnotateFormats annotates one real PharmCAT test VCF in every format: the FHIR bundle
// passes the IG checks against the JSON report of the same run, and the HTML page carries
// the dose alert first, in the language asked for.
func TestAnnotateFormats(t *testing.T) {
	vcf := filepath.Join(oracle.Dir(t), "pgx", "pharmcat", "tests", "DPYD_c1679c1156.vcf")
	code, js, stderr := precis(t, nil, "annotate", vcf)
	if code != exitOK {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	code, bundle, stderr := precis(t, nil, "annotate", "--format", "fhir", vcf)
	if code != exitOK {
		t.Fatalf("fhir: exit %d: %s", code, stderr)
	}
	if p := fhirtest.Validate([]byte(bundle)); len(p) != 0 {
		t.Errorf("fhir bundle: %v", p)
	}
	if !strings.Contains(bundle, `"51969-4"`) || !strings.Contains(bundle, rep.Samples[0].PGx[0].Diplotype) {
		t.Error("fhir bundle lacks the GenomicReport code or the DPYD diplotype")
	}
	for lang, alert := range map[string]string{"en": "DPYD dose alert", "sv": "DPYD"} {
		code, page, stderr := precis(t, nil, "annotate", "--format", "html", "--lang", lang, vcf)
		if code != exitOK {
			t.Fatalf("html %s: exit %d: %s", lang, code, stderr)
		}
		if !strings.HasPrefix(page, "<!DOCTYPE html>") || !regexp.MustCompile(`<html lang="`+lang+`"`).MatchString(page) {
			t.Errorf("html %s: not a %s document: %.80q", lang, lang, page)
		}
		if i, j := strings.Index(page, alert), strings.Index(page, rep.Samples[0].PGx[0].Phenotype); i < 0 || j < 0 {
			t.Errorf("html %s: alert %q at %d, phenotype at %d", lang, alert, i, j)
		}
	}
	if code, _, _ := precis(t, nil, "annotate", "--format", "html", "--lang", "de", vcf); code != exitUsage {
		t.Errorf("--lang de: exit %d, want %d", code, exitUsage)
	}
}

// TestToken issues tokens into the embedded store of a data directory and lists them; bad
// requests are usage errors. It expects no `precis serve` on 127.0.0.1:4222, which the
// command would use instead (as CI has none, it says so when it finds one).
func TestToken(t *testing.T) {
	dir := t.TempDir()
	code, tok, stderr := precis(t, nil, "token", "create", "--role", "clinician", "--lab", "lab-a", "--lab", "lab-b",
		"--name", "dr test", "--data", dir)
	if strings.Contains(stderr, "running service") {
		t.Skip("a precis serve listens on 127.0.0.1:4222; not writing test tokens into it")
	}
	if code != exitOK {
		t.Fatalf("create: exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`^precis_[0-9a-f]{16}_[0-9a-f]{64}\n$`).MatchString(tok) {
		t.Fatalf("token %q", tok)
	}
	if strings.Contains(stderr, strings.TrimSpace(tok)[24:]) {
		t.Error("the secret is repeated on stderr")
	}
	code, list, stderr := precis(t, nil, "token", "list", "--data", dir)
	if code != exitOK || !strings.Contains(list, tok[7:23]) || !strings.Contains(list, "lab-a,lab-b") || strings.Contains(list, tok[24:40]) {
		t.Errorf("list: exit %d\n%s%s", code, list, stderr)
	}
	for name, args := range map[string][]string{
		"no role":            {"token", "create", "--lab", "x", "--data", dir},
		"lab with two labs":  {"token", "create", "--role", "lab", "--lab", "a,b", "--data", dir},
		"admin with a lab":   {"token", "create", "--role", "admin", "--lab", "a", "--data", dir},
		"unknown verb":       {"token", "delete"},
		"revoke without id":  {"token", "revoke", "--data", dir},
		"create with extras": {"token", "create", "--role", "admin", "--data", dir, "extra"},
	} {
		if code, _, _ := precis(t, nil, args...); code != exitUsage {
			t.Errorf("%s: exit %d, want %d", name, code, exitUsage)
		}
	}
}
