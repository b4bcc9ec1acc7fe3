package block

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync"
)

// DEFLATE (RFC 1951) decoding of a whole block at once: the compressed data is all in memory
// and the output is a flat buffer that is also the history window (a BGZF block is at most
// 64 KiB, more than DEFLATE's 32 KiB window). That allows what a streaming decoder cannot:
// the bit buffer is refilled eight bytes at a time, Huffman codes are decoded by one table
// look-up (two for long codes), and matches are copied eight bytes at a time into slack
// after the output. The technique is libdeflate's (Eric Biggers,
// https://github.com/ebiggers/libdeflate, lib/deflate_decompress.c), written anew here in Go.
//
// The decoder accepts exactly what Go's compress/flate accepts (the fuzz test holds it to
// that): complete Huffman codes, or a single code of length 1; an empty distance code only
// in a block that has no matches.

// Table entries. An entry packs what decoding a code word needs in one uint32:
//
//	bits 0-3   the code word's length: the bits to consume (for a subtable pointer: tableBits)
//	bits 4-7   extra bits of a length or distance (for a subtable pointer: the subtable's bits)
//	bits 8-11  flags, below; an entry with none is invalid (a symbol DEFLATE does not define,
//	           or a code word an incomplete code does not have)
//	bits 16-31 the value: a literal byte, a length or distance base, a subtable's offset
type entry uint32

const (
	flagLiteral entry = 1 << 8
	flagEnd     entry = 1 << 9  // end of block
	flagSub     entry = 1 << 10 // pointer to a subtable
	flagBase    entry = 1 << 11 // a length (litlen table) or distance with its extra bits
)

const (
	litBits  = 11 // bits of the primary literal/length table
	distBits = 8  // bits of the primary distance table

	maxLitSyms  = 288 // literal/length symbols, the two unused ones included (RFC 1951 3.2.6)
	maxDistSyms = 32  // distance symbols, the two unused ones included
	maxCodeLen  = 15

	// Table sizes: the primary table plus, at most, one full subtable for each primary entry
	// that long codes share; bounds as in zlib's ENOUGH, rounded up.
	litTableSize  = 1<<litBits + maxLitSyms*(1<<(maxCodeLen-litBits))
	distTableSize = 1<<distBits + maxDistSyms*(1<<(maxCodeLen-distBits))
)

// Slack is how many bytes past the end of the output Inflate may write (and later overwrite)
// while copying matches eight bytes at a time: the output buffer must have this much room
// after the largest output it accepts (a match is at most 258 bytes).
const Slack = 258 + 16

// lengthBase and lengthExtra give the match length of symbols 257..285 (RFC 1951 3.2.5).
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// codeOrder is the order of the code length code lengths (RFC 1951 3.2.7).
	codeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// litSym and distSym are the table entries of each symbol, without the code word length.
func litSym(s int) entry {
	switch {
	case s < 256:
		return flagLiteral | entry(s)<<16
	case s == 256:
		return flagEnd
	case s < 286:
		i := s - 257
		return flagBase | entry(lengthBase[i])<<16 | entry(lengthExtra[i])<<4
	}
	return 0
}

func distSym(s int) entry {
	if s < 30 {
		return flagBase | entry(distBase[s])<<16 | entry(distExtra[s])<<4
	}
	return 0
}

