package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/precis-dx/precis/internal/pipeline"
)

// MaxSize is the largest manifest accepted, in bytes: a thousand samples take about 500 kB.
const MaxSize = 4 << 20

// maxDepth bounds the nesting of the JSON document; a manifest needs 3 levels.
const maxDepth = 8

// maxValues bounds the values (objects, arrays, strings, numbers...) of the document: a
// manifest of MaxSamples samples needs about 20 each. The walker keeps a little for every
// value, so a document of tiny values must not be walked to its end.
const maxValues = 40 * MaxSamples

// Parse reads a manifest from r and checks it; name (its file name or object key) is used
// in messages. The JSON must be strict: no unknown fields, no duplicate keys, no nulls, one
// document. The first problem found is returned as an *Error carrying the line, and a value
// that looks like a personal identity number is reported (ErrIdentity) before any other
// problem, wherever it is, field names included.
//
// When name is a manifest key runs/{lab}/{run}/manifest.json, lab and run_id must match it.
// The manifest is returned normalised: the specimen "tumor" is spelled "tumour", and each
// sample without an ordering_unit takes the manifest's.
func Parse(r io.Reader, name string) (*Manifest, error) {
	name = maskPersonnummer(name)
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, &Error{Name: name, Msg: fmt.Sprintf("larger than %d bytes", MaxSize), Kind: ErrInvalid}
	}
	if !utf8.Valid(data) {
		// encoding/json would read the bad bytes as U+FFFD, and the stored manifest
		// would say something else than the parsed one.
		return nil, &Error{Name: name, Line: lineAt(data, int64(invalidUTF8(data))), Msg: "not valid UTF-8", Kind: ErrInvalid}
	}
	w := walker{data: data, lines: map[string]int{}}
	if err := w.document(); err != nil {
		err.Name = name
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		e := w.decodeError(err)
		e.Name = name
		return nil, e
	}
	if err := m.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Name, e.Line = name, w.line(e.Field)
		}
		return nil, err
	}
	if k, ok := pipeline.ParseKey(name); ok && k.Type == pipeline.KeyManifest {
		switch {
		case m.Lab != k.Lab:
			return nil, &Error{Name: name, Line: w.line("lab"), Field: "lab", Kind: ErrInvalid,
				Msg: fmt.Sprintf("%q, but the manifest is stored under lab %q", m.Lab, k.Lab)}
		case m.RunID != k.Run:
			return nil, &Error{Name: name, Line: w.line("run_id"), Field: "run_id", Kind: ErrInvalid,
				Msg: fmt.Sprintf("%q, but the manifest is stored under run %q", m.RunID, k.Run)}
		}
	}
	for i := range m.Samples {
		s := &m.Samples[i]
		if s.Specimen == "tumor" {
			s.Specimen = "tumour"
		}
		if s.OrderingUnit == "" {
			s.OrderingUnit = m.OrderingUnit
		}
	}
	return &m, nil
}

// decodeError turns an encoding/json or time error into an *Error. The walker has already
// refused syntax errors, unknown fields and nulls, so what is left is a value of the wrong
// type or a bad time; the walker's record of where each value starts names its path.
func (w *walker) decodeError(err error) *Error {
	var typeErr *json.UnmarshalTypeError
	var timeErr *time.ParseError
	switch {
	case errors.As(err, &typeErr):
		path := w.pathAt(typeErr.Offset)
		e := invalid(path, "want a JSON %s, got a JSON %s", jsonType(typeErr.Type.Kind().String()), typeErr.Value)
		e.Line = lineAt(w.data, typeErr.Offset)
		return e
	case errors.As(err, &timeErr):
		e := invalid("submitted_at", "want an RFC 3339 time such as 2026-11-23T09:30:00Z")
		e.Line = w.line("submitted_at")
		return e
	}
	e := invalid("", "%v", err)
	e.Line = 1
	return e
}

// pathAt returns the path of the innermost value that starts before byte offset off.
func (w *walker) pathAt(off int64) string {
	path := ""
	for _, s := range w.starts {
		if s.off >= off {
			break
		}
		path = s.path
	}
	return path
}

func jsonType(goKind string) string {
	switch goKind {
	case "slice":
		return "array"
	case "struct":
		return "object"
	}
	return goKind
}

// walker reads the JSON document token by token before it is decoded: it refuses syntax
// errors, duplicate keys, unknown fields, nulls and deep nesting, looks at every string,
// key and number for a personal identity number, and records the line of every value by
// its path (samples[3].sample_id) for messages.
type walker struct {
	first  *Error // the first problem other than an identity number or a syntax error
	values int    // values read so far
	data   []byte
	dec    *json.Decoder
	lines  map[string]int
	starts []start // in document order
}

type start struct {
	off  int64
	path string
}

// Fields allowed in the manifest object and in a sample object.
var (
	manifestFields = []string{"schema_version", "run_id", "lab", "genome_build", "ordering_unit", "submitted_at", "samples"}
	sampleFields   = []string{"sample_id", "vcf", "index", "callable", "vcf_sample", "specimen", "panels", "planned_drugs", "ordering_unit"}
)

