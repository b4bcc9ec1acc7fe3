// Package pipelinetest checks message bodies against schemas/messages.schema.json, for the
// tests of the packages that write them (pipeline, queue).
package pipelinetest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Defs are the message $defs of the schema.
var Defs = []string{"RunSubmitted", "Job", "ReportReady", "PGxAlert", "ReanalyseJob", "ReclassifiedAlert", "Dead"}

var compile = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	path, err := schemaPath()
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	out := map[string]*jsonschema.Schema{}
	for _, d := range append([]string{""}, Defs...) {
		loc := path
		if d != "" {
			loc += "#/$defs/" + d
		}
		s, err := c.Compile(loc)
		if err != nil {
			return nil, err
		}
		out[d] = s
	}
	return out, nil
})

// schemaPath finds schemas/messages.schema.json in the module root, above the working
// directory of the test.
func schemaPath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "schemas", "messages.schema.json")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("pipelinetest: no schemas/messages.schema.json above the working directory")
		}
		dir = up
	}
}

// SchemaErr validates data against one $def ("" for the whole schema).
func SchemaErr(t testing.TB, def string, data []byte) error {
	t.Helper()
	schemas, err := compile()
	if err != nil {
		t.Fatalf("compile schemas/messages.schema.json: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return schemas[def].Validate(inst)
}

// Validate reports a test error unless data satisfies the $def.
func Validate(t testing.TB, def string, data []byte) {
	t.Helper()
	if err := SchemaErr(t, def, data); err != nil {
		t.Errorf("%s %s: %v", def, data, err)
	}
}
