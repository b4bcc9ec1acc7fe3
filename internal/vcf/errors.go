package vcf

import (
	"errors"
	"fmt"
	"sort"
)

var (
	// ErrMalformed is wrapped by every error that says the input itself is not usable VCF:
	// a *ParseError for a bad line, an empty, binary, truncated or corrupt file, and BCF input.
	// Callers map it to "invalid input" (exit code 3 of precis annotate).
	ErrMalformed = errors.New("vcf: malformed input")

	// ErrBCF is wrapped (beside ErrMalformed) when the input is BCF, the binary encoding of
	// VCF, which this package does not read.
	ErrBCF = errors.New("vcf: BCF input is not supported")
)

// ParseError reports input that cannot be used as VCF. Error() reads "FILE:LINE: MSG" (or
// "FILE: MSG" when the problem is not tied to a line). It is a plain value, safe to share.
type ParseError struct {
	File string // name given to NewReader or the path given to Open
	Line int    // 1-based line number in the decompressed text; 0 when no line applies
	Msg  string // what is wrong
	Err  error  // underlying cause, such as io.ErrUnexpectedEOF or ErrBCF; may be nil
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap returns ErrMalformed and, when set, the underlying cause, so that both
// errors.Is(err, ErrMalformed) and errors.Is(err, io.ErrUnexpectedEOF) can hold.
func (e *ParseError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrMalformed, e.Err}
	}
	return []error{ErrMalformed}
}

// Warning is a problem in the input that reading tolerated. It is a plain value.
type Warning struct {
	Line int    // 1-based line number in the decompressed text; 0 for a summary of repeats
	Msg  string // what is wrong
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("line %d: %s", w.Line, w.Msg)
	}
	return w.Msg
}

// Limits that keep the warning list small whatever the input: the first few occurrences of
// each kind of problem are kept with their line numbers, the rest only counted.
const (
	maxWarningsPerKind = 5
	maxWarningKinds    = 1000
)

type warningKind struct {
	count int     // occurrences, kept or not
	first Warning // first occurrence, quoted in the summary of repeats
	order int     // order of first appearance
	limit int     // occurrences kept
}

// warnings collects Warnings with bounded memory. The kind groups repeats of one problem
// (for example "info-type:DP"); it is never shown.
type warnings struct {
	list    []Warning
	kinds   map[string]*warningKind
	dropped int // warnings not kept because there were too many kinds
	total   int
}

// add records a warning; the first few of each kind are kept.
func (w *warnings) add(kind string, line int, format string, args ...any) {
	w.addN(kind, maxWarningsPerKind, line, format, args...)
}

// addOnce records a warning of which only the first of its kind is kept, and repeats are not
// summarised: for problems that recur on every record once they occur (an undefined key, a
// Number a tool never follows).
func (w *warnings) addOnce(kind string, line int, format string, args ...any) {
	w.addN(kind, 1, line, format, args...)
}

func (w *warnings) addN(kind string, limit, line int, format string, args ...any) {
	w.total++
	if w.kinds == nil {
		w.kinds = make(map[string]*warningKind)
	}
	k := w.kinds[kind]
	if k == nil {
		if len(w.kinds) >= maxWarningKinds {
			w.dropped++
			return
		}
		k = &warningKind{order: len(w.kinds), limit: limit}
		w.kinds[kind] = k
	}
	k.count++
	if k.count > k.limit {
		return
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	wa := Warning{Line: line, Msg: msg}
	if k.count == 1 {
		k.first = wa
	}
	w.list = append(w.list, wa)
}

// hasLine reports whether a warning was kept for line.
func (w *warnings) hasLine(line int) bool {
	for _, wa := range w.list {
		if wa.Line == line {
			return true
		}
	}
	return false
}

// all returns the kept warnings followed by one summary per kind (other than addOnce kinds)
// that had more occurrences than were kept.
func (w *warnings) all() []Warning {
	out := make([]Warning, len(w.list), len(w.list)+4)
	copy(out, w.list)
	var more []*warningKind
	for _, k := range w.kinds {
		if k.count > k.limit && k.limit > 1 {
			more = append(more, k)
		}
	}
	sort.Slice(more, func(i, j int) bool { return more[i].order < more[j].order })
	for _, k := range more {
		out = append(out, Warning{Msg: fmt.Sprintf("%d more like line %d: %s",
			k.count-k.limit, k.first.Line, k.first.Msg)})
	}
	if w.dropped > 0 {
		out = append(out, Warning{Msg: fmt.Sprintf("%d more warnings of other kinds not listed", w.dropped)})
	}
	return out
}
