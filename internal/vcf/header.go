package vcf

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Header is what the meta-information lines and the #CHROM line of a VCF say.
//
// A Header is filled in by Open or NewReader and not changed afterwards, except GVCF, which the
// Reader sets when it reads a reference block (see Record.IsRefBlock). Read it from the
// goroutine that calls Next, or after reading has finished.
type Header struct {
	FileFormat string            // "VCFv4.2" (whitespace removed)
	Contigs    []Contig          // ##contig lines in order
	Reference  string            // value of ##reference= ("" if absent)
	Assembly   string            // value of ##assembly= ("" if absent)
	Samples    []string          // sample columns of the #CHROM line, in order
	Meta       []string          // every raw "##" line, in order, without its line ending
	GVCF       bool              // ##GVCFBlock lines in the header, or a reference block read
	Infos      map[string]Field  // ##INFO definitions by ID
	Formats    map[string]Field  // ##FORMAT definitions by ID
	Filters    map[string]string // ##FILTER ID -> Description
	HasFormat  bool              // the #CHROM line has a FORMAT column
}

// Contig is one ##contig line. It is a plain value.
type Contig struct {
	ID       string
	Length   int    // length= in bases; 0 if absent or not a number
	Assembly string // assembly= attribute ("" if absent)
}

// Field is one ##INFO or ##FORMAT definition. It is a plain value.
type Field struct {
	ID          string
	Number      string // "0", "1", ..., "A", "R", "G" or "."
	Type        string // "Integer", "Float", "Flag", "Character" or "String"
	Description string
}

// Reserved INFO and FORMAT keys with the Number and Type the VCF specification gives them
// (VCFv4.2 sections 1.4.2 and 1.4.4 and table 1.6.1/1.6.2 of VCFv4.3). A header that declares
// one of them differently gets a warning; a record that uses one without a header definition
// is read against these. An empty Type means the specification does not fix it.
var (
	reservedInfo = map[string]Field{
		"AA":        {Number: "1", Type: "String"},
		"AC":        {Number: "A", Type: "Integer"},
		"AF":        {Number: "A", Type: "Float"},
		"AN":        {Number: "1", Type: "Integer"},
		"BQ":        {Number: "1", Type: "Float"},
		"CIGAR":     {Number: "A", Type: "String"},
		"DB":        {Number: "0", Type: "Flag"},
		"DP":        {Number: "1", Type: "Integer"},
		"END":       {Number: "1", Type: "Integer"},
		"H2":        {Number: "0", Type: "Flag"},
		"H3":        {Number: "0", Type: "Flag"},
		"MQ":        {Number: "1"},
		"MQ0":       {Number: "1", Type: "Integer"},
		"NS":        {Number: "1", Type: "Integer"},
		"SB":        {Number: "."},
		"SOMATIC":   {Number: "0", Type: "Flag"},
		"VALIDATED": {Number: "0", Type: "Flag"},
		"1000G":     {Number: "0", Type: "Flag"},
	}
	reservedFormat = map[string]Field{
		"AD":  {Number: "R", Type: "Integer"},
		"ADF": {Number: "R", Type: "Integer"},
		"ADR": {Number: "R", Type: "Integer"},
		"DP":  {Number: "1", Type: "Integer"},
		"EC":  {Number: "A", Type: "Integer"},
		"FT":  {Number: "1", Type: "String"},
		"GL":  {Number: "G", Type: "Float"},
		"GLE": {Number: "G", Type: "String"},
		"GP":  {Number: "G", Type: "Float"},
		"GQ":  {Number: "1", Type: "Integer"},
		"GT":  {Number: "1", Type: "String"},
		"HQ":  {Number: "2", Type: "Integer"},
		"MQ":  {Number: "1", Type: "Integer"},
		"PL":  {Number: "G", Type: "Integer"},
		"PQ":  {Number: "1", Type: "Integer"},
		"PS":  {Number: "1", Type: "Integer"},
	}
)

// fixedColumns are the first eight columns of the #CHROM line.
var fixedColumns = [...]string{"#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"}

