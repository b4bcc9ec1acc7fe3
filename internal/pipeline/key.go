package pipeline

import (
	"regexp"
	"strconv"
	"strings"
)

// IDPattern is the form of lab, run and sample ids: they become parts of object keys and
// NATS subject and KV key tokens, where a dot would split a token. Every place that takes an
// id (manifests, the API's paths, the web pages, object keys) holds it to this rule.
const IDPattern = `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`

// IDRule says IDPattern in words, for messages.
const IDRule = "want 1 to 64 letters, digits, '_' or '-', starting with a letter or digit"

// ValidID reports whether id is a valid lab, run or sample id (IDPattern).
func ValidID(id string) bool { return idRE.MatchString(id) }

// ValidToken reports whether s is safe as one NATS subject token, KV key token and
// message-id part (1-128 of [A-Za-z0-9_-]: no dots, wildcards, spaces or colons). It is the
// looser rule messages are checked against (schemas/messages.schema.json); every id that
// ValidID accepts passes it.
func ValidToken(s string) bool { return tokenRE.MatchString(s) }

// TokenRule says ValidToken's rule in words, for messages.
const TokenRule = "want 1-128 of [A-Za-z0-9_-]"

var (
	idRE    = regexp.MustCompile(IDPattern)
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

// Object keys. A run's inputs and manifest live in its folder under runs/, its reports
// under reports/, a sample's reclassification history under changes/ and the published
// knowledge bases under kb/:
//
//	runs/{lab}/{run}/manifest.json          the manifest (ManifestKey)
//	runs/{lab}/{run}/{name}                 a file the manifest names: VCF, index, BED (RunFileKey)
//	reports/{lab}/{run}/{sample}.json       a sample's current report, or its failure (ReportKey)
//	reports/{lab}/{run}/{sample}/v{N}.json  an earlier report of the sample, N = 1, 2, ... in the
//	                                        order they were replaced by reanalysis (ReportVersionKey)
//	changes/{lab}/{run}/{sample}.json       the sample's reanalyses and changes, a ChangeHistory (ChangesKey)
//	kb/{version}/{file}                     a file of a published knowledge base (KBFileKey)
//
// The current report always stays at ReportKey: a reanalysis first copies it to the next free
// v{N}.json, then replaces it, so whatever reads reports today reads the newest.
const (
	runsFolder    = "runs/"
	reportsFolder = "reports/"
	changesFolder = "changes/"
	kbFolder      = "kb/"
	manifestName  = "manifest.json"
	reportSuffix  = ".json"
)

// KBVersionPattern is the form of a knowledge-base version (package kb derives it from the
// content): year and month of the newest ClinVar release, a hyphen and the first 10 hex
// digits of the manifest's SHA-256, e.g. "2026.02-4339bdbf29". It holds a dot, so it is no
// NATS token: KVKeyKBVersion encodes it.
const KBVersionPattern = `^[0-9]{4}\.[0-9]{2}-[0-9a-f]{10}$`

// ValidKBVersion reports whether v is a knowledge-base version (KBVersionPattern).
func ValidKBVersion(v string) bool { return kbVersionRE.MatchString(v) }

var kbVersionRE = regexp.MustCompile(KBVersionPattern)

// ReportVersionsPrefix returns the folder of a sample's earlier reports:
// reports/{lab}/{run}/{sample}/.
func ReportVersionsPrefix(lab, run, sample string) string {
	return reportsFolder + lab + "/" + run + "/" + sample + "/"
}

// ReportVersionKey returns the object key of a sample's earlier report n (1-based):
// reports/{lab}/{run}/{sample}/v{n}.json.
func ReportVersionKey(lab, run, sample string, n int) string {
	return ReportVersionsPrefix(lab, run, sample) + "v" + strconv.Itoa(n) + reportSuffix
}

// ChangesKey returns the object key of a sample's reanalysis history (a ChangeHistory):
// changes/{lab}/{run}/{sample}.json.
func ChangesKey(lab, run, sample string) string {
	return changesFolder + lab + "/" + run + "/" + sample + reportSuffix
}

// KBPrefix returns the folder of a published knowledge base: kb/{version}/.
func KBPrefix(version string) string { return kbFolder + version + "/" }

// KBFileKey returns the object key of a file of a published knowledge base:
// kb/{version}/{file}.
func KBFileKey(version, file string) string { return KBPrefix(version) + file }

// RunPrefix returns the folder of a run's objects: runs/{lab}/{run}/.
func RunPrefix(lab, run string) string { return runsFolder + lab + "/" + run + "/" }

// ManifestKey returns the object key of a run's manifest: runs/{lab}/{run}/manifest.json.
func ManifestKey(lab, run string) string { return RunPrefix(lab, run) + manifestName }

// RunFileKey returns the object key of a file of a run: runs/{lab}/{run}/{name}.
func RunFileKey(lab, run, name string) string { return RunPrefix(lab, run) + name }

// ReportKey returns the object key of a sample's report: reports/{lab}/{run}/{sample}.json.
func ReportKey(lab, run, sample string) string {
	return reportsFolder + lab + "/" + run + "/" + sample + reportSuffix
}

// KeyType says which kind of object a key names.
type KeyType int

// Key types.
const (
	KeyManifest      KeyType = iota + 1 // runs/{lab}/{run}/manifest.json
	KeyRunFile                          // runs/{lab}/{run}/{name}, any name but manifest.json
	KeyReport                           // reports/{lab}/{run}/{sample}.json
	KeyReportVersion                    // reports/{lab}/{run}/{sample}/v{N}.json, N >= 1 without leading zeros
	KeyChanges                          // changes/{lab}/{run}/{sample}.json
	KeyKBFile                           // kb/{version}/{file}
)

// Key is an object key taken apart by ParseKey. A plain value.
type Key struct {
	Type   KeyType
	Lab    string
	Run    string
	Sample string // KeyReport, KeyReportVersion and KeyChanges
	Name   string // KeyRunFile and KeyManifest: the file name in the run's folder; KeyKBFile: the file
	N      int    // KeyReportVersion: the version number
	KB     string // KeyKBFile: the knowledge-base version (ValidKBVersion)
}

// ParseKey takes an object key apart, with ok false for a key that is none of the forms
// above. It is strict: lab, run and sample must be valid ids (ValidID), and a run file's
// name one non-empty path segment that does not start with a dot. Building a key from its
// parts gives the key back.
func ParseKey(key string) (k Key, ok bool) {
	parts := strings.Split(key, "/")
	switch {
	case len(parts) == 3 && parts[0]+"/" == kbFolder:
		if !ValidKBVersion(parts[1]) || parts[2] == "" || parts[2][0] == '.' {
			return Key{}, false
		}
		return Key{Type: KeyKBFile, KB: parts[1], Name: parts[2]}, true
	case len(parts) == 5 && parts[0]+"/" == reportsFolder:
		if !ValidID(parts[1]) || !ValidID(parts[2]) || !ValidID(parts[3]) {
			return Key{}, false
		}
		n, ok := versionNumber(parts[4])
		if !ok {
			return Key{}, false
		}
		return Key{Type: KeyReportVersion, Lab: parts[1], Run: parts[2], Sample: parts[3], N: n}, true
	}
	if len(parts) != 4 || !ValidID(parts[1]) || !ValidID(parts[2]) {
		return Key{}, false
	}
	k.Lab, k.Run = parts[1], parts[2]
	switch parts[0] + "/" {
	case runsFolder:
		name := parts[3]
		if name == "" || name[0] == '.' {
			return Key{}, false
		}
		k.Type, k.Name = KeyRunFile, name
		if name == manifestName {
			k.Type = KeyManifest
		}
		return k, true
	case reportsFolder:
		sample, found := strings.CutSuffix(parts[3], reportSuffix)
		if !found || !ValidID(sample) {
			return Key{}, false
		}
		k.Type, k.Sample = KeyReport, sample
		return k, true
	case changesFolder:
		sample, found := strings.CutSuffix(parts[3], reportSuffix)
		if !found || !ValidID(sample) {
			return Key{}, false
		}
		k.Type, k.Sample = KeyChanges, sample
		return k, true
	}
	return Key{}, false
}

// versionNumber parses "v{N}.json" with N a positive decimal without leading zeros.
func versionNumber(name string) (int, bool) {
	digits, found := strings.CutSuffix(name, reportSuffix)
	if !found {
		return 0, false
	}
	digits, found = strings.CutPrefix(digits, "v")
	if !found || digits == "" || digits[0] == '0' || len(digits) > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || strconv.Itoa(n) != digits {
		return 0, false
	}
	return n, true
}
