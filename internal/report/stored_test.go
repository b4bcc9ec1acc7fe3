package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
)

func TestReadStored(t *testing.T) {
	golden := testfile.Read(t, filepath.Join("..", "annotate", "testdata", "golden", "example.json"))
	rep, fail, raw, err := ReadStored(bytes.NewReader(golden))
	if err != nil || fail != nil || rep == nil || !bytes.Equal(raw, golden) || len(rep.Samples) == 0 {
		t.Fatalf("report: got rep %v fail %v err %v", rep != nil, fail, err)
	}
	var buf bytes.Buffer
	if err := WriteFailureJSON(&buf, &Failure{Status: "failed", Error: Error{Kind: "invalid-input", Message: "x.vcf line 7: bad POS"}}); err != nil {
		t.Fatal(err)
	}
	rep, fail, _, err = ReadStored(&buf)
	if err != nil || rep != nil || fail == nil || fail.Error.Message != "x.vcf line 7: bad POS" {
		t.Fatalf("failure: got rep %v fail %+v err %v", rep != nil, fail, err)
	}
	for name, in := range map[string]string{"not JSON": "PK\x03\x04", "empty": ""} {
		if _, _, _, err := ReadStored(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
