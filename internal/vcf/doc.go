// Package vcf reads Variant Call Format files (VCF 4.0 to 4.3, plain text, gzip or BGZF) as a
// stream of records, with memory that stays flat whatever the file size.
//
// The format is specified at https://samtools.github.io/hts-specs/VCFv4.3.pdf (and the 4.1 and
// 4.2 editions beside it). A Reader checks each line against it and sorts problems in two kinds:
//
//   - data that cannot be used (a bad POS, REF or ALT, a wrong column count, a genotype that
//     names an allele the record does not have, a missing #CHROM line, ...) is a *ParseError
//     naming the file, the line and the problem; errors.Is(err, ErrMalformed) holds for it;
//   - problems annotation can go on with (an INFO value of the wrong type, an undefined key, a
//     malformed header definition, unsorted records, ...) are kept as Warnings, each naming its
//     line.
//
// Whole-genome files are read quickly by filtering early: Options.Keep sees CHROM and POS of
// every record before anything else on the line is parsed, and a rejected record costs no
// allocation. BGZF input is decompressed in parallel, block by block, with a whole-block
// DEFLATE decoder (package block, about twice as fast as compress/flate).
//
// The header is parsed here too: the ##INFO, ##FORMAT, ##FILTER and ##contig lines are
// structured meta lines (VCFv4.3 section 1.4: ##KEY=<ID=...,Number=...,Type=...,
// Description="...">, with \" and \\ escapes inside quoted values), read into Header.Infos,
// Formats, Filters and Contigs; a malformed one is a warning naming its line.
package vcf
