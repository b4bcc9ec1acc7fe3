// Package transcripttest builds transcripts and genome slices from the real reference
// files under ../shared/data (see its README.md) for the tests of transcript, variant and
// hgvs. It is a test helper: production code gets transcripts and sequence from the
// knowledge base.
package transcripttest

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/precis-dx/precis/internal/oracle"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/transcript"
)

// ErrFormat reports a malformed data file.
var ErrFormat = errors.New("transcripttest: malformed file")

// DataDir returns the shared data directory (../shared/data relative to the repository
// root). When it is absent the test is skipped, or failed when CI=true.
func DataDir(tb testing.TB) string {
	tb.Helper()
	return oracle.Dir(tb)
}

// Slice is a stretch of plus-strand genome on one contig; safe for concurrent use.
type Slice struct {
	Chrom string
	Start int // 1-based position of Bases[0]
	Bases string
}

// Genome is a set of slices; it implements Fetch(chrom, start, end) as the knowledge base
// genome does. Safe for concurrent use once built.
type Genome struct {
	Slices []Slice
}

// Fetch returns the plus-strand bases start..end (1-based inclusive); ok is false when
// any base is outside every slice.
func (g *Genome) Fetch(chrom string, start, end int) (string, bool) {
	if end < start {
		return "", false
	}
	for _, s := range g.Slices {
		if s.Chrom == chrom && start >= s.Start && end < s.Start+len(s.Bases) {
			return s.Bases[start-s.Start : end-s.Start+1], true
		}
	}
	return "", false
}

// sliceFiles maps build and gene symbol to its slice under genes/sequence/{build}.
var sliceFiles = map[string]map[string]string{"GRCh38": {
	"BRCA1": "BRCA1_GRCh38_NC_000017.11_43024295-43217981.fa",
	"BRCA2": "BRCA2_GRCh38_NC_000013.11_32310480-32401672.fa",
	"DPYD":  "DPYD_GRCh38_NC_000001.11_97075743-97926059.fa",
	"MLH1":  "MLH1_GRCh38_NC_000003.12_36988350-37067889.fa",
	"MSH2":  "MSH2_GRCh38_NC_000002.12_47398124-47564311.fa",
	"MSH6":  "MSH6_GRCh38_NC_000002.12_47778147-47808953.fa",
	"PMS2":  "PMS2_GRCh38_NC_000007.14_5971239-6014106.fa",
	"EPCAM": "EPCAM_GRCh38_NC_000002.12_47340163-47389028.fa",
}, "GRCh37": {
	"BRCA1": "BRCA1_GRCh37_NC_000017.10_41176312-41370000.fa",
	"BRCA2": "BRCA2_GRCh37_NC_000013.10_32884617-32975809.fa",
	"MLH1":  "MLH1_GRCh37_NC_000003.11_37029841-37109380.fa",
}}

var (
	cacheMu sync.Mutex
	cache   = map[string]Slice{}
)

// LoadSlice reads the slice of gene on build ("GRCh38" or "GRCh37") from dataDir.
// Results are cached.
func LoadSlice(dataDir, build, gene string) (Slice, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	key := build + "/" + gene
	if s, ok := cache[key]; ok {
		return s, nil
	}
	name, ok := sliceFiles[build][gene]
	if !ok {
		return Slice{}, fmt.Errorf("no %s slice for %s: %w", build, gene, ErrFormat)
	}
	path := filepath.Join(dataDir, "genes", "sequence", build, name)
	header, bases, err := readFASTA(path)
	if err != nil {
		return Slice{}, err
	}
	// Header: ">NC_000001.11:97075743-97926059 ..."
	acc, rng, ok := strings.Cut(strings.Fields(header)[0], ":")
	if !ok {
		return Slice{}, fmt.Errorf("%s: header %q: %w", path, header, ErrFormat)
	}
	from, to, ok := strings.Cut(rng, "-")
	start, err1 := strconv.Atoi(from)
	end, err2 := strconv.Atoi(to)
	if !ok || err1 != nil || err2 != nil || end-start+1 != len(bases) {
		return Slice{}, fmt.Errorf("%s: header range %q does not fit %d bases: %w", path, rng, len(bases), ErrFormat)
	}
	chrom, err := chromOf(acc)
	if err != nil {
		return Slice{}, fmt.Errorf("%s: %w", path, err)
	}
	s := Slice{Chrom: chrom, Start: start, Bases: strings.ToUpper(bases)}
	cache[key] = s
	return s, nil
}

