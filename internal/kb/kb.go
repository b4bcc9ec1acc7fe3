package kb

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/vcf/block"
)

//go:embed data
var embedded embed.FS

// KB is the knowledge base: everything a report states about a variant comes from here,
// and the report records Version and Sources.
//
// A KB is immutable after Load and safe for concurrent use; callers must not modify the
// maps and slices it exposes.
type KB struct {
	Version     string                            // "2026.02-<first 10 hex digits of the manifest's SHA-256>": newest ClinVar release and content hash
	Sources     []Source                          // every source file the build read, with release, licence and checksums
	Transcripts map[string]*transcript.Transcript // MANE Select transcripts by gene symbol
	Genome      *Genome                           // GRCh38 reference bases inside the panels
	GRCh37      *Genome                           // GRCh37 bases of the panel exons (±GRCh37Flank), for genome-build evidence
	ClinVar     *ClinVar                          // ClinVar classifications of the panel genes, with conditions
	Regions     []Region                          // panel regions, sorted by contig and start
	Hotspots    []Hotspot                         // POLE exonuclease-domain pathogenic mutations
	Markers     []Marker                          // GRCh37-vs-GRCh38 build markers
	Liftover    *Liftover                         // GRCh37<->GRCh38 map of the panel genes' slices, aligned by sequence
	Checks      []string                          // what the build verified, in words

	dpydTranslation string
	dpydPhenotype   string

	pgxMu    sync.Mutex        // guards pgxFiles while LoadFS parses files concurrently
	pgxFiles map[string]string // named-allele definitions and guideline texts by file name
}

// Source is one source of the knowledge base and what was derived from it.
type Source struct {
	Name    string       `json:"name"`            // e.g. "ClinVar"
	Release string       `json:"release"`         // e.g. "ClinVar 2026-02-26", "MANE v1.0"
	Licence string       `json:"licence"`         // the source's own licence (the project's Apache-2.0 does not change it)
	Origin  string       `json:"origin"`          // where it comes from (URL, repository and commit, citation)
	Files   []SourceFile `json:"files,omitempty"` // the files read, under the shared data folder
	Derived string       `json:"derived"`         // what the knowledge base took from it
}

// SourceFile is one file a build read.
type SourceFile struct {
	Path   string `json:"path"`   // relative to the shared data folder, slash-separated
	SHA256 string `json:"sha256"` // of the file as read (compressed files: of the compressed bytes)
	Bytes  int64  `json:"bytes"`
}

// GRCh37Flank is how many bases either side of each exon the GRCh37 genome keeps.
const GRCh37Flank = 50

// The files of a knowledge base (the embedded data/ and what build.Build writes).
const (
	FileManifest        = "manifest.json"
	FileNotice          = "NOTICE"
	FileTranscripts     = "transcripts.tsv"
	FileGenome38        = "genome.GRCh38.fa.gz"
	FileGenome37        = "genome.GRCh37.fa.gz"
	FileClinVar         = "clinvar.tsv.gz"
	FileRegions         = "regions.tsv"
	FileHotspots        = "hotspots.tsv"
	FileMarkers         = "build_markers.GRCh37_vs_GRCh38.tsv"
	FileDPYDTranslation = "DPYD_translation.json.gz"
	FileDPYDPhenotype   = "DPYD_phenotype.json.gz"
	FileLiftover        = "liftover.GRCh37_GRCh38.tsv"

	// PharmCAT v3.1.1 definitions of the named-allele PGx genes, verbatim (MPL-2.0).
	FileUGT1A1Translation = "UGT1A1_translation.json.gz"
	FileUGT1A1Phenotype   = "UGT1A1_phenotype.json.gz"
	FileTPMTTranslation   = "TPMT_translation.json.gz"
	FileTPMTPhenotype     = "TPMT_phenotype.json.gz"
	FileNUDT15Translation = "NUDT15_translation.json.gz"
	FileNUDT15Phenotype   = "NUDT15_phenotype.json.gz"
	// GuidelinePrefix starts the names of the oncology PGx recommendation texts, verbatim:
	// the Markdown (FileGuidelines) and PharmCAT v2.12.0's guideline annotations
	// (GuidelinePrefix + "{name}.json.gz", e.g. "guidelines.DPWG_irinotecan_and_UGT1A1.json.gz").
	GuidelinePrefix = "guidelines."
	FileGuidelines  = GuidelinePrefix + "ONCOLOGY_PGX_RECOMMENDATIONS.md.gz"
)