// readHeader reads the meta lines and the #CHROM line and fills r.hdr.
func (r *Reader) readHeader() error {
	h := &Header{
		Infos:   map[string]Field{},
		Formats: map[string]Field{},
		Filters: map[string]string{},
	}
	r.hdr = h
	var (
		size int
		seen = map[string]map[string]int{} // INFO/FORMAT/FILTER/ALT ID -> line first defined
	)
	for {
		line, err := r.lr.next()
		if err == errLineTooLong {
			return r.parseErr(r.lr.n, "header line longer than %d bytes", r.opts.MaxLineBytes)
		}
		if err == io.EOF {
			if r.lr.n == 0 {
				return &ParseError{File: r.name, Msg: "empty file"}
			}
			return r.parseErr(r.lr.n, "no #CHROM header line before the end of the file")
		}
		if err != nil {
			return r.readErr(err)
		}
		n := r.lr.n
		size += len(line) + 1
		if size > r.opts.MaxHeaderBytes {
			return r.parseErr(n, "header larger than %d bytes", r.opts.MaxHeaderBytes)
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return r.parseErr(n, "NUL byte in the header: this is not a text VCF")
		}
		if n == 1 {
			if bom := []byte("\xef\xbb\xbf"); bytes.HasPrefix(line, bom) {
				r.warn.add("bom", 1, "the file starts with a UTF-8 byte order mark")
				line = line[len(bom):]
			}
			if err := r.fileFormat(line); err != nil {
				return err
			}
			h.Meta = append(h.Meta, string(line))
			continue
		}
		switch {
		case bytes.HasPrefix(line, []byte("##")):
			s := string(line)
			h.Meta = append(h.Meta, s)
			r.checkMeta(n, s, seen)
		case bytes.HasPrefix(line, []byte("#CHROM")):
			return r.columns(n, string(line))
		case len(line) == 0:
			r.warn.add("header-blank", n, "empty line in the header")
		case line[0] == '#':
			r.warn.add("header-comment", n, "header line %q is neither a ##meta line nor the #CHROM line", clip(line))
		default:
			return r.parseErr(n, "data line before the #CHROM header line (or a header line without its leading ##): %q", clip(line))
		}
	}
}

// fileFormat checks the first line, which must be ##fileformat=VCFv4.x.
func (r *Reader) fileFormat(line []byte) error {
	const key = "##fileformat="
	if !bytes.HasPrefix(line, []byte(key)) {
		return r.parseErr(1, "first line must be ##fileformat=VCFv4.x, found %q", clip(line))
	}
	v := string(line[len(key):])
	if strings.TrimSpace(v) == "" {
		return r.parseErr(1, "##fileformat has no value (want VCFv4.x)")
	}
	if squeezed := strings.Join(strings.Fields(v), ""); squeezed != v {
		r.warn.add("fileformat-space", 1, "##fileformat value %q contains whitespace; read as %q", v, squeezed)
		v = squeezed
	}
	minor, ok := strings.CutPrefix(v, "VCFv4.")
	if !ok || minor == "" || strings.Trim(minor, "0123456789") != "" {
		return r.parseErr(1, "unsupported ##fileformat %q (want VCFv4.0 to VCFv4.3)", v)
	}
	r.minor, _ = strconv.Atoi(minor)
	if r.minor > 3 {
		r.warn.add("fileformat-new", 1, "##fileformat %s is newer than VCFv4.3, the latest version this reader knows; read as 4.3", v)
	}
	r.hdr.FileFormat = v
	return nil
}

