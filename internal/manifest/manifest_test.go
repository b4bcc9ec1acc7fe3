package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/testfile"
)

// testdataCases lists every file in testdata/ with what Parse must say about it, and
// whether schemas/manifest.schema.json accepts it. Where the two differ, beyond names the
// rule that the schema cannot express.
var testdataCases = []struct {
	file        string
	wantErr     error // nil, ErrInvalid, ErrIdentity or ErrUnsupportedBuild
	field       string
	line        int
	schemaValid bool
	beyond      string
}{
	{"valid-minimal.json", nil, "", 0, true, ""},
	{"valid-full.json", nil, "", 0, true, ""},
	{"valid-unit-per-sample.json", nil, "", 0, true, ""},
	{"valid-callable.json", nil, "", 0, true, ""},
	{"valid-vcf-sample.json", nil, "", 0, true, ""},
	{"valid-pgx-drugs.json", nil, "", 0, true, ""},
	{"invalid-drug-synonym.json", ErrInvalid, "samples[0].planned_drugs[1]", 13, true, "two names of the same drug"},
	{"invalid-vcf-sample-shared.json", ErrInvalid, "samples[1].vcf_sample", 17, true, "one sample per VCF column"},
	{"invalid-vcf-sample-control.json", ErrInvalid, "samples[0].vcf_sample", 11, false, ""},

	{"invalid-unknown-field.json", ErrInvalid, "patient_name", 17, false, ""},
	{"invalid-unknown-sample-field.json", ErrInvalid, "samples[0].date_of_birth", 15, false, ""},
	{"invalid-missing-run-id.json", ErrInvalid, "run_id", 1, false, ""},
	{"invalid-run-id-chars.json", ErrInvalid, "run_id", 3, false, ""},
	{"invalid-schema-version.json", ErrInvalid, "schema_version", 2, false, ""},
	{"valid-grch37.json", nil, "", 0, true, ""},
	{"invalid-hg38.json", ErrInvalid, "genome_build", 5, false, ""},
	{"invalid-hg19.json", ErrInvalid, "genome_build", 5, false, ""},
	{"invalid-grch37-p13.json", ErrInvalid, "genome_build", 5, false, ""},
	{"invalid-b37.json", ErrInvalid, "genome_build", 5, false, ""},
	{"invalid-hg18.json", ErrUnsupportedBuild, "genome_build", 5, false, ""},
	{"invalid-no-samples.json", ErrInvalid, "samples", 7, false, ""},
	{"invalid-panel.json", ErrInvalid, "samples[0].panels[1]", 14, false, ""},
	{"invalid-panels-empty.json", ErrInvalid, "samples[0].panels", 12, false, ""},
	{"invalid-panel-twice.json", ErrInvalid, "samples[0].panels[2]", 15, false, ""},
	{"invalid-specimen.json", ErrInvalid, "samples[0].specimen", 11, false, ""},
	{"invalid-vcf-suffix.json", ErrInvalid, "samples[0].vcf", 10, false, ""},
	{"invalid-vcf-other-run.json", ErrInvalid, "samples[0].vcf", 10, true, "VCF key under this run's folder"},
	{"invalid-vcf-subfolder.json", ErrInvalid, "samples[0].vcf", 10, false, ""},
	{"invalid-index-plain-vcf.json", ErrInvalid, "samples[0].index", 15, false, ""},
	{"invalid-index-suffix.json", ErrInvalid, "samples[0].index", 15, false, ""},
	{"invalid-callable-suffix.json", ErrInvalid, "samples[0].callable", 15, false, ""},
	{"invalid-duplicate-sample.json", ErrInvalid, "samples[1].sample_id", 17, true, "unique sample ids"},
	{"invalid-no-ordering-unit.json", ErrInvalid, "samples[0].ordering_unit", 7, false, ""},
	{"invalid-empty-index.json", ErrInvalid, "samples[0].index", 15, false, ""},
	{"invalid-null.json", ErrInvalid, "samples[0].planned_drugs", 15, false, ""},
	{"invalid-type.json", ErrInvalid, "samples[0].panels", 12, false, ""},
	{"invalid-sample-id-number.json", ErrInvalid, "samples[0].sample_id", 9, false, ""},
	{"invalid-drug.json", ErrInvalid, "samples[0].planned_drugs[0]", 16, false, ""},
	{"invalid-submitted-at.json", ErrInvalid, "submitted_at", 17, false, ""},
	{"invalid-unit-control.json", ErrInvalid, "ordering_unit", 6, false, ""},
	{"invalid-not-object.json", ErrInvalid, "", 1, false, ""},
	{"invalid-syntax.json", ErrInvalid, "", 6, false, ""},
	{"invalid-duplicate-key.json", ErrInvalid, "samples[0].specimen", 12, true, "no repeated keys"},

	{"identity-sample-id.json", ErrIdentity, "samples[0].sample_id", 9, true, "personnummer"},
	{"identity-embedded.json", ErrIdentity, "samples[0].sample_id", 9, true, "personnummer"},
	{"identity-ten-digits.json", ErrIdentity, "samples[0].sample_id", 9, true, "personnummer"},
	{"identity-samordningsnummer.json", ErrIdentity, "samples[0].vcf", 10, true, "personnummer"},
	{"identity-centenarian.json", ErrIdentity, "ordering_unit", 6, true, "personnummer"},
	{"identity-run-id.json", ErrIdentity, "run_id", 3, true, "personnummer"},
	{"identity-drug.json", ErrIdentity, "samples[0].planned_drugs[1]", 17, true, "personnummer"},
	{"identity-field-name.json", ErrIdentity, "", 17, false, ""},
	{"identity-number-value.json", ErrIdentity, "samples[0].sample_id", 9, false, ""},
	{"identity-hidden-by-duplicate.json", ErrIdentity, "samples[0].sample_id", 9, true, "personnummer"},
	{"identity-escaped.json", ErrIdentity, "samples[0].sample_id", 9, true, "personnummer"},
	{"identity-after-syntax-error.json", ErrIdentity, "", 15, false, ""},
	{"identity-after-other-error.json", ErrIdentity, "samples[0].comment", 13, false, ""},
}

func TestParseTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range testdataCases {
		listed[tc.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no row in testdataCases", f)
		}
	}
	for _, tc := range testdataCases {
		t.Run(tc.file, func(t *testing.T) {
			data := testfile.Read(t, filepath.Join("testdata", tc.file))
			name := "runs/x/y/" + tc.file
			m, err := Parse(bytes.NewReader(data), name)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if m.Validate() != nil {
					t.Errorf("the parsed manifest fails Validate: %v", m.Validate())
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got error %v, want it to wrap ErrInvalid", err)
			}
			if tc.wantErr != ErrIdentity && errors.Is(err, ErrIdentity) {
				t.Errorf("got ErrIdentity for a manifest without an identity number: %v", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T, want *Error", err)
			}
			if e.Field != tc.field {
				t.Errorf("Field: got %q, want %q (%v)", e.Field, tc.field, err)
			}
			if e.Line != tc.line {
				t.Errorf("Line: got %d, want %d (%v)", e.Line, tc.line, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, fmt.Sprintf("%s:%d: ", name, tc.line)) {
				t.Errorf("message %q does not start with name:line", msg)
			}
			if LooksLikePersonnummer(msg) {
				t.Errorf("message repeats an identity number: %q", msg)
			}
			if tc.wantErr == ErrIdentity && !strings.Contains(msg, "looks like a Swedish personal identity number") {
				t.Errorf("message %q does not say why", msg)
			}
			t.Log(msg)
		})
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestSchemaAgreesWithParse validates every testdata manifest against
// schemas/manifest.schema.json and checks that the schema and Parse agree, except where the
// table names a rule beyond the schema, and that every such exception still is one.
func TestSchemaAgreesWithParse(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(filepath.Join(repoRoot(t), "schemas", "manifest.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range testdataCases {
		t.Run(tc.file, func(t *testing.T) {
			data := testfile.Read(t, filepath.Join("testdata", tc.file))
			schemaErr := fmt.Errorf("not JSON")
			if inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data)); err == nil {
				schemaErr = sch.Validate(inst)
			}
			if got := schemaErr == nil; got != tc.schemaValid {
				t.Fatalf("schema: got valid=%v (%v), want %v", got, schemaErr, tc.schemaValid)
			}
			_, parseErr := Parse(bytes.NewReader(data), tc.file)
			agree := (schemaErr == nil) == (parseErr == nil)
			switch {
			case !agree && tc.beyond == "":
				t.Errorf("schema valid=%v but Parse: %v, and no rule beyond the schema is named", schemaErr == nil, parseErr)
			case agree && tc.beyond != "":
				t.Errorf("schema and Parse agree (%v), but the table says %q is beyond the schema", parseErr, tc.beyond)
			}
		})
	}
}

func TestParseNormalises(t *testing.T) {
	f, err := os.Open("testdata/valid-full.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Parse(f, "runs/sahlgrenska-cgl/NS2026-0417/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var specimens, units []string
	for _, s := range m.Samples {
		specimens = append(specimens, s.Specimen)
		units = append(units, s.OrderingUnit)
	}
	if got, want := strings.Join(specimens, ","), "germline,tumour,tumour,germline"; got != want {
		t.Errorf("specimens: got %s, want %s", got, want)
	}
	if got, want := strings.Join(units, ","), "Onkologmottagningen,Gynekologisk onkologi,Onkologmottagningen,Kirurgkliniken"; got != want {
		t.Errorf("ordering units: got %s, want %s", got, want)
	}
	if got, want := m.Submitted.UTC().Format("2006-01-02T15:04:05Z07:00"), "2026-11-23T08:30:00Z"; got != want {
		t.Errorf("submitted_at: got %s, want %s", got, want)
	}
	// What Parse returns is itself a valid manifest, and reads back the same.
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(bytes.NewReader(b), "again")
	if err != nil {
		t.Fatalf("re-parsing the normalised manifest: %v", err)
	}
	b2, _ := json.Marshal(again)
	if !bytes.Equal(b, b2) {
		t.Errorf("round trip changed the manifest:\n%s\n%s", b, b2)
	}
}

func TestParseKeyMustMatch(t *testing.T) {
	data := testfile.Read(t, "testdata/valid-minimal.json")
	tests := []struct {
		name    string
		wantErr bool
		field   string
	}{
		{"runs/lund-molpat/run-2026-11-23/manifest.json", false, ""},
		{"manifest.json", false, ""},
		{"/tmp/manifest.json", false, ""},
		{"runs/other-lab/run-2026-11-23/manifest.json", true, "lab"},
		{"runs/lund-molpat/run-2026-11-24/manifest.json", true, "run_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(bytes.NewReader(data), tt.name)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error=%v", err, tt.wantErr)
			}
			var e *Error
			if err != nil && (!errors.As(err, &e) || e.Field != tt.field || !errors.Is(err, ErrInvalid)) {
				t.Errorf("got %v, want an *Error on field %q", err, tt.field)
			}
		})
	}
}

