package pipeline

import "testing"

func TestKeys(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{RunPrefix("lab1", "run1"), "runs/lab1/run1/"},
		{ManifestKey("lab1", "run1"), "runs/lab1/run1/manifest.json"},
		{RunFileKey("lab1", "run1", "S001.vcf.gz"), "runs/lab1/run1/S001.vcf.gz"},
		{ReportKey("lab1", "run1", "S001"), "reports/lab1/run1/S001.json"},
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
	for _, key := range []string{ManifestKey("L", "R"), RunFileKey("L", "R", "a.vcf"), ReportKey("L", "R", "S")} {
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
		if back != key || !ValidID(k.Lab) || !ValidID(k.Run) {
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
	}
	return ""
}