// document walks the whole document. It returns at once for an identity number or a
// syntax error; other problems are noted and the walk goes on, so that an identity number
// further down is still found. Where a syntax error stops the walk, the raw text after it
// is searched for identity numbers instead.
func (w *walker) document() *Error {
	w.dec = json.NewDecoder(bytes.NewReader(w.data))
	w.dec.UseNumber()
	err := w.value("", 0, manifestFields)
	if err == nil {
		if _, terr := w.dec.Token(); terr != io.EOF {
			err = &Error{Line: lineAt(w.data, w.dec.InputOffset()), Msg: "more data after the manifest object", Kind: ErrInvalid}
		}
	}
	if err != nil && err.Kind == ErrIdentity {
		return err
	}
	if err != nil {
		if start, _, ok := findPersonnummer(string(w.data), 0); ok {
			return &Error{Line: lineAt(w.data, int64(start)), Kind: ErrIdentity,
				Msg: "the document holds something that looks like a Swedish personal identity number; manifests carry pseudonymous ids only (DESIGN.md rule 6)"}
		}
	}
	if w.first != nil {
		return w.first
	}
	return err
}

// problem notes a problem that does not stop the walk.
func (w *walker) problem(e *Error) {
	if w.first == nil {
		w.first = e
	}
}

func (w *walker) syntax(err error) *Error {
	off := w.dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		msg = "unexpected end of the document"
	}
	return &Error{Line: lineAt(w.data, off), Msg: "malformed JSON: " + msg, Kind: ErrInvalid}
}

// value reads one value at path; fields, when not nil, are the keys an object there may have.
//
// The walk stops, before anything is kept for the value, when the document is nested deeper
// than maxDepth or holds more than maxValues values: what the walker keeps per value (its
// path) grows with the depth, so a hostile document of 100,000 levels would otherwise cost
// gigabytes. Stopping is safe for the identity check: document searches the raw text then.
func (w *walker) value(path string, depth int, fields []string) *Error {
	if depth > maxDepth {
		return &Error{Field: path, Line: w.next(), Msg: fmt.Sprintf("nested too deeply (more than %d levels)", maxDepth), Kind: ErrInvalid}
	}
	if w.values++; w.values > maxValues {
		return &Error{Line: w.next(), Msg: fmt.Sprintf("more than %d values", maxValues), Kind: ErrInvalid}
	}
	off := w.nextOffset()
	line := lineAt(w.data, off)
	if _, seen := w.lines[path]; !seen {
		w.lines[path] = line
		w.starts = append(w.starts, start{off, path})
	}
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err)
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			return w.object(path, depth, fields)
		case '[':
			return w.array(path, depth)
		}
		return w.syntax(fmt.Errorf("unexpected %q", tok))
	case string:
		if LooksLikePersonnummer(tok) {
			e := identity(path, tok)
			e.Line = line
			return e
		}
		if tok == "" {
			w.problem(&Error{Line: line, Field: path, Msg: "empty; leave the field out or give a value", Kind: ErrInvalid})
		}
	case json.Number:
		if LooksLikePersonnummer(tok.String()) {
			e := identity(path, tok.String())
			e.Line = line
			return e
		}
	case nil:
		w.problem(&Error{Line: line, Field: path, Msg: "null is not allowed; leave the field out", Kind: ErrInvalid})
	}
	return nil
}

func (w *walker) object(path string, depth int, fields []string) *Error {
	seen := map[string]bool{}
	for w.dec.More() {
		line := w.next()
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err)
		}
		key := tok.(string) // the decoder allows only strings here
		field := key
		if path != "" {
			field = path + "." + key
		}
		if LooksLikePersonnummer(key) {
			e := identity(path, key)
			e.Line, e.Msg = line, "the field name "+e.Msg
			return e
		}
		if seen[key] {
			w.problem(&Error{Line: line, Field: field, Msg: "appears twice in one object", Kind: ErrInvalid})
		}
		seen[key] = true
		if fields != nil && !contains(fields, key) {
			w.problem(&Error{Line: line, Field: field, Msg: fmt.Sprintf("unknown field; allowed: %s", strings.Join(fields, ", ")), Kind: ErrInvalid})
		}
		var sub []string
		if path == "" && key == "samples" {
			sub = sampleFields // for the objects in this array
		}
		if err := w.value(field, depth+1, sub); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil {
		return w.syntax(err)
	}
	return nil
}

func (w *walker) array(path string, depth int) *Error {
	var fields []string
	if path == "samples" {
		fields = sampleFields
	}
	for i := 0; w.dec.More(); i++ {
		if err := w.value(fmt.Sprintf("%s[%d]", path, i), depth+1, fields); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil {
		return w.syntax(err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// nextOffset returns where the next token starts: the decoder's offset is the end of the
// last token, before any white space, ':' or ','.
func (w *walker) nextOffset() int64 {
	off := w.dec.InputOffset()
	for off < int64(len(w.data)) && strings.IndexByte(" \t\r\n:,", w.data[off]) >= 0 {
		off++
	}
	return off
}

// next returns the line of the next token.
func (w *walker) next() int { return lineAt(w.data, w.nextOffset()) }

// line returns the line of the value at path, or of the nearest enclosing value recorded.
func (w *walker) line(path string) int {
	for {
		if l, ok := w.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return w.lines[""]
		}
		path = path[:i]
	}
}

// invalidUTF8 returns the offset of the first byte that is not part of valid UTF-8.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}
