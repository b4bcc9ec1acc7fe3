package build

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
)

// TestBuildFailsOnCorruptGRCh37Slice changes one base of DPYD exon 2 in a copy of the
// GRCh37 slice (the rest of the shared data is linked, not copied): the build must fail,
// naming the gene, the position on both builds and both bases.
func TestBuildFailsOnCorruptGRCh37Slice(t *testing.T) {
	src := oracle.Dir(t)
	k := kbtest.Load(t)
	// DPYD exon 2 is GRCh37 chr1:98348820-98348930 (Ensembl 75); 98348900 is coding, not a
	// CPIC position and not a reference difference.
	const pos37 = 98348900
	_, pos38, ok := k.Liftover.To38("1", pos37)
	if !ok {
		t.Fatal("chr1:98348900 does not map")
	}
	base38, _ := k.Genome.Fetch("chr1", pos38, pos38)
	bad := ""
	for _, b := range []string{"A", "C", "G", "T"} {
		explained := b == base38
		for _, e := range k.ClinVar.At("chr1", pos38) {
			explained = explained || e.Alt == b
		}
		if !explained {
			bad = b
			break
		}
	}
	tmp := t.TempDir()
	rel := "genes/sequence/GRCh37/DPYD_GRCh37_NC_000001.10_97541299-98391615.fa"
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(src, p)
		dst := filepath.Join(tmp, r)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case filepath.ToSlash(r) == rel:
			return nil
		}
		return os.Symlink(p, dst)
	})
	if err != nil {
		t.Fatal(err)
	}
	data := testfile.Read(t, filepath.Join(src, rel))
	hdr, body, _ := strings.Cut(string(data), "\n")
	seq := []byte(strings.ReplaceAll(body, "\n", ""))
	i := pos37 - 97541299
	orig := string(seq[i])
	if orig != base38 {
		t.Fatalf("GRCh37 %d is %s, GRCh38 %d %s: not a position where the builds agree", pos37, orig, pos38, base38)
	}
	seq[i] = bad[0]
	testfile.Write(t, filepath.Join(tmp, rel), []byte(hdr+"\n"+string(seq)+"\n"))
	err = Build(tmp, t.TempDir())
	if !errors.Is(err, kb.ErrInconsistent) {
		t.Fatalf("Build with GRCh37 chr1:%d changed %s>%s: %v, want kb.ErrInconsistent", pos37, orig, bad, err)
	}
	t.Logf("Build: %v", err)
	for _, want := range []string{"DPYD", "chr1:" + strconv.Itoa(pos37) + " is " + bad, "chr1:" + strconv.Itoa(pos38) + " is " + base38} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// TestGlobalAlignLeftAligns: the global alignment between anchors places an indel in a
// homopolymer at its leftmost position, as VCF normalisation does (the BRCA1 poly-A
// indels between the builds are such).
func TestGlobalAlignLeftAligns(t *testing.T) {
	a, b := "GTCTGAAAAAACTTG", "GTCTGAAAAACTTG" // one A fewer in b
	pairs := globalAlign(a, b)
	if len(pairs) != len(b) {
		t.Fatalf("%d pairs, want %d", len(pairs), len(b))
	}
	// a[5] (the first A) is the unpaired base: pairs 0-4 are diagonal, then a is one ahead.
	for n, p := range pairs {
		wantI := n
		if n >= 5 {
			wantI = n + 1
		}
		if p[0] != wantI || p[1] != n {
			t.Fatalf("pair %d = %v, want [%d %d] (pairs %v)", n, p, wantI, n, pairs)
		}
	}
}
