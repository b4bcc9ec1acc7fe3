package vcf

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Record is one data line. Its strings share one allocation with the line they come from.
// A Record is not changed by the Reader after Next returns it; it is safe for concurrent
// reads.
type Record struct {
	Line    int      // 1-based line number in the (decompressed) file
	Chrom   string   // as in the file
	Pos     int      // 1-based position of the first base of Ref (0 marks a telomere)
	ID      string   // raw ID column ("." when missing)
	Ref     string   // upper-cased bases
	Alts    []string // "." -> empty; base alleles upper-cased; symbolic alleles and breakends as written (<DEL>, <NON_REF>, <*>, ]chr2:100]A)
	Qual    float64  // NaN when "."
	Filter  string   // "PASS", "." or the raw value ("q10;s50")
	Info    string   // raw INFO column ("." when empty); see InfoValue
	End     int      // 1-based, inclusive: INFO END= if present and not before Pos, else Pos+len(Ref)-1
	Format  []string // FORMAT keys, shared with other records that have the same FORMAT; do not modify
	Samples []Sample // one per sample column, in header order
}

// Sample is one sample column of a Record. Like the Record, it is not changed after Next
// returns it.
type Sample struct {
	GT     []int    // allele index per haplotype (0 = REF), -1 for "."; nil when FORMAT has no GT (Strelka somatic)
	Phased bool     // every GT separator is '|' (a haploid call counts as phased)
	PS     string   // FORMAT PS phase set, "" if absent or "."
	DP     int      // FORMAT DP, -1 if absent, missing or not an integer
	AD     []int    // FORMAT AD (REF depth first), nil if absent, missing or not all integers
	Keys   []string // the record's FORMAT keys (shared; do not modify)
	Values []string // raw values in FORMAT order; shorter than Keys when trailing fields are dropped
}

// Field returns the raw value of a FORMAT key for this sample. ok is false when the key is
// not in FORMAT or the sample dropped it (VCFv4.3 section 1.6.2 allows dropping trailing
// fields); a missing value is returned as ".".
func (s *Sample) Field(key string) (value string, ok bool) {
	for i, k := range s.Keys {
		if k == key {
			if i < len(s.Values) {
				return s.Values[i], true
			}
			return "", false
		}
	}
	return "", false
}

// InfoValue returns the value of an INFO key: ("", true) for a flag, ok false when absent.
// (The raw INFO text is the Info field.)
func (r *Record) InfoValue(key string) (value string, ok bool) {
	for rest := r.Info; rest != ""; {
		entry, tail, _ := strings.Cut(rest, ";")
		k, v, _ := strings.Cut(entry, "=")
		if k == key {
			return v, true
		}
		rest = tail
	}
	return "", false
}

// IsRefBlock reports whether the record is a gVCF reference block: every ALT is <NON_REF>
// (GATK) or <*> (DeepVariant, VCFv4.3 section 5.5), or ALT is "." and END lies beyond POS.
func (r *Record) IsRefBlock() bool {
	if len(r.Alts) == 0 {
		return r.End > r.Pos
	}
	for _, a := range r.Alts {
		if a != "<NON_REF>" && a != "<*>" {
			return false
		}
	}
	return true
}

// IsSymbolic reports whether an ALT allele is not a plain base sequence: a symbolic allele
// (<DEL>, <NON_REF>, <*>), a breakend (G]17:198982], .A, A.) or the "*" of an overlapping
// deletion (VCFv4.3 sections 1.6.1 and 5.4).
func IsSymbolic(alt string) bool {
	if alt == "" {
		return false
	}
	return alt[0] == '<' || alt == "*" || strings.ContainsAny(alt, "[]") ||
		(len(alt) > 1 && (alt[0] == '.' || alt[len(alt)-1] == '.'))
}

// def is a compiled INFO or FORMAT definition.
type def struct {
	number byte   // 'n' (count), 'A', 'R', 'G' or '.'
	count  int    // for 'n'
	typ    byte   // 'I'nteger, 'F'loat, 'L' flag, 'C'haracter, 'S'tring, 0 unknown
	raw    string // Number as written
}

