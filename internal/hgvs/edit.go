package hgvs

import "strings"

// edit is a variant reduced to its changed bases: the plus-strand bases start..end
// (1-based, inclusive) are replaced by ins. A pure insertion has end == start-1 and
// sits between end and start; a pure deletion has ins == "".
type edit struct {
	start, end int    // 1-based inclusive, plus strand; end = start-1 for an insertion
	del        string // the deleted plus-strand bases (len end-start+1)
	ins        string // the inserted plus-strand bases
}

// newEdit trims the bases ref and alt share, first at the right end and then at the
// left, so that only the changed bases remain. pos is the 1-based position of ref[0].
func newEdit(pos int, ref, alt string) edit {
	for len(ref) > 0 && len(alt) > 0 && ref[len(ref)-1] == alt[len(alt)-1] {
		ref, alt = ref[:len(ref)-1], alt[:len(alt)-1]
	}
	for len(ref) > 0 && len(alt) > 0 && ref[0] == alt[0] {
		ref, alt, pos = ref[1:], alt[1:], pos+1
	}
	return edit{start: pos, end: pos + len(ref) - 1, del: ref, ins: alt}
}

func (e edit) isInsertion() bool { return e.del == "" }
func (e edit) isDeletion() bool  { return e.ins == "" }

// reader reads plus-strand bases of one contig through a Sequence, keeping the last
// window it fetched.
type reader struct {
	seq   Sequence
	chrom string
	start int    // 1-based position of buf[0]
	buf   string // upper case
}

// window is how many bases reader fetches around a requested one.
const window = 64

// base returns the plus-strand base at the 1-based position pos.
func (r *reader) base(pos int) (byte, bool) {
	if pos >= r.start && pos < r.start+len(r.buf) {
		return r.buf[pos-r.start], true
	}
	if r.seq == nil || pos < 1 {
		return 0, false
	}
	from := max(1, pos-window)
	if s, ok := r.seq.Fetch(r.chrom, from, pos+window); ok && len(s) == pos+window-from+1 {
		r.start, r.buf = from, strings.ToUpper(s)
		return r.buf[pos-from], true
	}
	s, ok := r.seq.Fetch(r.chrom, pos, pos)
	if !ok || len(s) != 1 {
		return 0, false
	}
	r.start, r.buf = pos, strings.ToUpper(s)
	return r.buf[0], true
}

// span returns the plus-strand bases start..end (1-based inclusive).
func (r *reader) span(start, end int) (string, bool) {
	if end < start {
		return "", true
	}
	if start >= r.start && end < r.start+len(r.buf) {
		return r.buf[start-r.start : end-r.start+1], true
	}
	if r.seq == nil || start < 1 {
		return "", false
	}
	s, ok := r.seq.Fetch(r.chrom, start, end)
	if !ok || len(s) != end-start+1 {
		return "", false
	}
	return strings.ToUpper(s), true
}

// shift moves a pure insertion or deletion through a repeat as far as it goes in
// direction dir (+1: toward higher positions, -1: toward lower). The HGVS 3' rule
// (https://hgvs-nomenclature.org/stable/background/numbering/) is shift(+1) on the plus
// strand and shift(-1) for a transcript on the minus strand. ok is false when a base
// needed to decide is unknown: the edit may then not be fully shifted.
func shift(e edit, dir int, r *reader) (edit, bool) {
	if !e.isInsertion() && !e.isDeletion() {
		return e, true
	}
	for {
		var next, last byte // the base the edit would move over, and the one it gives up
		var ok bool
		switch {
		case e.isDeletion() && dir > 0:
			next, ok = r.base(e.end + 1)
			last = e.del[0]
		case e.isDeletion():
			next, ok = r.base(e.start - 1)
			last = e.del[len(e.del)-1]
		case dir > 0:
			next, ok = r.base(e.start) // insertion sits between e.end and e.start
			last = e.ins[0]
		default:
			next, ok = r.base(e.end)
			last = e.ins[len(e.ins)-1]
		}
		if !ok {
			return e, false
		}
		if next != last {
			return e, true
		}
		switch {
		case e.isDeletion() && dir > 0:
			e.del = e.del[1:] + string(next)
		case e.isDeletion():
			e.del = string(next) + e.del[:len(e.del)-1]
		case dir > 0:
			e.ins = e.ins[1:] + string(next)
		default:
			e.ins = string(next) + e.ins[:len(e.ins)-1]
		}
		e.start += dir
		e.end += dir
	}
}