// Manifest is data/manifest.json: what the knowledge base holds, where it comes from and
// what was checked when it was built. Load reads it; build.Build writes it with EncodeManifest.
type Manifest struct {
	Format        int        `json:"format"`
	Name          string     `json:"name"`
	Released      string     `json:"released"` // newest ClinVar release, YYYY-MM-DD
	GenomeBuild   string     `json:"genome_build"`
	SplicePadding int        `json:"splice_padding"`
	GRCh37Flank   int        `json:"grch37_flank"`
	Files         []DataFile `json:"files"`
	Sources       []Source   `json:"sources"`
	Checks        []string   `json:"checks"`
}

// DataFile describes one file of the knowledge base.
type DataFile struct {
	Path        string `json:"path"`
	SHA256      string `json:"sha256"` // of the content; for .gz files of the uncompressed content
	Gzip        bool   `json:"gzip"`
	Records     int    `json:"records"`
	Description string `json:"description"`
}

// ManifestFormat is the version of the manifest's layout that Load reads.
const ManifestFormat = 1

// Load reads the knowledge base embedded in the binary.
func Load() (*KB, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, fmt.Errorf("kb: embedded data: %w", err)
	}
	return LoadFS(sub)
}

// LoadDir reads a knowledge base from a directory build.Build (precis kb build) wrote,
// checking every file against the SHA-256 its manifest lists. An error names dir.
func LoadDir(dir string) (*KB, error) {
	st, err := os.Stat(dir)
	if err == nil && !st.IsDir() {
		err = fmt.Errorf("%w: not a directory", ErrFormat)
	}
	if err == nil {
		var k *KB
		if k, err = LoadFS(os.DirFS(dir)); err == nil {
			return k, nil
		}
	}
	return nil, &dirError{dir, err}
}

// dirError is LoadDir's error: which directory, and why it is not a knowledge base.
type dirError struct {
	dir string
	err error
}

func (e *dirError) Error() string {
	return "kb: " + e.dir + " is not a valid knowledge base: " + strings.TrimPrefix(e.err.Error(), "kb: ")
}

func (e *dirError) Unwrap() error { return e.err }

