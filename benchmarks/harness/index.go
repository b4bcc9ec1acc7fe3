package harness

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/biogo/hts/bgzf"
	"github.com/biogo/hts/bgzf/index"
	"github.com/biogo/hts/tabix"
)

// ErrIndex reports a VCF the tabix writer cannot index.
var ErrIndex = errors.New("harness: tabix index")

// tileWidth is the width of a tabix linear-index tile (SAM/BAM specification, section 5.1.3,
// "16 kb"; tabix uses the same scheme).
const tileWidth = 1 << 14

// vcfRecord is a VCF record as the tabix index sees it: contig and a 0-based half-open span.
type vcfRecord struct {
	chrom      string
	start, end int // 0-based, end exclusive
}

func (r vcfRecord) RefName() string { return r.chrom }
func (r vcfRecord) Start() int      { return r.start }
func (r vcfRecord) End() int        { return r.end }

// Index writes a tabix index (path + ".tbi") for a sorted BGZF-compressed VCF with biogo/hts
// tabix, and returns the number of records indexed. The span of a record is POS-1 to
// POS-1+len(REF) (0-based, end exclusive); INFO END is not read. A record crossing a 16 kb
// tile boundary (a long deletion, a symbolic allele) is refused with ErrIndex: such files
// are indexed with `tabix -p vcf` instead (see tiles).
func Index(path string) (records int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrIndex, err)
	}
	defer f.Close()
	r, err := bgzf.NewReader(f, 0)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrIndex, path, err)
	}
	defer r.Close()
	r.Blocked = true // a Read stops at the end of a BGZF block, so offsets within it are known

	idx := tabix.New()
	idx.Format = 2 // VCF (tabix format field, htslib tbx.h TBX_VCF)
	idx.NameColumn, idx.BeginColumn, idx.EndColumn = 1, 2, 0
	idx.MetaChar = '#'

	t := &tiles{idx: idx}
	buf := make([]byte, 1<<16)
	var line []byte
	var begin bgzf.Offset // virtual offset of the first byte of line
	inLine, lineNo := false, 0
	for {
		n, rerr := r.Read(buf)
		base := r.LastChunk().Begin // virtual offset of buf[0]
		for i := 0; i < n; {
			if !inLine {
				begin, inLine = bgzf.Offset{File: base.File, Block: base.Block + uint16(i)}, true
			}
			j := bytes.IndexByte(buf[i:n], '\n')
			if j < 0 {
				line = append(line, buf[i:n]...)
				break
			}
			line = append(line, buf[i:i+j]...)
			lineNo++
			e := int(base.Block) + i + j + 1
			if e > 0xffff {
				return records, fmt.Errorf("%w: %s: BGZF block longer than 65535 bytes", ErrIndex, path)
			}
			end := bgzf.Offset{File: base.File, Block: uint16(e)}
			if len(line) > 0 && line[0] != '#' {
				rec, perr := parseSpan(line)
				if perr == nil {
					perr = t.add(rec, bgzf.Chunk{Begin: begin, End: end})
				}
				if perr != nil {
					return records, fmt.Errorf("%w: %s line %d: %v", ErrIndex, path, lineNo, perr)
				}
				records++
			}
			line, inLine = line[:0], false
			i += j + 1
		}
		if rerr == io.EOF && n == 0 {
			break
		}
		if rerr != nil && rerr != io.EOF {
			return records, fmt.Errorf("%w: %s: %v", ErrIndex, path, rerr)
		}
	}
	if len(line) > 0 {
		return records, fmt.Errorf("%w: %s line %d: no newline at the end of the file", ErrIndex, path, lineNo+1)
	}
	if err := t.flush(); err != nil {
		return records, fmt.Errorf("%w: %s: %v", ErrIndex, path, err)
	}
	idx.MergeChunks(index.Adjacent)
	return records, writeTBI(path+".tbi", idx)
}

