package annotate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/vcf/index"
	"github.com/precis-dx/precis/internal/vcf/index/indextest"
)

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(indextest.Tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// localIndexed describes a local VCF and its index as the CLI does.
func localIndexed(t testing.TB, vcfPath, idxPath string) (Indexed, func()) {
	t.Helper()
	f, err := os.Open(vcfPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return Indexed{
		Name: filepath.Base(vcfPath), Size: st.Size(), Ranges: index.ReaderAt(f),
		IndexName: filepath.Base(idxPath),
		Index:     func(context.Context) (io.ReadCloser, error) { return os.Open(idxPath) },
		Whole:     func(context.Context) (io.ReadCloser, error) { return os.Open(vcfPath) },
	}, func() { f.Close() }
}

func annotateIndexed(t testing.TB, vcfPath, idxPath string, o Options) (*report.Report, error) {
	t.Helper()
	in, done := localIndexed(t, vcfPath, idxPath)
	defer done()
	return annotator(t).AnnotateIndexed(context.Background(), in, fixed(o))
}

// answer is what must not depend on how the file was read: the build and its evidence, and
// per sample the findings (without input_line), DPYD calls and tags.
func answer(t testing.TB, rep *report.Report) string {
	t.Helper()
	type sample struct {
		ID       string
		Findings []report.Finding
		PGx      any
		Tags     []string
		Why      []report.Rationale
	}
	var out struct {
		Build    string
		Evidence any
		Samples  []sample
	}
	out.Build, out.Evidence = rep.Input.GenomeBuild, rep.Input.BuildEvidence
	for _, s := range rep.Samples {
		fs := append([]report.Finding(nil), s.Findings...)
		for i := range fs {
			fs[i].InputLine = 0
		}
		out.Samples = append(out.Samples, sample{s.SampleID, fs, s.PGx, s.Tags, s.TagRationale})
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func countFindings(rep *report.Report) int {
	n := 0
	for _, s := range rep.Samples {
		n += len(s.Findings)
	}
	return n
}

var (
	streamMu    sync.Mutex
	streamCache = map[string]*report.Report{}
)

// streamed returns the streaming report of a file, made once per file and panels.
func streamed(t testing.TB, vcfPath string, o Options) *report.Report {
	t.Helper()
	key := vcfPath + "|" + strings.Join(o.Panels, ",")
	streamMu.Lock()
	defer streamMu.Unlock()
	if rep, ok := streamCache[key]; ok {
		return rep
	}
	rep := mustAnnotate(t, vcfPath, o)
	streamCache[key] = rep
	return rep
}

// checkIndexed annotates a file by streaming and through its index and compares them; with
// twice set, it reads through the index a second time and compares the reports byte for
// byte.
func checkIndexed(t *testing.T, vcfPath, idxPath string, o Options, wantMode string, twice bool) *report.Report {
	t.Helper()
	stream := streamed(t, vcfPath, o)
	ixRep, err := annotateIndexed(t, vcfPath, idxPath, o)
	if err != nil {
		t.Fatalf("indexed: %v", err)
	}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, ixRep); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	acc := ixRep.Input.Access
	if acc == nil {
		t.Fatal("input.access is missing")
	}
	if acc.Mode != wantMode {
		t.Fatalf("access.mode = %q, want %q (warnings: %q)", acc.Mode, wantMode, ixRep.Input.Warnings)
	}
	if got, want := answer(t, ixRep), answer(t, stream); got != want {
		t.Fatalf("indexed answer differs from streaming:\n got %s\nwant %s", got, want)
	}
	if st, err := os.Stat(vcfPath); err != nil || acc.ObjectBytes != st.Size() || acc.BytesRead > st.Size() {
		t.Errorf("access = %+v, file size %d", acc, st.Size())
	}
	switch wantMode {
	case "indexed":
		if ixRep.Input.SHA256 == stream.Input.SHA256 && acc.BytesRead < acc.ObjectBytes {
			t.Errorf("sha256 of a partial read equals that of the whole file")
		}
		for _, s := range ixRep.Samples {
			for _, f := range s.Findings {
				if f.InputLine != 0 {
					t.Errorf("%s:%d has input_line %d on an indexed read", f.Chrom, f.Pos, f.InputLine)
				}
			}
		}
	case "stream":
		if ixRep.Input.SHA256 != stream.Input.SHA256 || acc.BytesRead != acc.ObjectBytes {
			t.Errorf("stream fallback: sha256 %s bytes %d, want %s and %d", ixRep.Input.SHA256, acc.BytesRead, stream.Input.SHA256, acc.ObjectBytes)
		}
		if len(ixRep.Input.Warnings) == 0 || !strings.Contains(ixRep.Input.Warnings[0], "index not used") {
			t.Errorf("stream fallback without its warning: %q", ixRep.Input.Warnings)
		}
	}
	if twice {
		// The same input gives the same report, byte for byte.
		again, err := annotateIndexed(t, vcfPath, idxPath, o)
		if err != nil {
			t.Fatal(err)
		}
		var buf2 bytes.Buffer
		if err := report.WriteJSON(&buf2, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
			t.Error("two indexed reads of the same file differ")
		}
	}
	t.Logf("%s: %d findings; %s read %d of %d bytes (%.3f%%) in %d requests",
		filepath.Base(vcfPath), countFindings(ixRep), acc.Mode, acc.BytesRead, acc.ObjectBytes, 100*float64(acc.BytesRead)/float64(acc.ObjectBytes), acc.Requests)
	return ixRep
}

// copyTo copies a file into dir and returns the new path.
func copyTo(t testing.TB, src, dir string) string {
	t.Helper()
	return testfile.Write(t, filepath.Join(dir, filepath.Base(src)), testfile.Read(t, src))
}

func TestIndexedRealFiles(t *testing.T) {
	data := oracle.Dir(t)
	chr21 := filepath.Join(data, "vcf-real", "platinum-hap.py", "PG_NA12878_hg38-chr21.vcf.gz")
	panel9 := filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	clinvar := filepath.Join(data, "clinvar", "clinvar_genes.GRCh38.20260226.vcf.gz")

	t.Run("chr21 tbi", func(t *testing.T) {
		// chr21 holds no panel region: the read is the header and the end-of-file marker.
		rep := checkIndexed(t, chr21, chr21+".tbi", Options{}, "indexed", true)
		if acc := rep.Input.Access; acc.BytesRead > 16<<10 || rep.Samples[0].QC.RecordsRead != 0 {
			t.Errorf("read %d bytes and %d records of a file with nothing in the panels", acc.BytesRead, rep.Samples[0].QC.RecordsRead)
		}
	})
	t.Run("panel9 tbi", func(t *testing.T) {
		rep := checkIndexed(t, panel9, panel9+".tbi", Options{}, "indexed", false)
		if n := countFindings(rep); n < 1000 {
			t.Errorf("%d findings, want the thousands of P/LP sites in the panels", n)
		}
	})
	t.Run("panel9 tbi pole only", func(t *testing.T) {
		rep := checkIndexed(t, panel9, panel9+".tbi", Options{Panels: []string{"pole"}}, "indexed", true)
		if acc := rep.Input.Access; acc.BytesRead >= acc.ObjectBytes {
			t.Errorf("read %d of %d bytes for one panel", acc.BytesRead, acc.ObjectBytes)
		}
	})
	t.Run("panel9 csi", func(t *testing.T) {
		vcfPath := copyTo(t, panel9, t.TempDir())
		run(t, "bcftools", "index", "-c", vcfPath)
		checkIndexed(t, vcfPath, vcfPath+".csi", Options{}, "indexed", false)
	})
	// The ClinVar file's 69,302 records are mostly BRCA1 and BRCA2; the Lynch panel (MLH1)
	// keeps the test quick and the read partial.
	lynch := Options{Panels: []string{"lynch"}}
	t.Run("clinvar stale tbi", func(t *testing.T) {
		// This file is one plain gzip stream and its .tbi was made from a BGZF copy (tabix
		// itself fails on the pair): the index cannot be used, the file is read whole.
		rep := checkIndexed(t, clinvar, clinvar+".tbi", lynch, "stream", false)
		if n := countFindings(rep); n < 1000 {
			t.Errorf("%d findings, want the MLH1 sites", n)
		}
	})
	t.Run("clinvar bgzip tabix", func(t *testing.T) {
		dir := t.TempDir()
		vcfPath := filepath.Join(dir, "clinvar_genes.vcf.gz")
		bgzipTo(t, clinvar, vcfPath)
		run(t, "tabix", "-p", "vcf", vcfPath)
		want := streamed(t, clinvar, lynch) // the same text
		streamMu.Lock()
		streamCache[vcfPath+"|lynch"] = want
		streamMu.Unlock()
		checkIndexed(t, vcfPath, vcfPath+".tbi", lynch, "indexed", false)
		run(t, "tabix", "-C", "-f", "-p", "vcf", vcfPath)
		checkIndexed(t, vcfPath, vcfPath+".csi", lynch, "indexed", false)
	})
	t.Run("GRCh37 read the same way", func(t *testing.T) {
		// GRCh37 input is placed on GRCh38 (issue 14): through the index, the GRCh37 panel
		// regions are read, and the findings are those of the whole-file read.
		b37 := filepath.Join(data, "clinvar", "macarthur_clinvar_2016-09.b37.panel9.vcf.gz")
		rep := checkIndexed(t, b37, b37+".tbi", lynch, "indexed", false)
		if rep.Input.GenomeBuild != "GRCh37" || countFindings(rep) < 1000 {
			t.Errorf("build %s, %d findings; want GRCh37 and the MLH1/MSH2/MSH6/PMS2/EPCAM sites", rep.Input.GenomeBuild, countFindings(rep))
		}
	})
}

// bgzipTo recompresses a gzip file as BGZF with bgzip; dst ends in ".gz".
func bgzipTo(t testing.TB, src, dst string) {
	t.Helper()
	plain := testfile.Write(t, strings.TrimSuffix(dst, ".gz"), indextest.Decompress(t, src))
	run(t, "bgzip", "-f", plain) // writes plain.gz and removes plain
}

// TestIndexedFallback: an index that cannot be used never changes the answer; the file is
// read whole and input.warnings says why.
func TestIndexedFallback(t *testing.T) {
	data := oracle.Dir(t)
	chr21 := filepath.Join(data, "vcf-real", "platinum-hap.py", "PG_NA12878_hg38-chr21.vcf.gz")
	panel9 := filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		return testfile.Write(t, filepath.Join(dir, name), b)
	}
	tbi := testfile.Read(t, panel9+".tbi")
	tests := []struct {
		name, vcf, idx, warn string
	}{
		{"another file's index", panel9, chr21 + ".tbi", "does not match"},
		{"index of another file on this one", chr21, panel9 + ".tbi", "does not match"},
		{"truncated index", panel9, write("trunc.tbi", tbi[:len(tbi)/2]), "corrupt"},
		{"not an index", panel9, write("junk.tbi", []byte("not an index at all")), "corrupt"},
		{"missing index", panel9, filepath.Join(dir, "absent.tbi"), "unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := checkIndexed(t, tt.vcf, tt.idx, Options{Panels: []string{"pole"}}, "stream", false)
			if w := rep.Input.Warnings[0]; !strings.Contains(w, tt.warn) {
				t.Errorf("warning %q, want it to say %q", w, tt.warn)
			}
		})
	}

	t.Run("truncated file", func(t *testing.T) {
		// Cut off the end-of-file marker: streaming refuses the file, and so does the
		// indexed read (it checks the marker and falls back).
		b := testfile.Read(t, panel9)
		cut := write("cut.vcf.gz", b[:len(b)-28])
		_, serr := annotateFile(t, cut, Options{})
		_, ierr := annotateIndexed(t, cut, panel9+".tbi", Options{})
		if !IsInvalid(serr) || !IsInvalid(ierr) || serr.Error() != ierr.Error() {
			t.Errorf("streaming: %v; indexed: %v; want the same invalid-input error", serr, ierr)
		}
	})
}

// TestIndexedWGS: on a whole-genome-scale file, the indexed read gives streaming's answer
// from at most 1% of the file's bytes.
func TestIndexedWGS(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-genome-scale file")
	}
	k := annotator(t).KB()
	path := indextest.WGS(t, k.Genome, k.Version, 700_000)
	start := time.Now()
	stream := streamed(t, path, Options{})
	streamTime := time.Since(start)
	start = time.Now()
	if _, err := annotateIndexed(t, path, path+".tbi", Options{}); err != nil {
		t.Fatal(err)
	}
	indexedTime := time.Since(start)
	rep := checkIndexed(t, path, path+".tbi", Options{}, "indexed", true)
	acc := rep.Input.Access
	if frac := float64(acc.BytesRead) / float64(acc.ObjectBytes); frac > 0.01 {
		t.Errorf("read %d of %d bytes (%.2f%%), want at most 1%%", acc.BytesRead, acc.ObjectBytes, 100*frac)
	}
	if n := countFindings(stream); n < 100 {
		t.Errorf("%d findings: the planted variants are missing", n)
	}
	t.Logf("%d records, %d bytes: streaming %s, indexed %s (%d bytes, %d requests)",
		stream.Samples[0].QC.RecordsRead, acc.ObjectBytes, streamTime.Round(time.Millisecond), indexedTime.Round(time.Millisecond), acc.BytesRead, acc.Requests)
}

