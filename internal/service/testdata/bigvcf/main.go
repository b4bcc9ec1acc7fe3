// Command bigvcf writes a whole-genome-scale BGZF VCF (vcftest.Write on the embedded
// knowledge base's genome) for the cluster fault tests: built and run as its own process,
// without the race detector, it takes seconds where the same code under -race takes minutes.
//
//	go run ./internal/service/testdata/bigvcf -records 1500000 -out big.vcf.gz
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/biogo/hts/bgzf"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

func main() {
	records := flag.Int("records", 1_500_000, "records to write")
	seed := flag.Uint64("seed", 11, "generator seed")
	out := flag.String("out", "", "output file (.vcf.gz, BGZF)")
	flag.Parse()
	if err := write(*out, *records, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "bigvcf:", err)
		os.Exit(1)
	}
}

func write(path string, records int, seed uint64) error {
	if path == "" {
		return fmt.Errorf("-out is required")
	}
	k, err := kb.Load()
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := bgzf.NewWriter(f, 2)
	if err := vcftest.Write(zw, vcftest.Spec{Records: records, Seed: seed}, k.Genome); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