// NewGenome loads the GRCh38 slices of genes.
func NewGenome(dataDir string, genes ...string) (*Genome, error) {
	return NewGenomeOn(dataDir, "GRCh38", genes...)
}

// NewGenomeOn loads the slices of genes on build.
func NewGenomeOn(dataDir, build string, genes ...string) (*Genome, error) {
	g := &Genome{}
	for _, gene := range genes {
		s, err := LoadSlice(dataDir, build, gene)
		if err != nil {
			return nil, err
		}
		g.Slices = append(g.Slices, s)
	}
	return g, nil
}

// chromOf turns a RefSeq chromosome accession (NC_000003.12) into "chr3".
func chromOf(acc string) (string, error) {
	num, _, _ := strings.Cut(strings.TrimPrefix(acc, "NC_"), ".")
	n, err := strconv.Atoi(num)
	switch {
	case err != nil || n < 1 || n > 24:
		return "", fmt.Errorf("accession %q: %w", acc, ErrFormat)
	case n == 23:
		return "chrX", nil
	case n == 24:
		return "chrY", nil
	}
	return "chr" + strconv.Itoa(n), nil
}

// readFASTA reads a single-record FASTA file.
func readFASTA(path string) (header, bases string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(t, ">") {
			if header != "" {
				return "", "", fmt.Errorf("%s:%d: second record: %w", path, line, ErrFormat)
			}
			header = t[1:]
			continue
		}
		b.WriteString(t)
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	return header, b.String(), nil
}

// ReadFASTA reads a single-record FASTA file and returns its header (without '>') and
// its sequence.
func ReadFASTA(path string) (header, bases string, err error) { return readFASTA(path) }

// Transcript builds the GRCh38 model of a transcript (e.g. "NM_000249.4") from
// genes/sequence/exon_models.tsv.
func Transcript(dataDir, id string) (*transcript.Transcript, error) {
	return TranscriptOn(dataDir, "GRCh38", id)
}

// TranscriptOn builds the model of a transcript on build ("GRCh38" or "GRCh37") from
// genes/sequence/exon_models.tsv.
func TranscriptOn(dataDir, build, id string) (*transcript.Transcript, error) {
	path := filepath.Join(dataDir, "genes", "sequence", "exon_models.tsv")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Columns: transcript gene status build exon contig g_start_1based g_end_1based strand
	// tx_start tx_end cds_start_tx cds_end_tx source
	var tx *transcript.Transcript
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		c := strings.Split(sc.Text(), "\t")
		if line == 1 || len(c) < 13 || c[0] != id || c[3] != build {
			continue
		}
		n := make([]int, 0, 7)
		for _, i := range []int{4, 6, 7, 9, 10, 11, 12} {
			v, err := strconv.Atoi(c[i])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column %d: %w", path, line, i+1, ErrFormat)
			}
			n = append(n, v)
		}
		exon, gs, ge, cdsStart, cdsEnd := n[0], n[1], n[2], n[5], n[6]
		if tx == nil {
			chrom, err := chromOf(c[5])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			strand := 1
			if c[8] == "-" {
				strand = -1
			}
			tx = &transcript.Transcript{ID: id, Gene: c[1], Chrom: chrom, Strand: strand, CDSStart: cdsStart, CDSEnd: cdsEnd}
		}
		if exon != len(tx.Exons)+1 {
			return nil, fmt.Errorf("%s:%d: exon %d out of order: %w", path, line, exon, ErrFormat)
		}
		tx.Exons = append(tx.Exons, transcript.Exon{Start: gs, End: ge})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if tx == nil {
		return nil, fmt.Errorf("%s: no %s rows for %s: %w", path, build, id, ErrFormat)
	}
	return tx, nil
}
