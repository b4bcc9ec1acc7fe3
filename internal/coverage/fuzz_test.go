package coverage

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
)

// FuzzReadBED feeds arbitrary bytes to the BED reader, seeded from every file in testdata:
// it must not panic, must fail only with ErrMalformed (the input is in memory, so nothing
// else can fail), and what it accepts gives fractions between 0 and 1.
func FuzzReadBED(f *testing.F) {
	for _, b := range testfile.Glob(f, filepath.Join("testdata", "*.bed*")) {
		f.Add(b)
	}
	f.Add([]byte("chr17\t43045700\t43045750\t10:inf\n"))
	genes := brca1Like()
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ReadBED(bytes.NewReader(b), "fuzz.bed", 10, genes)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for _, cv := range c.Coverage() {
			if cv.CoveredFraction == nil || *cv.CoveredFraction < 0 || *cv.CoveredFraction > 1 {
				t.Fatalf("%s: covered fraction %v", cv.Gene, deref(cv.CoveredFraction))
			}
		}
	})
}
