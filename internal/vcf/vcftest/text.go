package vcftest

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
)

// OpenText opens a VCF file as text: plain, or gzip and BGZF (multi-member gzip)
// decompressed, told apart by their first two bytes. It reads the file the simple way,
// without package vcf, so that tests can count on it as an independent oracle.
func OpenText(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, err
		}
		return textFile{gz, f}, nil
	}
	return textFile{br, f}, nil
}

// textFile reads r and closes the file under it.
type textFile struct {
	io.Reader
	f *os.File
}

func (t textFile) Close() error { return t.f.Close() }
