package vcftest

import (
	"bufio"
	"compress/gzip"
	"io"
	"iter"
	"os"
)

// Lines returns an iterator over the lines of a VCF file as text: plain, or gzip and BGZF
// (multi-member gzip) decompressed, told apart by their first two bytes. A failure to open
// or read the file is yielded last, with an empty line. It reads the file the simple way,
// without package vcf, so that tests can count on it as an independent oracle.
func Lines(path string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield("", err)
			return
		}
		defer f.Close()
		br := bufio.NewReader(f)
		var r io.Reader = br
		if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			gz, err := gzip.NewReader(br)
			if err != nil {
				yield("", err)
				return
			}
			r = gz
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			if !yield(sc.Text(), nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield("", err)
		}
	}
}
