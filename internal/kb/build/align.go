package build

import (
	"fmt"
	"sort"
)

// The GRCh37-to-GRCh38 alignment of one gene's slices (alignSlices): exact k-mers that
// occur once in each slice are anchors; the longest chain of anchors in the same order on
// both slices fixes the alignment's backbone; between anchors on the same diagonal the
// bases are compared one by one (mismatches), and where the diagonal changes a small
// global alignment of the bases between the two anchors places the indel. Nothing is
// O(n·m) over a whole gene: the global alignments only see the few hundred bases around
// an indel.

const (
	anchorK       = 24      // anchor length; 4^24 makes a chance repeat within 1 Mb negligible
	maxWindowCell = 4 << 20 // largest global alignment (cells) between two anchors
)

// aBlock is a gap-free aligned block: a[i:i+n] against b[j:j+n] (0-based offsets).
type aBlock struct{ i, j, n int }

// aDiff is a mismatch inside a block: a[i] != b[j].
type aDiff struct{ i, j int }

// alignment is the result of alignSlices.
type alignment struct {
	blocks  []aBlock
	diffs   []aDiff
	windows int // global alignments run between anchors
}

// kmerCode packs the k-mer at s[i:i+anchorK] into two bits a base; ok is false if it
// holds a base other than A, C, G, T.
func kmerCode(s string, i int) (uint64, bool) {
	var c uint64
	for _, x := range []byte(s[i : i+anchorK]) {
		var v uint64
		switch x {
		case 'A':
		case 'C':
			v = 1
		case 'G':
			v = 2
		case 'T':
			v = 3
		default:
			return 0, false
		}
		c = c<<2 | v
	}
	return c, true
}

// uniqueKmers maps every k-mer of s that occurs once to its offset (-1: repeated).
func uniqueKmers(s string) map[uint64]int {
	m := make(map[uint64]int, len(s))
	for i := 0; i+anchorK <= len(s); i++ {
		c, ok := kmerCode(s, i)
		if !ok {
			continue
		}
		if _, seen := m[c]; seen {
			m[c] = -1
		} else {
			m[c] = i
		}
	}
	return m
}

// anchors returns the longest chain of unique k-mer matches (i, j) with both offsets
// strictly increasing.
func anchors(a, b string) []aBlock {
	ua, ub := uniqueKmers(a), uniqueKmers(b)
	var cand []aBlock
	for i := 0; i+anchorK <= len(a); i++ {
		c, ok := kmerCode(a, i)
		if !ok || ua[c] != i {
			continue
		}
		if j, ok := ub[c]; ok && j >= 0 {
			cand = append(cand, aBlock{i, j, anchorK})
		}
	}
	// Longest increasing subsequence of j over candidates sorted by i.
	tails := []int{} // tails[l]: index in cand of the smallest j ending a chain of length l+1
	prev := make([]int, len(cand))
	for x, c := range cand {
		l := sort.Search(len(tails), func(t int) bool { return cand[tails[t]].j >= c.j })
		if l > 0 {
			prev[x] = tails[l-1]
		} else {
			prev[x] = -1
		}
		if l == len(tails) {
			tails = append(tails, x)
		} else {
			tails[l] = x
		}
	}
	if len(tails) == 0 {
		return nil
	}
	chain := make([]aBlock, len(tails))
	for x, l := tails[len(tails)-1], len(tails)-1; x >= 0; x, l = prev[x], l-1 {
		chain[l] = cand[x]
	}
	return chain
}

// aligner accumulates blocks and mismatches.
type aligner struct {
	a, b  string
	out   alignment
	cur   aBlock // the open block
	valid bool
}

// extend adds the pair a[i], b[j] to the alignment: the open block grows when (i, j)
// continues its diagonal, otherwise a new block opens.
func (x *aligner) extend(i, j int) {
	if x.valid && i == x.cur.i+x.cur.n && j == x.cur.j+x.cur.n {
		x.cur.n++
	} else {
		x.flush()
		x.cur, x.valid = aBlock{i, j, 1}, true
	}
	if x.a[i] != x.b[j] {
		x.out.diffs = append(x.out.diffs, aDiff{i, j})
	}
}

func (x *aligner) flush() {
	if x.valid {
		x.out.blocks = append(x.out.blocks, x.cur)
	}
	x.valid = false
}