// fixedTables are the tables of the fixed Huffman codes (RFC 1951 3.2.6), built once.
var fixedTables = sync.OnceValue(func() *Decoder {
	d := new(Decoder)
	var lens [maxLitSyms + maxDistSyms]uint8
	for i := range maxLitSyms {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	for i := range maxDistSyms {
		lens[maxLitSyms+i] = 5
	}
	if !build(d.lit[:], lens[:maxLitSyms], litBits, litSym) || !build(d.dist[:], lens[maxLitSyms:], distBits, distSym) {
		panic("block: the fixed Huffman codes do not build") // a bug here, not bad input
	}
	return d
})

// build fills table for a canonical Huffman code given by its code lengths (RFC 1951 3.2.2):
// the primary table of 2^tableBits entries, indexed by the next tableBits input bits, then
// the subtables of codes longer than that. It reports false for an over-subscribed code, or
// an incomplete one other than a single code of length 1 (what compress/flate accepts).
func build(table []entry, lens []uint8, tableBits uint, sym func(int) entry) bool {
	var count [maxCodeLen + 1]int
	maxLen := 0
	for _, l := range lens {
		count[l]++
		maxLen = max(maxLen, int(l))
	}
	primary := table[:1<<tableBits]
	if maxLen == 0 {
		clear(primary) // an empty code: any use of it is an error
		return true
	}
	left := 1
	for l := 1; l <= maxCodeLen; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return false
		}
	}
	if left != 0 {
		if !(maxLen == 1 && count[1] == 1) {
			return false
		}
		clear(primary) // the half of the table the single code leaves out stays invalid
	}
	var next [maxCodeLen + 1]int
	code := 0
	for l := 1; l <= maxCodeLen; l++ {
		next[l] = code
		code = (code + count[l]) << 1
	}
	// Long codes: the subtable of each primary entry they share must be as deep as the
	// longest of them. Codes are assigned in order of length and then symbol, so a
	// prefix's codes come in one run only if they are visited in code order: find the
	// depths first.
	var depth [1 << litBits]uint8 // by primary index; litBits >= distBits
	var codes [maxLitSyms]uint16
	{
		nx := next
		for s, l := range lens {
			if l == 0 {
				continue
			}
			c := nx[l]
			nx[l]++
			codes[s] = uint16(c)
			if uint(l) > tableBits {
				rev := bits.Reverse16(uint16(c)) >> (16 - l)
				p := rev & (1<<tableBits - 1)
				depth[p] = max(depth[p], l-uint8(tableBits))
			}
		}
	}
	sub := 1 << tableBits // where the next subtable goes
	var subAt [1 << litBits]uint16
	for s, l := range lens {
		if l == 0 {
			continue
		}
		rev := uint(bits.Reverse16(codes[s]) >> (16 - l))
		e := sym(s)
		if uint(l) <= tableBits {
			e |= entry(l)
			for i := rev; i < uint(len(primary)); i += 1 << l {
				primary[i] = e
			}
			continue
		}
		p := rev & (1<<tableBits - 1)
		d := uint(depth[p])
		if subAt[p] == 0 {
			if sub+1<<d > len(table) {
				return false // cannot happen for a code that passed the checks above
			}
			subAt[p] = uint16(sub)
			primary[p] = flagSub | entry(tableBits) | entry(d)<<4 | entry(sub)<<16
			sub += 1 << d
		}
		st := table[subAt[p] : int(subAt[p])+1<<d]
		e |= entry(uint(l) - tableBits)
		for i := rev >> tableBits; i < uint(len(st)); i += 1 << (uint(l) - tableBits) {
			st[i] = e
		}
	}
	return true
}

// Decoder inflates raw DEFLATE data. It keeps its tables between calls. It is not safe for
// concurrent use; its zero value is ready to use.
type Decoder struct {
	lit  [litTableSize]entry
	dist [distTableSize]entry
	lens [maxLitSyms + maxDistSyms]uint8
}

// DeflateError reports DEFLATE data that cannot be decoded, at a byte offset into it. It is
// a plain value.
type DeflateError struct {
	Offset int    // byte offset into the DEFLATE data
	Msg    string // what is wrong
}

func (e *DeflateError) Error() string {
	return fmt.Sprintf("DEFLATE data corrupt at byte %d: %s", e.Offset, e.Msg)
}

// bitReader reads DEFLATE's bit stream, least significant bit first. Inflate's hot loop
// keeps b, n and pos in locals and stores them back before it calls the methods.
type bitReader struct {
	src []byte
	b   uint64 // the next input bits
	n   uint   // valid bits in b
	pos int    // bytes of src loaded into b, the zero bytes past the end included
}

// refill makes n at least 56: eight bytes at a time while eight remain, then byte by byte,
// then zero bytes, which are an error if used (Inflate checks at the end). Past 16 zero
// bytes it reports false.
func (r *bitReader) refill() bool {
	if r.pos+8 <= len(r.src) {
		r.b |= binary.LittleEndian.Uint64(r.src[r.pos:]) << r.n
		r.pos += int((63 - r.n) >> 3)
		r.n |= 56
		return true
	}
	for r.n <= 56 {
		if r.pos < len(r.src) {
			r.b |= uint64(r.src[r.pos]) << r.n
		} else if r.pos > len(r.src)+16 {
			return false
		}
		r.pos++
		r.n += 8
	}
	return true
}

