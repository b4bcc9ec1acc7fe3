package vcf

import (
	"errors"
	"github.com/precis-dx/precis/internal/oracle"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// outcome is what reading a corpus file must give.
type outcome int

const (
	accept outcome = iota // read with no warning
	warn                  // read, with warnings
	reject                // a *ParseError
)

func (o outcome) String() string {
	return [...]string{"accept", "warn", "reject"}[o]
}

// ebiCorpus lists every file of EBIvariation/vcf-validator's test corpus (VCF 4.1 and 4.2) with
// what this reader must do with it, and a fragment of the message that names the problem: the
// ParseError for reject, one of the warnings for warn. Files under failed/ are never accepted
// silently; files under passed/ are never rejected. The choice between reject and warn follows
// one rule: reject when the data itself cannot be used (POS, REF, ALT, QUAL, GT, END, column
// layout, header structure), warn when annotation can go on (definitions, INFO/FORMAT values,
// IDs, FILTER, order and duplicates, meta lines). A change of behaviour fails this test.
var ebiCorpus = map[string]struct {
	want outcome
	msg  string
}{
	"v4.1/failed/failed_body_alt_000.vcf":            {reject, "line 4: ALT \"R\": allele \"R\" contains 'R', which is not a base (A, C, G"},
	"v4.1/failed/failed_body_alt_001.vcf":            {reject, "line 4: ALT \"A T\": allele \"A T\" contains whitespace"},
	"v4.1/failed/failed_body_alt_002.vcf":            {reject, "line 4: ALT \"A,,T\": empty allele (stray comma)"},
	"v4.1/failed/failed_body_alt_003.vcf":            {reject, "line 4: ALT \"<INS>BLAH>\": symbolic allele \"<INS>BLAH>\" is malformed (w"},
	"v4.1/failed/failed_body_alt_005.vcf":            {reject, "line 4: ALT \"[1:100[\": breakend \"[1:100[\" has no bases at either side"},
	"v4.1/failed/failed_body_chrom_000.vcf":          {warn, "line 4: CHROM \"<1\" has an unbalanced angle bracket"},
	"v4.1/failed/failed_body_chrom_001.vcf":          {warn, "line 4: CHROM \"chr 1\" contains whitespace, a comma or a quote"},
	"v4.1/failed/failed_body_chrom_002.vcf":          {warn, "line 4: CHROM \"chr,1\" contains whitespace, a comma or a quote"},
	"v4.1/failed/failed_body_contiguous_000.vcf":     {warn, "line 5: INFO AC has 1 values but Number=A means 2 here"},
	"v4.1/failed/failed_body_contiguous_001.vcf":     {warn, "line 5: INFO AC has 1 values but Number=A means 2 here"},
	"v4.1/failed/failed_body_duplicated_000.vcf":     {warn, "line 5: variant 1:123 C>G (ALT G) was already given at line 4"},
	"v4.1/failed/failed_body_duplicated_001.vcf":     {warn, "line 6: variant 1:130 A>G (ALT TTGT) was already given at line 5"},
	"v4.1/failed/failed_body_duplicated_002.vcf":     {warn, "line 4: INFO AC has 1 values but Number=A means 2 here"},
	"v4.1/failed/failed_body_duplicated_003.vcf":     {warn, "line 5: variant 1:124 A>G (ALT G) was already given at line 4"},
	"v4.1/failed/failed_body_filter_000.vcf":         {warn, "line 4: FILTER \"q10;.\" mixes '.' (missing) with filter names"},
	"v4.1/failed/failed_body_filter_001.vcf":         {warn, "line 4: FILTER \"PASS;\" has an empty entry (stray ';')"},
	"v4.1/failed/failed_body_filter_002.vcf":         {warn, "line 4: FILTER \";PASS\" has an empty entry (stray ';')"},
	"v4.1/failed/failed_body_filter_003.vcf":         {warn, "line 4: FILTER \"my filter\" contains whitespace"},
	"v4.1/failed/failed_body_filter_004.vcf":         {warn, "line 4: FILTER \"q12;0;h56\" uses the reserved name 0"},
	"v4.1/failed/failed_body_format_000.vcf":         {warn, "line 4: FORMAT \"GT::GL\" has an empty key (stray ':')"},
	"v4.1/failed/failed_body_format_001.vcf":         {warn, "line 4: FORMAT key \"G S\" contains whitespace"},
	"v4.1/failed/failed_body_format_002.vcf":         {reject, "line 4: sample HG00096: GT \"0.000\" is not a genotype (allele indexes o"},
	"v4.1/failed/failed_body_format_003.vcf":         {warn, "line 4: FORMAT key G_S is not defined in the header, and is not alphan"},
	"v4.1/failed/failed_body_format_004.vcf":         {reject, "line 4: sample HG00096: GT \"0/|1\" is not a genotype (allele indexes or"},
	"v4.1/failed/failed_body_id_000.vcf":             {warn, "line 4: ID \"rs1807 id34498\" contains whitespace"},
	"v4.1/failed/failed_body_id_001.vcf":             {warn, "line 4: ID \";rs180734498\" has an empty entry (stray ';')"},
	"v4.1/failed/failed_body_id_002.vcf":             {warn, "line 4: ID \"rs180734498;\" has an empty entry (stray ';')"},
	"v4.1/failed/failed_body_info_000.vcf":           {warn, "line 4: INFO AA has 2 values but Number=1 means 1 here"},
	"v4.1/failed/failed_body_info_001.vcf":           {warn, "line 4: INFO AC value -1 is negative"},
	"v4.1/failed/failed_body_info_002.vcf":           {warn, "line 4: INFO AC value \"1.150\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_003.vcf":           {warn, "line 4: INFO AC value \"AC1\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_004.vcf":           {warn, "line 4: INFO AF value -0.01 is negative"},
	"v4.1/failed/failed_body_info_005.vcf":           {warn, "line 4: INFO AF value \"AF1\" is not of Type Float"},
	"v4.1/failed/failed_body_info_006.vcf":           {warn, "line 4: INFO AN value -1 is negative"},
	"v4.1/failed/failed_body_info_007.vcf":           {warn, "line 4: INFO AN value \"1.150\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_008.vcf":           {warn, "line 4: INFO AN value \"AN1\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_009.vcf":           {warn, "line 4: INFO BQ value \"BQ1\" is not of Type Float"},
	"v4.1/failed/failed_body_info_010.vcf":           {warn, "line 4: INFO CIGAR value \"123MYCIGAR\" is not a CIGAR string"},
	"v4.1/failed/failed_body_info_011.vcf":           {warn, "line 4: INFO CIGAR value \"0.05\" is not a CIGAR string"},
	"v4.1/failed/failed_body_info_012.vcf":           {warn, "line 4: INFO DB is a flag but has the value \"2\""},
	"v4.1/failed/failed_body_info_013.vcf":           {warn, "line 4: INFO DP value -1 is negative"},
	"v4.1/failed/failed_body_info_014.vcf":           {warn, "line 4: INFO DP value \"1.150\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_015.vcf":           {warn, "line 4: INFO DP value \"DP1\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_016.vcf":           {reject, "line 4: INFO END=-1 is not a position"},
	"v4.1/failed/failed_body_info_017.vcf":           {reject, "line 4: INFO END=1.150 is not a position"},
	"v4.1/failed/failed_body_info_018.vcf":           {reject, "line 4: INFO END=END1 is not a position"},
	"v4.1/failed/failed_body_info_019.vcf":           {warn, "line 4: INFO H2 is a flag but has the value \"2\""},
	"v4.1/failed/failed_body_info_020.vcf":           {warn, "line 4: INFO H3 is a flag but has the value \"SOMETHING\""},
	"v4.1/failed/failed_body_info_021.vcf":           {warn, "line 4: INFO MQ0 value -1 is negative"},
	"v4.1/failed/failed_body_info_022.vcf":           {warn, "line 4: INFO MQ0 value \"1.150\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_023.vcf":           {warn, "line 4: INFO NS value -1 is negative"},
	"v4.1/failed/failed_body_info_024.vcf":           {warn, "line 4: INFO NS value \"1.150\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_025.vcf":           {warn, "line 4: INFO SOMATIC is a flag but has the value \"2\""},
	"v4.1/failed/failed_body_info_026.vcf":           {warn, "line 4: INFO VALIDATED is a flag but has the value \"SOMETHING\""},
	"v4.1/failed/failed_body_info_027.vcf":           {warn, "line 4: INFO 1000G is a flag but has the value \"2\""},
	"v4.1/failed/failed_body_info_028.vcf":           {warn, "line 4: INFO key \"RS Q\" is not valid ([A-Za-z_][0-9A-Za-z_.]*)"},
	"v4.1/failed/failed_body_info_029.vcf":           {warn, "line 5: INFO MY is a flag but has the value \"9\""},
	"v4.1/failed/failed_body_info_030.vcf":           {warn, "line 5: INFO MY has 2 values but Number=1 means 1 here"},
	"v4.1/failed/failed_body_info_031.vcf":           {warn, "line 5: INFO MY has 1 values but Number=A means 2 here"},
	"v4.1/failed/failed_body_info_033.vcf":           {warn, "line 5: INFO MY value \"my_string\" is not of Type Float"},
	"v4.1/failed/failed_body_info_034.vcf":           {warn, "line 5: INFO MY value \"9.3\" is not of Type Integer"},
	"v4.1/failed/failed_body_info_035.vcf":           {warn, "line 5: INFO MY value \"9.3\" is not of Type Character"},
	"v4.1/failed/failed_body_info_036.vcf":           {warn, "line 5: INFO AC value -1 is negative"},
	"v4.1/failed/failed_body_pos_000.vcf":            {reject, "line 4: POS \".\" is not a position (an integer from 0 to 2147483647)"},
	"v4.1/failed/failed_body_pos_001.vcf":            {reject, "line 4: POS \"123abc\" is not a position (an integer from 0 to 214748364"},
	"v4.1/failed/failed_body_pos_002.vcf":            {reject, "line 4: POS \"-1\" is not a position (an integer from 0 to 2147483647)"},
	"v4.1/failed/failed_body_qual_000.vcf":           {reject, "line 4: QUAL \"quality\" is not a number or '.'"},
	"v4.1/failed/failed_body_qual_001.vcf":           {warn, "line 4: QUAL -100 is negative"},
	"v4.1/failed/failed_body_ref_000.vcf":            {reject, "line 4: REF \"C,A\" lists several alleles; alternates belong in ALT"},
	"v4.1/failed/failed_body_ref_001.vcf":            {warn, "line 4: REF \"B\" contains the IUPAC ambiguity code 'B'; only A, C, G, T"},
	"v4.1/failed/failed_body_ref_002.vcf":            {reject, "line 4: REF is missing ('.'): a record must name its reference bases"},
	"v4.1/failed/failed_body_sample_000.vcf":         {reject, "line 4: sample HG00096: GT \"1/C\" is not a genotype (allele indexes or "},
	"v4.1/failed/failed_body_sample_001.vcf":         {reject, "line 4: sample HG00096: GT \"0/3\" names allele 3 but the record has 3 a"},
	"v4.1/failed/failed_body_sample_002.vcf":         {reject, "line 4: sample HG00096: GT \"0.000\" is not a genotype (allele indexes o"},
	"v4.1/failed/failed_body_sample_003.vcf":         {reject, "line 4: sample HG00096 has 4 values but FORMAT \"GT:GS:GL\" has 3 keys"},
	"v4.1/failed/failed_body_sample_004.vcf":         {warn, "line 5: sample HG00096: DS has 2 values but Number=1 means 1 here"},
	"v4.1/failed/failed_body_sample_005.vcf":         {warn, "line 5: sample HG00096: AL has 3 values but Number=A means 1 here"},
	"v4.1/failed/failed_body_sample_006.vcf":         {warn, "line 5: sample HG00096: AL has 3 values but Number=G means 6 here"},
	"v4.1/failed/failed_body_sample_007.vcf":         {warn, "line 5: sample HG00096: DS value \"my_string\" is not of Type Float"},
	"v4.1/failed/failed_body_sample_008.vcf":         {warn, "line 5: sample HG00096: DS value \"my_string\" is not of Type Integer"},
	"v4.1/failed/failed_body_sample_009.vcf":         {warn, "line 5: sample HG00096: DS value \"my_string\" is not of Type Character"},
	"v4.1/failed/failed_body_sample_011.vcf":         {reject, "line 3: duplicate sample name \"HG00096\" (columns 10 and 12)"},
	"v4.1/failed/failed_body_samples_ploidy_000.vcf": {warn, "line 4: sample HG00096: PL has 2 values but Number=G means 3 here"},
	"v4.1/failed/failed_body_samples_ploidy_001.vcf": {warn, "line 4: sample HG00096: PL has 3 values but Number=G means 6 here"},
	"v4.1/failed/failed_body_samples_ploidy_002.vcf": {warn, "line 4: sample HG00096: PL has 3 values but Number=G means 2 here"},
	"v4.1/failed/failed_body_samples_ploidy_003.vcf": {warn, "line 4: sample HG00096: PL has 2 values but Number=G means 3 here"},
	"v4.1/failed/failed_body_unsorted_000.vcf":       {warn, "line 5: INFO AC has 1 values but Number=A means 2 here"},
	"v4.1/failed/failed_fileformat_000.vcf":          {reject, "line 1: ##fileformat has no value (want VCFv4.x)"},
	"v4.1/failed/failed_fileformat_001.vcf":          {warn, "line 1: ##fileformat value \"VCF v4.1\" contains whitespace; read as \"VC"},
	"v4.1/failed/failed_header_000.vcf":              {reject, "line 2: #CHROM line column 2 is \"POSITION\", want \"POS\""},
	"v4.1/failed/failed_header_001.vcf":              {warn, "line 2: #CHROM line has a FORMAT column but no sample columns"},
	"v4.1/failed/failed_meta_000.vcf":                {warn, "line 3: meta line \"##Some random plain text\" is not ##key=value"},
	"v4.1/failed/failed_meta_001.vcf":                {warn, "line 3: ##ALT: Description value has an unescaped quote (text after th"},
	"v4.1/failed/failed_meta_002.vcf":                {reject, "line 4: data line before the #CHROM header line (or a header line with"},
	"v4.1/failed/failed_meta_003.vcf":                {warn, "line 3: ##INFO=<... is not closed with '>'"},
	"v4.1/failed/failed_meta_004.vcf":                {reject, "line 3: data line before the #CHROM header line (or a header line with"},
	"v4.1/failed/failed_meta_005.vcf":                {reject, "line 3: data line before the #CHROM header line (or a header line with"},
	"v4.1/failed/failed_meta_006.vcf":                {warn, "line 3: ##ALT: Description value has no closing quote"},
	"v4.1/failed/failed_meta_007.vcf":                {warn, "line 3: ##FORMAT: Description value has no closing quote"},
	"v4.1/failed/failed_meta_008.vcf":                {warn, "line 3: ##INFO: Description value has no closing quote"},
	"v4.1/failed/failed_meta_009.vcf":                {warn, "line 3: meta line ##reference= has an empty value"},
	"v4.1/failed/failed_meta_alt_000.vcf":            {warn, "line 3: ##ALT ID \"DEL1\" does not start with a structural variant type "},
	"v4.1/failed/failed_meta_alt_001.vcf":            {warn, "line 3: ##ALT DEL Number=B is not an integer, A, R, G or '.'"},
	"v4.1/failed/failed_meta_alt_002.vcf":            {warn, "line 3: ##ALT DEL Type=Text is not Integer, Float, Flag, Character or "},
	"v4.1/failed/failed_meta_alt_003.vcf":            {warn, "line 3: ##ALT DEL Description must be in double quotes"},
	"v4.1/failed/failed_meta_alt_004.vcf":            {warn, "line 3: ##ALT fields are out of order: ID, Number, Type and Descriptio"},
	"v4.1/failed/failed_meta_alt_005.vcf":            {warn, "line 3: ##ALT ID \"THIS:IS-NOT-VALID\" does not start with a structural "},
	"v4.1/failed/failed_meta_alt_006.vcf":            {warn, "line 3: ##ALT ID \"DEL:A B\" contains whitespace, a comma or an angle br"},
	"v4.1/failed/failed_meta_alt_007.vcf":            {warn, "line 3: ##ALT: field \"B\" is not key=value"},
	"v4.1/failed/failed_meta_alt_008.vcf":            {warn, "line 3: ##ALT ID \"DEL:A<B\" contains whitespace, a comma or an angle br"},
	"v4.1/failed/failed_meta_alt_009.vcf":            {warn, "line 3: ##ALT ID \"DEL:A>B\" contains whitespace, a comma or an angle br"},
	"v4.1/failed/failed_meta_assembly_000.vcf":       {warn, "line 3: meta line ##assembly= has an empty value"},
	"v4.1/failed/failed_meta_assembly_001.vcf":       {warn, "line 3: ##assembly URL \"ftp://8080:8080/not-valid/host/to/file.fastq\" "},
	"v4.1/failed/failed_meta_contig_000.vcf":         {warn, "line 3: ##contig line has no ID"},
	"v4.1/failed/failed_meta_contig_001.vcf":         {warn, "line 3: ##contig ID \"1 A\" contains whitespace, a comma, a quote, '=' o"},
	"v4.1/failed/failed_meta_contig_002.vcf":         {warn, "line 3: ##contig: field \"A\" is not key=value"},
	"v4.1/failed/failed_meta_format_000.vcf":         {warn, "line 3: ##FORMAT DP Number=N is not an integer, A, R, G or '.'"},
	"v4.1/failed/failed_meta_format_001.vcf":         {warn, "line 3: ##FORMAT DP Type=Int is not Integer, Float, Flag, Character or"},
	"v4.1/failed/failed_meta_format_002.vcf":         {warn, "line 3: ##FORMAT DP Description must be in double quotes"},
	"v4.1/failed/failed_meta_format_003.vcf":         {warn, "line 3: ##FORMAT fields are out of order: ID, Number, Type and Descrip"},
	"v4.1/failed/failed_meta_format_004.vcf":         {warn, "line 3: ##FORMAT DP is declared Number=R,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_005.vcf":         {warn, "line 3: ##FORMAT DP is declared Number=1,Type=String; the VCF specific"},
	"v4.1/failed/failed_meta_format_006.vcf":         {warn, "line 3: ##FORMAT DP is declared Number=2,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_007.vcf":         {warn, "line 3: ##FORMAT EC is declared Number=A,Type=String; the VCF specific"},
	"v4.1/failed/failed_meta_format_008.vcf":         {warn, "line 3: ##FORMAT EC is declared Number=1,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_009.vcf":         {warn, "line 3: ##FORMAT FT is declared Number=1,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_010.vcf":         {warn, "line 3: ##FORMAT FT is declared Number=2,Type=String; the VCF specific"},
	"v4.1/failed/failed_meta_format_011.vcf":         {warn, "line 3: ##FORMAT GL is declared Number=G,Type=String; the VCF specific"},
	"v4.1/failed/failed_meta_format_012.vcf":         {warn, "line 3: ##FORMAT GL is declared Number=A,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_013.vcf":         {warn, "line 3: ##FORMAT GP is declared Number=G,Type=String; the VCF specific"},
	"v4.1/failed/failed_meta_format_014.vcf":         {warn, "line 3: ##FORMAT GP is declared Number=A,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_015.vcf":         {warn, "line 3: ##FORMAT GQ is declared Number=1,Type=String; the VCF specific"},
	"v4.1/failed/failed_meta_format_016.vcf":         {warn, "line 3: ##FORMAT GQ is declared Number=A,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_017.vcf":         {warn, "line 3: ##FORMAT GT is declared Number=1,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_018.vcf":         {warn, "line 3: ##FORMAT GT is declared Number=G,Type=String; the VCF specific"},
	"v4.1/failed/failed_meta_format_019.vcf":         {warn, "line 3: ##FORMAT HQ is declared Number=2,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_020.vcf":         {warn, "line 3: ##FORMAT HQ is declared Number=1,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_021.vcf":         {warn, "line 3: ##FORMAT MQ is declared Number=1,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_022.vcf":         {warn, "line 3: ##FORMAT MQ is declared Number=A,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_023.vcf":         {warn, "line 3: ##FORMAT PL is declared Number=G,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_024.vcf":         {warn, "line 3: ##FORMAT PL is declared Number=1,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_025.vcf":         {warn, "line 3: ##FORMAT PQ is declared Number=1,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_026.vcf":         {warn, "line 3: ##FORMAT PQ is declared Number=G,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_027.vcf":         {warn, "line 3: ##FORMAT PS is declared Number=1,Type=Float; the VCF specifica"},
	"v4.1/failed/failed_meta_format_028.vcf":         {warn, "line 3: ##FORMAT PS is declared Number=G,Type=Integer; the VCF specifi"},
	"v4.1/failed/failed_meta_format_029.vcf":         {warn, "line 3: ##FORMAT GLE Type=Flag is not allowed in FORMAT"},
	"v4.1/failed/failed_meta_format_030.vcf":         {warn, "line 3: ##FORMAT GLE is declared Number=A,Type=String; the VCF specifi"},
	"v4.1/failed/failed_meta_info_000.vcf":           {warn, "line 3: ##INFO DP Number=N is not an integer, A, R, G or '.'"},
	"v4.1/failed/failed_meta_info_001.vcf":           {warn, "line 3: ##INFO DP Type=Int is not Integer, Float, Flag, Character or S"},
	"v4.1/failed/failed_meta_info_002.vcf":           {warn, "line 3: ##INFO DP Description must be in double quotes"},
	"v4.1/failed/failed_meta_info_003.vcf":           {warn, "line 3: ##INFO fields are out of order: ID, Number, Type and Descripti"},
	"v4.1/failed/failed_meta_info_004.vcf":           {warn, "line 3: ##INFO DP is declared Number=R,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_005.vcf":           {warn, "line 3: ##INFO AA is declared Number=1,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_006.vcf":           {warn, "line 3: ##INFO AA is declared Number=.,Type=String; the VCF specificat"},
	"v4.1/failed/failed_meta_info_007.vcf":           {warn, "line 3: ##INFO AC is declared Number=A,Type=Float; the VCF specificati"},
	"v4.1/failed/failed_meta_info_008.vcf":           {warn, "line 3: ##INFO AC is declared Number=1,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_009.vcf":           {warn, "line 3: ##INFO AF is declared Number=A,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_010.vcf":           {warn, "line 3: ##INFO AF is declared Number=1,Type=Float; the VCF specificati"},
	"v4.1/failed/failed_meta_info_011.vcf":           {warn, "line 3: ##INFO AN is declared Number=1,Type=Float; the VCF specificati"},
	"v4.1/failed/failed_meta_info_012.vcf":           {warn, "line 3: ##INFO AN is declared Number=A,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_013.vcf":           {warn, "line 3: ##INFO BQ is declared Number=1,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_014.vcf":           {warn, "line 3: ##INFO BQ is declared Number=R,Type=Float; the VCF specificati"},
	"v4.1/failed/failed_meta_info_015.vcf":           {warn, "line 3: ##INFO CIGAR is declared Number=A,Type=Float; the VCF specific"},
	"v4.1/failed/failed_meta_info_016.vcf":           {warn, "line 3: ##INFO CIGAR is declared Number=1,Type=String; the VCF specifi"},
	"v4.1/failed/failed_meta_info_017.vcf":           {warn, "line 3: ##INFO DB is declared Number=0,Type=String; the VCF specificat"},
	"v4.1/failed/failed_meta_info_018.vcf":           {warn, "line 3: ##INFO DB is declared Number=1,Type=Flag; the VCF specificatio"},
	"v4.1/failed/failed_meta_info_019.vcf":           {warn, "line 3: ##INFO DP is declared Number=1,Type=String; the VCF specificat"},
	"v4.1/failed/failed_meta_info_020.vcf":           {warn, "line 3: ##INFO DP is declared Number=0,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_021.vcf":           {reject, "line 5: INFO END=X is not a position"},
	"v4.1/failed/failed_meta_info_022.vcf":           {warn, "line 3: ##INFO END is declared Number=A,Type=Integer; the VCF specific"},
	"v4.1/failed/failed_meta_info_023.vcf":           {warn, "line 3: ##INFO H2 is declared Number=0,Type=String; the VCF specificat"},
	"v4.1/failed/failed_meta_info_024.vcf":           {warn, "line 3: ##INFO H2 is declared Number=1,Type=Flag; the VCF specificatio"},
	"v4.1/failed/failed_meta_info_025.vcf":           {warn, "line 3: ##INFO H3 is declared Number=0,Type=String; the VCF specificat"},
	"v4.1/failed/failed_meta_info_026.vcf":           {warn, "line 3: ##INFO H3 is declared Number=1,Type=Flag; the VCF specificatio"},
	"v4.1/failed/failed_meta_info_027.vcf":           {warn, "line 3: ##INFO MQ is declared Number=A,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_028.vcf":           {warn, "line 3: ##INFO MQ0 is declared Number=1,Type=Float; the VCF specificat"},
	"v4.1/failed/failed_meta_info_029.vcf":           {warn, "line 3: ##INFO MQ0 is declared Number=A,Type=Integer; the VCF specific"},
	"v4.1/failed/failed_meta_info_030.vcf":           {warn, "line 3: ##INFO NS is declared Number=1,Type=Float; the VCF specificati"},
	"v4.1/failed/failed_meta_info_031.vcf":           {warn, "line 3: ##INFO NS is declared Number=A,Type=Integer; the VCF specifica"},
	"v4.1/failed/failed_meta_info_032.vcf":           {warn, "line 3: ##INFO SOMATIC is declared Number=0,Type=String; the VCF speci"},
	"v4.1/failed/failed_meta_info_033.vcf":           {warn, "line 3: ##INFO SOMATIC is declared Number=1,Type=Flag; the VCF specifi"},
	"v4.1/failed/failed_meta_info_034.vcf":           {warn, "line 3: ##INFO VALIDATED is declared Number=0,Type=String; the VCF spe"},
	"v4.1/failed/failed_meta_info_035.vcf":           {warn, "line 3: ##INFO VALIDATED is declared Number=1,Type=Flag; the VCF speci"},
	"v4.1/failed/failed_meta_info_036.vcf":           {warn, "line 3: ##INFO 1000G is declared Number=0,Type=String; the VCF specifi"},
	"v4.1/failed/failed_meta_info_037.vcf":           {warn, "line 3: ##INFO 1000G is declared Number=1,Type=Flag; the VCF specifica"},
	"v4.1/failed/failed_meta_pedigree_000.vcf":       {warn, "line 3: ##PEDIGREE Name_1 genome ID \"Something wrong\" may only use let"},
	"v4.1/failed/failed_meta_pedigree_001.vcf":       {warn, "line 3: ##PEDIGREE Name_1 genome ID \"Something:wrong\" may only use let"},
	"v4.1/failed/failed_meta_pedigreedb_000.vcf":     {warn, "line 3: meta line ##pedigreeDB= has an empty value"},
	"v4.1/failed/failed_meta_pedigreedb_001.vcf":     {warn, "line 3: ##pedigreeDB has no URL"},
	"v4.1/failed/failed_meta_pedigreedb_002.vcf":     {warn, "line 3: ##pedigreeDB URL \"ftp://8080:8080/not-valid/host/to/pedigreeDB"},
	"v4.1/failed/failed_meta_sample_000.vcf":         {warn, "line 3: ##SAMPLE has Mixture but no Genomes field"},
	"v4.1/failed/failed_meta_sample_001.vcf":         {warn, "line 3: ##SAMPLE Mixture value should not be quoted (only Description "},
	"v4.1/passed/complexfile_passed_000.vcf":         {accept, ""},
	"v4.1/passed/passed_body_alt.vcf":                {warn, "line 22: sample HG00097: GT \"0|1\" names an ALT allele but ALT is '.'; "},
	"v4.1/passed/passed_body_chrom.vcf":              {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.1/passed/passed_body_filter.vcf":             {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.1/passed/passed_body_format.vcf":             {warn, "line 5: FORMAT key DS is not defined in the header"},
	"v4.1/passed/passed_body_id.vcf":                 {warn, "line 3: POS 0 (a telomere) on 1"},
	"v4.1/passed/passed_body_info.vcf":               {warn, "line 33: INFO END=0 is before POS 100; END ignored"},
	"v4.1/passed/passed_body_pos.vcf":                {warn, "line 3: POS 0 (a telomere) on 1"},
	"v4.1/passed/passed_body_qual.vcf":               {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.1/passed/passed_body_ref.vcf":                {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.1/passed/passed_body_samples.vcf":            {accept, ""},
	"v4.1/passed/passed_fileformat_header_000.vcf":   {accept, ""},
	"v4.1/passed/passed_fileformat_header_001.vcf":   {accept, ""},
	"v4.1/passed/passed_fileformat_header_002.vcf":   {accept, ""},
	"v4.1/passed/passed_meta_alt.vcf":                {accept, ""},
	"v4.1/passed/passed_meta_assembly.vcf":           {accept, ""},
	"v4.1/passed/passed_meta_contig.vcf":             {accept, ""},
	"v4.1/passed/passed_meta_format.vcf":             {accept, ""},
	"v4.1/passed/passed_meta_info.vcf":               {accept, ""},
	"v4.1/passed/passed_meta_pedigree.vcf":           {accept, ""},
	"v4.1/passed/passed_meta_pedigreedb.vcf":         {accept, ""},
	"v4.1/passed/passed_meta_sample.vcf":             {accept, ""},
	"v4.1/passed/passed_ploidy_000.vcf":              {accept, ""},
	"v4.1/passed/passed_ploidy_001.vcf":              {accept, ""},
	"v4.1/passed/passed_symbolic_duplicates.vcf":     {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.2/failed/failed_body_alt_000.vcf":            {reject, "line 4: ALT \"R\": allele \"R\" contains 'R', which is not a base (A, C, G"},
	"v4.2/failed/failed_body_alt_001.vcf":            {reject, "line 4: ALT \"A T\": allele \"A T\" contains whitespace"},
	"v4.2/failed/failed_body_alt_002.vcf":            {reject, "line 4: ALT \"A,,T\": empty allele (stray comma)"},
	"v4.2/failed/failed_body_alt_003.vcf":            {reject, "line 4: ALT \"<INS>BLAH>\": symbolic allele \"<INS>BLAH>\" is malformed (w"},
	"v4.2/failed/failed_body_alt_005.vcf":            {reject, "line 4: ALT \"[1:100[\": breakend \"[1:100[\" has no bases at either side"},
	"v4.2/failed/failed_body_chrom_000.vcf":          {warn, "line 4: CHROM \"<1\" has an unbalanced angle bracket"},
	"v4.2/failed/failed_body_chrom_001.vcf":          {warn, "line 4: CHROM \"chr 1\" contains whitespace, a comma or a quote"},
	"v4.2/failed/failed_body_chrom_002.vcf":          {warn, "line 4: CHROM \"chr,1\" contains whitespace, a comma or a quote"},
	"v4.2/failed/failed_body_contiguous_000.vcf":     {warn, "line 5: INFO AC has 1 values but Number=A means 2 here"},
	"v4.2/failed/failed_body_contiguous_001.vcf":     {warn, "line 5: INFO AC has 1 values but Number=A means 2 here"},
	"v4.2/failed/failed_body_duplicated_000.vcf":     {warn, "line 5: variant 1:123 C>G (ALT G) was already given at line 4"},
	"v4.2/failed/failed_body_duplicated_001.vcf":     {warn, "line 6: variant 1:130 A>G (ALT TTGT) was already given at line 5"},
	"v4.2/failed/failed_body_duplicated_002.vcf":     {warn, "line 4: INFO AC has 1 values but Number=A means 2 here"},
	"v4.2/failed/failed_body_duplicated_003.vcf":     {warn, "line 5: variant 1:124 A>G (ALT G) was already given at line 4"},
	"v4.2/failed/failed_body_filter_000.vcf":         {warn, "line 4: FILTER \"q10;.\" mixes '.' (missing) with filter names"},
	"v4.2/failed/failed_body_filter_001.vcf":         {warn, "line 4: FILTER \"PASS;\" has an empty entry (stray ';')"},
	"v4.2/failed/failed_body_filter_002.vcf":         {warn, "line 4: FILTER \";PASS\" has an empty entry (stray ';')"},
	"v4.2/failed/failed_body_filter_003.vcf":         {warn, "line 4: FILTER \"my filter\" contains whitespace"},
	"v4.2/failed/failed_body_filter_004.vcf":         {warn, "line 4: FILTER \"q12;0;h56\" uses the reserved name 0"},
	"v4.2/failed/failed_body_format_000.vcf":         {warn, "line 4: FORMAT \"GT::GL\" has an empty key (stray ':')"},
	"v4.2/failed/failed_body_format_001.vcf":         {warn, "line 4: FORMAT key \"G S\" contains whitespace"},
	"v4.2/failed/failed_body_format_002.vcf":         {reject, "line 4: sample HG00096: GT \"0.000\" is not a genotype (allele indexes o"},
	"v4.2/failed/failed_body_format_003.vcf":         {warn, "line 4: FORMAT key G_S is not defined in the header, and is not alphan"},
	"v4.2/failed/failed_body_format_004.vcf":         {reject, "line 4: sample HG00096: GT \"0/|1\" is not a genotype (allele indexes or"},
	"v4.2/failed/failed_body_id_000.vcf":             {warn, "line 4: ID \"rs1807 id34498\" contains whitespace"},
	"v4.2/failed/failed_body_id_001.vcf":             {warn, "line 4: ID \";rs180734498\" has an empty entry (stray ';')"},
	"v4.2/failed/failed_body_id_002.vcf":             {warn, "line 4: ID \"rs180734498;\" has an empty entry (stray ';')"},
	"v4.2/failed/failed_body_info_000.vcf":           {warn, "line 4: INFO AA has 2 values but Number=1 means 1 here"},
	"v4.2/failed/failed_body_info_001.vcf":           {warn, "line 4: INFO AC value -1 is negative"},
	"v4.2/failed/failed_body_info_002.vcf":           {warn, "line 4: INFO AC value \"1.150\" is not of Type Integer"},
	"v4.2/failed/failed_body_info_003.vcf":           {warn, "line 4: INFO AC value \"AC1\" is not of Type Integer"},
	"v4.2/failed/failed_body_info_004.vcf":           {warn, "line 4: INFO AF value -0.01 is negative"},
	"v4.2/failed/failed_body_info_005.vcf":           {warn, "line 4: INFO AF value \"AF1\" is not of Type Float"},
	"v4.2/failed/failed_body_info_006.vcf":           {warn, "line 4: INFO AN value -1 is negative"},
	"v4.2/failed/failed_body_info_007.vcf":           {warn, "line 4: INFO AN value \"1.150\" is not of Type Integer"},
	"v4.2/failed/failed_body_info_008.vcf":           {warn, "line 4: INFO AN value \"AN1\" is not of Type Integer"},
	"v4.2/failed/failed_body_info_009.vcf":           {warn, "line 4: INFO BQ value \"BQ1\" is not of Type Float"},
	"v4.2/failed/failed_body_info_010.vcf":           {warn, "line 4: INFO CIGAR value \"123MYCIGAR\" is not a CIGAR string"},
	"v4.2/failed/failed_body_info_011.vcf":           {warn, "line 4: INFO CIGAR value \"0.05\" is not a CIGAR string"},
	"v4.2/failed/failed_body_info_012.vcf":           {warn, "line 4: INFO DB is a flag but has the value \"2\""},
	"v4.2/failed/failed_body_info_013.vcf":           {warn, "line 4: INFO DP value -1 is negative"},
	"v4.2/failed/failed_body_info_014.vcf":           {warn, "line 4: INFO DP value \"1.150\" is not of Type Integer"},
	"v4.2/failed/failed_body_info_015.vcf":           {warn, "line 4: INFO DP value \"DP1\" is not of Type Integer"},
	"v4.2/failed/failed_body_info_016.vcf":           {reject, "line 4: INFO END=-1 is not a position"},
	"v4.2/failed/failed_body_info_017.vcf":           {reject, "line 4: INFO END=1.150 is not a position"},
	"v4.2/failed/failed_body_info_018.vcf":           {reject, "line 4: INFO END=END1 is not a position"},
	"v4.2/failed/failed_body_info_019.vcf":           {warn, "line 4: INFO H2 is a flag but has the value \"2\""},
	"v4.2/failed/failed_body_info_020.vcf":           {warn, "line 4: INFO H3 is a flag but has the value \"SOMETHING\""},
	"v4.2/failed/failed_body_info_021.vcf":           {warn, "line 4: INFO MQ0 value -1 is negative"},
	"v4.2/failed/failed_body_info_022.vcf":           {warn, "line 4: INFO MQ0 value \"1.150\" is not of Type Integer"},
	"v4.2/failed/failed_body_info_023.vcf":           {warn, "line 4: INFO NS value -1 is negative"},
	"v4.2/failed/failed_body_info_024.vcf":           {warn, "line 4: INFO NS value \"1.150\" is not of Type Integer"},
	"v4.2/failed/failed_body_info_025.vcf":           {warn, "line 4: INFO SOMATIC is a flag but has the value \"2\""},
	"v4.2/failed/failed_body_info_026.vcf":           {warn, "line 4: INFO VALIDATED is a flag but has the value \"SOMETHING\""},
	"v4.2/failed/failed_body_info_027.vcf":           {warn, "line 4: INFO 1000G is a flag but has the value \"2\""},
	"v4.2/failed/failed_body_info_028.vcf":           {warn, "line 4: INFO key \"RS Q\" is not valid ([A-Za-z_][0-9A-Za-z_.]*)"},
	"v4.2/failed/failed_body_info_029.vcf":           {warn, "line 5: INFO MY is a flag but has the value \"9\""},
	"v4.2/failed/failed_body_info_030.vcf":           {warn, "line 5: INFO MY has 2 values but Number=1 means 1 here"},
	"v4.2/failed/failed_body_info_031.vcf":           {warn, "line 5: INFO MY has 1 values but Number=A means 2 here"},
	"v4.2/failed/failed_body_info_033.vcf":           {warn, "line 5: INFO MY has 3 values but Number=R means 2 here"},
	"v4.2/failed/failed_body_info_036.vcf":           {warn, "line 5: INFO AC value -1 is negative"},
	"v4.2/failed/failed_body_pos_000.vcf":            {reject, "line 4: POS \".\" is not a position (an integer from 0 to 2147483647)"},
	"v4.2/failed/failed_body_pos_001.vcf":            {reject, "line 4: POS \"123abc\" is not a position (an integer from 0 to 214748364"},
	"v4.2/failed/failed_body_pos_002.vcf":            {reject, "line 4: POS \"-1\" is not a position (an integer from 0 to 2147483647)"},
	"v4.2/failed/failed_body_qual_000.vcf":           {reject, "line 4: QUAL \"quality\" is not a number or '.'"},
	"v4.2/failed/failed_body_qual_001.vcf":           {warn, "line 4: QUAL -100 is negative"},
	"v4.2/failed/failed_body_ref_000.vcf":            {reject, "line 4: REF \"C,A\" lists several alleles; alternates belong in ALT"},
	"v4.2/failed/failed_body_ref_001.vcf":            {warn, "line 4: REF \"B\" contains the IUPAC ambiguity code 'B'; only A, C, G, T"},
	"v4.2/failed/failed_body_ref_002.vcf":            {reject, "line 4: REF is missing ('.'): a record must name its reference bases"},
	"v4.2/failed/failed_body_sample_000.vcf":         {reject, "line 4: sample HG00096: GT \"1/C\" is not a genotype (allele indexes or "},
	"v4.2/failed/failed_body_sample_001.vcf":         {reject, "line 4: sample HG00096: GT \"0/3\" names allele 3 but the record has 3 a"},
	"v4.2/failed/failed_body_sample_002.vcf":         {reject, "line 4: sample HG00096: GT \"0.000\" is not a genotype (allele indexes o"},
	"v4.2/failed/failed_body_sample_003.vcf":         {reject, "line 4: sample HG00096 has 4 values but FORMAT \"GT:GS:GL\" has 3 keys"},
	"v4.2/failed/failed_body_sample_004.vcf":         {warn, "line 5: sample HG00096: DS has 2 values but Number=1 means 1 here"},
	"v4.2/failed/failed_body_sample_005.vcf":         {warn, "line 5: sample HG00096: AL has 3 values but Number=A means 1 here"},
	"v4.2/failed/failed_body_sample_006.vcf":         {warn, "line 5: sample HG00096: AL has 3 values but Number=G means 6 here"},
	"v4.2/failed/failed_body_sample_007.vcf":         {warn, "line 5: sample HG00096: DS value \"my_string\" is not of Type Float"},
	"v4.2/failed/failed_body_sample_008.vcf":         {warn, "line 5: sample HG00096: DS value \"my_string\" is not of Type Integer"},
	"v4.2/failed/failed_body_sample_009.vcf":         {warn, "line 5: sample HG00096: DS value \"my_string\" is not of Type Character"},
	"v4.2/failed/failed_body_sample_010.vcf":         {warn, "line 5: sample HG00096: AL has 3 values but Number=R means 2 here"},
	"v4.2/failed/failed_body_sample_011.vcf":         {reject, "line 3: duplicate sample name \"HG00096\" (columns 10 and 12)"},
	"v4.2/failed/failed_body_samples_ploidy_000.vcf": {warn, "line 4: sample HG00096: PL has 2 values but Number=G means 3 here"},
	"v4.2/failed/failed_body_samples_ploidy_001.vcf": {warn, "line 4: sample HG00096: PL has 3 values but Number=G means 6 here"},
	"v4.2/failed/failed_body_samples_ploidy_002.vcf": {warn, "line 4: sample HG00096: PL has 3 values but Number=G means 2 here"},
	"v4.2/failed/failed_body_samples_ploidy_003.vcf": {warn, "line 4: sample HG00096: PL has 2 values but Number=G means 3 here"},
	"v4.2/failed/failed_body_unsorted_000.vcf":       {warn, "line 5: INFO AC has 1 values but Number=A means 2 here"},
	"v4.2/failed/failed_fileformat_000.vcf":          {reject, "line 1: ##fileformat has no value (want VCFv4.x)"},
	"v4.2/failed/failed_fileformat_001.vcf":          {warn, "line 1: ##fileformat value \"VCF v4.2\" contains whitespace; read as \"VC"},
	"v4.2/failed/failed_header_000.vcf":              {reject, "line 2: #CHROM line column 2 is \"POSITION\", want \"POS\""},
	"v4.2/failed/failed_header_001.vcf":              {warn, "line 2: #CHROM line has a FORMAT column but no sample columns"},
	"v4.2/failed/failed_meta_000.vcf":                {warn, "line 3: meta line \"##Some random plain text\" is not ##key=value"},
	"v4.2/failed/failed_meta_001.vcf":                {warn, "line 3: ##ALT: Description value has an unescaped quote (text after th"},
	"v4.2/failed/failed_meta_002.vcf":                {reject, "line 4: data line before the #CHROM header line (or a header line with"},
	"v4.2/failed/failed_meta_003.vcf":                {warn, "line 3: ##INFO=<... is not closed with '>'"},
	"v4.2/failed/failed_meta_004.vcf":                {reject, "line 3: data line before the #CHROM header line (or a header line with"},
	"v4.2/failed/failed_meta_005.vcf":                {reject, "line 3: data line before the #CHROM header line (or a header line with"},
	"v4.2/failed/failed_meta_006.vcf":                {warn, "line 3: ##ALT: Description value has no closing quote"},
	"v4.2/failed/failed_meta_007.vcf":                {warn, "line 3: ##FORMAT: Description value has no closing quote"},
	"v4.2/failed/failed_meta_008.vcf":                {warn, "line 3: ##INFO: Description value has no closing quote"},
	"v4.2/failed/failed_meta_009.vcf":                {warn, "line 3: meta line ##reference= has an empty value"},
	"v4.2/failed/failed_meta_alt_000.vcf":            {warn, "line 3: ##ALT ID \"DEL1\" does not start with a structural variant type "},
	"v4.2/failed/failed_meta_alt_001.vcf":            {warn, "line 3: ##ALT DEL Number=B is not an integer, A, R, G or '.'"},
	"v4.2/failed/failed_meta_alt_002.vcf":            {warn, "line 3: ##ALT DEL Type=Text is not Integer, Float, Flag, Character or "},
	"v4.2/failed/failed_meta_alt_003.vcf":            {warn, "line 3: ##ALT DEL Description must be in double quotes"},
	"v4.2/failed/failed_meta_alt_004.vcf":            {warn, "line 3: ##ALT fields are out of order: ID, Number, Type and Descriptio"},
	"v4.2/failed/failed_meta_alt_005.vcf":            {warn, "line 3: ##ALT ID \"THIS:IS-NOT-VALID\" does not start with a structural "},
	"v4.2/failed/failed_meta_alt_006.vcf":            {warn, "line 3: ##ALT ID \"DEL:A B\" contains whitespace, a comma or an angle br"},
	"v4.2/failed/failed_meta_alt_007.vcf":            {warn, "line 3: ##ALT: field \"B\" is not key=value"},
	"v4.2/failed/failed_meta_alt_008.vcf":            {warn, "line 3: ##ALT ID \"DEL:A<B\" contains whitespace, a comma or an angle br"},
	"v4.2/failed/failed_meta_alt_009.vcf":            {warn, "line 3: ##ALT ID \"DEL:A>B\" contains whitespace, a comma or an angle br"},
	"v4.2/failed/failed_meta_assembly_000.vcf":       {warn, "line 3: meta line ##assembly= has an empty value"},
	"v4.2/failed/failed_meta_assembly_001.vcf":       {warn, "line 3: ##assembly URL \"ftp://8080:8080/not-valid/host/to/file.fastq\" "},
	"v4.2/failed/failed_meta_contig_000.vcf":         {warn, "line 3: ##contig line has no ID"},
	"v4.2/failed/failed_meta_contig_001.vcf":         {warn, "line 3: ##contig ID \"1 A\" contains whitespace, a comma, a quote, '=' o"},
	"v4.2/failed/failed_meta_contig_002.vcf":         {warn, "line 3: ##contig: field \"A\" is not key=value"},
	"v4.2/failed/failed_meta_format_000.vcf":         {warn, "line 3: ##FORMAT DP Number=N is not an integer, A, R, G or '.'"},
	"v4.2/failed/failed_meta_format_001.vcf":         {warn, "line 3: ##FORMAT DP Type=Int is not Integer, Float, Flag, Character or"},
	"v4.2/failed/failed_meta_format_002.vcf":         {warn, "line 3: ##FORMAT DP Description must be in double quotes"},
	"v4.2/failed/failed_meta_format_003.vcf":         {warn, "line 3: ##FORMAT fields are out of order: ID, Number, Type and Descrip"},
	"v4.2/failed/failed_meta_format_004.vcf":         {warn, "line 3: ##FORMAT DP is declared Number=1,Type=String; the VCF specific"},
	"v4.2/failed/failed_meta_format_005.vcf":         {warn, "line 3: ##FORMAT DP is declared Number=2,Type=Integer; the VCF specifi"},
	"v4.2/failed/failed_meta_format_006.vcf":         {warn, "line 3: ##FORMAT EC is declared Number=A,Type=String; the VCF specific"},
	"v4.2/failed/failed_meta_format_007.vcf":         {warn, "line 3: ##FORMAT EC is declared Number=1,Type=Integer; the VCF specifi"},
	"v4.2/failed/failed_meta_format_008.vcf":         {warn, "line 3: ##FORMAT FT is declared Number=1,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_009.vcf":         {warn, "line 3: ##FORMAT FT is declared Number=2,Type=String; the VCF specific"},
	"v4.2/failed/failed_meta_format_010.vcf":         {warn, "line 3: ##FORMAT GL is declared Number=G,Type=String; the VCF specific"},
	"v4.2/failed/failed_meta_format_011.vcf":         {warn, "line 3: ##FORMAT GL is declared Number=A,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_012.vcf":         {warn, "line 3: ##FORMAT GP is declared Number=G,Type=String; the VCF specific"},
	"v4.2/failed/failed_meta_format_013.vcf":         {warn, "line 3: ##FORMAT GP is declared Number=A,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_014.vcf":         {warn, "line 3: ##FORMAT GQ is declared Number=1,Type=String; the VCF specific"},
	"v4.2/failed/failed_meta_format_015.vcf":         {warn, "line 3: ##FORMAT GQ is declared Number=A,Type=Integer; the VCF specifi"},
	"v4.2/failed/failed_meta_format_016.vcf":         {warn, "line 3: ##FORMAT GT is declared Number=1,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_017.vcf":         {warn, "line 3: ##FORMAT GT is declared Number=G,Type=String; the VCF specific"},
	"v4.2/failed/failed_meta_format_018.vcf":         {warn, "line 3: ##FORMAT HQ is declared Number=2,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_019.vcf":         {warn, "line 3: ##FORMAT HQ is declared Number=1,Type=Integer; the VCF specifi"},
	"v4.2/failed/failed_meta_format_020.vcf":         {warn, "line 3: ##FORMAT MQ is declared Number=1,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_021.vcf":         {warn, "line 3: ##FORMAT MQ is declared Number=A,Type=Integer; the VCF specifi"},
	"v4.2/failed/failed_meta_format_022.vcf":         {warn, "line 3: ##FORMAT PL is declared Number=G,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_023.vcf":         {warn, "line 3: ##FORMAT PL is declared Number=1,Type=Integer; the VCF specifi"},
	"v4.2/failed/failed_meta_format_024.vcf":         {warn, "line 3: ##FORMAT PQ is declared Number=1,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_025.vcf":         {warn, "line 3: ##FORMAT PQ is declared Number=G,Type=Integer; the VCF specifi"},
	"v4.2/failed/failed_meta_format_026.vcf":         {warn, "line 3: ##FORMAT PS is declared Number=1,Type=Float; the VCF specifica"},
	"v4.2/failed/failed_meta_format_027.vcf":         {warn, "line 3: ##FORMAT PS is declared Number=G,Type=Integer; the VCF specifi"},
	"v4.2/failed/failed_meta_format_028.vcf":         {warn, "line 3: ##FORMAT GLE Type=Flag is not allowed in FORMAT"},
	"v4.2/failed/failed_meta_format_029.vcf":         {warn, "line 3: ##FORMAT GLE is declared Number=A,Type=String; the VCF specifi"},
	"v4.2/failed/failed_meta_info_000.vcf":           {warn, "line 3: ##INFO DP Number=N is not an integer, A, R, G or '.'"},
	"v4.2/failed/failed_meta_info_001.vcf":           {warn, "line 3: ##INFO DP Type=Int is not Integer, Float, Flag, Character or S"},
	"v4.2/failed/failed_meta_info_002.vcf":           {warn, "line 3: ##INFO DP Description must be in double quotes"},
	"v4.2/failed/failed_meta_info_003.vcf":           {warn, "line 3: ##INFO fields are out of order: ID, Number, Type and Descripti"},
	"v4.2/failed/failed_meta_info_004.vcf":           {warn, "line 3: ##INFO AA is declared Number=1,Type=Integer; the VCF specifica"},
	"v4.2/failed/failed_meta_info_005.vcf":           {warn, "line 3: ##INFO AA is declared Number=.,Type=String; the VCF specificat"},
	"v4.2/failed/failed_meta_info_006.vcf":           {warn, "line 3: ##INFO AC is declared Number=A,Type=Float; the VCF specificati"},
	"v4.2/failed/failed_meta_info_007.vcf":           {warn, "line 3: ##INFO AC is declared Number=1,Type=Integer; the VCF specifica"},
	"v4.2/failed/failed_meta_info_008.vcf":           {warn, "line 3: ##INFO AF is declared Number=A,Type=Integer; the VCF specifica"},
	"v4.2/failed/failed_meta_info_009.vcf":           {warn, "line 3: ##INFO AF is declared Number=1,Type=Float; the VCF specificati"},
	"v4.2/failed/failed_meta_info_010.vcf":           {warn, "line 3: ##INFO AN is declared Number=1,Type=Float; the VCF specificati"},
	"v4.2/failed/failed_meta_info_011.vcf":           {warn, "line 3: ##INFO AN is declared Number=A,Type=Integer; the VCF specifica"},
	"v4.2/failed/failed_meta_info_012.vcf":           {warn, "line 3: ##INFO BQ is declared Number=1,Type=Integer; the VCF specifica"},
	"v4.2/failed/failed_meta_info_013.vcf":           {warn, "line 3: ##INFO BQ is declared Number=R,Type=Float; the VCF specificati"},
	"v4.2/failed/failed_meta_info_014.vcf":           {warn, "line 3: ##INFO CIGAR is declared Number=A,Type=Float; the VCF specific"},
	"v4.2/failed/failed_meta_info_015.vcf":           {warn, "line 3: ##INFO CIGAR is declared Number=1,Type=String; the VCF specifi"},
	"v4.2/failed/failed_meta_info_016.vcf":           {warn, "line 3: ##INFO DB is declared Number=0,Type=String; the VCF specificat"},
	"v4.2/failed/failed_meta_info_017.vcf":           {warn, "line 3: ##INFO DB is declared Number=1,Type=Flag; the VCF specificatio"},
	"v4.2/failed/failed_meta_info_018.vcf":           {warn, "line 3: ##INFO DP is declared Number=1,Type=String; the VCF specificat"},
	"v4.2/failed/failed_meta_info_019.vcf":           {warn, "line 3: ##INFO DP is declared Number=0,Type=Integer; the VCF specifica"},
	"v4.2/failed/failed_meta_info_020.vcf":           {reject, "line 5: INFO END=X is not a position"},
	"v4.2/failed/failed_meta_info_021.vcf":           {warn, "line 3: ##INFO END is declared Number=A,Type=Integer; the VCF specific"},
	"v4.2/failed/failed_meta_info_022.vcf":           {warn, "line 3: ##INFO H2 is declared Number=0,Type=String; the VCF specificat"},
	"v4.2/failed/failed_meta_info_023.vcf":           {warn, "line 3: ##INFO H2 is declared Number=1,Type=Flag; the VCF specificatio"},
	"v4.2/failed/failed_meta_info_024.vcf":           {warn, "line 3: ##INFO H3 is declared Number=0,Type=String; the VCF specificat"},
	"v4.2/failed/failed_meta_info_025.vcf":           {warn, "line 3: ##INFO H3 is declared Number=1,Type=Flag; the VCF specificatio"},
	"v4.2/failed/failed_meta_info_026.vcf":           {warn, "line 3: ##INFO MQ is declared Number=R,Type=Integer; the VCF specifica"},
	"v4.2/failed/failed_meta_info_027.vcf":           {warn, "line 3: ##INFO MQ0 is declared Number=1,Type=Float; the VCF specificat"},
	"v4.2/failed/failed_meta_info_028.vcf":           {warn, "line 3: ##INFO MQ0 is declared Number=A,Type=Integer; the VCF specific"},
	"v4.2/failed/failed_meta_info_029.vcf":           {warn, "line 3: ##INFO NS is declared Number=1,Type=Float; the VCF specificati"},
	"v4.2/failed/failed_meta_info_030.vcf":           {warn, "line 3: ##INFO NS is declared Number=A,Type=Integer; the VCF specifica"},
	"v4.2/failed/failed_meta_info_031.vcf":           {warn, "line 3: ##INFO SOMATIC is declared Number=0,Type=String; the VCF speci"},
	"v4.2/failed/failed_meta_info_032.vcf":           {warn, "line 3: ##INFO SOMATIC is declared Number=1,Type=Flag; the VCF specifi"},
	"v4.2/failed/failed_meta_info_033.vcf":           {warn, "line 3: ##INFO VALIDATED is declared Number=0,Type=String; the VCF spe"},
	"v4.2/failed/failed_meta_info_034.vcf":           {warn, "line 3: ##INFO VALIDATED is declared Number=1,Type=Flag; the VCF speci"},
	"v4.2/failed/failed_meta_info_035.vcf":           {warn, "line 3: ##INFO 1000G is declared Number=0,Type=String; the VCF specifi"},
	"v4.2/failed/failed_meta_info_036.vcf":           {warn, "line 3: ##INFO 1000G is declared Number=1,Type=Flag; the VCF specifica"},
	"v4.2/failed/failed_meta_pedigree_000.vcf":       {warn, "line 3: ##PEDIGREE Name_1 genome ID \"Something wrong\" may only use let"},
	"v4.2/failed/failed_meta_pedigree_001.vcf":       {warn, "line 3: ##PEDIGREE Name_1 genome ID \"Something:wrong\" may only use let"},
	"v4.2/failed/failed_meta_pedigreedb_000.vcf":     {warn, "line 3: meta line ##pedigreeDB= has an empty value"},
	"v4.2/failed/failed_meta_pedigreedb_001.vcf":     {warn, "line 3: ##pedigreeDB has no URL"},
	"v4.2/failed/failed_meta_pedigreedb_002.vcf":     {warn, "line 3: ##pedigreeDB URL \"ftp://8080:8080/not-valid/host/to/pedigreeDB"},
	"v4.2/failed/failed_meta_sample_000.vcf":         {warn, "line 3: ##SAMPLE has Mixture but no Genomes field"},
	"v4.2/failed/failed_meta_sample_001.vcf":         {warn, "line 3: ##SAMPLE Mixture value should not be quoted (only Description "},
	"v4.2/passed/complexfile_passed_000.vcf":         {accept, ""},
	"v4.2/passed/passed_body_alt.vcf":                {warn, "line 22: sample HG00097: GT \"0|1\" names an ALT allele but ALT is '.'; "},
	"v4.2/passed/passed_body_chrom.vcf":              {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.2/passed/passed_body_filter.vcf":             {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.2/passed/passed_body_format.vcf":             {warn, "line 5: FORMAT key DS is not defined in the header"},
	"v4.2/passed/passed_body_id.vcf":                 {warn, "line 3: POS 0 (a telomere) on 1"},
	"v4.2/passed/passed_body_info.vcf":               {warn, "line 34: INFO END=0 is before POS 100; END ignored"},
	"v4.2/passed/passed_body_pos.vcf":                {warn, "line 3: POS 0 (a telomere) on 1"},
	"v4.2/passed/passed_body_qual.vcf":               {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.2/passed/passed_body_ref.vcf":                {warn, "line 3: FORMAT key DS is not defined in the header"},
	"v4.2/passed/passed_body_samples.vcf":            {accept, ""},
	"v4.2/passed/passed_fileformat_header_000.vcf":   {accept, ""},
	"v4.2/passed/passed_fileformat_header_001.vcf":   {accept, ""},
	"v4.2/passed/passed_fileformat_header_002.vcf":   {accept, ""},
	"v4.2/passed/passed_meta_alt.vcf":                {accept, ""},
	"v4.2/passed/passed_meta_assembly.vcf":           {accept, ""},
	"v4.2/passed/passed_meta_contig.vcf":             {accept, ""},
	"v4.2/passed/passed_meta_format.vcf":             {accept, ""},
	"v4.2/passed/passed_meta_info.vcf":               {accept, ""},
	"v4.2/passed/passed_meta_pedigree.vcf":           {accept, ""},
	"v4.2/passed/passed_meta_pedigreedb.vcf":         {accept, ""},
	"v4.2/passed/passed_meta_sample.vcf":             {accept, ""},
	"v4.2/passed/passed_ploidy_000.vcf":              {accept, ""},
	"v4.2/passed/passed_ploidy_001.vcf":              {accept, ""},
	"v4.2/passed/passed_symbolic_duplicates.vcf":     {warn, "line 3: FORMAT key DS is not defined in the header"},
}

func TestEBICorpus(t *testing.T) {
	root := filepath.Join(oracle.Dir(t), "vcf-invalid", "ebi-vcf-validator")
	var files []string
	for _, pattern := range []string{"v4.*/failed/*.vcf", "v4.*/passed/*.vcf"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	onDisk := map[string]bool{}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		onDisk[filepath.ToSlash(rel)] = true
	}
	for rel := range ebiCorpus {
		if !onDisk[rel] {
			t.Errorf("%s is in the table but not in the corpus", rel)
		}
	}
	for rel := range onDisk {
		if _, ok := ebiCorpus[rel]; !ok {
			t.Errorf("%s is in the corpus but not in the table", rel)
		}
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		tc := ebiCorpus[rel]
		t.Run(rel, func(t *testing.T) {
			got, msgs, err := readCorpusFile(f)
			if got != tc.want {
				t.Fatalf("got %v (err %v, warnings %q), want %v", got, err, msgs, tc.want)
			}
			if strings.Contains(rel, "/failed/") && got == accept {
				t.Fatalf("a file the validator fails was accepted without a warning")
			}
			if strings.Contains(rel, "/passed/") && got == reject {
				t.Fatalf("a file the validator passes was rejected: %v", err)
			}
			if got == reject {
				var pe *ParseError
				if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
					t.Fatalf("got error %T %v, want a *ParseError wrapping ErrMalformed", err, err)
				}
				if pe.File != f || pe.Line < 1 {
					t.Errorf("got ParseError for %s line %d, want %s and a line number", pe.File, pe.Line, f)
				}
			}
			found := tc.msg == ""
			for _, m := range msgs {
				if strings.Contains(m, tc.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("no message contains %q; got %q", tc.msg, msgs)
			}
		})
	}
}

// readCorpusFile reads a whole file and says whether it was accepted, accepted with warnings,
// or rejected; msgs are the warnings, or the error as "line N: msg".
func readCorpusFile(path string) (outcome, []string, error) {
	r, err := Open(path, Options{})
	if err == nil {
		defer r.Close()
		for err == nil {
			_, err = r.Next()
		}
		if err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return reject, []string{Warning{Line: pe.Line, Msg: pe.Msg}.String()}, err
		}
		return reject, []string{err.Error()}, err
	}
	var msgs []string
	for _, w := range r.Warnings() {
		msgs = append(msgs, w.String())
	}
	if len(msgs) > 0 {
		return warn, msgs, nil
	}
	return accept, nil, nil
}
