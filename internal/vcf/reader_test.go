package vcf

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/vcf/block"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// edgeWant is what testdata/edge.vcf must read as.
func checkEdge(t *testing.T, r *Reader) {
	t.Helper()
	h := r.Header()
	if h.FileFormat != "VCFv4.3" || !reflect.DeepEqual(h.Samples, []string{"S1", "S2", "S3"}) {
		t.Fatalf("got fileformat %q samples %v", h.FileFormat, h.Samples)
	}
	if !reflect.DeepEqual(h.Contigs, []Contig{{ID: "chr1", Length: 248956422, Assembly: "GRCh38"}}) {
		t.Errorf("got contigs %+v", h.Contigs)
	}
	var recs []*Record
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 5 {
		t.Fatalf("got %d records, want 5", len(recs))
	}
	type smp struct {
		gt     []int
		phased bool
		dp     int
		ad     []int
		ps     string
	}
	tests := []struct {
		line   int
		pos    int
		id     string
		ref    string
		alts   []string
		qual   float64
		filter string
		end    int
		block  bool
		s      []smp
	}{
		{14, 100, ".", "ACGT", []string{"A"}, 50, "PASS", 103, false, []smp{
			{[]int{0, 1}, true, 30, []int{20, 10}, "100"},
			{[]int{1, 1}, false, -1, []int{0, 12}, ""},
			{[]int{-1}, true, -1, nil, ""},
		}},
		{15, 200, "rs1;rs2", "C", []string{"<NON_REF>"}, math.NaN(), ".", 300, true, []smp{
			{[]int{0, 0}, false, 12, nil, ""},
			{[]int{-1, -1}, false, 0, nil, ""},
			{[]int{0}, true, -1, nil, ""},
		}},
		{16, 400, ".", "G", []string{"A", "T", "<DEL>"}, 1000, "q10;s50", 400, false, []smp{
			{[]int{1, 2}, false, -1, nil, ""},
			{[]int{2, 3}, true, -1, nil, ""},
			{[]int{0, -1}, false, -1, nil, ""},
		}},
		{17, 500, ".", "T", []string{"T[chr2:321682[", ".A", "*"}, math.NaN(), "PASS", 500, false, []smp{
			{[]int{0}, true, -1, nil, ""},
			{[]int{1}, true, -1, nil, ""},
			{[]int{-1, -1}, true, -1, nil, ""},
		}},
		{18, 600, ".", "A", []string{}, math.NaN(), "PASS", 650, true, []smp{
			{[]int{0, 0}, false, -1, nil, ""},
			{[]int{0, 0}, false, -1, []int{5}, ""},
			{[]int{-1, -1}, false, -1, nil, ""},
		}},
	}
	for i, tc := range tests {
		rec := recs[i]
		if rec.Line != tc.line || rec.Chrom != "chr1" || rec.Pos != tc.pos || rec.ID != tc.id || rec.Ref != tc.ref ||
			!reflect.DeepEqual(rec.Alts, tc.alts) || rec.Filter != tc.filter || rec.End != tc.end || rec.IsRefBlock() != tc.block {
			t.Errorf("record %d: got line %d %s:%d %s %s>%v filter %s end %d block %v", i, rec.Line, rec.Chrom, rec.Pos,
				rec.ID, rec.Ref, rec.Alts, rec.Filter, rec.End, rec.IsRefBlock())
		}
		if rec.Qual != tc.qual && !(math.IsNaN(rec.Qual) && math.IsNaN(tc.qual)) {
			t.Errorf("record %d: got QUAL %v, want %v", i, rec.Qual, tc.qual)
		}
		for j, want := range tc.s {
			got := rec.Samples[j]
			if !reflect.DeepEqual(got.GT, want.gt) || got.Phased != want.phased || got.DP != want.dp ||
				!reflect.DeepEqual(got.AD, want.ad) || got.PS != want.ps {
				t.Errorf("record %d sample %d: got GT %v phased %v DP %d AD %v PS %q, want %+v", i, j,
					got.GT, got.Phased, got.DP, got.AD, got.PS, want)
			}
		}
	}
	if v, ok := recs[0].InfoValue("DP"); v != "30" || !ok {
		t.Errorf("InfoValue(DP): got %q %v", v, ok)
	}
	if _, ok := recs[0].InfoValue("END"); ok {
		t.Error("InfoValue(END) on a record without END: got ok")
	}
	if f, ok := recs[0].Samples[0].AltFraction(recs[0], 1); !ok || f != 10.0/30 {
		t.Errorf("AltFraction from AD 20,10: got %v %v", f, ok)
	}
	if f, ok := recs[0].Samples[1].AltFraction(recs[0], 1); !ok || f != 1 {
		t.Errorf("AltFraction from AD 0,12: got %v %v", f, ok)
	}
	if _, ok := recs[0].Samples[1].Field("PS"); ok {
		t.Error("Field(PS) of a sample that dropped it: got ok")
	}
	if w := r.Warnings(); len(w) != 0 {
		t.Errorf("got warnings %v, want none", w)
	}
	if !r.Header().GVCF {
		t.Error("GVCF not set after reading a <NON_REF> block")
	}
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEdgeFile(t *testing.T) {
	plain := testfile.Read(t, "testdata/edge.vcf")
	crlf := bytes.ReplaceAll(plain, []byte("\n"), []byte("\r\n"))
	noFinalNewline := bytes.TrimSuffix(plain, []byte("\n"))
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"plain", plain},
		{"CRLF", crlf},
		{"no final newline", noFinalNewline},
		{"gzip", gzipBytes(t, plain)},
		{"multi-member gzip", append(gzipBytes(t, plain[:700]), gzipBytes(t, plain[700:])...)},
		{"BGZF", oracle.BGZF(t, plain, 300)},
		{"BGZF CRLF", oracle.BGZF(t, crlf, 300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, conc := range []int{0, 1, 3} {
				r, err := NewReader(bytes.NewReader(tc.data), "edge.vcf", Options{Concurrency: conc})
				if err != nil {
					t.Fatal(err)
				}
				checkEdge(t, r)
				if got := r.Stats().Bytes; got != int64(len(tc.data)) {
					t.Errorf("got %d bytes read, want %d", got, len(tc.data))
				}
				if err := r.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestOpenStdin(t *testing.T) {
	f, err := os.Open("testdata/edge.vcf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	r, err := Open("-", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkEdge(t, r)
}

// firstError opens data and reads it to the end, returning the first error that is not
// io.EOF.
func firstError(data []byte, opts Options) error {
	r, err := NewReader(bytes.NewReader(data), "in.vcf", opts)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, err := range r.All() {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestInvalidInput(t *testing.T) {
	edge := testfile.Read(t, "testdata/edge.vcf")
	lines := strings.SplitAfter(string(edge), "\n")
	header, body := strings.Join(lines[:13], ""), strings.Join(lines[13:], "")
	bgz := oracle.BGZF(t, edge, 300)
	gz := gzipBytes(t, edge)
	tests := []struct {
		name  string
		data  []byte
		line  int
		msg   string
		cause error
	}{
		{"empty file", nil, 0, "empty file", nil},
		{"empty gzip", gzipBytes(t, nil), 0, "empty file", nil},
		{"binary", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0, "binary data", nil},
		{"NUL later in the header", []byte(header[:600] + "\x00" + header[600:]), strings.Count(header[:600], "\n") + 1, "NUL byte", nil},
		{"gzip inside gzip", gzipBytes(t, gz), 0, "compressed twice", nil},
		{"BCF", []byte("BCF\x02\x02\x00\x00\x00"), 0, "BCF", ErrBCF},
		{"truncated gzip", gz[:len(gz)/2], 0, "truncated", io.ErrUnexpectedEOF},
		{"truncated BGZF block", bgz[:len(bgz)/2], 0, "truncated", io.ErrUnexpectedEOF},
		{"BGZF without EOF marker", bgz[:len(bgz)-len(block.EOFMarker)], 18, "end-of-file marker", io.ErrUnexpectedEOF},
		{"corrupt gzip", append(append([]byte{}, gz[:20]...), bytes.Repeat([]byte{0xff}, 200)...), 0, "corrupt gzip", nil},
		{"no fileformat", []byte(strings.Join(lines[1:], "")), 1, "first line must be ##fileformat", nil},
		{"old fileformat", []byte("##fileformat=VCFv3.3\n" + strings.Join(lines[1:], "")), 1, "unsupported ##fileformat", nil},
		{"no #CHROM line", []byte(strings.Join(lines[:12], "")), 12, "no #CHROM header line", nil},
		{"data before #CHROM", []byte(strings.Join(lines[:12], "") + lines[13] + lines[12]), 13, "data line before the #CHROM", nil},
		{"#CHROM with spaces", []byte(strings.Join(lines[:12], "") + strings.ReplaceAll(lines[12], "\t", " ") + body), 13, "not tab-separated", nil},
		{"FORMAT column misnamed", []byte(strings.Join(lines[:12], "") + strings.Replace(lines[12], "FORMAT", "FMT", 1) + body), 13, "want \"FORMAT\"", nil},
		{"duplicate sample", []byte(strings.Join(lines[:12], "") + strings.Replace(lines[12], "S3", "S1", 1) + body), 13, "duplicate sample name \"S1\"", nil},
		{"too few columns", []byte(header + "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\n"), 14, "want 12", nil},
		{"one column", []byte(header + "chr1 5 . A C\n"), 14, "1 column", nil},
		{"bad POS", []byte(header + "chr1\t5e3\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\n"), 14, "POS \"5e3\"", nil},
		{"POS too large", []byte(header + "chr1\t2147483648\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\n"), 14, "POS \"2147483648\"", nil},
		{"empty CHROM", []byte(header + "\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\n"), 14, "CHROM is empty", nil},
		{"bad REF", []byte(header + "chr1\t5\t.\tAXC\tC\t.\tPASS\t.\tGT\t0\t0\t0\n"), 14, "REF \"AXC\" contains 'X'", nil},
		{"bad ALT", []byte(header + "chr1\t5\t.\tA\tC,<DEL\t.\tPASS\t.\tGT\t0\t0\t0\n"), 14, "symbolic allele \"<DEL\"", nil},
		{"bad breakend", []byte(header + "chr1\t5\t.\tA\tA[chr2:x[\t.\tPASS\t.\tGT\t0\t0\t0\n"), 14, "mate position", nil},
		{"bad QUAL", []byte(header + "chr1\t5\t.\tA\tC\thigh\tPASS\t.\tGT\t0\t0\t0\n"), 14, "QUAL \"high\"", nil},
		{"bad END", []byte(header + "chr1\t5\t.\tA\t<NON_REF>\t.\tPASS\tEND=x\tGT\t0\t0\t0\n"), 14, "INFO END=x", nil},
		{"GT out of range", []byte(header + "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\t0/2\t0\n"), 14, "names allele 2 but the record has 2 alleles", nil},
		{"GT not a genotype", []byte(header + "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\t0-1\t0\n"), 14, "GT \"0-1\" is not a genotype", nil},
		{"sample with more values than FORMAT", []byte(header + "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\t0/1:3\t0\n"), 14, "sample S2 has 2 values", nil},
		{"empty sample column", []byte(header + "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\t\t0\n"), 14, "sample S2: column is empty", nil},
		{"NUL in a record", []byte(header + "chr1\t5\t.\tA\tC\t.\tPASS\tX=\x00\tGT\t0\t0\t0\n"), 14, "NUL byte", nil},
		{"line too long", []byte(header + "chr1\t5\t.\tA\tC\t.\tPASS\tX=" + strings.Repeat("x", 3000) + "\tGT\t0\t0\t0\n"), 14, "line too long", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := firstError(tc.data, Options{MaxLineBytes: 2048})
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %T %v, want a *ParseError", err, err)
			}
			if pe.File != "in.vcf" || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("got %q, want a message about %q in in.vcf", err, tc.msg)
			}
			if tc.line != 0 && pe.Line != tc.line {
				t.Errorf("got line %d, want %d (%v)", pe.Line, tc.line, err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("got %v, want it to wrap %v", err, tc.cause)
			}
		})
	}
}

// TestCorruptBGZFBlock damages one block in the middle of a BGZF file: every record before
// it is returned, then a *ParseError naming the line the block's text starts in and the
// block's byte offset.
func TestCorruptBGZFBlock(t *testing.T) {
	edge := testfile.Read(t, "testdata/edge.vcf")
	text := bytes.Repeat(edge[bytes.Index(edge, []byte("\nchr"))+1:], 20)
	text = append(edge, text...)
	bgz := oracle.BGZF(t, text, 300)
	var starts []int
	for off := 0; off+18 <= len(bgz); off += int(binary.LittleEndian.Uint16(bgz[off+16:])) + 1 {
		starts = append(starts, off)
	}
	k := len(starts) / 2
	next := starts[k+1]
	bgz[next-8] ^= 1 // the CRC32 of block k
	wantLine := bytes.Count(text[:k*300], []byte("\n")) + 1
	for _, conc := range []int{1, 2} {
		r, err := NewReader(bytes.NewReader(bgz), "in.vcf.gz", Options{Concurrency: conc})
		if err != nil {
			t.Fatal(err)
		}
		for err == nil {
			_, err = r.Next()
		}
		r.Close()
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != wantLine || !strings.Contains(pe.Msg, fmt.Sprintf("corrupt BGZF data in the block at byte %d: CRC32 mismatch", starts[k])) {
			t.Errorf("concurrency %d: got %v, want a *ParseError at line %d about the CRC32 of the block at byte %d", conc, err, wantLine, starts[k])
		}
	}
}

func TestRealBCF(t *testing.T) {
	for _, rel := range []string{"vcf-real/pharmcat-preprocessor/raw.bcf", "vcf-real/platinum-hap.py/pg-hg38.bcf"} {
		path := filepath.Join(oracle.Dir(t), rel)
		_, err := Open(path, Options{})
		if !errors.Is(err, ErrBCF) || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), "bcftools view") {
			t.Errorf("%s: got %v, want ErrBCF naming the file and how to convert it", rel, err)
		}
	}
}

func TestIOErrorIsNotMalformed(t *testing.T) {
	failing := io.MultiReader(bytes.NewReader(testfile.Read(t, "testdata/edge.vcf")[:900]), iotestErrReader{})
	err := firstError(nil, Options{})
	_ = err
	r, err := NewReader(failing, "s3://bucket/x.vcf", Options{})
	if err == nil {
		for err == nil {
			_, err = r.Next()
		}
		r.Close()
	}
	if errors.Is(err, ErrMalformed) || !errors.Is(err, errNetwork) || !strings.Contains(err.Error(), "s3://bucket/x.vcf") {
		t.Errorf("got %v, want the source's error, not ErrMalformed, naming the file", err)
	}
}

var errNetwork = errors.New("connection reset")

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errNetwork }

func TestBadLineThenGoOn(t *testing.T) {
	edge := string(testfile.Read(t, "testdata/edge.vcf"))
	i := strings.Index(edge, "chr1\t200")
	data := edge[:i] + "chr1\t150\t.\tQ\tC\t.\tPASS\t.\tGT\t0\t0\t0\n" + edge[i:]
	r, err := NewReader(strings.NewReader(data), "in.vcf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for rec, err := range r.All() {
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, fmt.Sprint(rec.Pos))
	}
	want := []string{"100", `in.vcf:15: REF "Q" contains 'Q', which is not a base`, "200", "400", "500", "600"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if st := r.Stats(); st.Records != 6 || st.Kept != 5 || st.Malformed != 1 {
		t.Errorf("got %+v", st)
	}
}

// TestAllEndsAtStickyError checks that All yields an error that ends the input once and then
// ends, where Next would return it again forever; and that breaking out of the loop stops it.
func TestAllEndsAtStickyError(t *testing.T) {
	edge := testfile.Read(t, "testdata/edge.vcf")
	bgz := oracle.BGZF(t, edge, 300)
	r, err := NewReader(bytes.NewReader(bgz[:len(bgz)-len(block.EOFMarker)]), "in.vcf.gz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs int
	var errs []error
	for rec, err := range r.All() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if rec == nil {
			t.Fatal("got a nil record with a nil error")
		}
		recs++
	}
	if recs != 5 || len(errs) != 1 || !errors.Is(errs[0], io.ErrUnexpectedEOF) {
		t.Errorf("got %d records and errors %v, want 5 records and one truncation error", recs, errs)
	}

	r, err = NewReader(bytes.NewReader(edge), "in.vcf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for range r.All() {
		break
	}
	if st := r.Stats(); st.Kept != 1 {
		t.Errorf("after a break on the first record: got %d records read, want 1", st.Kept)
	}
}

func TestLongLineNotBuffered(t *testing.T) {
	edge := testfile.Read(t, "testdata/edge.vcf")
	i := bytes.Index(edge, []byte("chr1\t200"))
	// A 10 MB record between two good ones, streamed so the test does not hold it either.
	long := io.MultiReader(
		bytes.NewReader(edge[:i]),
		strings.NewReader("chr1\t150\t.\tA\tC\t.\tPASS\tX="),
		io.LimitReader(repeatReader('x'), 10<<20),
		strings.NewReader("\tGT\t0\t0\t0\n"),
		bytes.NewReader(edge[i:]),
	)
	r, err := NewReader(long, "long.vcf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pos []int
	var lineErr error
	for rec, err := range r.All() {
		if err != nil {
			lineErr = err
			continue
		}
		pos = append(pos, rec.Pos)
	}
	var pe *ParseError
	if !errors.As(lineErr, &pe) || pe.Line != 15 || !strings.Contains(pe.Msg, "line too long") {
		t.Errorf("got %v, want long.vcf:15: line too long", lineErr)
	}
	if !reflect.DeepEqual(pos, []int{100, 200, 400, 500, 600}) {
		t.Errorf("got records at %v", pos)
	}
	if c := cap(r.lr.long); c > DefaultMaxLineBytes+2*bufSize {
		t.Errorf("line buffer grew to %d bytes, want at most %d", c, DefaultMaxLineBytes+2*bufSize)
	}
}

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestRecordWarnings(t *testing.T) {
	edge := string(testfile.Read(t, "testdata/edge.vcf"))
	header := edge[:strings.Index(edge, "chr1\t100")]
	tests := []struct {
		name string
		body string
		want string
	}{
		{"IUPAC REF", "chr1\t5\t.\tR\tC\t.\tPASS\t.\tGT\t0\t0\t0\n", "IUPAC ambiguity code 'R'"},
		{"negative QUAL", "chr1\t5\t.\tA\tC\t-3\tPASS\t.\tGT\t0\t0\t0\n", "QUAL -3 is negative"},
		{"unsorted", "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\nchr1\t4\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\n", "not sorted"},
		{"not contiguous", "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\nchr2\t4\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\nchr1\t6\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\n", "records of chr1 are not together"},
		{"duplicate", "chr1\t5\t.\tAT\tGT\t.\tPASS\t.\tGT\t0\t0\t0\nchr1\t5\t.\tA\tG\t.\tPASS\t.\tGT\t0\t0\t0\n", "was already given at line 14"},
		{"undefined INFO", "chr1\t5\t.\tA\tC\t.\tPASS\tXY=1\tGT\t0\t0\t0\n", "INFO key XY is not defined"},
		{"INFO type", "chr1\t5\t.\tA\tC\t.\tPASS\tDP=1.5\tGT\t0\t0\t0\n", "INFO DP value \"1.5\" is not of Type Integer"},
		{"FORMAT number", "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT:AD\t0:1,2,3\t0\t0\n", "AD has 3 values but Number=R means 2"},
		{"END before POS", "chr1\t5\t.\tA\t<NON_REF>\t.\tPASS\tEND=4\tGT\t0\t0\t0\n", "END=4 is before POS 5"},
		{"trailing tab", "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\t\n", "ends with a tab"},
		{"empty line", "chr1\t5\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\n\nchr1\t6\t.\tA\tC\t.\tPASS\t.\tGT\t0\t0\t0\n", "line 15: empty line"},
		{"byte order mark", "", "byte order mark"},
		{"GT with no ALT", "chr1\t5\t.\tA\t.\t.\tPASS\t.\tGT\t0/1\t0\t0\n", "names an ALT allele but ALT is '.'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := header + tc.body
			if tc.name == "byte order mark" {
				in = "\xef\xbb\xbf" + in
			}
			r, err := NewReader(strings.NewReader(in), "w.vcf", Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for err == nil {
				_, err = r.Next()
			}
			if err != io.EOF {
				t.Fatal(err)
			}
			var got []string
			for _, w := range r.Warnings() {
				got = append(got, w.String())
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("got warnings %q, want one about %q", got, tc.want)
			}
		})
	}
}

func TestWarningsBounded(t *testing.T) {
	edge := string(testfile.Read(t, "testdata/edge.vcf"))
	var b strings.Builder
	b.WriteString(edge[:strings.Index(edge, "chr1\t100")])
	const n = 20000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "chr1\t%d\t.\tA\tC\t.\tPASS\tK%d=1\tGT\t0\t0\t0\n", n-i, i%3)
	}
	r, err := NewReader(strings.NewReader(b.String()), "w.vcf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for err == nil {
		_, err = r.Next()
	}
	ws := r.Warnings()
	// 5 unsorted warnings and their summary, one per undefined key K0, K1, K2.
	if len(ws) != 9 || ws[len(ws)-1].Line != 0 || !strings.Contains(ws[len(ws)-1].Msg, fmt.Sprintf("%d more like line 15", n-1-5)) {
		t.Errorf("got %d warnings: %v", len(ws), ws)
	}
	if got := r.Stats().Warnings; got != n-1+n {
		t.Errorf("got %d warnings counted, want %d", got, 2*n-1)
	}
}

func TestKeep(t *testing.T) {
	path := filepath.Join(oracle.Dir(t), "vcf-real/platinum-hap.py/PG_NA12878_hg38-chr21.vcf.gz")
	const from, to = 15_000_000, 20_000_000
	var keepCalls int64
	r, err := Open(path, Options{Keep: func(chrom []byte, pos, _ int) bool {
		keepCalls++
		if string(chrom) != "chr21" {
			t.Errorf("Keep got chrom %q", chrom)
		}
		return pos >= from && pos <= to
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var kept int64
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Pos < from || rec.Pos > to {
			t.Fatalf("got a record at %d outside the kept range", rec.Pos)
		}
		kept++
	}
	// Oracle: the positions in the file, counted without this package.
	var want, total int64
	for _, fields := range oracle.DataLines(t, path) {
		total++
		p, err := strconv.Atoi(fields[1])
		if err != nil {
			t.Fatal(err)
		}
		if p >= from && p <= to {
			want++
		}
	}
	st := r.Stats()
	if kept != want || st.Kept != want || st.Skipped != total-want || st.Records != total || keepCalls != total {
		t.Errorf("got kept %d, stats %+v, Keep called %d times; want %d kept of %d", kept, st, keepCalls, want, total)
	}
}

// TestSkipDoesNotAllocate reads records that Keep rejects and checks the allocations do not
// grow with their number.
func TestSkipDoesNotAllocate(t *testing.T) {
	allocs := func(n int) float64 {
		data := syntheticVCF(n, 1)
		return testing.AllocsPerRun(3, func() {
			r, err := NewReader(bytes.NewReader(data), "skip.vcf", Options{Keep: func([]byte, int, int) bool { return false }})
			if err != nil {
				t.Fatal(err)
			}
			for err == nil {
				_, err = r.Next()
			}
			r.Close()
		})
	}
	small, large := allocs(2000), allocs(40000)
	// 22 chromosomes each allocate their name once; nothing else depends on the count.
	if large-small > 50 { // slack for the race detector's own allocations
		t.Errorf("got %.0f allocations for 2000 skipped records and %.0f for 40000", small, large)
	}
}

func TestParseGT(t *testing.T) {
	tests := []struct {
		gt       string
		nAlleles int
		want     []int
		phased   bool
		err      string
	}{
		{"0/1", 2, []int{0, 1}, false, ""},
		{"1|0", 2, []int{1, 0}, true, ""},
		{"0", 2, []int{0}, true, ""},
		{".", 2, []int{-1}, true, ""},
		{"./.", 2, []int{-1, -1}, false, ""},
		{".|1", 2, []int{-1, 1}, true, ""},
		{"0/1|2", 3, []int{0, 1, 2}, false, ""},
		{"0|0|1", 2, []int{0, 0, 1}, true, ""},
		{"12/10", 13, []int{12, 10}, false, ""},
		{"0/2", 2, nil, false, "names allele 2 but the record has 2 alleles"},
		{"0/10", 3, nil, false, "names allele 10"},
		{"0/|1", 2, nil, false, "not a genotype"},
		{"0/", 2, nil, false, "ends with a separator"},
		{"/0", 2, nil, false, "not a genotype"},
		{"1/C", 2, nil, false, "not a genotype"},
		{"0.000", 2, nil, false, "not a genotype"},
		{"", 2, nil, false, "GT is empty"},
		{"0 /1", 2, nil, false, "not a genotype"},
		{"99999999999999999999", 2, nil, false, "names allele"},
	}
	for _, tc := range tests {
		got, phased, msg := parseGT(tc.gt, tc.nAlleles, nil)
		if !reflect.DeepEqual(got, tc.want) || phased != tc.phased || (tc.err == "") != (msg == "") || !strings.Contains(msg, tc.err) {
			t.Errorf("parseGT(%q, %d): got %v %v %q, want %v %v %q", tc.gt, tc.nAlleles, got, phased, msg, tc.want, tc.phased, tc.err)
		}
	}
}

func TestCanonicalChrom(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"1", "chr1"}, {"chr1", "chr1"}, {"CHR1", "chr1"}, {"Chr22", "chr22"}, {"22", "chr22"},
		{"X", "chrX"}, {"chrx", "chrX"}, {"Y", "chrY"}, {"chrY", "chrY"},
		{"M", "chrM"}, {"MT", "chrM"}, {"chrM", "chrM"}, {"chrMT", "chrM"},
		{"NC_000001.11", "chr1"}, {"NC_000001.10", "chr1"}, {"NC_000017.11", "chr17"}, {"NC_000010.11", "chr10"},
		{"NC_000023.11", "chrX"}, {"NC_000024.10", "chrY"}, {"NC_012920.1", "chrM"}, {"NC_000022", "chr22"},
		{"chr1_KI270706v1_random", ""}, {"chrUn_KI270302v1", ""}, {"chr6_GL000250v2_alt", ""},
		{"HLA-A*01:01:01:01", ""}, {"chrEBV", ""}, {"hs37d5", ""}, {"GL000192.1", ""},
		{"chromosome1", ""}, {"ref_brca1", ""}, {"chr01", ""}, {"0", ""}, {"23", ""}, {"chr23", ""},
		{"chr", ""}, {"", ""}, {"NC_000025.1", ""}, {"NC_000000.1", ""}, {"NC_000001.", ""}, {"NC_000001.x", ""},
		{"NT_113878.1", ""}, {"<1>", ""}, {"+1", ""}, {"-1", ""}, {" 1", ""}, {"CHR22", "chr22"},
	}
	for _, tc := range tests {
		got, ok := CanonicalChrom(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("CanonicalChrom(%q): got %q %v, want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestIsSymbolic(t *testing.T) {
	tests := []struct {
		alt  string
		want bool
	}{
		{"<DEL>", true}, {"<NON_REF>", true}, {"<*>", true}, {"*", true},
		{"G]17:198982]", true}, {"]13:123456]T", true}, {"[2:321682[T", true}, {".A", true}, {"G.", true},
		{"A", false}, {"ACGT", false}, {"N", false}, {"", false}, {".", false},
	}
	for _, tc := range tests {
		if got := IsSymbolic(tc.alt); got != tc.want {
			t.Errorf("IsSymbolic(%q): got %v, want %v", tc.alt, got, tc.want)
		}
	}
}

func TestParseErrorString(t *testing.T) {
	e := &ParseError{File: "a.vcf", Line: 7, Msg: "POS \"x\" is not a position"}
	if e.Error() != `a.vcf:7: POS "x" is not a position` || !errors.Is(e, ErrMalformed) {
		t.Errorf("got %q", e)
	}
	e = &ParseError{File: "a.vcf.gz", Msg: "truncated", Err: io.ErrUnexpectedEOF}
	if e.Error() != "a.vcf.gz: truncated" || !errors.Is(e, io.ErrUnexpectedEOF) || !errors.Is(e, ErrMalformed) {
		t.Errorf("got %q", e)
	}
}

func TestCloseTwice(t *testing.T) {
	r, err := Open("testdata/edge.vcf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close: got %v, want an error", err)
	}
}
