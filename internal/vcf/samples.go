package vcf

import (
	"fmt"
	"strconv"
	"strings"
)

// Sample columns are parsed here, not with github.com/brentp/vcfgo's Header.ParseSamples.
// Checked against the VCF specification and the test corpus, vcfgo's sample parser gives wrong
// answers on valid input, which a clinical reader cannot accept:
//   - a sample that drops trailing fields, which VCFv4.3 section 1.6.2 allows ("0|0:0.000"
//     under GT:DS:GL in the EBI corpus file passed/complexfile_passed_000.vcf), is rejected
//     whole as a "bad sample string" and loses its GT;
//   - a missing DP (".") comes back as 0 reads, not as missing;
//   - any '|' makes a genotype phased, so a half-phased "0/1|2" reads as phased;
//   - ParseSamples indexes its result by column and panics when a line has more sample
//     columns than the header, and Reader.Parse logs with log.Printf on short lines.
// The last two could be guarded against by checking the line first; the first three change
// results. vcfgo also allocates a map per sample, where this parser shares one slice of
// values between all samples of a record.

// formatCache keeps the parsed FORMAT of the previous record: files repeat a few FORMAT
// strings, so keys, definitions and checks are worked out once per distinct string in a row.
type formatCache struct {
	raw  string
	keys []string
	defs []*def // nil for an undefined key
	gt   int    // index of GT in keys, -1 if absent
	dp   int
	ad   int
	ps   int
}

