package annotate

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
	"github.com/precis-dx/precis/internal/vcf/index"
)

// Indexed is a BGZF-compressed VCF with a tabix or CSI index beside it, on local disk or in
// an object store. AnnotateIndexed calls its functions from its own goroutine, one at a
// time.
type Indexed struct {
	Name      string       // the VCF's file name or object key, shown in the report and in errors
	Size      int64        // the VCF's size in bytes
	Ranges    index.Source // reads byte ranges of the VCF
	IndexName string       // the index's file name or object key, shown in the report
	// Index opens the index as stored (.tbi or .csi, BGZF-compressed). When it returns a
	// local file (anything with ReadAt and Stat, as *os.File has) and IndexRanges is nil,
	// the index is read in part through ReadAt.
	Index func(ctx context.Context) (io.ReadCloser, error)
	// IndexRanges, when set, reads byte ranges of the index, whose size is IndexSize: only
	// the parts the ordered panels need are read (index.ReadRegions). Index is then used
	// only when that fails.
	IndexRanges index.Source
	IndexSize   int64
	// Whole opens the whole VCF. It is read only when the index cannot be used.
	Whole func(ctx context.Context) (io.ReadCloser, error)
}

// errIndexUnreadable is wrapped when the index cannot be opened or read.
var errIndexUnreadable = errors.New("annotate: index unreadable")

// AnnotateIndexed annotates a VCF through its index: it reads the header and then only the
// BGZF blocks that hold records in the ordered panels (and, when the header leaves the
// genome build open, in the GRCh37 exon regions that decide it), and annotates those
// records exactly as Annotate would. Everything after reading is the same, so the findings
// and DPYD calls are Annotate's; the report differs in input.access, in input.sha256 (of the
// bytes read), in the qc counts (of the records read), and in carrying no input_line.
//
// When the index cannot be used (unreadable, corrupt, not built for VCF, or not matching the
// file), or the text read through it is not valid VCF, the whole file is read with Annotate
// instead, and input.warnings says why: an index problem never changes the answer. A failing
// source is returned as it is, for the caller to retry.
func (a *Annotator) AnnotateIndexed(ctx context.Context, in Indexed, opts Options) (*report.Report, error) {
	opts = fill(opts)
	access := &report.Access{Mode: "indexed", ObjectBytes: in.Size, Index: in.IndexName}
	rep, err := a.indexed(ctx, in, opts, access)
	if err == nil {
		return rep, nil
	}
	if !indexProblem(err) {
		return nil, kinded(err)
	}
	rc, werr := in.Whole(ctx)
	if werr != nil {
		return nil, fmt.Errorf("%s: %w", in.Name, werr)
	}
	defer rc.Close()
	n := &countingReader{r: rc}
	rep, werr = a.Annotate(ctx, n, in.Name, opts)
	if werr != nil {
		return nil, werr
	}
	access.Mode, access.BytesRead, access.Requests = "stream", n.n, 0
	rep.Input.Access = access
	rep.Input.Warnings = append([]string{fmt.Sprintf("%s: index not used, the whole file was read: %v", in.IndexName, err)}, rep.Input.Warnings...)
	return rep, nil
}

// indexProblem reports whether err from the indexed read means the index cannot be used
// with this file, so that reading the whole file gives the answer.
func indexProblem(err error) bool {
	return errors.Is(err, errIndexUnreadable) || errors.Is(err, index.ErrCorrupt) || errors.Is(err, index.ErrMismatch) ||
		errors.Is(err, index.ErrEmpty) || IsInvalid(err)
}

func (a *Annotator) indexed(ctx context.Context, in Indexed, opts Options, access *report.Access) (*report.Report, error) {
	ix, warning, err := a.readIndex(ctx, in, opts.Panels, access)
	if err != nil {
		return nil, err
	}
	f, err := index.Open(ctx, in.Ranges, in.Size, ix)
	if err != nil {
		return nil, err
	}
	regions, err := a.regions(f.Header(), in.Name, opts.Panels)
	if err != nil {
		return nil, err
	}
	text, err := f.Query(ctx, regions)
	if err != nil {
		return nil, err
	}
	defer text.Close()
	rep, err := a.annotate(ctx, text, in.Name, opts, lines{name: in.Name, header: bytes.Count(f.Header(), []byte{'\n'})})
	if err != nil {
		return nil, err
	}
	st := f.Stats()
	rep.Input.SHA256 = st.SHA256
	access.BytesRead, access.Requests = st.BytesRead, st.Requests
	rep.Input.Access = access
	if warning != "" {
		rep.Input.Warnings = append([]string{warning}, rep.Input.Warnings...)
	}
	return rep, nil
}

