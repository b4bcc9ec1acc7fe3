package vcftest

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLines(t *testing.T) {
	const text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t100\t.\tA\tC\t.\tPASS\t.\n"
	want := []string{"##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO", "chr1\t100\t.\tA\tC\t.\tPASS\t."}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"plain.vcf": []byte(text), "text.vcf.gz": gz.Bytes()} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var got []string
		for l, err := range Lines(path) {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got = append(got, l)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	var errs int
	for l, err := range Lines(filepath.Join(dir, "absent.vcf")) {
		if err == nil || l != "" {
			t.Errorf("absent file: got %q, %v; want only an error", l, err)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("absent file: got %d yields, want one error", errs)
	}
}
