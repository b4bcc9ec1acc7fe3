package kb

import (
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// TestClinVarParts: the table cut into parts at line boundaries covers every line once, and
// parsing it in parts gives what one part gives; an error in a later part names the line's
// number in the whole table.
func TestClinVarParts(t *testing.T) {
	raw, err := fs.ReadFile(embedded, "data/"+FileClinVar)
	if err != nil {
		t.Fatal(err)
	}
	data, ok := inflateGzip(raw)
	if !ok {
		t.Fatal("the embedded ClinVar table does not inflate")
	}
	text := string(data)
	for _, n := range []int{1, 2, 3, 7} {
		var joined strings.Builder
		line := 0
		for i, p := range clinvarParts(text, n) {
			if p.line != line || (i < n-1 && !strings.HasSuffix(p.text, "\n")) {
				t.Fatalf("%d parts: part %d starts after line %d (want %d)", n, i, p.line, line)
			}
			line += strings.Count(p.text, "\n")
			joined.WriteString(p.text)
		}
		if joined.String() != text {
			t.Fatalf("%d parts do not join into the table", n)
		}
	}
	one := make([]Entry, strings.Count(text, "\n")+1)
	used, err := parseClinVarLines(text, 0, one)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseClinVar(text)
	if err != nil {
		t.Fatal(err)
	}
	var all []Entry
	for e := range c.All() {
		all = append(all, e)
	}
	if !reflect.DeepEqual(all, one[:used]) || c.Len() != used {
		t.Fatalf("parsed in parts: %d entries; in one: %d", c.Len(), used)
	}

	lines := strings.SplitAfter(text, "\n")
	bad := len(lines) * 3 / 4 // in the last part
	lines[bad-1] = strings.Replace(lines[bad-1], "\t", "\tx", 1)
	_, err = parseClinVar(strings.Join(lines, ""))
	if want := fmt.Sprintf("clinvar line %d:", bad); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error naming %q", err, want)
	}
}
