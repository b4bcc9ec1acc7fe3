package pipeline

import (
	"regexp"
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
// under reports/:
//
//	runs/{lab}/{run}/manifest.json       the manifest (ManifestKey)
//	runs/{lab}/{run}/{name}              a file the manifest names: VCF, index, BED (RunFileKey)
//	reports/{lab}/{run}/{sample}.json    a sample's report, or its failure (ReportKey)
const (
	runsFolder    = "runs/"
	reportsFolder = "reports/"
	manifestName  = "manifest.json"
	reportSuffix  = ".json"
)

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
	KeyManifest KeyType = iota + 1 // runs/{lab}/{run}/manifest.json
	KeyRunFile                     // runs/{lab}/{run}/{name}, any name but manifest.json
	KeyReport                      // reports/{lab}/{run}/{sample}.json
)

// Key is an object key taken apart by ParseKey. A plain value.
type Key struct {
	Type   KeyType
	Lab    string
	Run    string
	Sample string // KeyReport only
	Name   string // KeyRunFile and KeyManifest: the file name in the run's folder
}

// ParseKey takes an object key apart, with ok false for a key that is none of the forms
// above. It is strict: lab, run and sample must be valid ids (ValidID), and a run file's
// name one non-empty path segment that does not start with a dot. Building a key from its
// parts gives the key back.
func ParseKey(key string) (k Key, ok bool) {
	parts := strings.Split(key, "/")
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
	}
	return Key{}, false
}
