// Package block reads BGZF, the blocked gzip of VCF and BAM files (SAM/BAM format
// specification, section 4.1, https://samtools.github.io/hts-specs/SAMv1.pdf): a fast DEFLATE
// decoder for whole blocks and a Reader that inflates blocks on several goroutines and hands
// their text out in order.
package block