func compileDef(f Field) *def {
	d := &def{number: '.', raw: f.Number}
	switch f.Number {
	case "A", "R", "G", ".":
		d.number = f.Number[0]
	default:
		if k, err := strconv.Atoi(f.Number); err == nil && k >= 0 {
			d.number, d.count = 'n', k
		}
	}
	switch f.Type {
	case "Integer":
		d.typ = 'I'
	case "Float":
		d.typ = 'F'
	case "Flag":
		d.typ = 'L'
	case "Character":
		d.typ = 'C'
	case "String":
		d.typ = 'S'
	}
	return d
}

func (d *def) typeName() string {
	switch d.typ {
	case 'I':
		return "Integer"
	case 'F':
		return "Float"
	case 'L':
		return "Flag"
	case 'C':
		return "Character"
	}
	return "String"
}

// compileDefs prepares the header definitions, falling back on the reserved ones.
func (r *Reader) compileDefs() {
	r.info = make(map[string]*def, len(r.hdr.Infos)+len(reservedInfo))
	for id, f := range reservedInfo {
		r.info[id] = compileDef(f)
	}
	for id, f := range r.hdr.Infos {
		r.info[id] = compileDef(f)
	}
	r.fmtDefs = make(map[string]*def, len(r.hdr.Formats)+len(reservedFormat))
	for id, f := range reservedFormat {
		r.fmtDefs[id] = compileDef(f)
	}
	for id, f := range r.hdr.Formats {
		r.fmtDefs[id] = compileDef(f)
	}
}

