package coverage

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
)

// ErrMalformed is returned for a callable-regions BED that cannot be read; the message
// names the file, the line and the problem.
var ErrMalformed = errors.New("coverage: malformed callable-regions BED")

// maxBEDLine bounds one line of a BED file.
const maxBEDLine = 1 << 20

// Callable is the callable part of a callable-regions BED over a set of genes. Only the
// intervals that overlap the genes' targets are kept. It is immutable after ReadBED and safe
// for concurrent reads.
type Callable struct {
	Name      string // file name or object key, as given to ReadBED
	genes     []Gene
	tallies   []*tally
	intervals int            // data lines read
	callable  int            // of which callable
	labels    map[string]int // 4th-column labels seen, for the warning
	lift      Lift           // nil: the BED is on the genes' build
}

// Lift places a callable interval (canonical contig, 1-based inclusive) of a BED on another
// build than the genes' on the genes' build: the gap-free pieces of its image, in order. The
// genes' bases between two pieces (bases the BED's build lacks) are not covered by it.
type Lift func(chrom string, start, end int) (chrom2 string, pieces [][2]int)

// ReadBED reads a callable-regions BED (plain, gzip or BGZF) from r. name is used in
// errors and in the report. minDP decides which mosdepth quantize bins count as callable
// (package comment). Header lines (#, track, browser) and empty lines are skipped, as are
// intervals on contigs that are not primary chromosomes; chr1 and 1 name the same contig.
// A line with fewer than three fields, a start or end that is not a non-negative integer,
// or an end before the start is an error wrapping ErrMalformed.
func ReadBED(r io.Reader, name string, minDP int, genes []Gene) (*Callable, error) {
	return ReadBEDLifted(r, name, minDP, genes, nil)
}

// ReadBEDLifted is ReadBED for a BED on another build than the genes': every callable
// interval is placed on the genes' build by lift (a GRCh37 BED over GRCh38 targets).
func ReadBEDLifted(r io.Reader, name string, minDP int, genes []Gene, lift Lift) (*Callable, error) {
	src := &sourceErr{r: r}
	br := bufio.NewReader(src)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br) // reads every member: BGZF is a series of gzip members
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	c := &Callable{Name: name, genes: genes, labels: map[string]int{}, lift: lift}
	for _, g := range genes {
		c.tallies = append(c.tallies, newTally(g))
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), maxBEDLine)
	line := 0
	for sc.Scan() {
		line++
		if err := c.line(sc.Bytes(), minDP); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %s", ErrMalformed, name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: %s:%d: line longer than %d bytes", ErrMalformed, name, line+1, maxBEDLine)
		}
		if src.err != nil { // the source failed, not the file's fault: a caller may retry
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		return nil, fmt.Errorf("%w: %s: after line %d: %v", ErrMalformed, name, line, err)
	}
	return c, nil
}

// sourceErr remembers an error of the source (other than io.EOF), so a failing source is
// told apart from a corrupt compressed stream.
type sourceErr struct {
	r   io.Reader
	err error
}

func (s *sourceErr) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// line reads one line of the BED.
func (c *Callable) line(b []byte, minDP int) error {
	b = bytes.TrimRight(b, "\r")
	s := string(b)
	if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") || strings.HasPrefix(s, "track") || strings.HasPrefix(s, "browser") {
		return nil
	}
	var f []string
	if strings.Contains(s, "\t") {
		f = strings.Split(s, "\t")
	} else {
		f = strings.Fields(s)
	}
	if len(f) < 3 {
		return fmt.Errorf("%d fields, want at least 3 (chrom, start, end)", len(f))
	}
	start, err := strconv.Atoi(strings.TrimSpace(f[1]))
	if err != nil || start < 0 {
		return fmt.Errorf("start %q is not a non-negative integer", f[1])
	}
	end, err := strconv.Atoi(strings.TrimSpace(f[2]))
	if err != nil || end < 0 {
		return fmt.Errorf("end %q is not a non-negative integer", f[2])
	}
	if end < start {
		return fmt.Errorf("end %d is before start %d", end, start)
	}
	c.intervals++
	ok := true
	if len(f) >= 4 {
		label := strings.TrimSpace(f[3])
		c.labels[label]++
		ok = Callable4th(label, minDP)
	}
	if !ok || end == start {
		return nil
	}
	c.callable++
	chrom, primary := vcf.CanonicalChrom(strings.TrimSpace(f[0]))
	if !primary {
		return nil
	}
	pieces := [][2]int{{start + 1, end}} // BED 0-based half-open -> 1-based inclusive
	if c.lift != nil {
		chrom, pieces = c.lift(chrom, start+1, end)
	}
	for _, t := range c.tallies {
		if t.gene.Chrom != chrom {
			continue
		}
		for _, p := range pieces {
			t.add(p[0], p[1], -1, true)
		}
	}
	return nil
}

// Callable4th reports whether a 4th-column label of a callable-regions BED marks a callable
// interval: "CALLABLE" (GATK CallableLoci; mosdepth with MOSDEPTH_Q*=CALLABLE), or a mosdepth
// --quantize bin "lo:hi" whose lower bound lo is at least minDP ("10:150", "150:inf").
func Callable4th(label string, minDP int) bool {
	if strings.EqualFold(label, "CALLABLE") {
		return true
	}
	lo, _, ok := strings.Cut(label, ":")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(lo)
	return err == nil && n >= minDP
}

// Coverage returns one entry per gene, in the order given to ReadBED. min_dp is null: a
// BED states callability, not depth.
func (c *Callable) Coverage() []report.Coverage {
	how := "by the callable regions of " + c.Name
	out := make([]report.Coverage, len(c.tallies))
	for i, t := range c.tallies {
		out[i] = t.result(SourceBED, how, false)
	}
	return out
}

// Warning says, when the BED had a 4th column but no interval counted as callable, which
// labels it had; "" otherwise. Such a file gives zero coverage everywhere, which is usually
// a BED of names (a capture design) rather than of callability.
func (c *Callable) Warning() string {
	if c.callable > 0 || len(c.labels) == 0 {
		return ""
	}
	var ls []string
	for l := range c.labels {
		ls = append(ls, strconv.Quote(l))
	}
	sort.Strings(ls)
	if len(ls) > 5 {
		ls = append(ls[:5], "...")
	}
	return fmt.Sprintf("%s: none of its %d intervals is labelled callable (labels: %s); only CALLABLE and mosdepth bins starting at the minimum depth or above count, so every gene reads as uncovered", c.Name, c.intervals, strings.Join(ls, ", "))
}
