package vcf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
)

// FuzzReader feeds arbitrary bytes to the Reader: it must never panic or hang, every error must
// be io.EOF, a *ParseError naming the input, or (never here) an I/O error, and the counts must
// add up. Seeds: the EBI corpus, testdata/, and the small real files.
func FuzzReader(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/*"} {
		m, _ := filepath.Glob(pattern)
		seeds = append(seeds, m...)
	}
	if data := oracle.Find(); data != "" {
		for _, pattern := range []string{
			"vcf-invalid/ebi-vcf-validator/v4.*/*/*.vcf",
			"vcf-real/*/*",
			"pgx/pharmcat/tests/*.vcf*",
		} {
			m, _ := filepath.Glob(filepath.Join(data, pattern))
			seeds = append(seeds, m...)
		}
	}
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err == nil && len(b) <= 64<<10 {
			f.Add(b, uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := Options{MaxLineBytes: 4096, MaxHeaderBytes: 1 << 20, Concurrency: 1 + int(mode%3)}
		if mode&4 != 0 {
			opts.Keep = func(chrom []byte, pos, _ int) bool { return pos%2 == 0 }
		}
		r, err := NewReader(bytes.NewReader(data), "fuzz.vcf", opts)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		defer r.Close()
		for i := 0; i < 100000; i++ {
			rec, err := r.Next()
			if err == io.EOF {
				if _, again := r.Next(); again != io.EOF {
					t.Fatalf("Next after io.EOF: got %v", again)
				}
				break
			}
			if err != nil {
				checkFuzzErr(t, err)
				continue
			}
			checkFuzzRecord(t, r, rec)
		}
		st := r.Stats()
		if st.Records != st.Kept+st.Skipped+st.Malformed {
			t.Fatalf("stats do not add up: %+v", st)
		}
		for _, w := range r.Warnings() {
			if w.Msg == "" {
				t.Fatal("empty warning")
			}
		}
	})
}

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "fuzz.vcf" || pe.Msg == "" || !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %T %v, want a *ParseError for fuzz.vcf", err, err)
	}
}

func checkFuzzRecord(t *testing.T, r *Reader, rec *Record) {
	t.Helper()
	if rec.Chrom == "" || rec.Pos < 0 || rec.Ref == "" || rec.Line < 1 || rec.End < rec.Pos-1 {
		t.Fatalf("bad record %+v", rec)
	}
	nAlleles := 1 + len(rec.Alts)
	for i := range rec.Samples {
		s := &rec.Samples[i]
		for _, a := range s.GT {
			if a < -1 || a >= nAlleles {
				t.Fatalf("line %d: GT allele %d out of range with %d alleles", rec.Line, a, nAlleles)
			}
		}
		for k := 1; k <= len(rec.Alts); k++ {
			if v, ok := s.AltFraction(rec, k); ok && (v < 0 || v > 1) {
				t.Fatalf("line %d: AltFraction %v", rec.Line, v)
			}
		}
	}
	if len(rec.Samples) != 0 && len(rec.Samples) != len(r.Header().Samples) {
		t.Fatalf("line %d: %d samples, header has %d", rec.Line, len(rec.Samples), len(r.Header().Samples))
	}
}