func TestParseMasksName(t *testing.T) {
	_, err := Parse(strings.NewReader("{"), "uploads/19121212-1212/manifest.json")
	if err == nil {
		t.Fatal("got nil error for a broken manifest")
	}
	if got, want := err.Error(), "uploads/********-****/manifest.json:1: malformed JSON: unexpected end of the document"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseLimits(t *testing.T) {
	big := `{"schema_version": "1.0.0", "x": "` + strings.Repeat("a", MaxSize) + `"}`
	if _, err := Parse(strings.NewReader(big), "big.json"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("manifest over MaxSize: got %v, want ErrInvalid saying it is too large", err)
	}
	deep := strings.Repeat("[", 50) + strings.Repeat("]", 50)
	if _, err := Parse(strings.NewReader(deep), "deep.json"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("deep nesting: got %v, want ErrInvalid saying so", err)
	}
	if _, err := Parse(strings.NewReader(`{} {}`), "two.json"); !errors.Is(err, ErrInvalid) {
		t.Errorf("two documents: got %v, want ErrInvalid", err)
	}
}

// TestParseHostileShapes: documents built to make the walker work hard are refused, and
// parsing them allocates a bounded amount whatever their depth or count of values.
func TestParseHostileShapes(t *testing.T) {
	const budget = 64 << 20 // bytes allocated by one Parse, all told
	many := `{"samples": [` + strings.Repeat(`1,`, MaxSize/2-20) + `1]}`
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"deep arrays", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000), "nested too deeply"},
		{"deep objects", strings.Repeat(`{"a":`, 40_000) + "1" + strings.Repeat("}", 40_000), "unknown field"},
		{"deep in samples", `{"samples": [` + strings.Repeat(`{"x":`, 50_000) + "1" + strings.Repeat("}", 50_000) + "]}", "unknown field"},
		{"deep, unterminated", strings.Repeat(`[{"a":`, 30_000), "nested too deeply"},
		{"many values", many, "more than"},
		{"invalid UTF-8", "{\n\"lab\": \"lab\xff1\"}", ":2: not valid UTF-8"},
		{"overlong encoding", "{\"lab\": \"\xc0\xaf\"}", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Parse(strings.NewReader(tc.doc), "m.json")
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrInvalid saying %q", err, tc.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > budget {
				t.Errorf("parse allocated %d MB, want at most %d MB", got>>20, budget>>20)
			}
		})
	}
	// An identity number past the point where the walk stops is still found.
	doc := strings.Repeat("[", 100) + `"19121212-1212"` + strings.Repeat("]", 100)
	if _, err := Parse(strings.NewReader(doc), "m.json"); !errors.Is(err, ErrIdentity) {
		t.Errorf("identity number below the depth limit: got %v, want ErrIdentity", err)
	}
}