// alignSlices aligns a (GRCh37) to b (GRCh38). The leading and trailing bases before the
// first and after the last anchor are aligned along that anchor's diagonal as far as both
// slices reach and the bases keep agreeing (a mismatch is kept only when the next 8 bases
// match); the rest of the longer slice is left unaligned.
func alignSlices(a, b string) (alignment, error) {
	chain := anchors(a, b)
	if len(chain) == 0 {
		return alignment{}, fmt.Errorf("no shared %d-mer", anchorK)
	}
	x := &aligner{a: a, b: b}
	// Leading bases: walk back from the first anchor.
	first := chain[0]
	lead := 0
	for d := 1; first.i-d >= 0 && first.j-d >= 0; d++ {
		if a[first.i-d] != b[first.j-d] && !agreeBack(a, b, first.i-d-1, first.j-d-1, 8) {
			break
		}
		lead = d
	}
	for d := lead; d >= 1; d-- {
		x.extend(first.i-d, first.j-d)
	}
	ci, cj := first.i, first.j // next unaligned offsets
	for _, an := range chain {
		if an.i+an.n <= ci || an.j+an.n <= cj {
			continue // inside what is aligned already
		}
		if an.j-an.i == cj-ci {
			// Same diagonal: compare base by base, unless the stretch looks like an
			// indel pair (too many mismatches), which the global alignment handles.
			mm := 0 // an.i < ci: the anchor overlaps the aligned bases
			for k := 0; ci+k < an.i; k++ {
				if a[ci+k] != b[cj+k] {
					mm++
				}
			}
			if mm <= max(3, (an.i-ci)/50) {
				for ; ci < an.i+an.n; ci, cj = ci+1, cj+1 {
					x.extend(ci, cj)
				}
				continue
			}
		}
		// The diagonal changes: align globally from the open block's last anchorK bases
		// (an exact match, so nothing is lost by realigning them) to the anchor's end.
		back := 0
		if x.valid {
			back = min(anchorK, x.cur.n-1)
			x.cur.n -= back
			// Mismatches in the trimmed part are re-found by the global alignment.
			for len(x.out.diffs) > 0 && x.out.diffs[len(x.out.diffs)-1].i >= ci-back {
				x.out.diffs = x.out.diffs[:len(x.out.diffs)-1]
			}
		}
		si, sj := ci-back, cj-back
		ei, ej := an.i+an.n, an.j+an.n
		if (ei-si+1)*(ej-sj+1) > maxWindowCell {
			return alignment{}, fmt.Errorf("bases %d-%d and %d-%d between two anchors are too far apart to align (%d x %d)", si, ei, sj, ej, ei-si, ej-sj)
		}
		for _, p := range globalAlign(a[si:ei], b[sj:ej]) {
			x.extend(si+p[0], sj+p[1])
		}
		x.out.windows++
		ci, cj = ei, ej
	}
	// Trailing bases.
	for ci < len(a) && cj < len(b) {
		if a[ci] != b[cj] && !agreeFwd(a, b, ci+1, cj+1, 8) {
			break
		}
		x.extend(ci, cj)
		ci, cj = ci+1, cj+1
	}
	x.flush()
	return x.out, nil
}

// agreeBack reports whether the n bases ending at a[i], b[j] (going left) are equal.
func agreeBack(a, b string, i, j, n int) bool {
	for k := 0; k < n; k++ {
		if i-k < 0 || j-k < 0 || a[i-k] != b[j-k] {
			return false
		}
	}
	return true
}

// agreeFwd reports whether the n bases starting at a[i], b[j] are equal.
func agreeFwd(a, b string, i, j, n int) bool {
	for k := 0; k < n; k++ {
		if i+k >= len(a) || j+k >= len(b) || a[i+k] != b[j+k] {
			return false
		}
	}
	return true
}

// Scores of globalAlign.
const (
	match    = 2
	mismatch = -4
	open     = -10 // opening a gap (its first base included)
	ext      = -1  // each further base of a gap
	neg      = -1 << 30
)

// gapFrom returns the traceback state a gap cell of score g came from: the same gap
// extended (state self, when extending is possible), a pair (state 0) or the other gap.
func gapFrom(g, same, pair, other int32, canExtend bool, self, otherGap int) int {
	switch {
	case canExtend && g == same+ext:
		return self
	case g == pair+open:
		return 0
	case g == other+open:
		return otherGap
	}
	return self
}

// globalAlign aligns a and b end to end with affine gap costs (Gotoh) and returns the
// aligned pairs (offsets in a and b), in order. A gap is placed leftmost among equally
// good placements (as VCF normalisation left-aligns an indel).
func globalAlign(a, b string) [][2]int {
	n, m := len(a), len(b)
	w := m + 1
	// H: best ending in a pair; E: ending in a gap in a (b base unpaired); F: gap in b.
	H, E, F := make([]int32, (n+1)*w), make([]int32, (n+1)*w), make([]int32, (n+1)*w)
	for i := 0; i <= n; i++ {
		for j := 0; j <= m; j++ {
			k := i*w + j
			switch {
			case i == 0 && j == 0:
				H[k], E[k], F[k] = 0, neg, neg
				continue
			case i == 0:
				H[k], F[k] = neg, neg
				E[k] = int32(open + ext*(j-1))
				continue
			case j == 0:
				H[k], E[k] = neg, neg
				F[k] = int32(open + ext*(i-1))
				continue
			}
			s := int32(mismatch)
			if a[i-1] == b[j-1] {
				s = match
			}
			d := (i-1)*w + j - 1
			H[k] = max(H[d], E[d], F[d]) + s
			l := k - 1
			E[k] = max(max(H[l], F[l])+open, E[l]+ext)
			u := k - w
			F[k] = max(max(H[u], E[u])+open, F[u]+ext)
		}
	}
	// Trace back from the end. Preferring a pair over a gap when scores tie while
	// walking from the right pushes gaps to the left.
	var rev [][2]int
	i, j := n, m
	k := i*w + j
	state := 0 // 0 H, 1 E, 2 F
	best := H[k]
	if E[k] > best {
		state, best = 1, E[k]
	}
	if F[k] > best {
		state = 2
	}
	for i > 0 || j > 0 {
		k = i*w + j
		switch state {
		case 0:
			rev = append(rev, [2]int{i - 1, j - 1})
			s := int32(mismatch)
			if a[i-1] == b[j-1] {
				s = match
			}
			d := (i-1)*w + j - 1
			switch H[k] - s {
			case H[d]:
				state = 0
			case E[d]:
				state = 1
			default:
				state = 2
			}
			i, j = i-1, j-1
		case 1:
			l := k - 1
			state = gapFrom(E[k], E[l], H[l], F[l], j > 1 && i > 0, 1, 2)
			j--
		case 2:
			u := k - w
			state = gapFrom(F[k], F[u], H[u], E[u], i > 1 && j > 0, 2, 1)
			i--
		}
		if i == 0 && j > 0 {
			state = 1
		}
		if j == 0 && i > 0 {
			state = 2
		}
	}
	for l, r := 0, len(rev)-1; l < r; l, r = l+1, r-1 {
		rev[l], rev[r] = rev[r], rev[l]
	}
	return rev
}