// columns checks the #CHROM line and takes the sample names from it.
func (r *Reader) columns(n int, line string) error {
	cols := strings.Split(line, "\t")
	if len(cols) < len(fixedColumns) {
		if len(cols) == 1 && strings.Contains(line, " ") {
			return r.parseErr(n, "#CHROM line is not tab-separated")
		}
		return r.parseErr(n, "#CHROM line has %d columns, want at least %d (%s)", len(cols), len(fixedColumns), strings.Join(fixedColumns[:], " "))
	}
	for i, want := range fixedColumns {
		if cols[i] != want {
			return r.parseErr(n, "#CHROM line column %d is %q, want %q", i+1, cols[i], want)
		}
	}
	if len(cols) == len(fixedColumns) {
		return nil
	}
	if cols[8] != "FORMAT" {
		return r.parseErr(n, "#CHROM line column 9 is %q, want \"FORMAT\" before the sample names", cols[8])
	}
	r.hdr.HasFormat = true
	samples := cols[9:]
	if k := len(samples); k > 0 && samples[k-1] == "" {
		r.warn.add("header-trailing-tab", n, "#CHROM line ends with a tab")
		samples = samples[:k-1]
	}
	if len(samples) == 0 {
		r.warn.add("header-format-no-samples", n, "#CHROM line has a FORMAT column but no sample columns")
	}
	first := make(map[string]int, len(samples))
	for i, s := range samples {
		if s == "" {
			return r.parseErr(n, "sample column %d has an empty name", 10+i)
		}
		if j, dup := first[s]; dup {
			return r.parseErr(n, "duplicate sample name %q (columns %d and %d)", s, 10+j, 10+i)
		}
		first[s] = i
	}
	r.hdr.Samples = samples
	return nil
}

// attr is one key=value pair of a structured meta line (##KEY=<...>).
type attr struct {
	key, value string
	quoted     bool // the value was in double quotes
	hasValue   bool // there was an '='
}

// parseAttrs splits the inside of <...> into key=value pairs. Values may be double-quoted,
// with backslash escapes. It returns every problem found; it never fails.
func parseAttrs(s string) ([]attr, []string) {
	var (
		out      []attr
		problems []string
	)
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '=' && s[j] != ',' {
			j++
		}
		key := s[i:j]
		if j == len(s) || s[j] == ',' {
			problems = append(problems, fmt.Sprintf("field %q is not key=value", key))
			out = append(out, attr{key: key})
			i = j + 1
			continue
		}
		j++ // '='
		if j < len(s) && s[j] == '"' {
			var b strings.Builder
			k, closed := j+1, false
			for ; k < len(s); k++ {
				if s[k] == '\\' && k+1 < len(s) {
					k++
					b.WriteByte(s[k])
					continue
				}
				if s[k] == '"' {
					closed = true
					break
				}
				b.WriteByte(s[k])
			}
			out = append(out, attr{key: key, value: b.String(), quoted: true, hasValue: true})
			if !closed {
				problems = append(problems, fmt.Sprintf("%s value has no closing quote", key))
				break
			}
			k++ // closing quote
			if k < len(s) && s[k] != ',' {
				problems = append(problems, fmt.Sprintf("%s value has an unescaped quote (text after the closing quote)", key))
				for k < len(s) && s[k] != ',' {
					k++
				}
			}
			i = k + 1
			continue
		}
		k := j
		for k < len(s) && s[k] != ',' {
			k++
		}
		v := s[j:k]
		if strings.ContainsRune(v, '"') {
			problems = append(problems, fmt.Sprintf("%s value %q contains a quote but is not quoted", key, v))
		}
		out = append(out, attr{key: key, value: v, hasValue: true})
		i = k + 1
	}
	return out, problems
}

func findAttr(attrs []attr, key string) (attr, int) {
	for i, a := range attrs {
		if a.key == key {
			return a, i
		}
	}
	return attr{}, -1
}