// TestBuilds: genome_build is GRCh38 or GRCh37, spelled exactly so, and kept as written;
// another spelling of either is refused on the field with the name to write, and any other
// value is refused on the field.
func TestBuilds(t *testing.T) {
	for _, tc := range []struct {
		build string
		want  string // "" accepted; else in the message
		kind  error
	}{
		{"GRCh38", "", nil},
		{"GRCh37", "", nil},
		{"hg19", "write GRCh37", ErrInvalid},
		{"GRCh37.p13", "write GRCh37", ErrInvalid},
		{"b37", "write GRCh37", ErrInvalid},
		{"hs37d5", "write GRCh37", ErrInvalid},
		{"grch37", "write GRCh37", ErrInvalid},
		{"hg38", "write GRCh38", ErrInvalid},
		{"GRCh38.p14", "write GRCh38", ErrInvalid},
		{"hg18", "GRCh38 and GRCh37 only", ErrUnsupportedBuild},
		{"CHM13", "GRCh38 and GRCh37 only", ErrUnsupportedBuild},
		{"GRCh39", "not a genome build Precis knows; write GRCh38 or GRCh37", ErrInvalid},
		{"", "required; want GRCh38 or GRCh37", ErrInvalid},
	} {
		t.Run(tc.build, func(t *testing.T) {
			m := &Manifest{SchemaVersion: SchemaVersion, RunID: "run1", Lab: "lab1", GenomeBuild: tc.build, OrderingUnit: "Onkologi",
				Samples: []Sample{sample(0)}}
			err := m.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want %s accepted", err, tc.build)
				}
				b, _ := json.Marshal(m)
				again, err := Parse(bytes.NewReader(b), "m.json")
				if err != nil || again.GenomeBuild != tc.build {
					t.Fatalf("round trip: got %v, build %q; want %q", err, again.GenomeBuild, tc.build)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != "genome_build" || !errors.Is(err, tc.kind) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want %v on genome_build", err, tc.kind)
			}
			if tc.kind == ErrInvalid && errors.Is(err, ErrUnsupportedBuild) {
				t.Errorf("got ErrUnsupportedBuild for %q, a spelling of a supported build", tc.build)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "genome_build: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q: want the field named and %q", msg, tc.want)
			}
		})
	}
}

func sample(i int) Sample {
	id := fmt.Sprintf("S%04d", i)
	return Sample{ID: id, VCF: "runs/lab1/run1/" + id + ".vcf.gz", Specimen: "germline", Panels: []string{"dpyd"}}
}