// parseRecord parses and checks a data line kept by Options.Keep; pos was parsed already.
func (r *Reader) parseRecord(line []byte, n, pos int) (*Record, error) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		return nil, r.parseErr(n, "NUL byte at column %d: binary data in a text line", i+1)
	}
	s := string(line) // the one allocation behind every string of the Record
	var col [9]string
	nc, rest, more := 0, s, true
	for nc < len(col) && more {
		j := strings.IndexByte(rest, '\t')
		if j < 0 {
			col[nc], rest, more = rest, "", false
		} else {
			col[nc], rest = rest[:j], rest[j+1:]
		}
		nc++
	}
	total := nc
	if more {
		total += strings.Count(rest, "\t") + 1
	}
	if err := r.checkColumns(n, nc, total, &col, &rest, more); err != nil {
		return nil, err
	}

	rec := &Record{Line: n, Chrom: col[0], Pos: pos, ID: col[2], Filter: col[6], Info: col[7]}
	if pos == 0 {
		r.warn.add("pos-zero", n, "POS 0 (a telomere) on %s", col[0])
	}
	r.checkID(n, col[2])
	ref, err := r.checkRef(n, col[3])
	if err != nil {
		return nil, err
	}
	rec.Ref = ref
	if rec.Alts, err = r.parseAlts(n, col[4]); err != nil {
		return nil, err
	}
	if rec.Qual, err = r.parseQual(n, col[5]); err != nil {
		return nil, err
	}
	r.checkFilter(n, col[6])
	rec.End = rec.Pos + len(rec.Ref) - 1
	if err := r.checkInfo(rec); err != nil {
		return nil, err
	}
	r.checkDuplicate(rec)
	if more && len(r.hdr.Samples) > 0 {
		if err := r.parseSamples(rec, col[8], rest); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// checkColumns checks the column count against the header: 8 fixed columns, then FORMAT and
// one per sample when the header names samples. A single trailing tab is tolerated; rest
// loses it.
func (r *Reader) checkColumns(n, nc, total int, col *[9]string, rest *string, more bool) error {
	samples := len(r.hdr.Samples)
	want := 8
	switch {
	case samples > 0:
		want = 9 + samples
	case r.hdr.HasFormat:
		want = 9
	}
	if total == want || (samples == 0 && r.hdr.HasFormat && total == 8) {
		return nil
	}
	lastEmpty := col[nc-1] == ""
	if more {
		lastEmpty = *rest == "" || strings.HasSuffix(*rest, "\t")
	}
	if total == want+1 && lastEmpty {
		r.warn.add("trailing-tab", n, "line ends with a tab")
		*rest = strings.TrimSuffix(*rest, "\t")
		return nil
	}
	switch {
	case total < 8:
		return r.parseErr(n, "line has %d columns, want at least 8 (CHROM POS ID REF ALT QUAL FILTER INFO)", total)
	case total < want:
		return r.parseErr(n, "line has %d columns, want %d (8 fixed, FORMAT and %d samples)", total, want, samples)
	}
	// More columns than the #CHROM line names: the named samples are all there, in their
	// columns; the unnamed ones cannot be attributed and are ignored.
	r.warn.addOnce("extra-columns", n, "line has %d columns but the #CHROM line names %d; the unnamed columns are ignored", total, want)
	if samples > 0 {
		cut := 0
		for k := 0; k < samples; k++ {
			j := strings.IndexByte((*rest)[cut:], '\t')
			cut += j + 1
		}
		*rest = (*rest)[:cut-1]
	}
	return nil
}

func (r *Reader) checkID(n int, id string) {
	switch {
	case id == "":
		r.warn.add("id", n, "ID column is empty (use '.')")
	case strings.ContainsAny(id, " \t"):
		r.warn.add("id", n, "ID %q contains whitespace", id)
	case id != "." && (id[0] == ';' || id[len(id)-1] == ';' || strings.Contains(id, ";;")):
		r.warn.add("id", n, "ID %q has an empty entry (stray ';')", id)
	}
}

// checkRef checks REF: bases A, C, G, T, N in either case (VCFv4.3 section 1.6.1); other
// IUPAC codes are tolerated with a warning. It returns REF upper-cased.
func (r *Reader) checkRef(n int, ref string) (string, error) {
	switch {
	case ref == "":
		return "", r.parseErr(n, "REF is empty")
	case ref == ".":
		return "", r.parseErr(n, "REF is missing ('.'): a record must name its reference bases")
	case strings.IndexByte(ref, ',') >= 0:
		return "", r.parseErr(n, "REF %q lists several alleles; alternates belong in ALT", ref)
	}
	lower, iupac := false, byte(0)
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			lower = true
			c -= 'a' - 'A'
		}
		switch c {
		case 'A', 'C', 'G', 'T', 'N':
		case 'R', 'Y', 'K', 'M', 'S', 'W', 'B', 'D', 'H', 'V':
			if iupac == 0 {
				iupac = ref[i]
			}
		default:
			return "", r.parseErr(n, "REF %q contains %q, which is not a base", clip([]byte(ref)), ref[i])
		}
	}
	if iupac != 0 {
		r.warn.add("ref-iupac", n, "REF %q contains the IUPAC ambiguity code %q; only A, C, G, T and N are bases", clip([]byte(ref)), iupac)
	}
	if lower {
		ref = strings.ToUpper(ref)
	}
	return ref, nil
}

// parseAlts splits and checks ALT (VCFv4.3 section 1.6.1 and 5.4).
func (r *Reader) parseAlts(n int, alt string) ([]string, error) {
	if alt == "." {
		return []string{}, nil
	}
	if alt == "" {
		return nil, r.parseErr(n, "ALT is empty (use '.' for no alternate allele)")
	}
	alts := strings.Split(alt, ",")
	for i, a := range alts {
		msg, upper := checkAllele(a, len(alts))
		if msg != "" {
			return nil, r.parseErr(n, "ALT %q: %s", clip([]byte(alt)), msg)
		}
		if upper {
			alts[i] = strings.ToUpper(a)
		}
	}
	return alts, nil
}

