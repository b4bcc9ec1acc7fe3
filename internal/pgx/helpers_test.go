package pgx

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"github.com/precis-dx/precis/internal/oracle"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/variant"
)

func pgxData(t testing.TB, parts ...string) string {
	return filepath.Join(append([]string{oracle.Dir(t), "pgx"}, parts...)...)
}

var (
	defOnce sync.Once
	defVal  *Definition
	defErr  error
	defRaw  [2][]byte
)

// loadDef loads the real PharmCAT DPYD definition once per test binary.
func loadDef(t testing.TB) *Definition {
	t.Helper()
	tr, ph := pgxData(t, "pharmcat", "DPYD_translation.json"), pgxData(t, "pharmcat", "DPYD_phenotype.json")
	defOnce.Do(func() {
		var a, b []byte
		if a, defErr = os.ReadFile(tr); defErr != nil {
			return
		}
		if b, defErr = os.ReadFile(ph); defErr != nil {
			return
		}
		defRaw = [2][]byte{a, b}
		defVal, defErr = LoadDefinition(a, b)
	})
	if defErr != nil {
		t.Fatalf("LoadDefinition: %v", defErr)
	}
	return defVal
}

// slice is a plus-strand reference slice: base i (0-based) is chrom:start+i.
type slice struct {
	chrom string
	start int // 1-based position of the first base
	seq   string
}

// Fetch implements variant.Sequence (1-based inclusive coordinates).
func (s *slice) Fetch(chrom string, start, end int) (string, bool) {
	if !isChr1(chrom) || start < s.start || end < start || end-s.start >= len(s.seq) {
		return "", false
	}
	return s.seq[start-s.start : end-s.start+1], true
}

var (
	seqOnce sync.Once
	seqVal  *slice
	seqErr  error
)

// dpydSequence loads the GRCh38 DPYD slice of the shared data (header "NC_000001.11:start-end").
func dpydSequence(t testing.TB) *slice {
	t.Helper()
	dir := filepath.Join(oracle.Dir(t), "genes", "sequence", "GRCh38")
	seqOnce.Do(func() {
		var paths []string
		if paths, seqErr = filepath.Glob(filepath.Join(dir, "DPYD_GRCh38_*.fa")); seqErr != nil || len(paths) != 1 {
			seqErr = fmt.Errorf("DPYD slice: %v %v", paths, seqErr)
			return
		}
		var b []byte
		if b, seqErr = os.ReadFile(paths[0]); seqErr != nil {
			return
		}
		header, body, _ := bytes.Cut(b, []byte("\n"))
		span := strings.Fields(string(header))[0] // ">NC_000001.11:97075743-97926059"
		_, rng, _ := strings.Cut(span, ":")
		from, _, _ := strings.Cut(rng, "-")
		start, err := strconv.Atoi(from)
		if err != nil {
			seqErr = fmt.Errorf("DPYD slice header %q: %v", header, err)
			return
		}
		seqVal = &slice{chrom: "chr1", start: start, seq: strings.ToUpper(strings.ReplaceAll(string(body), "\n", ""))}
	})
	if seqErr != nil {
		t.Fatal(seqErr)
	}
	return seqVal
}

// vcfFile is a VCF read into per-sample sites.
type vcfFile struct {
	samples []string
	sites   [][]Site // by sample
}

// readVCF reads a plain or gzip/BGZF VCF (BGZF is multi-member gzip).
func readVCF(t testing.TB, path string) vcfFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") || strings.HasSuffix(path, ".bgz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer zr.Close()
		r = zr
	}
	v, err := parseVCF(r, dpydSequence(t))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// parseVCF is a small VCF reader for the tests: GT and PS, END= for reference blocks, ALT
// alleles normalised with variant.Normalize against seq (as the annotate pipeline does).
func parseVCF(r io.Reader, seq variant.Sequence) (vcfFile, error) {
	var v vcfFile
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "##") || strings.TrimSpace(text) == "":
			continue
		case strings.HasPrefix(text, "#CHROM"):
			f := strings.Split(text, "\t")
			if len(f) > 9 {
				v.samples = f[9:]
			}
			v.sites = make([][]Site, len(v.samples))
			continue
		}
		sites, err := parseRecord(text, seq)
		if err != nil {
			return v, fmt.Errorf("line %d: %w", line, err)
		}
		if len(sites) != len(v.samples) {
			return v, fmt.Errorf("line %d: %d samples, header has %d", line, len(sites), len(v.samples))
		}
		for i, s := range sites {
			v.sites[i] = append(v.sites[i], s)
		}
	}
	return v, sc.Err()
}

