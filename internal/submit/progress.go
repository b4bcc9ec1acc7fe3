package submit

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

const (
	barWidth      = 20
	redrawEvery   = 100 * time.Millisecond
	bytesPerMB    = 1e6
	minRateWindow = time.Millisecond // below this, the upload is too short to give a rate
)

// progress draws a one-line text bar over all files of a run:
//
//	[#########...........] 45% 12.3/27.0 MB sample1.vcf.gz
//
// redrawn in place with \r at most every 100 ms, and closed by a line with the total and the
// rate. It is safe for concurrent use: the HTTP transport reads request bodies on its own
// goroutine. A progress with a nil writer does nothing.
type progress struct {
	w     io.Writer
	now   func() time.Time
	total int64 // bytes of all files

	mu       sync.Mutex
	done     int64
	name     string
	start    time.Time
	lastDraw time.Time
	width    int // length of the last line drawn, to blank out its tail
}

func newProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, now: time.Now, total: total}
}

// begin names the file being sent.
func (p *progress) begin(name string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.start.IsZero() {
		p.start = p.now()
	}
	p.name = name
}

// add counts n more bytes sent and redraws when the last drawing is old enough.
func (p *progress) add(n int) {
	if p.w == nil || n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(n)
	if now := p.now(); now.Sub(p.lastDraw) >= redrawEvery {
		p.lastDraw = now
		p.draw(p.name)
	}
}

// finish draws the full bar with the total and the rate, and ends the line.
func (p *progress) finish(files int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Duration(0)
	if !p.start.IsZero() {
		elapsed = p.now().Sub(p.start)
	}
	rate := "-"
	if elapsed >= minRateWindow {
		rate = fmt.Sprintf("%.1f", float64(p.done)/bytesPerMB/elapsed.Seconds())
	}
	noun := "files"
	if files == 1 {
		noun = "file"
	}
	p.draw(fmt.Sprintf("%d %s in %s, %s MB/s", files, noun, elapsed.Round(time.Millisecond), rate))
	fmt.Fprintln(p.w)
}

// abort ends a line left open by a failed upload, so the error starts on its own line.
func (p *progress) abort() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintln(p.w)
		p.width = 0
	}
}

// draw writes the bar; the caller holds p.mu.
func (p *progress) draw(label string) {
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 1)
	}
	filled := int(frac * barWidth)
	line := fmt.Sprintf("[%s%s] %3d%% %.1f/%.1f MB %s",
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), int(frac*100),
		float64(p.done)/bytesPerMB, float64(p.total)/bytesPerMB, label)
	pad := ""
	if p.width > len(line) {
		pad = strings.Repeat(" ", p.width-len(line))
	}
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
}