// checkMeta validates one ## line (VCFv4.2 section 1.2, VCFv4.3 section 1.4), records what
// the Header needs from it.
func (r *Reader) checkMeta(n int, line string, seen map[string]map[string]int) {
	body := line[2:]
	key, value, ok := strings.Cut(body, "=")
	if !ok {
		r.warn.add("meta-kv", n, "meta line %q is not ##key=value", clip([]byte(line)))
		return
	}
	if key == "" || strings.IndexFunc(key, func(c rune) bool { return c == ' ' || c == '\t' || c == '<' || c == '>' }) >= 0 {
		r.warn.add("meta-key", n, "meta line key %q is not valid", key)
	}
	if value == "" {
		r.warn.add("meta-empty", n, "meta line ##%s= has an empty value", key)
		return
	}
	switch {
	case key == "fileformat":
		r.warn.add("meta-fileformat", n, "second ##fileformat line")
	case key == "reference":
		if r.hdr.Reference == "" {
			r.hdr.Reference = value
		}
	case key == "assembly":
		if r.hdr.Assembly == "" {
			r.hdr.Assembly = value
		}
		if strings.Contains(value, "://") {
			if msg := badURL(value); msg != "" {
				r.warn.add("meta-url", n, "##assembly URL %q is not valid: %s", value, msg)
			}
		}
	case key == "pedigreeDB":
		u := value
		if strings.HasPrefix(u, "<") {
			if !strings.HasSuffix(u, ">") {
				r.warn.add("meta-open", n, "##pedigreeDB=<...> is not closed with '>'")
			}
			u = strings.TrimSuffix(strings.TrimPrefix(u, "<"), ">")
		}
		if u == "" {
			r.warn.add("meta-empty", n, "##pedigreeDB has no URL")
		} else if msg := badURL(u); msg != "" {
			r.warn.add("meta-url", n, "##pedigreeDB URL %q is not valid: %s", u, msg)
		}
	case strings.HasPrefix(key, "GVCFBlock"):
		r.hdr.GVCF = true
	case key == "INFO", key == "FORMAT", key == "FILTER", key == "ALT", key == "contig", key == "SAMPLE", key == "PEDIGREE":
		r.checkStructured(n, key, value, seen)
	}
}

// checkStructured validates a ##KEY=<...> line of a kind the specification defines (VCFv4.3
// section 1.4: comma-separated key=value fields, values in double quotes where they may hold
// commas, with \" and \\ escapes) and records the INFO, FORMAT and FILTER definitions and the
// contigs in the Header.
func (r *Reader) checkStructured(n int, key, value string, seen map[string]map[string]int) {
	if !strings.HasPrefix(value, "<") {
		r.warn.add("meta-structure", n, "##%s value should be <...>", key)
		return
	}
	inner := value[1:]
	if strings.HasSuffix(inner, ">") {
		inner = inner[:len(inner)-1]
	} else {
		r.warn.add("meta-open", n, "##%s=<... is not closed with '>'", key)
	}
	attrs, problems := parseAttrs(inner)
	for _, p := range problems {
		r.warn.add("meta-syntax", n, "##%s: %s", key, p)
	}
	id, idAt := findAttr(attrs, "ID")
	if key != "PEDIGREE" && (idAt < 0 || id.value == "") {
		r.warn.add("meta-id", n, "##%s line has no ID", key)
	}
	if idAt >= 0 && key != "PEDIGREE" && key != "contig" {
		ids := seen[key]
		if ids == nil {
			ids = map[string]int{}
			seen[key] = ids
		}
		if first, dup := ids[id.value]; dup {
			r.warn.add("meta-dup", n, "##%s ID %s is defined again (first at line %d)", key, id.value, first)
		} else {
			ids[id.value] = n
		}
	}
	switch key {
	case "INFO", "FORMAT":
		r.checkDefinition(n, key, attrs)
		r.define(key, attrs)
	case "ALT":
		r.checkAltDefinition(n, attrs)
	case "FILTER":
		r.checkDescription(n, key, attrs)
		if idAt >= 0 && id.value != "" {
			d, _ := findAttr(attrs, "Description")
			r.hdr.Filters[id.value] = d.value
		}
	case "contig":
		if idAt >= 0 && id.value != "" && strings.ContainsAny(id.value, " \t,<>\"'=") {
			r.warn.add("meta-contig-id", n, "##contig ID %q contains whitespace, a comma, a quote, '=' or an angle bracket", id.value)
		}
		c := Contig{ID: id.value}
		if l, at := findAttr(attrs, "length"); at >= 0 {
			if v, err := strconv.Atoi(l.value); err != nil || v < 0 {
				r.warn.add("meta-contig-length", n, "##contig %s length %q is not a non-negative integer", id.value, l.value)
			} else {
				c.Length = v
			}
		}
		asm, _ := findAttr(attrs, "assembly")
		c.Assembly = asm.value
		// A field that is not key=value (a comma inside an unquoted ID, say) leaves the line's
		// meaning unsure (a meta-syntax warning says so): the contig is not recorded.
		if idAt >= 0 && !slices.ContainsFunc(attrs, func(a attr) bool { return !a.hasValue }) {
			r.hdr.Contigs = append(r.hdr.Contigs, c)
		}
	case "SAMPLE":
		for _, a := range attrs {
			if a.quoted && a.key != "Description" {
				r.warn.add("meta-sample", n, "##SAMPLE %s value should not be quoted (only Description is)", a.key)
			}
		}
		g, gAt := findAttr(attrs, "Genomes")
		m, mAt := findAttr(attrs, "Mixture")
		switch {
		case mAt >= 0 && gAt < 0:
			r.warn.add("meta-sample", n, "##SAMPLE has Mixture but no Genomes field")
		case gAt >= 0 && mAt >= 0 && strings.Count(g.value, ";") != strings.Count(m.value, ";"):
			r.warn.add("meta-sample", n, "##SAMPLE Genomes and Mixture list different numbers of items")
		}
	case "PEDIGREE":
		for _, a := range attrs {
			if a.hasValue && !isPedigreeID(a.value) {
				r.warn.add("meta-pedigree", n, "##PEDIGREE %s genome ID %q may only use letters, digits, '_', '.' and '-'", a.key, a.value)
			}
		}
	}
}