// LoadFS reads a knowledge base from the root of fsys, checking every file against the
// manifest's SHA-256.
func LoadFS(fsys fs.FS) (*KB, error) {
	mraw, err := fs.ReadFile(fsys, FileManifest)
	if err != nil {
		return nil, fmt.Errorf("kb: read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(mraw, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFormat, FileManifest, err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%w: %s: format %d, want %d", ErrFormat, FileManifest, m.Format, ManifestFormat)
	}
	version, err := versionOf(m.Released, mraw)
	if err != nil {
		return nil, err
	}
	k := &KB{Version: version, Sources: m.Sources, Checks: m.Checks}

	// Read, decompress and check the files concurrently; parse each as it arrives.
	want := []string{FileTranscripts, FileGenome38, FileGenome37, FileClinVar, FileRegions, FileHotspots,
		FileMarkers, FileDPYDTranslation, FileDPYDPhenotype, FileLiftover,
		FileUGT1A1Translation, FileUGT1A1Phenotype, FileTPMTTranslation, FileTPMTPhenotype, FileNUDT15Translation, FileNUDT15Phenotype,
		FileGuidelines}
	byPath := map[string]DataFile{}
	for _, f := range m.Files {
		byPath[f.Path] = f
		if strings.HasPrefix(f.Path, GuidelinePrefix) && f.Path != FileGuidelines {
			want = append(want, f.Path) // every guideline annotation listed is read and checked
		}
	}
	k.pgxFiles = map[string]string{}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for _, name := range want {
		f, ok := byPath[name]
		if !ok {
			return nil, fmt.Errorf("%w: %s does not list %s", ErrIntegrity, FileManifest, name)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, err := readDataFile(fsys, f)
			if err != nil {
				fail(err)
				return
			}
			if err := k.parse(name, data); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errs[0]
	}
	return k, nil
}

// parse fills the part of k that file name holds. Each name sets a different field.
func (k *KB) parse(name string, data string) error {
	var err error
	switch name {
	case FileTranscripts:
		k.Transcripts, err = parseTranscripts(data)
	case FileGenome38:
		k.Genome, err = parseFASTA("GRCh38", data)
	case FileGenome37:
		k.GRCh37, err = parseFASTA("GRCh37", data)
	case FileClinVar:
		k.ClinVar, err = parseClinVar(data)
	case FileRegions:
		k.Regions, err = parseRegions(data)
	case FileHotspots:
		k.Hotspots, err = parseHotspots(data)
	case FileMarkers:
		k.Markers, err = ParseMarkers(data)
	case FileLiftover:
		k.Liftover, err = parseLiftover(data)
	case FileDPYDTranslation:
		k.dpydTranslation = data
	case FileDPYDPhenotype:
		k.dpydPhenotype = data
	default:
		k.pgxMu.Lock()
		k.pgxFiles[name] = data
		k.pgxMu.Unlock()
	}
	return err
}

// readDataFile reads an embedded file, decompresses it and checks its SHA-256. The content
// is returned as a string so that parsers can keep substrings without copying.
func readDataFile(fsys fs.FS, f DataFile) (string, error) {
	raw, err := fs.ReadFile(fsys, f.Path)
	if err != nil {
		return "", fmt.Errorf("kb: read %s: %w", f.Path, err)
	}
	h := sha256.New()
	var sb strings.Builder
	switch text, ok := inflateGzip(raw); {
	case f.Gzip && ok:
		h.Write(text)
		if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
			return "", fmt.Errorf("%w: %s has SHA-256 %s, the manifest says %s", ErrIntegrity, f.Path, got, f.SHA256)
		}
		// text is never written again: the string shares its memory, as strings.Builder's
		// String does, rather than copying megabytes at every start.
		return unsafe.String(unsafe.SliceData(text), len(text)), nil
	case f.Gzip:
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrFormat, f.Path, err)
		}
		if n := len(raw); n >= 4 {
			// ISIZE, the last four bytes of a gzip member: the uncompressed size mod 2^32.
			sb.Grow(int(binary.LittleEndian.Uint32(raw[n-4:])))
		}
		if _, err := io.Copy(&sb, io.TeeReader(zr, h)); err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrFormat, f.Path, err)
		}
	default:
		h.Write(raw)
		sb.Write(raw)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return "", fmt.Errorf("%w: %s has SHA-256 %s, the manifest says %s", ErrIntegrity, f.Path, got, f.SHA256)
	}
	return sb.String(), nil
}

// inflateGzip decompresses a gzip file of one member with no optional header fields, as
// build.Build writes them (RFC 1952), with the whole-buffer DEFLATE decoder of
// internal/vcf/block: its size is in the trailer, so the data is inflated into one buffer,
// about twice as fast as compress/gzip. ok is false for anything else, and for data that does not check out
// (CRC32, size), which compress/gzip then reads to give the error.
func inflateGzip(raw []byte) (text []byte, ok bool) {
	n := len(raw)
	if n < 18 || raw[0] != 0x1f || raw[1] != 0x8b || raw[2] != 8 || raw[3] != 0 {
		return nil, false
	}
	crc, size := binary.LittleEndian.Uint32(raw[n-8:]), binary.LittleEndian.Uint32(raw[n-4:])
	if size > 1<<30 {
		return nil, false
	}
	buf := make([]byte, int(size)+block.Slack)
	got, err := new(block.Decoder).Inflate(buf, raw[10:n-8])
	if err != nil || got != int(size) || crc32.ChecksumIEEE(buf[:got]) != crc {
		return nil, false
	}
	return buf[:got], true
}