// formatFor parses and checks a FORMAT column, or returns the cached result.
func (r *Reader) formatFor(n int, raw string) *formatCache {
	c := &r.fmtKeys
	if c.keys != nil && c.raw == raw {
		return c
	}
	*c = formatCache{raw: raw, gt: -1, dp: -1, ad: -1, ps: -1}
	if raw == "." || raw == "" {
		c.keys = []string{}
		return c
	}
	c.keys = strings.Split(raw, ":")
	c.defs = make([]*def, len(c.keys))
	for i, k := range c.keys {
		switch {
		case k == "":
			r.warn.add("format-key", n, "FORMAT %q has an empty key (stray ':')", clip([]byte(raw)))
			continue
		case strings.ContainsAny(k, " \t"):
			r.warn.add("format-key", n, "FORMAT key %q contains whitespace", k)
			continue
		case !isKey(k):
			r.warn.addOnce("format-key:"+k, n, "FORMAT key %q is not valid ([A-Za-z_][0-9A-Za-z_.]*)", k)
		}
		for _, prev := range c.keys[:i] {
			if prev == k {
				r.warn.add("format-dup", n, "FORMAT key %s appears more than once", k)
			}
		}
		c.defs[i] = r.fmtDefs[k]
		switch {
		case c.defs[i] != nil || k == "":
		case r.minor <= 2 && !isAlnum(k):
			// VCFv4.1 and 4.2 (section 1.4.2) allow only letters and digits in FORMAT keys;
			// 4.3 allows '_' and '.'. Keys the header defines (GATK's MIN_DP) are taken as
			// meant, so only undefined keys are reported.
			r.warn.addOnce("format-undefined:"+k, n, "FORMAT key %s is not defined in the header, and is not alphanumeric as VCFv4.%d requires", k, r.minor)
		default:
			r.warn.addOnce("format-undefined:"+k, n, "FORMAT key %s is not defined in the header", k)
		}
		switch k {
		case "GT":
			if c.gt < 0 {
				c.gt = i
			}
		case "DP":
			c.dp = i
		case "AD":
			c.ad = i
		case "PS":
			c.ps = i
		}
	}
	if c.gt > 0 {
		r.warn.add("format-gt", n, "FORMAT %q: GT must be the first key", raw)
	}
	return c
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// parseSamples parses the FORMAT column and the sample columns (rest, tab-separated).
func (r *Reader) parseSamples(rec *Record, format, rest string) error {
	n := rec.Line
	f := r.formatFor(n, format)
	rec.Format = f.keys
	names := r.hdr.Samples
	rec.Samples = make([]Sample, len(names))
	values := make([]string, 0, len(names)*len(f.keys))
	gts := make([]int, 0, 2*len(names))
	nAlleles := 1 + len(rec.Alts)
	for i := range names {
		col, tail, _ := strings.Cut(rest, "\t")
		rest = tail
		if col == "" {
			return r.parseErr(n, "sample %s: column is empty (use '.')", names[i])
		}
		if len(f.keys) == 0 && col == "." {
			rec.Samples[i].DP = -1 // FORMAT "." and no data for this sample
			continue
		}
		start := len(values)
		for v := col; ; {
			val, more, found := strings.Cut(v, ":")
			values = append(values, val)
			if !found {
				break
			}
			v = more
		}
		vals := values[start:len(values):len(values)]
		if len(vals) > len(f.keys) {
			return r.parseErr(n, "sample %s has %d values but FORMAT %q has %d keys", names[i], len(vals), format, len(f.keys))
		}
		s := &rec.Samples[i]
		s.Keys, s.Values, s.DP = f.keys, vals, -1
		if f.gt >= 0 && f.gt < len(vals) {
			limit := nAlleles
			if len(rec.Alts) == 0 {
				limit = maxAlleleIndex // checked below
			}
			gt, phased, msg := parseGT(vals[f.gt], limit, gts)
			if msg != "" {
				return r.parseErr(n, "sample %s: %s", names[i], msg)
			}
			if len(rec.Alts) == 0 {
				r.noAltGT(n, names[i], vals[f.gt], gt)
			}
			gts = gt[len(gt):len(gt):cap(gt)]
			s.GT, s.Phased = gt[:len(gt):len(gt)], phased
		}
		if f.dp >= 0 && f.dp < len(vals) && vals[f.dp] != "." {
			if dp, err := strconv.Atoi(vals[f.dp]); err == nil && dp >= 0 {
				s.DP = dp
			}
		}
		if f.ad >= 0 && f.ad < len(vals) {
			s.AD = parseInts(vals[f.ad])
		}
		if f.ps >= 0 && f.ps < len(vals) && vals[f.ps] != "." {
			s.PS = vals[f.ps]
		}
		r.checkSampleValues(rec, f, names[i], s)
	}
	return nil
}

// checkSampleValues warns about values that do not match their FORMAT definition.
func (r *Reader) checkSampleValues(rec *Record, f *formatCache, name string, s *Sample) {
	for k, v := range s.Values {
		d := f.defs[k]
		if d == nil || v == "." || k == f.gt {
			continue
		}
		key := f.keys[k]
		count := strings.Count(v, ",") + 1
		if want := expectedCount(d, len(rec.Alts), len(s.GT)); want >= 0 && count != want {
			r.warn.addOnce("format-number:"+key, rec.Line, "sample %s: %s has %d values but Number=%s means %d here", name, key, count, d.raw, want)
		}
		for rest := v; ; {
			e, tail, more := strings.Cut(rest, ",")
			if e != "." && !typeOK(d.typ, e) {
				r.warn.addOnce("format-type:"+key, rec.Line, "sample %s: %s value %q is not of Type %s", name, key, clip([]byte(e)), d.typeName())
				break
			}
			if !more {
				break
			}
			rest = tail
		}
	}
}

// maxAlleleIndex bounds allele indexes when the record has no ALT to check them against.
const maxAlleleIndex = 1 << 20

// noAltGT handles a genotype that names an ALT allele on a record whose ALT is ".": there is no
// allele to misattribute, so the EBI validator accepts it; the alleles are read as missing
// (-1), with a warning.
func (r *Reader) noAltGT(n int, name, v string, gt []int) {
	bad := false
	for j, a := range gt {
		if a > 0 {
			gt[j], bad = -1, true
		}
	}
	if bad {
		r.warn.add("gt-no-alt", n, "sample %s: GT %q names an ALT allele but ALT is '.'; read as missing", name, v)
	}
}

// parseGT parses a GT value (VCFv4.3 section 1.6.2): allele indexes or '.', separated by '/'
// (unphased) or '|' (phased). The alleles are appended to buf. msg says what is wrong, or is
// empty.
func parseGT(v string, nAlleles int, buf []int) (gt []int, phased bool, msg string) {
	if v == "" {
		return nil, false, "GT is empty"
	}
	start := len(buf)
	phased = true
	for i := 0; ; {
		switch c := v[i]; {
		case c == '.':
			buf = append(buf, -1)
			i++
		case c >= '0' && c <= '9':
			k := 0
			for i < len(v) && v[i] >= '0' && v[i] <= '9' {
				k = k*10 + int(v[i]-'0')
				if k >= nAlleles {
					for i < len(v) && v[i] >= '0' && v[i] <= '9' {
						i++
					}
					return nil, false, fmt.Sprintf("GT %q names allele %s but the record has %d alleles (REF and %d ALT)",
						clip([]byte(v)), v[:i][strings.LastIndexAny(v[:i], "/|")+1:], nAlleles, nAlleles-1)
				}
				i++
			}
			buf = append(buf, k)
		default:
			return nil, false, fmt.Sprintf("GT %q is not a genotype (allele indexes or '.' separated by '/' or '|')", clip([]byte(v)))
		}
		if i == len(v) {
			return buf[start:], phased, ""
		}
		switch v[i] {
		case '|':
		case '/':
			phased = false
		default:
			return nil, false, fmt.Sprintf("GT %q is not a genotype (allele indexes or '.' separated by '/' or '|')", clip([]byte(v)))
		}
		i++
		if i == len(v) {
			return nil, false, fmt.Sprintf("GT %q ends with a separator (an allele is missing)", clip([]byte(v)))
		}
	}
}

// parseInts parses a comma-separated list of non-negative integers; nil if any is missing or
// not an integer.
func parseInts(v string) []int {
	if v == "" || v == "." {
		return nil
	}
	out := make([]int, 0, strings.Count(v, ",")+1)
	for rest := v; ; {
		e, tail, more := strings.Cut(rest, ",")
		k, err := strconv.Atoi(e)
		if err != nil || k < 0 {
			return nil
		}
		out = append(out, k)
		if !more {
			return out
		}
		rest = tail
	}
}
