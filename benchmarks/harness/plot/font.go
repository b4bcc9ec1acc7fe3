package plot

import (
	"image"
	"image/color"
	"slices"
	"strings"
)

// glyphs is a 5x7 bitmap font for the charts' text: upper-case letters, digits and the
// punctuation the labels use, each 7 rows of 5 columns ('#' inked), rows separated by
// spaces. Lower-case letters are drawn upper-case; anything else as '?'.
var glyphs = map[rune]string{
	'A': ".###. #...# #...# ##### #...# #...# #...#",
	'B': "####. #...# #...# ####. #...# #...# ####.",
	'C': ".###. #...# #.... #.... #.... #...# .###.",
	'D': "####. #...# #...# #...# #...# #...# ####.",
	'E': "##### #.... #.... ####. #.... #.... #####",
	'F': "##### #.... #.... ####. #.... #.... #....",
	'G': ".###. #...# #.... #.### #...# #...# .####",
	'H': "#...# #...# #...# ##### #...# #...# #...#",
	'I': ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
	'J': "..### ...#. ...#. ...#. ...#. #..#. .##..",
	'K': "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
	'L': "#.... #.... #.... #.... #.... #.... #####",
	'M': "#...# ##.## #.#.# #.#.# #...# #...# #...#",
	'N': "#...# #...# ##..# #.#.# #..## #...# #...#",
	'O': ".###. #...# #...# #...# #...# #...# .###.",
	'P': "####. #...# #...# ####. #.... #.... #....",
	'Q': ".###. #...# #...# #...# #.#.# #..#. .##.#",
	'R': "####. #...# #...# ####. #.#.. #..#. #...#",
	'S': ".#### #.... #.... .###. ....# ....# ####.",
	'T': "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
	'U': "#...# #...# #...# #...# #...# #...# .###.",
	'V': "#...# #...# #...# #...# #...# .#.#. ..#..",
	'W': "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
	'X': "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
	'Y': "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
	'Z': "##### ....# ...#. ..#.. .#... #.... #####",
	'0': ".###. #...# #..## #.#.# ##..# #...# .###.",
	'1': "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
	'2': ".###. #...# ....# ...#. ..#.. .#... #####",
	'3': "##### ...#. ..#.. ...#. ....# #...# .###.",
	'4': "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
	'5': "##### #.... ####. ....# ....# #...# .###.",
	'6': "..##. .#... #.... ####. #...# #...# .###.",
	'7': "##### ....# ...#. ..#.. .#... .#... .#...",
	'8': ".###. #...# #...# .###. #...# #...# .###.",
	'9': ".###. #...# #...# .#### ....# ...#. .##..",
	' ': "..... ..... ..... ..... ..... ..... .....",
	'.': "..... ..... ..... ..... ..... .##.. .##..",
	',': "..... ..... ..... ..... .##.. ..#.. .#...",
	'-': "..... ..... ..... ##### ..... ..... .....",
	'/': "..... ....# ...#. ..#.. .#... #.... .....",
	'(': "...#. ..#.. .#... .#... .#... ..#.. ...#.",
	')': ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
	':': "..... .##.. .##.. ..... .##.. .##.. .....",
	'%': "##... ##..# ...#. ..#.. .#... #..## ...##",
	'=': "..... ..... ##### ..... ##### ..... .....",
	'+': "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
	'?': ".###. #...# ....# ...#. ..#.. ..... ..#..",
}

// glyphW and glyphH are a glyph's size in font pixels; glyphAdvance is the pen's step.
const glyphW, glyphH, glyphAdvance = 5, 7, 6

// textWidth returns the width in image pixels of s drawn at scale.
func textWidth(s string, scale int) int {
	return len([]rune(s)) * glyphAdvance * scale
}

// drawText draws s with its top-left corner at (x, y), each font pixel a scale x scale
// square.
func drawText(img *image.RGBA, x, y int, s string, scale int, c color.Color) {
	for _, r := range strings.ToUpper(s) {
		g, ok := glyphs[r]
		if !ok {
			g = glyphs['?']
		}
		rows := strings.Fields(g)
		for gy, row := range rows {
			for gx, px := range row {
				if px != '#' {
					continue
				}
				for dy := 0; dy < scale; dy++ {
					for dx := 0; dx < scale; dx++ {
						img.Set(x+gx*scale+dx, y+gy*scale+dy, c)
					}
				}
			}
		}
		x += glyphAdvance * scale
	}
}

// Unknown returns the characters of s the font has no glyph for, in order, each once; they
// are drawn as '?'. Lower-case letters are known (drawn upper-case).
func Unknown(s string) []rune {
	var out []rune
	for _, r := range strings.ToUpper(s) {
		if _, ok := glyphs[r]; !ok && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
