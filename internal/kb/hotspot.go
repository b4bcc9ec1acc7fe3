package kb

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/transcript"
)

// Hotspot is a protein change known to be pathogenic.
//
// A Hotspot is a plain value, safe for concurrent use.
type Hotspot struct {
	Gene    string // "POLE"
	Protein string // HGVS protein description, predicted: "p.(Pro286Arg)"
	Short   string // one-letter form, "P286R"
	Codon   int    // 1-based amino-acid position in the MANE Select protein
	Ref     string // three-letter reference amino acid, "Pro"
	Alt     string // three-letter alternate amino acid, "Arg"
	Source  string // the publication that classifies it
}

// aminoAcids are the one-letter codes a hotspot may name: the twenty amino acids and '*'
// for a stop.
const aminoAcids = "ARNDCQEGHILKMFPSTWYV*"

// parseShortProtein splits "P286R" into reference, codon and alternate.
func parseShortProtein(s string) (ref byte, codon int, alt byte, err error) {
	if len(s) < 3 {
		return 0, 0, 0, fmt.Errorf("%w: protein change %q", ErrFormat, s)
	}
	ref, alt = s[0], s[len(s)-1]
	codon, err = strconv.Atoi(s[1 : len(s)-1])
	if err != nil || codon < 1 || strings.IndexByte(aminoAcids, ref) < 0 || strings.IndexByte(aminoAcids, alt) < 0 {
		return 0, 0, 0, fmt.Errorf("%w: protein change %q", ErrFormat, s)
	}
	return ref, codon, alt, nil
}

// NewHotspot builds a Hotspot from its one-letter form ("P286R") and the publication
// that classifies it.
func NewHotspot(gene, short, source string) (Hotspot, error) {
	ref, codon, alt, err := parseShortProtein(short)
	if err != nil {
		return Hotspot{}, err
	}
	r, a := transcript.ThreeLetter(ref), transcript.ThreeLetter(alt)
	return Hotspot{Gene: gene, Short: short, Codon: codon, Ref: r, Alt: a,
		Protein: fmt.Sprintf("p.(%s%d%s)", r, codon, a), Source: source}, nil
}

const hotspotsHeader = "#gene\tshort\tprotein\tcodon\tref\talt\tsource\t(codon: 1-based amino-acid position)\n"

// WriteHotspots writes the hotspot table.
func WriteHotspots(w io.Writer, hs []Hotspot) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(hotspotsHeader)
	for _, h := range hs {
		fmt.Fprintf(bw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", h.Gene, h.Short, h.Protein, h.Codon, h.Ref, h.Alt, h.Source)
	}
	return bw.Flush()
}

// parseHotspots reads the table written by WriteHotspots; every row must agree with its
// own one-letter form.
func parseHotspots(data string) ([]Hotspot, error) {
	var out []Hotspot
	err := eachRow(data, "hotspots", 7, func(n int, f []string) error {
		h, err := NewHotspot(f[0], f[1], f[6])
		if err != nil {
			return fmt.Errorf("hotspots line %d: %w", n, err)
		}
		if !isPanelGene(h.Gene) || h.Protein != f[2] || strconv.Itoa(h.Codon) != f[3] || h.Ref != f[4] || h.Alt != f[5] {
			return fmt.Errorf("%w: hotspots line %d: fields disagree with %s %s", ErrFormat, n, f[0], f[1])
		}
		out = append(out, h)
		return nil
	})
	return out, err
}
