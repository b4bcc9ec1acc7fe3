// Package block reads BGZF, the blocked gzip of VCF and BAM files (SAM/BAM format
// specification, section 4.1, https://samtools.github.io/hts-specs/SAMv1.pdf). It is the one
// place of the project that frames BGZF blocks (Frame, ReadBlock, ISize, EOFMarker) and the
// one DEFLATE decoder of BGZF data: Decoder inflates a whole block at once, faster than
// compress/flate and klauspost/compress (BenchmarkInflateFile). Blocks inflates a stream on
// the calling goroutine; Reader inflates blocks on several goroutines and hands their text
// out in order.
package block
