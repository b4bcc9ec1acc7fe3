package harness

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
)

// bar is one bar of the plot.
type bar struct {
	label string
	value float64 // seconds; 0 draws "not measured"
	text  string  // written after the bar
	fill  color.RGBA
}

var (
	grey   = color.RGBA{150, 150, 150, 255}
	blue   = color.RGBA{70, 110, 180, 255}
	green  = color.RGBA{40, 150, 90, 255}
	orange = color.RGBA{230, 140, 40, 255}
	ink    = color.RGBA{30, 30, 30, 255}
)

func toolColour(tool string) color.RGBA {
	switch {
	case tool == ToolLimit:
		return grey
	case strings.HasPrefix(tool, "bcftools"):
		return blue
	case strings.HasPrefix(tool, "service") || tool == "service":
		return orange
	}
	return green
}

// Plot draws, as a PNG, horizontal bars of the wall time of each tool on the WGS-scale
// file, and of the exome-size batch through the CLI and through the service. Each group has
// its own scale; every bar is labelled with its figures.
func (r *Results) Plot() ([]byte, error) {
	var wgs []bar
	records := 0
	for _, row := range r.Rows {
		if row.File != "wgs" {
			continue
		}
		records = max(records, row.Records)
		b := bar{label: row.Label, fill: toolColour(row.Tool), text: "NOT MEASURED"}
		if row.Measured {
			b.value = row.Wall
			b.text = fmt.Sprintf("%.2f S", row.Wall)
			if row.VsLimit > 0 {
				b.text += fmt.Sprintf(" (%.2fX LIMIT)", row.VsLimit)
			}
		}
		wgs = append(wgs, b)
	}
	var batch []bar
	samples, par := 0, 0
	for _, t := range r.Throughput {
		samples, par = max(samples, t.Samples), max(par, t.Parallel)
		b := bar{label: t.Label, fill: toolColour(t.Path), text: "NOT MEASURED"}
		if t.Measured {
			b.value = t.Wall
			b.text = fmt.Sprintf("%.1f S, %.0f/MIN", t.Wall, t.PerMinute)
		}
		batch = append(batch, b)
	}
	groups := []struct {
		title string
		bars  []bar
	}{
		{fmt.Sprintf("WGS-scale file, %s records: wall time", thousands(records)), wgs},
		{fmt.Sprintf("%d exome-size samples, %d at a time: wall time", samples, par), batch},
	}
	if len(batch) == 0 {
		groups = groups[:1]
	}

	const (
		scale    = 2
		width    = 1100
		margin   = 20
		rowH     = 30
		barH     = 20
		valueW   = 300
		titleGap = 40
	)
	labelW := 0
	for _, g := range groups {
		for _, b := range g.bars {
			labelW = max(labelW, textWidth(b.label, scale))
		}
	}
	labelW += 16
	height := margin
	for _, g := range groups {
		height += titleGap + rowH*len(g.bars) + margin
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)

	y := margin
	barX := margin + labelW
	barMax := width - barX - valueW
	for _, g := range groups {
		drawText(img, margin, y+8, g.title, scale, ink)
		y += titleGap
		top := 0.0
		for _, b := range g.bars {
			top = max(top, b.value)
		}
		for _, b := range g.bars {
			drawText(img, margin, y+(barH-glyphH*scale)/2, b.label, scale, ink)
			w := 0
			if top > 0 && b.value > 0 {
				w = max(1, int(float64(barMax)*b.value/top))
				draw.Draw(img, image.Rect(barX, y, barX+w, y+barH), image.NewUniform(b.fill), image.Point{}, draw.Src)
			}
			drawText(img, barX+w+8, y+(barH-glyphH*scale)/2, b.text, scale, ink)
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