// checkDefinition validates an ##INFO or ##FORMAT line: ID, Number, Type and Description in
// that order (VCFv4.2 section 1.2.2), values from the allowed sets, and the reserved keys.
func (r *Reader) checkDefinition(n int, key string, attrs []attr) {
	r.checkAttrOrder(n, key, attrs)
	id, _ := findAttr(attrs, "ID")
	if id.value != "" && !isKey(id.value) {
		r.warn.add("meta-def-id", n, "##%s ID %q is not a valid key ([A-Za-z_][0-9A-Za-z_.]*)", key, id.value)
	}
	num, numAt := findAttr(attrs, "Number")
	typ, typAt := findAttr(attrs, "Type")
	if numAt < 0 {
		r.warn.add("meta-def-number", n, "##%s %s has no Number", key, id.value)
	} else if !validNumber(num.value) {
		r.warn.add("meta-def-number", n, "##%s %s Number=%s is not an integer, A, R, G or '.'", key, id.value, num.value)
	}
	if typAt < 0 {
		r.warn.add("meta-def-type", n, "##%s %s has no Type", key, id.value)
	} else if !validType(typ.value) {
		r.warn.add("meta-def-type", n, "##%s %s Type=%s is not Integer, Float, Flag, Character or String", key, id.value, typ.value)
	} else if key == "FORMAT" && typ.value == "Flag" {
		r.warn.add("meta-def-type", n, "##FORMAT %s Type=Flag is not allowed in FORMAT", id.value)
	}
	r.checkDescription(n, key, attrs)
	reserved := reservedInfo
	if key == "FORMAT" {
		reserved = reservedFormat
	}
	if want, ok := reserved[id.value]; ok && numAt >= 0 && typAt >= 0 {
		if (want.Number != "." && num.value != want.Number) || (want.Type != "" && typ.value != want.Type) {
			wantType := want.Type
			if wantType == "" {
				wantType = typ.value
			}
			r.warn.add("meta-reserved", n, "##%s %s is declared Number=%s,Type=%s; the VCF specification reserves it as Number=%s,Type=%s",
				key, id.value, num.value, typ.value, want.Number, wantType)
		}
	}
}

// define records an ##INFO or ##FORMAT definition in the Header; a later definition of an ID
// replaces an earlier one (checkStructured warned about it). A line without an ID, or without
// a valid Number and Type, defines nothing (checkDefinition warned about it): records are read
// against the reserved definition of the key, or none.
func (r *Reader) define(key string, attrs []attr) {
	id, _ := findAttr(attrs, "ID")
	num, _ := findAttr(attrs, "Number")
	typ, _ := findAttr(attrs, "Type")
	if id.value == "" || !validNumber(num.value) || !validType(typ.value) {
		return
	}
	d, _ := findAttr(attrs, "Description")
	f := Field{ID: id.value, Number: num.value, Type: typ.value, Description: d.value}
	if key == "FORMAT" {
		r.hdr.Formats[f.ID] = f
	} else {
		r.hdr.Infos[f.ID] = f
	}
}