func TestValidateSampleCount(t *testing.T) {
	for _, n := range []int{0, 1, MaxSamples, MaxSamples + 1} {
		m := &Manifest{SchemaVersion: SchemaVersion, RunID: "run1", Lab: "lab1", GenomeBuild: "GRCh38", OrderingUnit: "Onkologi"}
		for i := range n {
			m.Samples = append(m.Samples, sample(i))
		}
		err := m.Validate()
		if want := n >= 1 && n <= MaxSamples; (err == nil) != want {
			t.Errorf("%d samples: got %v, want valid=%v", n, err, want)
		}
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Field != "samples") {
			t.Errorf("%d samples: got %v, want an *Error on samples", n, err)
		}
	}
}

// TestValidateChecksEveryStringField puts an identity number in each string field of a
// manifest built in code, one at a time.
func TestValidateChecksEveryStringField(t *testing.T) {
	const pnr = "19121212-1212"
	fields := map[string]func(m *Manifest){
		"schema_version":              func(m *Manifest) { m.SchemaVersion = pnr },
		"run_id":                      func(m *Manifest) { m.RunID = pnr },
		"lab":                         func(m *Manifest) { m.Lab = pnr },
		"genome_build":                func(m *Manifest) { m.GenomeBuild = pnr },
		"ordering_unit":               func(m *Manifest) { m.OrderingUnit = "unit " + pnr },
		"samples[1].sample_id":        func(m *Manifest) { m.Samples[1].ID = pnr },
		"samples[1].vcf":              func(m *Manifest) { m.Samples[1].VCF = "runs/lab1/run1/" + pnr + ".vcf" },
		"samples[1].index":            func(m *Manifest) { m.Samples[1].Index = "runs/lab1/run1/" + pnr + ".tbi" },
		"samples[1].specimen":         func(m *Manifest) { m.Samples[1].Specimen = pnr },
		"samples[1].panels[1]":        func(m *Manifest) { m.Samples[1].Panels = []string{"dpyd", pnr} },
		"samples[1].planned_drugs[0]": func(m *Manifest) { m.Samples[1].Drugs = []string{pnr} },
		"samples[1].ordering_unit":    func(m *Manifest) { m.Samples[1].OrderingUnit = pnr },
	}
	for field, set := range fields {
		t.Run(field, func(t *testing.T) {
			m := &Manifest{SchemaVersion: SchemaVersion, RunID: "run1", Lab: "lab1", GenomeBuild: "GRCh38", OrderingUnit: "Onkologi",
				Samples: []Sample{sample(0), sample(1)}}
			if err := m.Validate(); err != nil {
				t.Fatalf("before: %v", err)
			}
			set(m)
			err := m.Validate()
			var e *Error
			if !errors.Is(err, ErrIdentity) || !errors.As(err, &e) || e.Field != field {
				t.Fatalf("got %v, want ErrIdentity on %s", err, field)
			}
			if strings.Contains(err.Error(), "1212") {
				t.Errorf("message repeats the number: %q", err)
			}
		})
	}
}

// TestJobPlannedDrugs: the job carries the planned drugs normalised, and the new pharmacogenomic
// panels.
func TestJobPlannedDrugs(t *testing.T) {
	b := testfile.Read(t, filepath.Join("testdata", "valid-pgx-drugs.json"))
	m, err := Parse(bytes.NewReader(b), "runs/lund-molpat/run-2026-12-07/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{{"folfiri", "bevacizumab"}, {"mercaptopurine"}} {
		job := m.Job("runs/lund-molpat/run-2026-12-07/manifest.json", m.Samples[i])
		if !slices.Equal(job.PlannedDrugs, want) {
			t.Errorf("sample %d: planned drugs %q, want %q", i, job.PlannedDrugs, want)
		}
		body, err := json.Marshal(job)
		if err != nil {
			t.Fatal(err)
		}
		var back pipeline.Job
		if err := pipeline.Decode(body, &back); err != nil {
			t.Errorf("sample %d: job %v", i, err)
		}
	}
}
