// Package plot draws the benchmark harness's bar charts as PNG images, with a 5x7 bitmap
// font of its own: no font file and nothing outside the standard library.
package plot

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
)

// Bar is one bar of a chart. A plain value.
type Bar struct {
	Label string
	Value float64 // the bar's length, in the group's unit; 0 draws no bar
	Text  string  // written after the bar
	Fill  color.RGBA
}

// Group is a titled set of bars drawn to one scale: the longest bar of the group spans the
// width available.
type Group struct {
	Title string
	Bars  []Bar
}

// ink is the colour of the text.
var ink = color.RGBA{30, 30, 30, 255}

// Width is the width of every chart, in pixels.
const Width = 1100

// Bars draws the groups one under the other, as horizontal bars, each labelled on its left
// and followed by its Text, and returns the PNG. Text is drawn in upper case.
func Bars(groups []Group) ([]byte, error) {
	const (
		scale    = 2
		margin   = 20
		rowH     = 30
		barH     = 20
		valueW   = 300
		titleGap = 40
	)
	labelW := 0
	for _, g := range groups {
		for _, b := range g.Bars {
			labelW = max(labelW, textWidth(b.Label, scale))
		}
	}
	labelW += 16
	height := margin
	for _, g := range groups {
		height += titleGap + rowH*len(g.Bars) + margin
	}
	img := image.NewRGBA(image.Rect(0, 0, Width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)

	y := margin
	barX := margin + labelW
	barMax := Width - barX - valueW
	for _, g := range groups {
		drawText(img, margin, y+8, g.Title, scale, ink)
		y += titleGap
		top := 0.0
		for _, b := range g.Bars {
			top = max(top, b.Value)
		}
		for _, b := range g.Bars {
			drawText(img, margin, y+(barH-glyphH*scale)/2, b.Label, scale, ink)
			w := 0
			if top > 0 && b.Value > 0 {
				w = max(1, int(float64(barMax)*b.Value/top))
				draw.Draw(img, image.Rect(barX, y, barX+w, y+barH), image.NewUniform(b.Fill), image.Point{}, draw.Src)
			}
			drawText(img, barX+w+8, y+(barH-glyphH*scale)/2, b.Text, scale, ink)
			y += rowH
		}
		y += margin
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
