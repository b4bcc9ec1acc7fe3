// Package harness is the benchmark harness run by cmd/precis-bench (and by `precis bench`,
// which hands over to that program): a benchmark bioinformaticians can run on their own
// machine, with nothing but the precis binary and, for the comparison rows, bcftools, tabix
// and a MinIO server. It lives outside the precis binary: a clinical build links none of it.
//
// Run generates (or reuses, cached by spec) a WGS-scale, an exome-size and a panel-size
// BGZF VCF with real ClinVar P/LP variants of the panel genes planted from the embedded
// knowledge base (Input, Plants), indexes them with `tabix -p vcf` (or Index, biogo/hts,
// without tabix) and the WGS-scale file also with `tabix --csi -p vcf`, and measures side
// by side on the same files: the decompression limit (`bgzip -dc`), `bcftools view -T`
// (streaming) and `-R` (indexed), and `precis annotate` streaming and indexed, through the
// .tbi and (WGS-scale file) through the CSI. Each command runs as its own process (Measure:
// wall time, peak RSS from /proc/PID/status VmHWM, bytes read from /proc/PID/io). It then
// runs the service (a MinIO process, embedded NATS JetStream and workers, internal/service)
// on the WGS-scale file from S3, streamed and through each index, counting the object bytes
// the workers read, and compares the service with the CLI on many exome-size samples
// (RunCLIs, RunService). On a service of its own it then measures reanalysis (issue 15):
// exome-size samples reported with a knowledge base built from the ClinVar 2024-12 subset
// alone (OlderKB, cached by version), then the embedded one published, timed until every
// report is re-evaluated, with precis_reanalyses_total's outcomes (RunReanalysis). The cluster
// row (issue 16) runs the exome-size samples through a 3-node NATS JetStream cluster of
// nats-server processes (R3), MinIO, one `precis ingest` and 1, 2 and 4 `precis worker`
// processes of the measured binary, and derives the queue's overhead per job (Cluster).
// ReadAnatomy counts what the two indexes hold, to say why one costs
// fewer bytes than the other. The results are a markdown table, a PNG plot and a JSON file
// of the raw numbers, checked against the throughput targets.
//
// With Config.GenomeBuild GRCh37 (precis-bench --build GRCh37) every generated file is
// converted to GRCh37 first (Input37: vcftest.To37 with the knowledge base's map, off-panel
// filler kept in place so the file keeps its size), cached and indexed on its own, and every
// precis report the harness reads back (side-by-side rows, the CLI batch, the service's
// stored reports) must name the configured build as its input.genome_build.
//
// The harness installs nothing: a missing program leaves its rows marked not measured, with
// the reason.
package harness
