package vcf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestDumpCorpus(t *testing.T) {
	var files []string
	for _, g := range strings.Split(os.Getenv("DUMP_GLOB"), ",") {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	sort.Strings(files)
	for _, f := range files {
		r, err := Open(f, Options{})
		if err != nil {
			fmt.Printf("%s\tREJECT\t%v\n", f, err)
			continue
		}
		var rerr error
		recs := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				rerr = err
				var pe *ParseError
				if !errors.As(err, &pe) {
					break
				}
				break
			}
			recs++
		}
		ws := r.Warnings()
		r.Close()
		if rerr != nil {
			fmt.Printf("%s\tREJECT\t%v\n", f, rerr)
			continue
		}
		if len(ws) == 0 {
			fmt.Printf("%s\tACCEPT\t%d records\n", f, recs)
			continue
		}
		for _, w := range ws {
			fmt.Printf("%s\tWARN\t%s\n", f, w)
		}
	}
}