// load8 is the fast path of refill for a bit buffer held in locals (b, n, pos), as the
// Huffman loop of Inflate holds it: it adds the eight bytes of src at pos, which must be
// there. It is small enough to be inlined.
func load8(src []byte, b uint64, n uint, pos int) (uint64, uint, int) {
	return b | binary.LittleEndian.Uint64(src[pos:])<<(n&63), n | 56, pos + int((63-n)>>3)
}

// refillFrom is refill for a bit buffer held in locals: it refills b, n, pos through r and
// returns them with refill's answer.
func (r *bitReader) refillFrom(b uint64, n uint, pos int) (uint64, uint, int, bool) {
	r.b, r.n, r.pos = b, n, pos
	ok := r.refill()
	return r.b, r.n, r.pos, ok
}

// take returns the next k bits; n must be at least k.
func (r *bitReader) take(k uint) uint64 {
	v := r.b & (1<<k - 1)
	r.b >>= k
	r.n -= k
	return v
}

// need refills when fewer than k bits are held.
func (r *bitReader) need(k uint) bool {
	return r.n >= k || r.refill()
}

func corrupt(o, pos int, src []byte, msg string) (int, error) {
	return o, &DeflateError{Offset: min(pos, len(src)), Msg: msg}
}

// Inflate decodes the raw DEFLATE stream in src (RFC 1951, without a gzip or zlib wrapper)
// into dst and returns the number of bytes written. The output must fit in
// len(dst)-Slack bytes; dst[n:] is overwritten. Data after the end of the stream in src is
// ignored, as compress/flate ignores it; a stream that ends early is an error.
func (d *Decoder) Inflate(dst, src []byte) (int, error) {
	if len(dst) < Slack {
		return 0, &DeflateError{Msg: "output buffer smaller than Slack"}
	}
	limit := len(dst) - Slack // most output accepted
	br := bitReader{src: src}
	o := 0
	for final := false; !final; {
		if !br.need(3) {
			return corrupt(o, br.pos, src, "the data ends inside a block")
		}
		final = br.take(1) != 0
		var lit, dist []entry
		switch br.take(2) {
		case 0: // stored
			br.take(br.n & 7)
			p := br.pos - int(br.n>>3) // the bytes in b are src[p:pos]
			br.b, br.n = 0, 0
			if p+4 > len(src) {
				return corrupt(o, len(src), src, "the data ends inside a stored block's header")
			}
			size := int(binary.LittleEndian.Uint16(src[p:]))
			if uint16(size) != ^binary.LittleEndian.Uint16(src[p+2:]) {
				return corrupt(o, p, src, "stored block length and its complement disagree")
			}
			p += 4
			if p+size > len(src) {
				return corrupt(o, len(src), src, "the data ends inside a stored block")
			}
			if o+size > limit {
				return corrupt(o, p, src, "more output than the buffer holds")
			}
			copy(dst[o:], src[p:p+size])
			o += size
			br.pos = p + size
			continue
		case 1:
			f := fixedTables()
			lit, dist = f.lit[:], f.dist[:]
		case 2:
			if msg := d.readTables(&br); msg != "" {
				return corrupt(o, br.pos, src, msg)
			}
			lit, dist = d.lit[:], d.dist[:]
		default:
			return corrupt(o, br.pos, src, "block type 3 is reserved")
		}

		// Huffman-coded data: one literal, a match or the end of the block per turn. The
		// bit buffer lives in locals here. A literal/length code word takes at most 15 bits;
		// a length's extra bits, the distance code word and its extra bits at most 33 more.
		b, n, pos := br.b, br.n, br.pos
		var ok bool
		litp := (*[1 << litBits]entry)(lit)
		distp := (*[1 << distBits]entry)(dist)
		for {
			if n < 15 {
				if pos+8 <= len(src) {
					b, n, pos = load8(src, b, n, pos)
				} else if b, n, pos, ok = br.refillFrom(b, n, pos); !ok {
					return corrupt(o, pos, src, "the data ends inside a block")
				}
			}
			e := litp[b&(1<<litBits-1)]
			if e&flagSub != 0 {
				b >>= litBits
				n -= litBits
				e = lit[uint(e>>16)+uint(b&(1<<((e>>4)&15)-1))]
			}
			cl := uint(e & 15)
			b >>= cl
			n -= cl
			if e&flagLiteral != 0 {
				if o >= limit {
					return corrupt(o, pos, src, "more output than the buffer holds")
				}
				dst[o] = byte(e >> 16)
				o++
				continue
			}
			if e&flagBase == 0 {
				if e&flagEnd != 0 {
					break
				}
				return corrupt(o, pos, src, "invalid literal/length code")
			}
			if n < 33 {
				if pos+8 <= len(src) {
					b, n, pos = load8(src, b, n, pos)
				} else if b, n, pos, ok = br.refillFrom(b, n, pos); !ok {
					return corrupt(o, pos, src, "the data ends inside a block")
				}
			}
			eb := uint(e>>4) & 15
			length := int(e>>16) + int(b&(1<<eb-1))
			b >>= eb
			n -= eb

			e = distp[b&(1<<distBits-1)]
			if e&flagSub != 0 {
				b >>= distBits
				n -= distBits
				e = dist[uint(e>>16)+uint(b&(1<<((e>>4)&15)-1))]
			}
			cl = uint(e & 15)
			b >>= cl
			n -= cl
			if e&flagBase == 0 {
				return corrupt(o, pos, src, "invalid distance code")
			}
			eb = uint(e>>4) & 15
			distance := int(e>>16) + int(b&(1<<eb-1))
			b >>= eb
			n -= eb
			if distance > o {
				return corrupt(o, pos, src, "distance before the start of the output")
			}
			if o+length > limit {
				return corrupt(o, pos, src, "more output than the buffer holds")
			}
			from := o - distance
			switch {
			case distance >= 8:
				// Eight bytes at a time, the first sixteen unconditionally; the last word may
				// write past o+length, into what later output (or the slack) overwrites.
				// Reading after writing in order is right for overlapping copies: each word
				// read lies at least eight bytes back.
				t := dst[o : o+length+16]
				f := dst[from : from+length+16]
				binary.LittleEndian.PutUint64(t[0:8], binary.LittleEndian.Uint64(f[0:8]))
				binary.LittleEndian.PutUint64(t[8:16], binary.LittleEndian.Uint64(f[8:16]))
				for k := 16; k < length; k += 8 {
					binary.LittleEndian.PutUint64(t[k:k+8], binary.LittleEndian.Uint64(f[k:k+8]))
				}
			case distance == 1:
				c := dst[from]
				for k := range length {
					dst[o+k] = c
				}
			default:
				for k := range length {
					dst[o+k] = dst[from+k]
				}
			}
			o += length
		}
		br.b, br.n, br.pos = b, n, pos
	}
	// The input consumed, pos minus the unread bits, must not include the zero bytes
	// refill adds past the end.
	if br.pos-int(br.n>>3) > len(src) {
		return o, &DeflateError{Offset: len(src), Msg: "the data ends inside the last block"}
	}
	return o, nil
}