// readIndex reads the index: only the parts the panels need when it can be read by ranges
// (IndexRanges, or a local file from Index), else whole. When the read in part fails, the
// index is read whole and warning says why. access.IndexSHA256 is set when the index was
// read whole (a read in part sees only some of its bytes).
func (a *Annotator) readIndex(ctx context.Context, in Indexed, panels []string, access *report.Access) (ix *index.Index, warning string, err error) {
	src, size := in.IndexRanges, in.IndexSize
	var opened io.ReadCloser
	if src == nil {
		rc, err := in.Index(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %v", errIndexUnreadable, err)
		}
		defer func() {
			if rc != nil {
				rc.Close()
			}
		}()
		if f, ok := rc.(localFile); ok {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				src, size = index.ReaderAt(f), st.Size()
			}
		}
		if src == nil {
			opened, rc = rc, nil
		}
	}
	if src != nil {
		// Every region a query may ask: the panels', and the GRCh37 regions read when the
		// header leaves the build open (regions picks from these once the header is read).
		ix, _, err := index.ReadRegions(ctx, src, size, a.candidateRegions(panels))
		if err == nil {
			return ix, "", nil
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		warning = fmt.Sprintf("%s: the index could not be read in part, it was read whole: %v", in.IndexName, err)
	}
	if opened == nil {
		if opened, err = in.Index(ctx); err != nil {
			return nil, "", fmt.Errorf("%w: %v", errIndexUnreadable, err)
		}
	}
	raw, err := io.ReadAll(io.LimitReader(opened, index.MaxBytes+1))
	opened.Close()
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errIndexUnreadable, err)
	}
	sum := sha256.Sum256(raw)
	access.IndexSHA256 = hex.EncodeToString(sum[:])
	ix, err = index.Read(bytes.NewReader(raw))
	return ix, warning, err
}

// localFile is what the index read in part needs of a file Indexed.Index opens.
type localFile interface {
	io.ReaderAt
	Stat() (fs.FileInfo, error)
}

// candidateRegions lists every region regions may return for these panels: theirs and the
// GRCh37 exon regions.
func (a *Annotator) candidateRegions(panels []string) []index.Region {
	return mergeRegions(append(a.panelRegions(panels), a.regions37(panels)...))
}

// regions37 lists the GRCh37 regions a GRCh37 input is read in: the GRCh37 exon regions
// (build evidence) and the ordered panels' regions placed on GRCh37 (grch37.go).
func (a *Annotator) regions37(panels []string) []index.Region {
	var out []index.Region
	if a.kb.GRCh37 != nil {
		for _, s := range a.kb.GRCh37.Spans() {
			out = append(out, index.Region{Chrom: s.Chrom, Start: s.Start, End: s.End})
		}
	}
	if a.b37 != nil {
		for _, reg := range a.b37.lo.Regions37Of(a.kb.Regions, panels) {
			out = append(out, index.Region{Chrom: reg.Chrom, Start: reg.Start, End: reg.End})
		}
	}
	return out
}

// panelRegions lists the ordered panels' regions.
func (a *Annotator) panelRegions(panels []string) []index.Region {
	var out []index.Region
	for _, reg := range a.kb.Regions {
		if slices.Contains(panels, reg.Panel) {
			out = append(out, index.Region{Chrom: reg.Chrom, Start: reg.Start, End: reg.End})
		}
	}
	return out
}

// regions lists what the indexed read must cover: the ordered panels' regions and, when the
// header does not settle the build on GRCh38, the GRCh37 regions (regions37: the same
// records the streaming Keep filter keeps).
func (a *Annotator) regions(header []byte, name string, panels []string) ([]index.Region, error) {
	r, err := vcf.NewReader(bytes.NewReader(header), name, vcf.Options{})
	if err != nil {
		return nil, readErr(err)
	}
	defer r.Close()
	out := a.panelRegions(panels)
	det, _ := a.headerEvidence(r.Header())
	if b, _, err := det.Decide("auto"); err != nil || b != assembly.GRCh38 {
		out = append(out, a.regions37(panels)...)
	}
	return mergeRegions(out), nil
}

// mergeRegions sorts regions and merges those that overlap or touch, so the index is asked
// once per stretch.
func mergeRegions(rs []index.Region) []index.Region {
	slices.SortFunc(rs, func(a, b index.Region) int {
		return cmp.Or(cmp.Compare(a.Chrom, b.Chrom), cmp.Compare(a.Start, b.Start))
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].Chrom == r.Chrom && r.Start <= out[n-1].End+1 {
			out[n-1].End = max(out[n-1].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
