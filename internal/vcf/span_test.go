package vcf

import (
	"bytes"
	"testing"
)

func TestSpanEnd(t *testing.T) {
	tests := []struct {
		line string // the columns after POS
		pos  int
		want int
	}{
		{".\tA\tG\t50\tPASS\t.", 100, 100},
		{"rs1\tATTTTTT\tA,<*>\t35.9\tPASS\t.", 100, 106},
		{".\tG\t<*>\t0\t.\tEND=11786034", 11785319, 11786034},
		{".\tG\t<NON_REF>\t.\t.\tBLOCKAVG_min30p3a;END=2000\tGT", 1000, 2000},
		{".\tG\t.\t.\t.\tEND=1500", 1000, 1500},
		{".\tN\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=5000;SVLEN=-4000", 1000, 5000},
		{".\tN\t<DEL>\t.\tPASS\tSVTYPE=DEL;SVLEN=-4000", 1000, 5000},      // SVLEN only (Manta, DELLY without END)
		{".\tN\t<DUP:TANDEM>\t.\tPASS\tSVLEN=300;SVTYPE=DUP", 1000, 1300}, // VCF 4.4: SVLEN positive
		{".\tN\t<DEL>,<DUP>\t.\tPASS\tSVLEN=-10,20", 1000, 1020},          // Number=A: the widest
		{".\tN\t<DEL>\t.\tPASS\tSVLEN=-4000;END=1500", 1000, 1500},        // END wins
		{".\tN\t<INS>\t.\tPASS\tSVTYPE=INS;SVLEN=300", 1000, 1000},        // inserted length, no span
		{".\tN\t<DEL>\t.\tPASS\tSVLEN=x", 1000, 1000},
		{".\tG\t<*>\t0\t.\tEND=10", 1000, 1000}, // END before POS: ignored
		{".\tG\t<*>\t0\t.\tEND=x", 1000, 1000},
		{".\tG", 7, 7},
		{"", 7, 7},
	}
	for _, tt := range tests {
		if got := spanEnd([]byte(tt.line), tt.pos); got != tt.want {
			t.Errorf("spanEnd(%q, %d) = %d, want %d", tt.line, tt.pos, got, tt.want)
		}
	}
}

// TestKeepSeesBlockEnd: a gVCF reference block that starts before a region and runs into it
// is offered to Keep with its END, so it can be kept.
func TestKeepSeesBlockEnd(t *testing.T) {
	data := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n" +
		"chr1\t100\t.\tA\t<*>\t0\t.\tEND=900\tGT\t0/0\n" +
		"chr1\t901\t.\tA\tC\t50\tPASS\t.\tGT\t0/1\n"
	var ends []int
	r, err := NewReader(bytes.NewReader([]byte(data)), "blocks.g.vcf", Options{Keep: func(_ []byte, pos, end int) bool {
		ends = append(ends, end)
		return end >= 500
	}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		n++
	}
	if len(ends) != 2 || ends[0] != 900 || ends[1] != 901 || n != 2 {
		t.Errorf("Keep saw ends %v and kept %d records; want [900 901] and 2", ends, n)
	}
}
