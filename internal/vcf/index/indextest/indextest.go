// Package indextest makes the indexed inputs that tests of the indexed read share: a
// whole-genome-scale BGZF VCF from the generator (vcftest), with real ClinVar P/LP variants
// planted in the panels, and its tabix index. It is imported by tests only.
package indextest

import (
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biogo/hts/bgzf"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

// Tool returns the path of an htslib command-line tool (bgzip, tabix, bcftools). When it is
// missing the test is skipped, or fails when CI=true.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (apt-get install tabix bcftools)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// WGS returns a BGZF VCF of about records records spread over the whole genome at a
// realistic density, with every 20th P/LP variant of the shared ClinVar panel file planted
// where the built-in reference confirms its REF, indexed with tabix (PATH.tbi). The pair is
// made once per reference version (the knowledge base's, which holds the reference) and
// generator version and cached in $TMPDIR/precis-bench, beside the benchmarks' inputs.
func WGS(t testing.TB, ref vcftest.Genome, version string, records int) string {
	t.Helper()
	tabix := Tool(t, "tabix")
	data := oracle.Dir(t)
	dir := filepath.Join(os.TempDir(), "precis-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("wgs-planted-%d-%s-g%d.vcf.gz", records, version, vcftest.Version))
	if _, err := os.Stat(path + ".tbi"); err == nil {
		return path
	}
	start := time.Now()
	plants := Plants(t, ref, filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"))
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(tmp)
	zw, err := bgzf.NewWriterLevel(f, gzip.DefaultCompression, runtime.GOMAXPROCS(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := vcftest.Write(zw, vcftest.Spec{Records: records, Seed: 7, Plants: plants}, ref); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tabix, "-f", "-p", "vcf", tmp).CombinedOutput(); err != nil {
		t.Fatalf("tabix: %v %s", err, out)
	}
	// The index first, so that a file is never seen without its index.
	if err := os.Rename(tmp+".tbi", path+".tbi.tmp"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tbi.tmp", path+".tbi"); err != nil {
		t.Fatal(err)
	}
	t.Logf("made %s (%d records, %d planted) in %s", path, records, len(plants), time.Since(start).Round(time.Millisecond))
	return path
}

// Plants reads every 20th P/LP ClinVar record of a (gzip) VCF without a chr prefix, keeping
// single-ALT records whose REF the built-in GRCh38 reference confirms.
func Plants(t testing.TB, ref vcftest.Genome, path string) []vcftest.Plant {
	t.Helper()
	var out []vcftest.Plant
	n := 0
	for _, c := range oracle.DataLines(t, path) {
		if n++; n%20 != 0 || len(c) < 5 || strings.ContainsAny(c[4], ",<") {
			continue
		}
		pos, err := strconv.Atoi(c[1])
		if err != nil {
			t.Fatal(err)
		}
		chrom := "chr" + c[0]
		if seq, ok := ref.Fetch(chrom, pos, pos+len(c[3])-1); ok && seq == c[3] {
			out = append(out, vcftest.Plant{Chrom: chrom, Pos: pos, Ref: c[3], Alt: c[4]})
		}
	}
	return out
}

// Decompress returns the decompressed bytes of a BGZF (or gzip) file: an index as its
// readers see it.
func Decompress(t testing.TB, path string) []byte {
	t.Helper()
	return oracle.Gunzip(t, testfile.Read(t, path))
}