// tiles feeds records to a biogo/hts v1.4.5 tabix.Index one 16 kb tile at a time, working
// around that version's writer (the tests check the result against htslib's `tabix` and
// against biogo's own reader, which Precis's indexed reading uses):
//   - Index.Add never records a new contig in its name map, so every record would start a
//     new reference: the map IDs returns is filled in here.
//   - Add scans every bin of the reference for each record, quadratic in a whole genome:
//     the records of one tile, which share its bin, are added as one chunk. The index's
//     per-contig record count (the pseudo-bin's "mapped") therefore counts tiles.
//   - Add's linear index leaves out a record's own tile when the tiles before it are
//     empty, so a reader would find nothing in the last tile of a contig, and it panics
//     when a record ends on a tile boundary. After empty tiles, a tile is added with End()
//     at the tile's end, which makes Add record the tile's first offset; otherwise with
//     End() inside the tile, which appends it (cheaper: each empty stretch makes Add copy
//     the whole linear index). Either way the bin stays the record's (bins are computed
//     from End()-1).
//
// Every record must lie inside one tile (the generated files' do: their random records are
// SNVs, and Plants keeps planted variants so); a record crossing a tile boundary is an
// error.
type tiles struct {
	idx     *tabix.Index
	linear  int // length of the current contig's linear index inside idx, mirrored
	pending bool
	run     vcfRecord  // the records of the current tile: contig, first start, last end
	chunk   bgzf.Chunk // their bytes
}

func (t *tiles) add(rec vcfRecord, c bgzf.Chunk) error {
	if rec.start/tileWidth != (rec.end-1)/tileWidth {
		return fmt.Errorf("record %s:%d crosses a 16 kb tabix tile boundary (index the file with tabix -p vcf)", rec.chrom, rec.start+1)
	}
	if t.pending && rec.chrom == t.run.chrom && rec.start/tileWidth == t.run.start/tileWidth {
		if rec.start < t.run.start {
			return fmt.Errorf("%s:%d after %d: not sorted", rec.chrom, rec.start+1, t.run.start+1)
		}
		t.run.end = max(t.run.end, rec.end)
		t.chunk.End = c.End
		return nil
	}
	if err := t.flush(); err != nil {
		return err
	}
	t.run, t.chunk, t.pending = rec, c, true
	return nil
}

func (t *tiles) flush() (err error) {
	if !t.pending {
		return nil
	}
	t.pending = false
	rec := t.run
	tile := rec.start / tileWidth
	ids := t.idx.IDs()
	_, known := ids[rec.chrom]
	if !known {
		t.linear = 0
	}
	if t.linear == tile {
		rec.end = min(rec.end, (tile+1)*tileWidth-1) // End()/16384 == tile: appended
	} else {
		rec.end = (tile + 1) * tileWidth // End()/16384 == tile+1: tiles up to tile set
	}
	t.linear = tile + 1
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("biogo/hts tabix: %v", p)
		}
	}()
	if err := t.idx.Add(rec, t.chunk, true, true); err != nil {
		return fmt.Errorf("%s:%d: %w", rec.chrom, rec.start+1, err)
	}
	if !known {
		names := t.idx.Names()
		ids[rec.chrom] = len(names) - 1
	}
	return nil
}

// parseSpan reads CHROM, POS and REF of a VCF data line.
func parseSpan(line []byte) (vcfRecord, error) {
	var cols [4][]byte
	rest := line
	for k := 0; k < 4; k++ {
		t := bytes.IndexByte(rest, '\t')
		if t < 0 {
			return vcfRecord{}, fmt.Errorf("fewer than 5 tab-separated columns")
		}
		cols[k], rest = rest[:t], rest[t+1:]
	}
	pos, err := strconv.Atoi(string(cols[1]))
	if err != nil || pos < 1 {
		return vcfRecord{}, fmt.Errorf("POS %q is not a positive integer", cols[1])
	}
	if len(cols[3]) == 0 {
		return vcfRecord{}, fmt.Errorf("empty REF")
	}
	return vcfRecord{chrom: string(cols[0]), start: pos - 1, end: pos - 1 + len(cols[3])}, nil
}

// writeTBI writes idx BGZF-compressed, as the tabix format requires, under a temporary name
// renamed into place.
func writeTBI(path string, idx *tabix.Index) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrIndex, err)
	}
	defer os.Remove(tmp)
	zw, err := bgzf.NewWriterLevel(f, gzip.DefaultCompression, 1)
	if err != nil {
		f.Close()
		return fmt.Errorf("%w: %v", ErrIndex, err)
	}
	bw := bufio.NewWriterSize(zw, 1<<16) // WriteTo writes field by field
	err = tabix.WriteTo(bw, idx)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: write %s: %v", ErrIndex, path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%w: %v", ErrIndex, err)
	}
	return nil
}
