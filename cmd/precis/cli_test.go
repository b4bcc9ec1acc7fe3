package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
)

func precis(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	data := oracle.Dir(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	raw, err := os.ReadFile(filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_c2846het.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(raw)
	zw.Close()
	truncated := write("truncated.vcf.gz", gz.Bytes()[:gz.Len()/2])
	binary := write("binary.vcf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00"))
	empty := write("empty.vcf", nil)
	// Two BRCA1 records at GRCh37 coordinates whose REF alleles are GRCh37's, only the ##fileformat line
	// (the r8 case of ../shared/conformance/safety): chr17:41209079 T (c.5266dup's anchor) and
	// chr17:41215890 C.
	b37headerless := write("b37.vcf", []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"+
		"17\t41209079\t.\tT\tTG\t.\tPASS\t.\tGT\t0/1\n17\t41215890\t.\tC\tA\t.\tPASS\t.\tGT\t0/1\n"))
	long := write("long.vcf", append(append([]byte("##fileformat=VCFv4.2\n##reference=GRCh38\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t97450058\t.\tC\tT\t.\tPASS\t"), bytes.Repeat([]byte("A"), 10<<20)...), '\n'))

	tests := []struct {
		name   string
		args   []string
		want   int
		errHas string
	}{
		{"no command", nil, exitUsage, "usage"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"bad format", []string{"annotate", "--format", "xml", "x.vcf"}, exitUsage, "--format"},
		{"bad panel", []string{"annotate", "--panels", "cardio", "x.vcf"}, exitUsage, "unknown panel"},
		{"empty panels", []string{"annotate", "--panels", "", "x.vcf"}, exitUsage, "panel list is empty"},
		{"blank panels", []string{"annotate", "--panels=  ", "x.vcf"}, exitUsage, "panel list is empty"},
		{"GRCh37 REF alleles beat --build GRCh38", []string{"annotate", "--build", "GRCh38", "--panels", "brca", b37headerless}, exitBuild, "agree with the built-in GRCh37"},
		{"no file", []string{"annotate"}, exitUsage, "usage"},
		{"missing file", []string{"annotate", filepath.Join(dir, "nope.vcf")}, exitInvalid, "no such file"},
		{"truncated gzip", []string{"annotate", truncated}, exitInvalid, "truncated.vcf.gz"},
		{"binary file", []string{"annotate", binary}, exitInvalid, "binary.vcf"},
		{"empty file", []string{"annotate", empty}, exitInvalid, "empty.vcf"},
		{"10 MB line", []string{"annotate", long}, exitInvalid, "long.vcf:4"},
		{"bad contigs", []string{"annotate", filepath.Join(data, "vcf-real", "pharmcat-preprocessor", "raw_bad_chr.vcf")}, exitInvalid, "primary chromosome"},
		{"non-standard contig", []string{"annotate", filepath.Join(data, "vcf-real", "ga4gh", "brca1_1kgPhase3_variants.vcf")}, exitInvalid, "primary chromosome"},
		{"BCF", []string{"annotate", filepath.Join(data, "vcf-real", "pharmcat-preprocessor", "raw.bcf")}, exitInvalid, "BCF"},
		{"GRCh37 accepted", []string{"annotate", filepath.Join(data, "vcf-real", "igv-reports", "1kg_phase3_sites.vcf")}, exitOK, ""},
		{"declared build contradicted", []string{"annotate", "--build", "GRCh37", filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_c2846het.vcf")}, exitBuild, "mismatch"},
		{"unknown sample", []string{"annotate", "--sample", "nobody", filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_c2846het.vcf")}, exitUsage, "nobody"},
		{"ok", []string{"annotate", filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_c2846het.vcf")}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := precis(t, nil, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.want, stderr)
			}
			if !strings.Contains(stderr, tt.errHas) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.errHas)
			}
			if strings.Contains(stderr, "panic") {
				t.Errorf("stderr shows a panic: %s", stderr)
			}
		})
	}
}

func TestStdinText(t *testing.T) {
	data := oracle.Dir(t)
	raw, err := os.ReadFile(filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_c2846het.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := precis(t, raw, "annotate", "--format", "text", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	first := strings.SplitN(out, "\n", 4)
	// The dose alert comes first (after the one-line heading).
	if len(first) < 3 || !strings.HasPrefix(first[2], "DPYD DOSE ALERT [MODERATE]") {
		t.Errorf("text output does not open with the DPYD alert:\n%s", out)
	}
	if !strings.Contains(out, "Intermediate Metabolizer") || !strings.Contains(out, "50%") {
		t.Errorf("text output lacks the phenotype or the dose advice:\n%s", out)
	}
}

func TestFlagsAfterFile(t *testing.T) {
	data := oracle.Dir(t)
	f := filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_c2846het.vcf")
	code, out, stderr := precis(t, nil, "annotate", f, "--panels", "dpyd")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Input struct {
			Panels []string `json:"panels"`
		} `json:"input"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Input.Panels) != 1 || rep.Input.Panels[0] != "dpyd" {
		t.Errorf("panels %v, want [dpyd]", rep.Input.Panels)
	}
}

// TestQualityThresholdFlags: --min-dp and --min-gq decide whether a gVCF block tests a DPYD
// position, and the report records them; a negative value is a usage error.
func TestQualityThresholdFlags(t *testing.T) {
	block := func(dp, gq int) string {
		return "##fileformat=VCFv4.2\n##reference=GRCh38\n##INFO=<ID=END,Number=1,Type=Integer,Description=\"End\">\n" +
			"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"GT\">\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"DP\">\n##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"GQ\">\n" +
			"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n" +
			fmt.Sprintf("chr1\t97450001\t.\tA\t<NON_REF>\t.\t.\tEND=97450100\tGT:DP:GQ\t0/0:%d:%d\n", dp, gq)
	}
	for _, c := range []struct {
		args     []string
		dp, gq   int
		untested bool
	}{
		{nil, 12, 30, false},
		{nil, 9, 30, true},
		{nil, 12, 19, true},
		{[]string{"--min-dp", "5"}, 9, 30, false},
		{[]string{"--min-dp", "0", "--min-gq", "0"}, 0, 0, false},
		{[]string{"--min-gq", "40"}, 50, 30, true},
	} {
		args := append([]string{"annotate", "--panels", "dpyd"}, c.args...)
		code, out, errs := precis(t, []byte(block(c.dp, c.gq)), append(args, "-")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errs)
		}
		var rep struct {
			Input struct {
				MinDP int `json:"min_dp"`
				MinGQ int `json:"min_gq"`
			} `json:"input"`
			Samples []struct {
				PGx []struct {
					Untested []string `json:"untested_positions"`
				} `json:"pgx"`
			} `json:"samples"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(rep.Samples[0].PGx[0].Untested, "rs3918290"); got != c.untested {
			t.Errorf("%v DP %d GQ %d: *2A untested %v, want %v", c.args, c.dp, c.gq, got, c.untested)
		}
		if len(c.args) == 0 && (rep.Input.MinDP != 10 || rep.Input.MinGQ != 20) {
			t.Errorf("report records min_dp %d min_gq %d, want 10 and 20", rep.Input.MinDP, rep.Input.MinGQ)
		}
	}
	if code, _, _ := precis(t, nil, "annotate", "--min-dp", "-3", "-"); code != exitUsage {
		t.Errorf("--min-dp -3: exit %d, want %d", code, exitUsage)
	}
}

// TestReorder: flags may follow the positional arguments; a boolean flag never takes the
// next argument as its value (the flag package's rule), so `submit --quiet --server URL
// --token T DIR` keeps DIR positional and URL with --server.
func TestReorder(t *testing.T) {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	quiet := fs.Bool("quiet", false, "")
	server := fs.String("server", "", "")
	token := fs.String("token", "", "")
	for _, args := range [][]string{
		{"--quiet", "--server", "http://127.0.0.1:1", "--token", "T", "DIR"},
		{"DIR", "--quiet", "--server", "http://127.0.0.1:1", "--token=T"},
		{"--server=http://127.0.0.1:1", "DIR", "-quiet", "--token", "T"},
	} {
		*quiet, *server, *token = false, "", ""
		if err := fs.Parse(reorder(fs, args)); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if !*quiet || *server != "http://127.0.0.1:1" || *token != "T" || fs.NArg() != 1 || fs.Arg(0) != "DIR" {
			t.Errorf("%q: quiet %v server %q token %q args %q", args, *quiet, *server, *token, fs.Args())
		}
	}
}
