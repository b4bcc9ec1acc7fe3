package vcf

import (
	"reflect"
	"strings"
	"testing"
)

// TestHeaderDefinitions: the ##INFO, ##FORMAT, ##FILTER and ##contig lines are read into the
// Header by the structured meta line rules of VCFv4.3 section 1.4, and a line that is not
// usable as written defines nothing, with a warning naming its line.
func TestHeaderDefinitions(t *testing.T) {
	tests := []struct {
		name    string
		meta    []string // lines 2, 3, ... of the header
		infos   map[string]Field
		formats map[string]Field
		filters map[string]string
		contigs []Contig
		warn    string // a fragment of a warning; "" for none at all
	}{
		{
			name: "plain",
			meta: []string{
				`##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">`,
				`##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allele depths">`,
				`##FILTER=<ID=q10,Description="Quality below 10">`,
				`##contig=<ID=chr1,length=248956422,assembly=GRCh38>`,
				`##contig=<ID=chrM>`,
			},
			infos:   map[string]Field{"DP": {"DP", "1", "Integer", "Total depth"}},
			formats: map[string]Field{"AD": {"AD", "R", "Integer", "Allele depths"}},
			filters: map[string]string{"q10": "Quality below 10"},
			contigs: []Contig{{ID: "chr1", Length: 248956422, Assembly: "GRCh38"}, {ID: "chrM"}},
		},
		{
			name: "quoted commas, escaped quotes and backslashes, Source and Version",
			meta: []string{
				`##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence: \"Allele|Gene\", per ALT \\ transcript",Source="VEP",Version="110">`,
				`##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype, \"0/1\" style">`,
				`##FILTER=<ID=LowQual,Description="Low quality, \"QUAL<30\"">`,
			},
			infos:   map[string]Field{"CSQ": {"CSQ", ".", "String", `Consequence: "Allele|Gene", per ALT \ transcript`}},
			formats: map[string]Field{"GT": {"GT", "1", "String", `Genotype, "0/1" style`}},
			filters: map[string]string{"LowQual": `Low quality, "QUAL<30"`},
		},
		{
			name: "a later definition replaces an earlier one",
			meta: []string{
				`##INFO=<ID=AF,Number=1,Type=Float,Description="first">`,
				`##INFO=<ID=AF,Number=A,Type=Float,Description="second">`,
			},
			infos: map[string]Field{"AF": {"AF", "A", "Float", "second"}},
			warn:  "line 3: ##INFO ID AF is defined again (first at line 2)",
		},
		{
			name:  "a Number that is not one defines nothing",
			meta:  []string{`##INFO=<ID=DP,Number=N,Type=Integer,Description="Raw read depth">`},
			infos: map[string]Field{},
			warn:  "line 2: ##INFO DP Number=N is not an integer, A, R, G or '.'",
		},
		{
			name:    "a Type that is not one defines nothing",
			meta:    []string{`##FORMAT=<ID=DP,Number=1,Type=Int,Description="Raw read depth">`},
			formats: map[string]Field{},
			warn:    "line 2: ##FORMAT DP Type=Int is not Integer, Float, Flag, Character or String",
		},
		{
			name:  "no ID defines nothing",
			meta:  []string{`##INFO=<Number=1,Type=Integer,Description="depth">`},
			infos: map[string]Field{},
			warn:  "line 2: ##INFO line has no ID",
		},
		{
			name:    "an unquoted Description still defines, with a warning",
			meta:    []string{`##FORMAT=<ID=DP,Number=1,Type=Integer,Description=Raw read depth>`},
			formats: map[string]Field{"DP": {"DP", "1", "Integer", "Raw read depth"}},
			warn:    "line 2: ##FORMAT DP Description must be in double quotes",
		},
		{
			name:  "an unclosed definition still defines, with a warning",
			meta:  []string{`##INFO=<ID=AVGPOST,Number=1,Type=Float,Description="Average posterior"`},
			infos: map[string]Field{"AVGPOST": {"AVGPOST", "1", "Float", "Average posterior"}},
			warn:  "line 2: ##INFO=<... is not closed with '>'",
		},
		{
			name:    "a contig field that is not key=value leaves the contig out",
			meta:    []string{`##contig=<ID=1,A,length=123456>`, `##contig=<ID=2,length=-5>`},
			contigs: []Contig{{ID: "2"}},
			warn:    `line 2: ##contig: field "A" is not key=value`,
		},
		{
			name:    "a contig length that is not a number is 0",
			meta:    []string{`##contig=<ID=chr2,length=12x>`},
			contigs: []Contig{{ID: "chr2"}},
			warn:    `line 2: ##contig chr2 length "12x" is not a non-negative integer`,
		},
		{
			name:    "an unclosed quote keeps what it read",
			meta:    []string{`##FILTER=<ID=q10,Description="Quality below 10>`},
			filters: map[string]string{"q10": "Quality below 10"},
			warn:    "line 2: ##FILTER: Description value has no closing quote",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := "##fileformat=VCFv4.3\n" + strings.Join(tc.meta, "\n") + "\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
			r, err := NewReader(strings.NewReader(text), "test.vcf", Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			h := r.Header()
			for _, c := range []struct {
				what      string
				got, want any
			}{
				{"infos", h.Infos, orEmpty(tc.infos)},
				{"formats", h.Formats, orEmpty(tc.formats)},
				{"filters", h.Filters, orEmpty(tc.filters)},
				{"contigs", h.Contigs, tc.contigs},
			} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s: got %#v, want %#v", c.what, c.got, c.want)
				}
			}
			var msgs []string
			for _, w := range r.Warnings() {
				msgs = append(msgs, w.String())
			}
			switch {
			case tc.warn == "" && len(msgs) > 0:
				t.Errorf("got warnings %q, want none", msgs)
			case tc.warn != "" && !strings.Contains(strings.Join(msgs, "\n"), tc.warn):
				t.Errorf("got warnings %q, want one containing %q", msgs, tc.warn)
			}
		})
	}
}

// orEmpty is m, or an empty map of its type for nil: the Header's maps are never nil.
func orEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}
