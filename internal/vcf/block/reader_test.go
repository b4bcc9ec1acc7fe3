package block

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"path/filepath"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
)

// realBGZF lists the BGZF files of the shared data: written by htslib's bgzip and tabix
// (zlib and libdeflate), by Picard and by GATK.
var realBGZF = []string{
	"vcf-real/pharmcat-preprocessor/raw.vcf.bgz",
	"vcf-real/pharmcat-preprocessor/NA19226.pgx_regions.g.vcf.bgz",
	"vcf-real/nfcore-slivar/empty.vcf.gz",
	"vcf-real/nfcore-slivar/gvcf_sample.g.vcf.gz",
	"vcf-real/nfcore-slivar/mutect2_chr22.somatic.vcf.gz",
	"vcf-real/nfcore-slivar/strelka_snvs_chr22.somatic.vcf.gz",
	"vcf-real/nfcore-slivar/gnomad_subset.vcf.gz",
	"pgx/pharmcat/tests/100samples.vcf.bgz",
	"clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz",
	"vcf-real/platinum-hap.py/PG_NA12878_hg38-chr21.vcf.gz",
}

// readAll reads b through a Reader with the given workers, in small reads.
func readAll(b []byte, workers int) ([]byte, error) {
	z := NewReader(bytes.NewReader(b), workers)
	defer z.Close()
	var out []byte
	buf := make([]byte, 16<<10)
	for {
		n, err := z.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestReaderRealFiles(t *testing.T) {
	dir := oracle.Dir(t)
	for _, rel := range realBGZF {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			raw := testfile.Read(t, filepath.Join(dir, rel))
			want := oracle.Gunzip(t, raw)
			for _, workers := range []int{1, 3} {
				got, err := readAll(raw, workers)
				if err != nil {
					t.Fatalf("workers %d: %v", workers, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("workers %d: got %d bytes, want the %d compress/gzip reads", workers, len(got), len(want))
				}
			}
		})
	}
}

// blockStarts returns the offset of every block of a well-formed BGZF file.
func blockStarts(t *testing.T, b []byte) []int {
	t.Helper()
	var out []int
	for off := 0; off < len(b); {
		_, size, err := Frame(b[off:])
		if err != nil {
			t.Fatalf("byte %d: %v", off, err)
		}
		out = append(out, off)
		off += size
	}
	return out
}

func edgeText(t *testing.T) []byte {
	t.Helper()
	b := testfile.Read(t, filepath.Join("..", "testdata", "edge.vcf"))
	return bytes.Repeat(b, 10)
}

func TestReaderConcatenated(t *testing.T) {
	text := edgeText(t)
	one := oracle.BGZF(t, text, 700) // ends with the end-of-file marker
	two := append(append([]byte{}, one...), one...)
	got, err := readAll(two, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append([]byte{}, text...), text...); !bytes.Equal(got, want) {
		t.Errorf("got %d bytes, want %d: the empty block in the middle must be skipped", len(got), len(want))
	}
}

func TestReaderErrors(t *testing.T) {
	text := edgeText(t)
	good := oracle.BGZF(t, text, 500)
	starts := blockStarts(t, good)
	mid := starts[len(starts)/2] // a block in the middle
	midText := (len(starts) / 2) * 500
	withByte := func(off int, f func(byte) byte) []byte {
		b := bytes.Clone(good)
		b[off] = f(b[off])
		return b
	}
	next := starts[len(starts)/2+1]
	tests := []struct {
		name    string
		data    []byte
		corrupt bool // a *CorruptError at mid, else io.ErrUnexpectedEOF
		msg     string
	}{
		{"CRC32", withByte(next-8, func(c byte) byte { return c ^ 1 }), true, "CRC32 mismatch"},
		{"ISIZE", withByte(next-4, func(c byte) byte { return c + 1 }), true, "ISIZE says"},
		{"ISIZE too large", withByte(next-2, func(byte) byte { return 2 }), true, "larger than a block"},
		{"DEFLATE data", withByte(mid+18, func(byte) byte { return 0xff }), true, "DEFLATE"},
		{"not a gzip member", withByte(mid, func(byte) byte { return 'x' }), true, "no BGZF block header"},
		{"gzip member without BC", withByte(mid+12, func(byte) byte { return 'X' }), true, "no BSIZE"},
		{"truncated in a block", good[:mid+30], false, ""},
		{"truncated in a header", good[:mid+5], false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, workers := range []int{1, 3} {
				got, err := readAll(tc.data, workers)
				var ce *CorruptError
				switch {
				case tc.corrupt && !errors.As(err, &ce):
					t.Fatalf("got %v, want a *CorruptError", err)
				case tc.corrupt && (ce.Offset != int64(mid) || !bytes.Contains([]byte(ce.Msg), []byte(tc.msg)) || !errors.Is(err, ErrCorrupt)):
					t.Errorf("got %v, want ErrCorrupt at byte %d about %q", err, mid, tc.msg)
				case !tc.corrupt && !errors.Is(err, io.ErrUnexpectedEOF):
					t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
				}
				// Every block before the bad one is handed out first, in full.
				if !bytes.Equal(got, text[:midText]) {
					t.Errorf("workers %d: got %d bytes before the error, want %d", workers, len(got), midText)
				}
			}
		})
	}
}

func TestReaderCloseEarly(t *testing.T) {
	raw := oracle.BGZF(t, edgeText(t), 300)
	for range 20 {
		z := NewReader(bytes.NewReader(raw), 2)
		buf := make([]byte, 100)
		if _, err := z.Read(buf); err != nil {
			t.Fatal(err)
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := z.Read(buf); err == nil {
			t.Fatal("Read after Close: got no error")
		}
		z.Close()
	}
}

func TestInflateBlock(t *testing.T) {
	raw := oracle.BGZF(t, edgeText(t), 1000)
	var d Decoder
	buf := make([]byte, MaxSize+Slack)
	xlen := int(binary.LittleEndian.Uint16(raw[10:]))
	size := int(binary.LittleEndian.Uint16(raw[16:])) + 1
	text, err := Inflate(&d, buf, raw[12+xlen:size])
	if err != nil {
		t.Fatal(err)
	}
	if crc := binary.LittleEndian.Uint32(raw[size-8:]); crc32.ChecksumIEEE(text) != crc || len(text) != 1000 {
		t.Errorf("got %d bytes with another CRC32, want the block's 1000", len(text))
	}
	if _, err := Inflate(&d, buf, raw[12+xlen:size-1]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a block one byte short: got %v, want ErrCorrupt", err)
	}
}
