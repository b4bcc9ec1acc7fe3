package pipeline

import (
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{RunPrefix("lab1", "run1"), "runs/lab1/run1/"},
		{ManifestKey("lab1", "run1"), "runs/lab1/run1/manifest.json"},
		{RunFileKey("lab1", "run1", "S001.vcf.gz"), "runs/lab1/run1/S001.vcf.gz"},
		{ReportKey("lab1", "run1", "S001"), "reports/lab1/run1/S001.json"},
		{ReportVersionKey("lab1", "run1", "S001", 2), "reports/lab1/run1/S001/v2.json"},
		{ReportVersionsPrefix("lab1", "run1", "S001"), "reports/lab1/run1/S001/"},
		{ChangesKey("lab1", "run1", "S001"), "changes/lab1/run1/S001.json"},
		{KBFileKey("2026.02-4339bdbf29", "clinvar.tsv.gz"), "kb/2026.02-4339bdbf29/clinvar.tsv.gz"},
		{KVKeyKBVersion("2026.02-4339bdbf29"), "kb.versions.2026_02-4339bdbf29"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		key  string
		want Key
		ok   bool
	}{
		{"runs/lab1/run1/manifest.json", Key{Type: KeyManifest, Lab: "lab1", Run: "run1", Name: "manifest.json"}, true},
		{"runs/lab1/run1/S001.vcf", Key{Type: KeyRunFile, Lab: "lab1", Run: "run1", Name: "S001.vcf"}, true},
		{"runs/lab-1/run_1/S001.vcf.gz.tbi", Key{Type: KeyRunFile, Lab: "lab-1", Run: "run_1", Name: "S001.vcf.gz.tbi"}, true},
		{"reports/lab1/run1/S001.json", Key{Type: KeyReport, Lab: "lab1", Run: "run1", Sample: "S001"}, true},
		{"runs/lab1/manifest.json", Key{}, false},
		{"runs/la b/run1/manifest.json", Key{}, false},
		{"runs/lab.1/run1/manifest.json", Key{}, false}, // a dot would split a subject token
		{"runs/_lab/run1/manifest.json", Key{}, false},  // ids start with a letter or digit
		{"runs//run1/manifest.json", Key{}, false},
		{"runs/lab1/run1/", Key{}, false},
		{"runs/lab1/run1/.hidden", Key{}, false},
		{"runs/lab1/run1/sub/x.vcf", Key{}, false},
		{"reports/lab1/run1/manifest.json", Key{Type: KeyReport, Lab: "lab1", Run: "run1", Sample: "manifest"}, true},
		{"reports/lab1/run1/S001.html", Key{}, false},
		{"reports/lab1/run1/.json", Key{}, false},
		{"reports/lab1/run1/S.1.json", Key{}, false},
		{"reports/lab1/S001.json", Key{}, false},
		{"x/runs/lab1/run1/manifest.json", Key{}, false},
		{"x/lab1/run1/manifest.json", Key{}, false},
		{"", Key{}, false},
		{"reports/lab1/run1/S001/v1.json", Key{Type: KeyReportVersion, Lab: "lab1", Run: "run1", Sample: "S001", N: 1}, true},
		{"reports/lab1/run1/S001/v12.json", Key{Type: KeyReportVersion, Lab: "lab1", Run: "run1", Sample: "S001", N: 12}, true},
		{"reports/lab1/run1/S001/v0.json", Key{}, false},
		{"reports/lab1/run1/S001/v01.json", Key{}, false},
		{"reports/lab1/run1/S001/v-1.json", Key{}, false},
		{"reports/lab1/run1/S001/v+1.json", Key{}, false},
		{"reports/lab1/run1/S001/1.json", Key{}, false},
		{"reports/lab1/run1/S001/v1.html", Key{}, false},
		{"reports/lab1/run1/S.1/v1.json", Key{}, false},
		{"changes/lab1/run1/S001.json", Key{Type: KeyChanges, Lab: "lab1", Run: "run1", Sample: "S001"}, true},
		{"changes/lab1/run1/S001.txt", Key{}, false},
		{"changes/lab1/run1/S001/v1.json", Key{}, false},
		{"kb/2026.02-4339bdbf29/manifest.json", Key{Type: KeyKBFile, KB: "2026.02-4339bdbf29", Name: "manifest.json"}, true},
		{"kb/2026.02-4339bdbf29/.x", Key{}, false},
		{"kb/2026.02-4339bdbf29/", Key{}, false},
		{"kb/latest/manifest.json", Key{}, false},
		{"kb/2026.02-4339BDBF29/manifest.json", Key{}, false},
		{"kb/2026.02-4339bdbf29/a/b", Key{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseKey(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseKey(%q): got %+v, %v; want %+v, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

// TestParseKeyRoundTrip: every key built from valid ids parses back to its parts.
func TestParseKeyRoundTrip(t *testing.T) {
	for _, key := range []string{ManifestKey("L", "R"), RunFileKey("L", "R", "a.vcf"), ReportKey("L", "R", "S"),
		ReportVersionKey("L", "R", "S", 3), ChangesKey("L", "R", "S"), KBFileKey("2024.12-4339bdbf29", "NOTICE")} {
		k, ok := ParseKey(key)
		if !ok {
			t.Fatalf("ParseKey(%q) failed", key)
		}
		if back := build(k); back != key {
			t.Errorf("%q: built back as %q", key, back)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"runs/lab1/run1/manifest.json", "runs/lab1/run1/S1.vcf.gz", "reports/lab1/run1/S1.json", "runs/a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		k, ok := ParseKey(key)
		if !ok {
			return
		}
		back := build(k)
		if back != key || (k.Type != KeyKBFile && (!ValidID(k.Lab) || !ValidID(k.Run))) {
			t.Errorf("ParseKey(%q) = %+v, built back as %q", key, k, back)
		}
	})
}

// build builds the key back from its parts; "" for a Key of no type.
func build(k Key) string {
	switch k.Type {
	case KeyManifest:
		return ManifestKey(k.Lab, k.Run)
	case KeyRunFile:
		return RunFileKey(k.Lab, k.Run, k.Name)
	case KeyReport:
		return ReportKey(k.Lab, k.Run, k.Sample)
	case KeyReportVersion:
		return ReportVersionKey(k.Lab, k.Run, k.Sample, k.N)
	case KeyChanges:
		return ChangesKey(k.Lab, k.Run, k.Sample)
	case KeyKBFile:
		return KBFileKey(k.KB, k.Name)
	}
	return ""
}

func TestKVKeyKBVersion(t *testing.T) {
	for _, v := range []string{"2026.02-4339bdbf29", "2024.12-0000000000"} {
		key := KVKeyKBVersion(v)
		if strings.Count(key, ".") != 2 {
			t.Errorf("%s: %q is not three tokens", v, key)
		}
		if back, ok := KBVersionOfKVKey(key); !ok || back != v {
			t.Errorf("KBVersionOfKVKey(%q) = %q, %v", key, back, ok)
		}
	}
	for _, key := range []string{"kb.active", "kb.versions.latest", "run.a.b", "kb.versions.2026.02-4339bdbf29"} {
		if v, ok := KBVersionOfKVKey(key); ok {
			t.Errorf("KBVersionOfKVKey(%q) = %q, want not a version key", key, v)
		}
	}
}