// checkAllele returns what is wrong with one ALT allele ("" if nothing) and whether it is a
// base sequence with lower-case letters.
func checkAllele(a string, nAlts int) (msg string, lower bool) {
	switch {
	case a == "":
		return "empty allele (stray comma)", false
	case a == "*":
		return "", false
	case a == ".":
		return "'.' is only allowed as the whole ALT column", false
	case strings.ContainsAny(a, " \t"):
		return fmt.Sprintf("allele %q contains whitespace", a), false
	case a[0] == '<':
		inner := a[1:]
		if !strings.HasSuffix(inner, ">") || len(inner) < 2 || strings.ContainsAny(inner[:len(inner)-1], "<>,") {
			return fmt.Sprintf("symbolic allele %q is malformed (want <ID> with no angle brackets or commas inside)", a), false
		}
		return "", false
	case strings.ContainsAny(a, "[]"):
		return checkBreakend(a), false
	case len(a) > 1 && a[0] == '.':
		return basesMsg(a[1:], a)
	case len(a) > 1 && a[len(a)-1] == '.':
		return basesMsg(a[:len(a)-1], a)
	}
	return basesMsg(a, a)
}

// basesMsg checks that b is made of A, C, G, T, N (either case).
func basesMsg(b, allele string) (string, bool) {
	lower := false
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case 'A', 'C', 'G', 'T', 'N':
		case 'a', 'c', 'g', 't', 'n':
			lower = true
		default:
			return fmt.Sprintf("allele %q contains %q, which is not a base (A, C, G, T or N)", allele, b[i]), false
		}
	}
	return "", lower
}

// checkBreakend checks the four breakend forms t[p[, t]p], ]p]t and [p[t, where t is bases
// and p is chrom:pos (VCFv4.3 section 5.4).
func checkBreakend(a string) string {
	br, other := byte('['), "]"
	if strings.IndexByte(a, '[') < 0 {
		br, other = ']', "["
	}
	i, j := strings.IndexByte(a, br), strings.LastIndexByte(a, br)
	if strings.Count(a, string(br)) != 2 || strings.Contains(a, other) {
		return fmt.Sprintf("breakend %q is malformed", a)
	}
	var bases, mate string
	switch {
	case i == 0:
		mate, bases = a[1:j], a[j+1:]
	case j == len(a)-1:
		bases, mate = a[:i], a[i+1:j]
	default:
		return fmt.Sprintf("breakend %q is malformed", a)
	}
	if bases == "" {
		return fmt.Sprintf("breakend %q has no bases at either side", a)
	}
	if msg, _ := basesMsg(bases, a); msg != "" {
		return msg
	}
	c := strings.LastIndexByte(mate, ':')
	if c <= 0 {
		return fmt.Sprintf("breakend %q has no chrom:pos mate position", a)
	}
	if _, ok := parsePos([]byte(mate[c+1:])); !ok {
		return fmt.Sprintf("breakend %q mate position %q is not a position", a, mate[c+1:])
	}
	return ""
}