// EncodeManifest writes m as manifest.json (indented JSON, HTML characters unescaped) and
// returns it with the version of the knowledge base it describes.
func EncodeManifest(m Manifest) (data []byte, version string, err error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, "", fmt.Errorf("kb: manifest: %w", err)
	}
	if version, err = versionOf(m.Released, buf.Bytes()); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), version, nil
}

// versionOf derives the knowledge-base version from the manifest: the year and month of
// the newest ClinVar release and the first 10 hex digits of the manifest's SHA-256. The
// manifest lists the SHA-256 of every embedded file, so any change of content changes
// the version.
func versionOf(released string, manifestBytes []byte) (string, error) {
	y, rest, ok := strings.Cut(released, "-")
	mo, _, ok2 := strings.Cut(rest, "-")
	if !ok || !ok2 || len(y) != 4 || len(mo) != 2 {
		return "", fmt.Errorf("%w: %s: released %q is not YYYY-MM-DD", ErrFormat, FileManifest, released)
	}
	return y + "." + mo + "-" + sha256Hex(manifestBytes)[:10], nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// DPYDTranslation returns PharmCAT's DPYD allele definition (DPYD_translation.json, MPL-2.0,
// PharmCAT v3.1.1) byte for byte as PharmCAT ships it. The slice is a copy.
func (k *KB) DPYDTranslation() []byte { return []byte(k.dpydTranslation) }

// DPYDPhenotype returns PharmCAT's DPYD phenotype table (DPYD.json: CPIC activity values and
// diplotype-to-phenotype rows; MPL-2.0) byte for byte as PharmCAT ships it. The slice is
// a copy.
func (k *KB) DPYDPhenotype() []byte { return []byte(k.dpydPhenotype) }

// PGxTranslation returns PharmCAT's allele definition ({GENE}_translation.json, PharmCAT
// v3.1.1, MPL-2.0) of a pharmacogene (DPYD, UGT1A1, TPMT or NUDT15) byte for byte as PharmCAT
// ships it, or nil for another gene. The slice is a copy.
func (k *KB) PGxTranslation(gene string) []byte {
	if gene == "DPYD" {
		return k.DPYDTranslation()
	}
	return k.pgxFile(gene + "_translation.json.gz")
}

// PGxPhenotype returns PharmCAT's phenotype table ({GENE}_phenotype.json: CPIC allele
// functions and diplotype-to-phenotype rows, MPL-2.0) of a pharmacogene byte for byte, or
// nil for another gene. The slice is a copy.
func (k *KB) PGxPhenotype(gene string) []byte {
	if gene == "DPYD" {
		return k.DPYDPhenotype()
	}
	return k.pgxFile(gene + "_phenotype.json.gz")
}

// PGxGuidelines returns the oncology pharmacogenomic recommendation texts, verbatim, by
// file name: "ONCOLOGY_PGX_RECOMMENDATIONS.md" (CPIC, DPWG and FDA texts for thiopurines and
// irinotecan, with source and version) and PharmCAT v2.12.0's guideline annotations
// (MPL-2.0), e.g. "CPIC_azathioprine_and_NUDT15_TPMT.json", "DPWG_irinotecan_and_UGT1A1.json".
// The map and slices are copies.
func (k *KB) PGxGuidelines() map[string][]byte {
	out := map[string][]byte{}
	for name, data := range k.pgxFiles {
		if rel, ok := strings.CutPrefix(name, GuidelinePrefix); ok {
			out[strings.TrimSuffix(rel, ".gz")] = []byte(data)
		}
	}
	return out
}

func (k *KB) pgxFile(name string) []byte {
	data, ok := k.pgxFiles[name]
	if !ok {
		return nil
	}
	return []byte(data)
}

// RegionsFor returns the regions of the named panels (all panels when none is named),
// sorted by contig and start.
func (k *KB) RegionsFor(panels ...string) []Region {
	var out []Region
	for _, r := range k.Regions {
		if len(panels) == 0 || slices.Contains(panels, r.Panel) {
			out = append(out, r)
		}
	}
	return out
}

// Source returns the source with the given name.
func (k *KB) Source(name string) (Source, bool) {
	for _, s := range k.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}