// parseRecord turns one VCF data line into one Site per sample.
func parseRecord(text string, seq variant.Sequence) ([]Site, error) {
	f := strings.Split(text, "\t")
	if len(f) < 8 {
		return nil, fmt.Errorf("%d columns", len(f))
	}
	pos, err := strconv.Atoi(f[1])
	if err != nil || pos < 1 {
		return nil, fmt.Errorf("POS %q", f[1])
	}
	base := Site{Chrom: f[0], Pos: pos, Ref: f[3], End: pos + len(f[3]) - 1, Filter: f[6]}
	symbolicOnly := true
	for _, alt := range strings.Split(f[4], ",") {
		if alt == "." {
			continue
		}
		if strings.HasPrefix(alt, "<") || alt == "*" {
			base.Alleles = append(base.Alleles, Allele{})
			continue
		}
		symbolicOnly = false
		n := variant.Normalize(variant.Variant{Chrom: f[0], Pos: pos, Ref: f[3], Alt: alt}, seq)
		base.Alleles = append(base.Alleles, Allele{Pos: n.Pos, Ref: n.Ref, Alt: n.Alt})
	}
	for _, kv := range strings.Split(f[7], ";") {
		if e, ok := strings.CutPrefix(kv, "END="); ok {
			end, err := strconv.Atoi(e)
			if err != nil || end < pos {
				return nil, fmt.Errorf("END %q", e)
			}
			base.End = end
			base.RefBlock = symbolicOnly
		}
	}
	if len(f) < 10 {
		return nil, nil
	}
	format := strings.Split(f[8], ":")
	out := make([]Site, 0, len(f)-9)
	for _, col := range f[9:] {
		s := base
		s.Alleles = append([]Allele(nil), base.Alleles...)
		vals := strings.Split(col, ":")
		for i, key := range format {
			if i >= len(vals) {
				break
			}
			switch key {
			case "GT":
				s.Phased = strings.Contains(vals[i], "|")
				for _, a := range strings.FieldsFunc(vals[i], func(r rune) bool { return r == '/' || r == '|' }) {
					if a == "." {
						s.GT = append(s.GT, -1)
						continue
					}
					n, err := strconv.Atoi(a)
					if err != nil || n < 0 {
						return nil, fmt.Errorf("GT %q", vals[i])
					}
					s.GT = append(s.GT, n)
				}
			case "PS":
				if vals[i] != "." {
					s.PhaseSet = vals[i]
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// editVCF reads a single-sample VCF, lets edit rewrite each data line's columns (nil drops
// the line) and returns the sample's sites. extra lines are appended as they are.
func editVCF(t testing.TB, path string, edit func(f []string) []string, extra ...string) []Site {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(string(testfile.Read(t, path)), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			b.WriteString(line + "\n")
			continue
		}
		f := strings.Split(line, "\t")
		if edit != nil {
			f = edit(f)
		}
		if f != nil {
			b.WriteString(strings.Join(f, "\t") + "\n")
		}
	}
	for _, line := range extra {
		b.WriteString(line + "\n")
	}
	v, err := parseVCF(strings.NewReader(b.String()), dpydSequence(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.sites) != 1 {
		t.Fatalf("%s: %d samples, want 1", path, len(v.sites))
	}
	return v.sites[0]
}

// cpicRow is one row of CPIC's DPYD diplotype -> phenotype table.
type cpicRow struct {
	score     string // "1.0"
	phenotype string // "Intermediate Metabolizer"
}

// cpicTable reads cpic/DPYD_Diplotype_Phenotype_Table.csv (CPIC download), keyed by
// diplotype ("Reference/c.1898delC (*3)").
func cpicTable(t testing.TB) map[string]cpicRow {
	t.Helper()
	text := strings.TrimPrefix(string(testfile.Read(t, pgxData(t, "cpic", "DPYD_Diplotype_Phenotype_Table.csv"))), "\ufeff")
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("CPIC table: %d rows, %v", len(recs), err)
	}
	out := map[string]cpicRow{}
	for _, f := range recs[1:] {
		out[f[0]] = cpicRow{score: f[1], phenotype: strings.TrimPrefix(f[2], "DPYD ")}
	}
	return out
}

// cpicLookup returns CPIC's row for a two-allele diplotype in either order.
func cpicLookup(t testing.TB, a, b string) cpicRow {
	t.Helper()
	tab := cpicTable(t)
	if r, ok := tab[a+"/"+b]; ok {
		return r
	}
	if r, ok := tab[b+"/"+a]; ok {
		return r
	}
	t.Fatalf("CPIC table has no %s/%s", a, b)
	return cpicRow{}
}

// score formats an activity score the way the data files write it ("1.0"), or "null".
func score(r Result) string {
	if r.ActivityScore == nil {
		return "null"
	}
	return strconv.FormatFloat(*r.ActivityScore, 'f', 1, 64)
}