func (r *Reader) parseQual(n int, q string) (float64, error) {
	if q == "." {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(q, 64)
	if err != nil {
		return 0, r.parseErr(n, "QUAL %q is not a number or '.'", clip([]byte(q)))
	}
	if v < 0 {
		r.warn.add("qual-negative", n, "QUAL %s is negative", q)
	}
	return v, nil
}

// checkFilter checks FILTER: PASS, '.', or filter names separated by ';' (VCFv4.3 section
// 1.6.1; "0" is reserved).
func (r *Reader) checkFilter(n int, f string) {
	if f == "" {
		r.warn.add("filter", n, "FILTER column is empty (use '.')")
		return
	}
	if f == "." || f == "PASS" {
		return
	}
	for rest := f; ; {
		name, tail, more := strings.Cut(rest, ";")
		switch {
		case name == "":
			r.warn.add("filter", n, "FILTER %q has an empty entry (stray ';')", f)
			return
		case name == ".":
			r.warn.add("filter", n, "FILTER %q mixes '.' (missing) with filter names", f)
			return
		case name == "0":
			r.warn.add("filter", n, "FILTER %q uses the reserved name 0", f)
			return
		case strings.ContainsAny(name, " \t"):
			r.warn.add("filter", n, "FILTER %q contains whitespace", f)
			return
		}
		if !more {
			return
		}
		rest = tail
	}
}

// nonNegativeInfo are reserved INFO keys whose values are counts or frequencies.
var nonNegativeInfo = map[string]bool{"AC": true, "AN": true, "DP": true, "MQ0": true, "NS": true, "AF": true}

// checkInfo checks INFO entries against their definitions and reads END. Problems are
// warnings, except an END that is not a position, which would make the record's extent
// unknown.
func (r *Reader) checkInfo(rec *Record) error {
	n, info := rec.Line, rec.Info
	switch info {
	case "":
		r.warn.add("info-empty", n, "INFO column is empty (use '.')")
		return nil
	case ".":
		return nil
	}
	var seen [32]string // keys so far, to find repeats
	nseen := 0
	for rest := info; ; {
		entry, tail, more := strings.Cut(rest, ";")
		key, err := r.checkInfoEntry(rec, entry, seen[:nseen])
		if err != nil {
			return err
		}
		if nseen < len(seen) {
			seen[nseen] = key
			nseen++
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

// checkInfoEntry checks one key=value entry of INFO; before are the keys of the entries before
// it. It returns the entry's key.
func (r *Reader) checkInfoEntry(rec *Record, entry string, before []string) (string, error) {
	n := rec.Line
	if entry == "" {
		r.warn.add("info-empty", n, "INFO %q has an empty entry (stray ';')", clip([]byte(rec.Info)))
		return "", nil
	}
	key, val, hasVal := strings.Cut(entry, "=")
	return key, r.checkInfoValue(rec, key, val, hasVal, before)
}

func (r *Reader) checkInfoValue(rec *Record, key, val string, hasVal bool, before []string) error {
	n := rec.Line
	if key == "END" {
		end, err := strconv.Atoi(val)
		if !hasVal || err != nil || end < 0 {
			return r.parseErr(n, "INFO END=%s is not a position", val)
		}
		if end < rec.Pos {
			r.warn.add("info-end", n, "INFO END=%d is before POS %d; END ignored", end, rec.Pos)
		} else {
			rec.End = end
		}
	}
	if !isKey(key) {
		r.warn.addOnce("info-key:"+key, n, "INFO key %q is not valid ([A-Za-z_][0-9A-Za-z_.]*)", clip([]byte(key)))
		return nil
	}
	for _, k := range before {
		if k == key {
			r.warn.addOnce("info-dup:"+key, n, "INFO key %s appears more than once", key)
			break
		}
	}
	d := r.info[key]
	if d == nil {
		r.warn.addOnce("info-undefined:"+key, n, "INFO key %s is not defined in the header", key)
		return nil
	}
	if d.typ == 'L' {
		if hasVal && val != "0" && val != "1" {
			r.warn.addOnce("info-flag:"+key, n, "INFO %s is a flag but has the value %q", key, clip([]byte(val)))
		}
		return nil
	}
	if !hasVal {
		if d.typ != 0 {
			r.warn.addOnce("info-novalue:"+key, n, "INFO %s has no value (Type=%s)", key, d.typeName())
		}
		return nil
	}
	if val == "." {
		return nil
	}
	count := strings.Count(val, ",") + 1
	if len(val) > 1 && val[0] == '"' && val[len(val)-1] == '"' {
		count = 1 // a quoted value is one value, commas and all
	}
	if want := expectedCount(d, len(rec.Alts), -1); want >= 0 && count != want {
		r.warn.addOnce("info-number:"+key, n, "INFO %s has %d values but Number=%s means %d here", key, count, d.raw, want)
	}
	for rest := val; ; {
		v, tail, more := strings.Cut(rest, ",")
		if v != "." {
			if !typeOK(d.typ, v) {
				r.warn.addOnce("info-type:"+key, n, "INFO %s value %q is not of Type %s", key, clip([]byte(v)), d.typeName())
				break
			}
			if nonNegativeInfo[key] && strings.HasPrefix(v, "-") {
				r.warn.addOnce("info-negative:"+key, n, "INFO %s value %s is negative", key, v)
				break
			}
			if key == "CIGAR" && !isCIGAR(v) {
				r.warn.addOnce("info-cigar", n, "INFO CIGAR value %q is not a CIGAR string", clip([]byte(v)))
				break
			}
		}
		if !more {
			break
		}
		rest = tail
	}
	return nil
}

// expectedCount is the number of values a Number means for a record with nAlts ALT alleles
// and (for G) the given ploidy; -1 when any number is allowed or it cannot be told. A record
// without ALT ("." in a sites file, often with the site's values kept) is not checked for
// the per-allele Numbers.
func expectedCount(d *def, nAlts, ploidy int) int {
	if nAlts == 0 && d.number != 'n' {
		return -1
	}
	switch d.number {
	case 'n':
		if d.count == 0 {
			return -1
		}
		return d.count
	case 'A':
		return nAlts
	case 'R':
		return nAlts + 1
	case 'G':
		return genotypeCount(nAlts+1, ploidy)
	}
	return -1
}

// genotypeCount is the number of unordered genotypes of the given ploidy over nAlleles
// alleles, C(nAlleles+ploidy-1, ploidy) (VCFv4.3 section 1.6.2, GL ordering); -1 if unknown
// or implausibly large.
func genotypeCount(nAlleles, ploidy int) int {
	if ploidy < 1 || ploidy > 8 || nAlleles < 1 || nAlleles > 64 {
		return -1
	}
	c := 1
	for i := 1; i <= ploidy; i++ {
		c = c * (nAlleles + i - 1) / i
	}
	return c
}

func typeOK(typ byte, v string) bool {
	switch typ {
	case 'I':
		return isInt(v)
	case 'F':
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	case 'C':
		return len(v) == 1
	}
	return true
}

func isInt(v string) bool {
	if v != "" && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	if v == "" || len(v) > 18 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// isCIGAR reports whether v is a CIGAR string: one or more length+operation pairs, operations
// M I D N S H P = X (SAM specification, section 1.4).
func isCIGAR(v string) bool {
	if v == "" {
		return false
	}
	digits := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case strings.IndexByte("MIDNSHP=X", c) >= 0 && digits > 0:
			digits = 0
		default:
			return false
		}
	}
	return digits == 0
}

// dupWindow remembers the recently kept variants, trimmed of shared bases, to find a variant
// written twice (the EBI vcf-validator's duplicate check). Only variants that could still
// match a later record of a sorted file are kept.
type dupWindow struct {
	chrom   string
	lastPos int
	list    []seenVariant
}

type seenVariant struct {
	pos      int
	ref, alt string
	line     int
}

const maxDupWindow = 1024

func (r *Reader) checkDuplicate(rec *Record) {
	d := &r.dups
	if rec.Chrom != d.chrom || rec.Pos < d.lastPos {
		d.chrom, d.list = rec.Chrom, d.list[:0]
	}
	d.lastPos = rec.Pos
	kept := d.list[:0]
	for _, v := range d.list {
		if v.pos >= rec.Pos {
			kept = append(kept, v)
		}
	}
	d.list = kept
	for _, alt := range rec.Alts {
		if IsSymbolic(alt) {
			continue
		}
		pos, ref, a := trimAlleles(rec.Pos, rec.Ref, alt)
		for _, v := range d.list {
			if v.pos == pos && v.ref == ref && v.alt == a {
				r.warn.add("duplicate", rec.Line, "variant %s:%d %s>%s (ALT %s) was already given at line %d", rec.Chrom, pos, ref, a, alt, v.line)
				break
			}
		}
		if len(d.list) < maxDupWindow {
			d.list = append(d.list, seenVariant{pos: pos, ref: ref, alt: a, line: rec.Line})
		}
	}
}

// trimAlleles removes the bases REF and ALT share at their end, then at their start, keeping
// at least one base in each; pos moves with the removed leading bases.
func trimAlleles(pos int, ref, alt string) (int, string, string) {
	for len(ref) > 1 && len(alt) > 1 && ref[len(ref)-1] == alt[len(alt)-1] {
		ref, alt = ref[:len(ref)-1], alt[:len(alt)-1]
	}
	for len(ref) > 1 && len(alt) > 1 && ref[0] == alt[0] {
		ref, alt, pos = ref[1:], alt[1:], pos+1
	}
	return pos, ref, alt
}
