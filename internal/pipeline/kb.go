package pipeline

import (
	"strconv"
	"strings"
	"time"
)

// Knowledge-base state, in the KV bucket of run state (package queue: precis_state):
//
//	kb.active                    the active knowledge-base version, as plain text
//	                             ("2026.02-4339bdbf29"); absent: none was ever published, and
//	                             each worker uses the one it started with (--kb DIR or the
//	                             binary's embedded one)
//	kb.versions.{token}          KBPublished (JSON) of every published version; {token} is the
//	                             version with its dot written as '_' (KVKeyKBVersion), because a
//	                             dot separates KV key tokens
//
// Publishing (package kbstore) uploads the files to kb/{version}/ first, then writes
// kb.versions.{token}, then kb.active: a version is active only once all of it is stored.
// Workers watch kb.active and switch to the version it names; the reanalysis coordinator
// re-evaluates every current report made with another version (ReanalyseJob).
const (
	KVKeyKBActive       = "kb.active"
	kvPrefixKBVersions  = "kb.versions."
	KVFilterKBVersions  = kvPrefixKBVersions + "*" // every kb.versions.{token} key
	kbVersionDot        = "."
	kbVersionTokenOfDot = "_"
)

// KVKeyKBVersion returns kb.versions.{token} for a knowledge-base version (ValidKBVersion):
// the token is the version with '.' replaced by '_' ("2026.02-4339bdbf29" →
// "kb.versions.2026_02-4339bdbf29"). Versions hold no '_', so the encoding is reversible
// (KBVersionOfKVKey).
func KVKeyKBVersion(version string) string {
	return kvPrefixKBVersions + strings.ReplaceAll(version, kbVersionDot, kbVersionTokenOfDot)
}

// KBVersionOfKVKey returns the version a kb.versions.{token} key names, with ok false for any
// other key.
func KBVersionOfKVKey(key string) (version string, ok bool) {
	token, found := strings.CutPrefix(key, kvPrefixKBVersions)
	if !found || strings.Contains(token, kbVersionDot) {
		return "", false
	}
	v := strings.ReplaceAll(token, kbVersionTokenOfDot, kbVersionDot)
	return v, ValidKBVersion(v)
}

// KBPublished is the value of kb.versions.{token}: a published knowledge base. A plain value.
type KBPublished struct {
	Version     string     `json:"version"`  // ValidKBVersion
	Released    string     `json:"released"` // newest ClinVar release, YYYY-MM-DD
	Sources     []KBSource `json:"sources"`  // every source with its release (ClinVar releases, CPIC/PharmCAT, MANE...)
	Files       []KBFile   `json:"files"`    // the files stored under kb/{version}/ (KBFileKey)
	PublishedAt time.Time  `json:"published_at"`
	PublishedBy string     `json:"published_by,omitempty"` // who published: a token id over HTTP, "cli" from precis kb publish
}

// KBSource is one source of a published knowledge base.
type KBSource struct {
	Name    string `json:"name"`    // e.g. "ClinVar"
	Release string `json:"release"` // e.g. "ClinVar 2026-02-26"
}

// KBFile is one stored file of a published knowledge base.
type KBFile struct {
	Name   string `json:"name"`   // the file name, kb/{version}/{name}
	SHA256 string `json:"sha256"` // of the stored bytes
	Bytes  int64  `json:"bytes"`
}

// ChangeHistory is the object at changes/{lab}/{run}/{sample}.json (ChangesKey): every
// reanalysis of a sample and the changes each found, oldest first. It is written before the
// new report replaces the current one, and a reanalysis to a knowledge-base version already
// in Reanalyses is never appended again. A plain value.
type ChangeHistory struct {
	SchemaVersion string       `json:"schema_version"`
	Lab           string       `json:"lab"`
	RunID         string       `json:"run_id"`
	SampleID      string       `json:"sample_id"`
	Reanalyses    []Reanalysis `json:"reanalyses"`
	// Changes of every reanalysis, in order; the API's GET .../changes returns this list.
	Changes []Change `json:"changes"`
}

// Reanalysis is one re-evaluation of a sample's report with another knowledge base.
type Reanalysis struct {
	KBFrom string    `json:"kb_from"` // the version of the report replaced
	KBTo   string    `json:"kb_to"`   // the version of the new report
	At     time.Time `json:"at"`
	// Previous is N of reports/{lab}/{run}/{sample}/v{N}.json, where the replaced report was
	// kept (ReportVersionKey).
	Previous int `json:"previous"`
	Major    int `json:"major"` // how many of its changes are major
	Minor    int `json:"minor"`
}

// Change is one difference a reanalysis found (package reanalysis decides them; the fields
// are its Change's, plus when it was seen). From and To are classifications for a finding
// (pathogenic, likely_pathogenic, uncertain_significance, likely_benign, benign,
// conflicting, not_in_knowledge_base; "" for absent), or what What names.
type Change struct {
	SampleID    string    `json:"sample_id"`
	Gene        string    `json:"gene"`
	HGVSc       string    `json:"hgvs_c"`
	Variant     string    `json:"variant,omitempty"` // chrom:pos REF>ALT of the normalised allele
	From        string    `json:"from"`
	To          string    `json:"to"`
	Impact      string    `json:"impact"` // ImpactMajor or ImpactMinor
	KBFrom      string    `json:"kb_from"`
	KBTo        string    `json:"kb_to"`
	At          time.Time `json:"at"`
	What        string    `json:"what"`   // classification, classification-source, tags, dpyd, pgx, new-finding, removed-finding
	Reason      string    `json:"reason"` // the rule that set the impact
	TagsAdded   []string  `json:"tags_added,omitempty"`
	TagsRemoved []string  `json:"tags_removed,omitempty"`
}

// Impacts of a Change: a major change crosses the actionable line and is alerted
// (ReclassifiedAlert), a minor one is listed.
const (
	ImpactMajor = "major"
	ImpactMinor = "minor"
)

// Message ids (Nats-Msg-Id) of the reanalysis messages: the queue stores a message published
// again with the same id within its duplicate window once.

// MsgIDReanalyse is the id of a ReanalyseJob: reanalyse:{lab}:{run}:{sample}:{kb_version}.
func MsgIDReanalyse(lab, run, sample, kbVersion string) string {
	return "reanalyse:" + lab + ":" + run + ":" + sample + ":" + kbVersion
}

// MsgIDReclassified is the id of the ReclassifiedAlert of one reanalysis:
// reclassified:{lab}:{run}:{sample}:{kb_to}:{N}, N the Reanalysis's Previous (so that a
// knowledge base published again after another, a rollback, alerts again).
func MsgIDReclassified(lab, run, sample, kbTo string, previous int) string {
	return "reclassified:" + lab + ":" + run + ":" + sample + ":" + kbTo + ":" + strconv.Itoa(previous)
}

// MsgIDReanalysed is the id of the ReportReady of a reanalysed report:
// reanalysed:{lab}:{run}:{sample}:{kb_to}:{N}.
func MsgIDReanalysed(lab, run, sample, kbTo string, previous int) string {
	return "reanalysed:" + lab + ":" + run + ":" + sample + ":" + kbTo + ":" + strconv.Itoa(previous)
}
