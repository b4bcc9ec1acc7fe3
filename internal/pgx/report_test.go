package pgx

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/precis-dx/precis/internal/testfile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenInputs are the inputs whose full results are kept in testdata/golden.
func goldenInputs(t *testing.T) map[string][]Site {
	d := map[string][]Site{}
	for _, f := range []string{"DPYD_novariant", "DPYD_c2846het", "DPYD_c1156het", "DPYD_s1s2b", "DPYD_c1129-5923c2846", "DPYD_c557c703", "DPYD_c1679c1156"} {
		d[f] = readVCF(t, pgxData(t, "pharmcat", "tests", f+".vcf")).sites[0]
	}
	d["untested_2A_13"] = editVCF(t, novariant(t), edits(map[string]string{rs2A: "drop", rs13: "drop"}))
	d["hapb3_exonic_only"] = editVCF(t, novariant(t), edits(map[string]string{hapB3IntronRSID: "drop", hapB3ExonRSID: "0/1"}))
	d["indeterminate"] = nil
	return d
}

// TestGolden compares full results with testdata/golden/*.json (go test -update rewrites
// them) and validates each against the report schema's pgx entry.
func TestGolden(t *testing.T) {
	d := loadDef(t)
	schema := pgxSchema(t)
	for name, sites := range goldenInputs(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(d.Call(sites, Options{})); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("schema: %v", err)
			}
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				testfile.Write(t, path, buf.Bytes())
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("result differs from %s:\ngot  %s\nwant %s", path, got, want)
			}
		})
	}
}

// pgxSchema compiles the pgx entry of the report schema (schemas/report.schema.json).
func pgxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "schemas", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("report schema: %v", err)
	}
	s, err := jsonschema.NewCompiler().Compile("file://" + filepath.ToSlash(path) + "#/$defs/pgx")
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	if err := s.Validate(map[string]any{"gene": "DPYD"}); err == nil {
		t.Fatal("schema accepts a pgx entry without its required keys")
	}
	// The tags are checked against the schema's tag pattern too.
	tag, err := jsonschema.NewCompiler().Compile("file://" + filepath.ToSlash(path) + "#/$defs/tag")
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []string{tagReduce, tagAvoid, tagConfirm} {
		if err := tag.Validate(tg); err != nil || !strings.Contains(tg, ":") {
			t.Errorf("tag %q: %v", tg, err)
		}
	}
	return s
}
