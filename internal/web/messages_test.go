package web

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCatalogueKeys(t *testing.T) {
	en, sv := slices.Sorted(maps.Keys(catalogue[langEN])), slices.Sorted(maps.Keys(catalogue[langSV]))
	for _, k := range en {
		if _, ok := catalogue[langSV][k]; !ok {
			t.Errorf("key %q is in English but not in Swedish", k)
		}
	}
	for _, k := range sv {
		if _, ok := catalogue[langEN][k]; !ok {
			t.Errorf("key %q is in Swedish but not in English", k)
		}
	}
	verbs := regexp.MustCompile(`%[a-z]`)
	for _, k := range en {
		if g, w := verbs.FindAllString(catalogue[langSV][k], -1), verbs.FindAllString(catalogue[langEN][k], -1); !slices.Equal(g, w) {
			t.Errorf("key %q: Swedish verbs %v, English %v", k, g, w)
		}
	}
	for _, lang := range languages {
		if len(catalogue[lang]) == 0 {
			t.Errorf("no catalogue for %s", lang)
		}
	}
}

// TestCatalogueUse checks that every label a template or the Go code names is in the
// catalogue, and that every catalogue key is used (directly, or through a prefix the code
// adds to a value, such as "status.").
func TestCatalogueUse(t *testing.T) {
	used := map[string]bool{}
	tmplKey := regexp.MustCompile(`\{\{-?\s*(?:t|tf)\s+"([^"]+)"|\((?:t|tf)\s+"([^"]+)"`)
	goKey := regexp.MustCompile(`\bmsgf?\([a-zA-Z.]+,\s*"([^"]+)"|\{"(qc\.[a-z_]+)"|"(error\.[a-z.]+)"`)
	err := fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, path)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]+m[2]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") || f == "messages.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			if k := m[1] + m[2] + m[3]; !strings.HasSuffix(k, ".") { // a prefix, as in "lang."+l
				used[k] = true
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("found %d label uses, want more: the patterns of this test are out of date", len(used))
	}
	for k := range used {
		if _, ok := catalogue[langEN][k]; !ok {
			t.Errorf("label %q is used but not in the catalogue", k)
		}
	}
	dynamic := []string{"status.", "sev.", "specimen.", "panel.", "role.", "lang.", "sv.type."}
	for k := range catalogue[langEN] {
		if !used[k] && !slices.ContainsFunc(dynamic, func(p string) bool { return strings.HasPrefix(k, p) }) {
			t.Errorf("label %q is in the catalogue but not used", k)
		}
	}
}

func TestPreferredLang(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", langEN},
		{"sv", langSV},
		{"sv-SE", langSV},
		{"sv-FI,fi;q=0.8", langSV},
		{"SV-se", langSV},
		{"en-US,en;q=0.9", langEN},
		{"sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", langSV},
		{"en-GB,en;q=0.9,sv;q=0.8", langEN},
		{"en;q=0.5,sv;q=0.6", langSV},
		{"sv;q=0.5,en;q=0.5", langSV}, // equal weight: the first listed
		{"en;q=0.5,sv;q=0.5", langEN},
		{"de-DE,de;q=0.9", langEN},
		{"de,sv;q=0.5", langSV}, // Swedish is the only supported language asked for
		{"*", langEN},           // "*" weighs both the same; neither is listed first
		{"sv;q=0", langEN},
		{"sv;q=abc,en", langEN},
		{"sv;q=NaN", langEN},
		{"sv;q=2", langEN},
		{"nb,no;q=0.9,sv;q=0.8,en;q=0.7", langSV},
		{" sv ; q=0.9 , en ; q=0.8 ", langSV},
		{"en;q=0,*;q=0.5,sv;q=0.1", langSV},
	} {
		if got := preferredLang(tc.header); got != tc.want {
			t.Errorf("preferredLang(%q): got %s, want %s", tc.header, got, tc.want)
		}
	}
}

// FuzzPreferredLang checks that any header gives one of the two languages without a panic,
// seeded with headers real browsers send.
func FuzzPreferredLang(f *testing.F) {
	for _, s := range []string{
		"sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7",                      // Firefox, Swedish
		"en-US,en;q=0.9",                                           // Chrome, English
		"sv,en-US;q=0.9,en;q=0.8,nb;q=0.7,da;q=0.6",                // Chrome with several
		"fi-FI,fi;q=0.9,sv-FI;q=0.8,sv;q=0.7,en-US;q=0.6,en;q=0.5", // Finland-Swedish
		"*", "", ";;;,,,q=", "sv;q=0.5;q=0.9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if got := preferredLang(h); got != langSV && got != langEN {
			t.Fatalf("preferredLang(%q) = %q", h, got)
		}
	})
}
