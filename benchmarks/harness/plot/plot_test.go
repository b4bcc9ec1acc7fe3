package plot

import (
	"bytes"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"
)

// TestGlyphs: every glyph is 7 rows of 5 columns of '#' and '.'.
func TestGlyphs(t *testing.T) {
	for r, g := range glyphs {
		rows := strings.Fields(g)
		if len(rows) != glyphH {
			t.Errorf("%q: %d rows, want %d", r, len(rows), glyphH)
		}
		for _, row := range rows {
			if len(row) != glyphW || strings.Trim(row, "#.") != "" {
				t.Errorf("%q: row %q, want %d of '#' and '.'", r, row, glyphW)
			}
		}
	}
}

func TestUnknown(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want []rune
	}{
		{"wall time (s) 0.99X limit, 466/MIN", nil},
		{"a~b~c|", []rune{'~', '|'}},
		{"", nil},
	} {
		if got := Unknown(tc.s); !slices.Equal(got, tc.want) {
			t.Errorf("Unknown(%q): got %q, want %q", tc.s, got, tc.want)
		}
	}
}

// TestBars: the chart is a PNG Width pixels wide, one row per bar under each group's title;
// the longest bar of a group takes its colour across the most width, a bar of value 0 draws
// none.
func TestBars(t *testing.T) {
	red := color.RGBA{200, 30, 30, 255}
	blue := color.RGBA{30, 30, 200, 255}
	groups := []Group{
		{Title: "first: wall time", Bars: []Bar{
			{Label: "long", Value: 4, Text: "4.00 S", Fill: red},
			{Label: "short", Value: 1, Text: "1.00 S", Fill: blue},
			{Label: "none", Text: "NOT MEASURED", Fill: blue},
		}},
		{Title: "second", Bars: []Bar{{Label: "only", Value: 0.5, Text: "0.5 S", Fill: red}}},
	}
	b, err := Bars(groups)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != Width {
		t.Errorf("width %d, want %d", w, Width)
	}
	count := func(c color.RGBA) int {
		n := 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				if color.RGBAModel.Convert(img.At(x, y)) == c {
					n++
				}
			}
		}
		return n
	}
	// Each group has its own scale: "long" (4 of 4) and "only" (0.5 of 0.5) both span the
	// whole bar width, "short" a quarter of it.
	reds, blues := count(red), count(blue)
	if reds == 0 || blues == 0 {
		t.Fatalf("red pixels %d, blue pixels %d: want both drawn", reds, blues)
	}
	// Bar widths are whole pixels: a quarter bar may be a column (20 pixels) short.
	if d := reds - 8*blues; d < 0 || d > 8*20 {
		t.Errorf("red pixels %d, want 8 times the blue %d (two full bars against a quarter bar)", reds, blues)
	}
	if got, want := img.Bounds().Dy(), heightOf(groups); got != want {
		t.Errorf("height %d, want %d", got, want)
	}
	if _, err := Bars(nil); err != nil {
		t.Errorf("no groups: %v", err)
	}
}

// heightOf is the height Bars gives: a margin, then per group a title, its rows and a margin.
func heightOf(groups []Group) int {
	h := 20
	for _, g := range groups {
		h += 40 + 30*len(g.Bars) + 20
	}
	return h
}