// TestIndexReadInPart: on a whole-genome-scale file with a large index, the index itself is
// read in part through IndexRanges, and the answer is streaming's; when the read in part
// fails, the index is read whole, with a warning, and the answer is the same.
func TestIndexReadInPart(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-genome-scale file")
	}
	k := annotator(t).KB()
	path := indextest.WGS(t, k.Genome, k.Version, 700_000)
	want := answer(t, streamed(t, path, Options{}))
	idx, err := os.Open(path + ".tbi")
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	st, err := idx.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var read int64
	var failing bool
	in, done := localIndexed(t, path, path+".tbi")
	defer done()
	in.IndexSize = st.Size()
	in.IndexRanges = index.SourceFunc(func(_ context.Context, off, n int64) (io.ReadCloser, error) {
		if failing {
			return nil, errors.New("range reads of the index fail")
		}
		read += n
		return io.NopCloser(io.NewSectionReader(idx, off, n)), nil
	})
	for _, tc := range []struct {
		name    string
		failing bool
	}{{"in part", false}, {"read in part fails", true}} {
		t.Run(tc.name, func(t *testing.T) {
			failing, read = tc.failing, 0
			rep, err := annotator(t).AnnotateIndexed(context.Background(), in, fixed(Options{}))
			if err != nil {
				t.Fatal(err)
			}
			acc := rep.Input.Access
			if acc == nil || acc.Mode != "indexed" {
				t.Fatalf("access %+v, want indexed (warnings %q)", acc, rep.Input.Warnings)
			}
			if got := answer(t, rep); got != want {
				t.Errorf("answer differs from streaming")
			}
			warned := len(rep.Input.Warnings) > 0 && strings.Contains(rep.Input.Warnings[0], "could not be read in part")
			switch {
			case !tc.failing && (read == 0 || read >= st.Size() || acc.IndexSHA256 != "" || warned):
				t.Errorf("read %d of the index's %d bytes, sha256 %q, warnings %q: want a read in part", read, st.Size(), acc.IndexSHA256, rep.Input.Warnings)
			case tc.failing && (!warned || acc.IndexSHA256 == ""):
				t.Errorf("warnings %q, sha256 %q: want the index read whole, with a warning", rep.Input.Warnings, acc.IndexSHA256)
			}
			t.Logf("index: %d of %d bytes; file: %d of %d bytes", read, st.Size(), acc.BytesRead, acc.ObjectBytes)
		})
	}
}
