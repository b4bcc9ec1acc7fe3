package pgx

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/variant"
)

// editJSON decodes a JSON document, edits it and encodes it again.
func editJSON(t testing.TB, b []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rawDefinition returns the real definition files decoded into generic JSON.
func rawDefinition(t testing.TB) (tr, ph map[string]any) {
	t.Helper()
	loadDef(t)
	if err := json.Unmarshal(defRaw[0], &tr); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(defRaw[1], &ph); err != nil {
		t.Fatal(err)
	}
	return tr, ph
}

// TestDefinition compares the loaded positions with the PharmCAT files themselves and the
// GRCh38 DPYD sequence.
func TestDefinition(t *testing.T) {
	d := loadDef(t)
	tr, ph := rawDefinition(t)
	variants := tr["variants"].([]any)
	toAlleles := tr["positionToAlleles"].(map[string]any)
	values := ph["activityValues"].(map[string]any)
	pos := d.Positions()
	if len(pos) != len(variants) || len(pos) != 83 {
		t.Fatalf("got %d positions, want %d (83)", len(pos), len(variants))
	}
	if got := len(d.alleles) + 1; got != len(tr["namedAlleles"].([]any)) {
		t.Errorf("got %d named alleles, want %d", got, len(tr["namedAlleles"].([]any)))
	}
	seq := dpydSequence(t)
	for i, p := range pos {
		v := variants[i].(map[string]any)
		if p.Pos != int(v["position"].(float64)) || p.RSID != v["rsid"] || p.Ref != v["ref"] || p.Alt != v["alts"].([]any)[0] || p.GDNA != v["chromosomeHgvsName"] || p.Chrom != "chr1" {
			t.Errorf("position %d: got %+v, want %v", i, p, v)
		}
		var want []string
		low := 2.0
		for _, a := range toAlleles[strconv.Itoa(p.Pos)].([]any) {
			want = append(want, a.(string))
			f, _ := strconv.ParseFloat(values[a.(string)].(string), 64)
			low = min(low, f)
		}
		if !slices.Equal(slices.Sorted(slices.Values(p.Alleles)), slices.Sorted(slices.Values(want))) {
			t.Errorf("%s alleles: got %q, want %q", p.RSID, p.Alleles, want)
		}
		if p.ActivityValue != low || p.Function == "" {
			t.Errorf("%s: activity value %v (%s), want %v", p.RSID, p.ActivityValue, p.Function, low)
		}
		if !strings.HasPrefix(p.CDNA, "c.") || !strings.Contains(strings.Join(p.Alleles, " "), p.CDNA) {
			t.Errorf("%s: c. name %q not in its alleles %q", p.RSID, p.CDNA, p.Alleles)
		}
		// The sites come left-aligned; the definition's indels must be too.
		vv := variant.Variant{Chrom: "chr1", Pos: p.Pos, Ref: p.Ref, Alt: p.Alt}
		if n := variant.Normalize(vv, seq); n != vv {
			t.Errorf("%s: definition allele %s is not normalised (%s)", p.RSID, vv, n)
		}
		if ref, ok := seq.Fetch("chr1", p.Pos, p.Pos+len(p.Ref)-1); !ok || ref != p.Ref {
			t.Errorf("%s: REF %s, GRCh38 has %s", p.RSID, p.Ref, ref)
		}
	}
	pos[0].Alleles[0] = "changed"
	if d.Positions()[0].Alleles[0] == "changed" {
		t.Error("Positions returns shared slices")
	}
	if a, b := d.Version(); a != tr["version"] || b != ph["version"] {
		t.Errorf("versions: got %s %s, want %s %s", a, b, tr["version"], ph["version"])
	}
}

// TestLoadDefinitionErrors breaks the real files in the ways LoadDefinition must catch.
func TestLoadDefinitionErrors(t *testing.T) {
	loadDef(t)
	for _, tc := range []struct {
		name string
		tr   func(tr map[string]any) // edits DPYD_translation.json
		ph   func(ph map[string]any) // edits the phenotype file
		raw  func(tr, ph []byte) ([]byte, []byte)
		want string
	}{
		{name: "truncated translation", raw: func(tr, ph []byte) ([]byte, []byte) { return tr[:4000], ph }, want: "line"},
		{name: "wrong type", raw: func(tr, ph []byte) ([]byte, []byte) {
			return []byte("{\n\"gene\": \"DPYD\",\n\"variants\": 7}"), ph
		}, want: "line 3"},
		{name: "other gene", tr: func(tr map[string]any) { tr["gene"] = "CYP2D6" }, want: "gene"},
		{name: "two alternate alleles", tr: func(tr map[string]any) {
			v := tr["variants"].([]any)[3].(map[string]any)
			v["alts"] = []any{"A", "G"}
		}, want: "alternate alleles"},
		{name: "untrimmed allele", tr: func(tr map[string]any) {
			v := tr["variants"].([]any)[0].(map[string]any)
			v["ref"], v["alts"] = "GA", []any{"TA"}
		}, want: "not trimmed"},
		{name: "positions out of order", tr: func(tr map[string]any) {
			vs := tr["variants"].([]any)
			vs[0], vs[1] = vs[1], vs[0]
		}, want: "not after"},
		{name: "no HapB3", tr: func(tr map[string]any) {
			tr["namedAlleles"] = slices.DeleteFunc(tr["namedAlleles"].([]any), func(a any) bool { return a.(map[string]any)["name"] == hapB3Name })
		}, want: "HapB3"},
		{name: "allele without activity value", ph: func(ph map[string]any) {
			ph["namedAlleles"] = slices.DeleteFunc(ph["namedAlleles"].([]any), func(a any) bool { return a.(map[string]any)["name"] == name2A })
		}, want: "no activity value"},
		{name: "bad activity value", ph: func(ph map[string]any) {
			for _, a := range ph["namedAlleles"].([]any) {
				if a.(map[string]any)["name"] == name2A {
					a.(map[string]any)["activityValue"] = "0.3"
				}
			}
		}, want: "activity value"},
		{name: "no phenotype for 0.5", ph: func(ph map[string]any) {
			ph["diplotypes"] = slices.DeleteFunc(ph["diplotypes"].([]any), func(a any) bool { return a.(map[string]any)["activityScore"] == "0.5" })
		}, want: "no phenotype for activity score 0.5"},
		{name: "two phenotypes for one score", ph: func(ph map[string]any) {
			ph["diplotypes"].([]any)[0].(map[string]any)["phenotype"] = "Poor Metabolizer"
		}, want: "maps to both"},
		{name: "allele at two positions", tr: func(tr map[string]any) {
			for _, a := range tr["namedAlleles"].([]any) {
				if a.(map[string]any)["name"] == name2A {
					a.(map[string]any)["alleles"].([]any)[0] = "T"
				}
			}
		}, want: "2 positions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trb, phb := defRaw[0], defRaw[1]
			if tc.tr != nil {
				trb = editJSON(t, trb, tc.tr)
			}
			if tc.ph != nil {
				phb = editJSON(t, phb, tc.ph)
			}
			if tc.raw != nil {
				trb, phb = tc.raw(trb, phb)
			}
			d, err := LoadDefinition(trb, phb)
			if !errors.Is(err, ErrDefinition) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v (definition %v), want ErrDefinition mentioning %q", err, d != nil, tc.want)
			}
		})
	}
}
