// Package coverage says, per ordered gene, how much of its MANE Select coding exons ±2 bp
// the input shows as sequenced at adequate quality (DESIGN.md clinical rules 1 and 7). A
// negative result is only as good as the bases that were looked at; EuroGentest and ESHG
// ask diagnostic NGS reports to state the coverage of the reported regions (Matthijs et
// al., Eur J Hum Genet 2016;24:2-5).
//
// The target of a gene (Targets) is the coding part of each exon of its MANE Select
// transcript, with the 2 intronic bases beside every exon boundary that is a splice
// junction (the canonical splice sites). Exon numbers are 1-based in transcript order.
//
// Coverage comes from one of two sources:
//
//   - a gVCF (GVCF): reference blocks (ALT <NON_REF> from GATK HaplotypeCaller -ERC GVCF,
//     https://gatk.broadinstitute.org/hc/en-us/articles/360035531812-GVCF-Genomic-Variant-Call-Format;
//     ALT <*> from DeepVariant and VCFv4.3 section 5.5, https://samtools.github.io/hts-specs/VCFv4.3.pdf)
//     spanning POS..INFO/END, and variant or reference sites spanning their REF. A block or
//     site counts as covered only when its depth is at least MinDP and its FORMAT GQ at
//     least MinGQ, and its GT is not all missing. The depth of a block is FORMAT MIN_DP
//     when the caller writes it (GATK and DeepVariant do: the lowest depth in the block;
//     DeepVariant blocks carry no DP at all), else FORMAT DP. A record without a depth or
//     without GQ does not count as covered. FILTER is not consulted: it judges the
//     variant call, not whether the bases were read. A base that a failing record also
//     spans is not covered (the conservative reading of two records that disagree).
//   - a callable-regions BED (ReadBED; BED format: https://samtools.github.io/hts-specs/BEDv1.pdf,
//     0-based half-open): a plain 3-column BED lists callable intervals; with a 4th column,
//     only intervals labelled CALLABLE (GATK CallableLoci, mosdepth --quantize with
//     MOSDEPTH_Q*=CALLABLE) or a mosdepth quantize bin "lo:hi" with lo >= MinDP (for
//     example "10:150" or "150:inf" at MinDP 10) count; NO_COVERAGE, LOW_COVERAGE,
//     EXCESSIVE_COVERAGE, POOR_MAPPING_QUALITY, REF_N and any other label do not.
//
// With neither (a VCF of variant sites only), None gives source "none" and says in words
// that a negative result cannot exclude variants in the gene.
//
// Memory stays small: only the intervals that overlap the targets (coding exons of nine
// genes, a few tens of kilobases) are kept, never a per-base array.
package coverage