// checkAltDefinition validates an ##ALT line (VCFv4.2 section 1.2.5).
func (r *Reader) checkAltDefinition(n int, attrs []attr) {
	r.checkAttrOrder(n, "ALT", attrs)
	id, _ := findAttr(attrs, "ID")
	if id.value != "" {
		if strings.ContainsAny(id.value, " \t,<>") {
			r.warn.add("meta-alt-id", n, "##ALT ID %q contains whitespace, a comma or an angle bracket", id.value)
		} else if typ, _, _ := strings.Cut(id.value, ":"); !knownSVType(typ) {
			r.warn.add("meta-alt-id", n, "##ALT ID %q does not start with a structural variant type (DEL, INS, DUP, INV, CNV, BND)", id.value)
		}
	}
	if num, at := findAttr(attrs, "Number"); at >= 0 && !validNumber(num.value) {
		r.warn.add("meta-def-number", n, "##ALT %s Number=%s is not an integer, A, R, G or '.'", id.value, num.value)
	}
	if typ, at := findAttr(attrs, "Type"); at >= 0 && !validType(typ.value) {
		r.warn.add("meta-def-type", n, "##ALT %s Type=%s is not Integer, Float, Flag, Character or String", id.value, typ.value)
	}
	r.checkDescription(n, "ALT", attrs)
}

func (r *Reader) checkDescription(n int, key string, attrs []attr) {
	id, _ := findAttr(attrs, "ID")
	d, at := findAttr(attrs, "Description")
	switch {
	case at < 0:
		r.warn.add("meta-description", n, "##%s %s has no Description", key, id.value)
	case !d.quoted:
		r.warn.add("meta-description", n, "##%s %s Description must be in double quotes", key, id.value)
	}
}

// checkAttrOrder warns when ID, Number, Type and Description are present but not in this order.
func (r *Reader) checkAttrOrder(n int, key string, attrs []attr) {
	want := []string{"ID", "Number", "Type", "Description"}
	last := -1
	for _, w := range want {
		_, at := findAttr(attrs, w)
		if at < 0 {
			continue
		}
		if at < last {
			r.warn.add("meta-order", n, "##%s fields are out of order: ID, Number, Type and Description must come first, in this order", key)
			return
		}
		last = at
	}
	if _, at := findAttr(attrs, "ID"); at > 0 {
		r.warn.add("meta-order", n, "##%s fields are out of order: ID must come first", key)
	}
}

func validNumber(s string) bool {
	switch s {
	case "A", "R", "G", ".":
		return true
	}
	_, err := strconv.ParseUint(s, 10, 31)
	return err == nil
}

func validType(s string) bool {
	switch s {
	case "Integer", "Float", "Flag", "Character", "String":
		return true
	}
	return false
}

// isKey reports whether s is a valid INFO/FORMAT key: [A-Za-z_][0-9A-Za-z_.]* or "1000G"
// (VCFv4.3 section 1.6.1, which also allows the reserved 1000G).
func isKey(s string) bool {
	if s == "1000G" {
		return true
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_':
		case (c >= '0' && c <= '9') || c == '.':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// knownSVType reports whether an ALT ID starts with a type the specification lists (VCFv4.3
// section 1.4.5: DEL, INS, DUP, INV, CNV; BND in 4.4), GATK's NON_REF, the gVCF "*", or the
// copy-number alleles CN0, CN1, ... of the 1000 Genomes structural variant calls.
func knownSVType(s string) bool {
	switch s {
	case "DEL", "INS", "DUP", "INV", "CNV", "BND", "NON_REF", "*":
		return true
	}
	if rest, ok := strings.CutPrefix(s, "CN"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
		return true
	}
	return false
}

func isPedigreeID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// badURL returns why s is not a usable URL, or "".
func badURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return err.Error()
	}
	if u.Scheme == "" {
		return "no scheme"
	}
	if u.Scheme == "file" {
		return ""
	}
	host := u.Hostname()
	if host == "" {
		return "no host"
	}
	if net.ParseIP(host) != nil {
		return ""
	}
	// A domain name's last label cannot be all digits (RFC 3696 section 2).
	labels := strings.Split(host, ".")
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return fmt.Sprintf("host %q is neither an IP address nor a domain name", host)
	}
	return ""
}

// clip shortens a line for an error message.
func clip(b []byte) string {
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