// readTables reads the code lengths of a dynamic block (RFC 1951 3.2.7) and builds its
// tables. It returns an error message, or "".
func (d *Decoder) readTables(br *bitReader) string {
	if !br.need(14) {
		return "the data ends inside a block header"
	}
	nlit := int(br.take(5)) + 257
	ndist := int(br.take(5)) + 1
	nclen := int(br.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return "too many length or distance codes"
	}
	var clens [19]uint8
	for i := range nclen {
		if !br.need(3) {
			return "the data ends inside a block header"
		}
		clens[codeOrder[i]] = uint8(br.take(3))
	}
	// The code length code is decoded with a table of 7 bits, the longest it can have.
	var ctab [1 << 7]entry
	if !build(ctab[:], clens[:], 7, func(s int) entry { return flagLiteral | entry(s)<<16 }) {
		return "invalid code length code"
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if !br.need(7 + 7) {
			return "the data ends inside a block header"
		}
		e := ctab[br.b&(1<<7-1)]
		if e&flagLiteral == 0 {
			return "invalid code length code word"
		}
		br.take(uint(e & 15))
		sym := int(e >> 16)
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return "repeat of a code length with none before it"
			}
			rep, val = 3+int(br.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(br.take(3))
		default:
			rep = 11 + int(br.take(7))
		}
		if i+rep > len(lens) {
			return "code lengths run past the number of codes"
		}
		for k := range rep {
			lens[i+k] = val
		}
		i += rep
	}
	if !build(d.lit[:], lens[:nlit], litBits, litSym) {
		return "invalid literal/length code"
	}
	if !build(d.dist[:], lens[nlit:], distBits, distSym) {
		return "invalid distance code"
	}
	return ""
}
