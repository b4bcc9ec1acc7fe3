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
	s := e.del + e.ins // one of them is empty
	n := len(s)
	moved := 0
	for {
		// next is the base the edit would move over; it must equal the base the edit
		// gives up at its other end.
		var g int
		var last byte
		switch {
		case dir > 0 && e.isDeletion():
			g, last = e.end+1+moved, s[moved%n]
		case dir > 0:
			g, last = e.start+moved, s[moved%n] // an insertion sits between end and start
		case e.isDeletion():
			g, last = e.start-1-moved, s[n-1-moved%n]
		default:
			g, last = e.end-moved, s[n-1-moved%n]
		}
		next, ok := r.base(g)
		if !ok || next != last {
			return e.moved(moved * dir), ok
		}
		moved++
	}
}

// moved returns e shifted by m positions (m > 0 toward higher positions) through a
// repeat: its bases rotate as it moves.
func (e edit) moved(m int) edit {
	s := e.del + e.ins
	n := len(s)
	k := ((m % n) + n) % n
	s = s[k:] + s[:k]
	if e.isDeletion() {
		e.del = s
	} else {
		e.ins = s
	}
	e.start += m
	e.end += m
	return e
}
