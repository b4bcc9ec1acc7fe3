package web

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/precis-dx/precis/internal/web/webtest"
)

// TestBrowser drives the pages in real headless Chromium as a clinician would: sign in, open
// a run, read a report with its dose alert (kept as a screenshot and an A4 PDF), and watch a
// new alert arrive on the alerts page without a reload.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	e := newEnv(t, Options{Version: "v1.0.0-browser-test"})
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	t.Cleanup(e.s.Close)      // ends the alert stream, which would keep srv.Close waiting
	ctx := webtest.Browser(t) // cleaned up first: the browser stops before the server
	dir := webtest.Artifacts(t)

	t.Run("sign in", func(t *testing.T) {
		webtest.Do(t, ctx, "open the runs page",
			chromedp.Navigate(srv.URL+"/?lang=en"),
			chromedp.WaitVisible(chromedp.CSS("#token")))
		if loc := webtest.Eval[string](t, ctx, "location.pathname"); loc != "/signin" {
			t.Fatalf("not signed in: got page %s, want /signin", loc)
		}
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			os.WriteFile(filepath.Join(dir, "signin.png"), png, 0o644)
		}
		webtest.Do(t, ctx, "sign in",
			chromedp.SendKeys(chromedp.CSS("#token"), tokClinA),
			chromedp.Click(chromedp.CSS(`form.form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("table.runs")))
		if got := webtest.Eval[string](t, ctx, "document.querySelector('table.runs').innerText"); !strings.Contains(got, runA) || strings.Contains(got, runB) {
			t.Errorf("runs list %q: want %s and not %s", got, runA, runB)
		}
		if got := webtest.Eval[string](t, ctx, "document.cookie"); strings.Contains(got, "precis_session") {
			t.Errorf("the session cookie is readable from JavaScript")
		}
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, "runs.png"), png, 0o644)
		}
	})

	t.Run("open a run", func(t *testing.T) {
		webtest.Do(t, ctx, "open the run",
			chromedp.Click(chromedp.CSS(`a[href="/runs/`+labA+`/`+runA+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("table.samples")))
		got := webtest.Eval[string](t, ctx, "document.querySelector('table.samples').innerText")
		for _, want := range []string{"DEMO-0001", "PharmCAT", "S-FAILED", "REF allele N is not a base", "Open report"} {
			if !strings.Contains(got, want) {
				t.Errorf("run page lacks %q", want)
			}
		}
	})

	t.Run("report with dose alert", func(t *testing.T) {
		webtest.Do(t, ctx, "open the report",
			chromedp.Click(chromedp.CSS(`a[href="/runs/`+labA+`/`+runA+`/samples/DEMO-0001"]`)),
			chromedp.WaitVisible(chromedp.CSS(".dose-alert")))
		msg := webtest.Eval[string](t, ctx, "document.querySelector('.dose-alert .dose-alert-message').innerText")
		if want := "start fluorouracil/capecitabine at 50% of the standard dose"; !strings.Contains(msg, want) {
			t.Errorf("dose alert says %q, want %q", msg, want)
		}
		// The alert is the first thing on the report, in the first screen, and styled (the
		// style sheets loaded under the Content-Security-Policy).
		layout := webtest.Eval[[]float64](t, ctx, `(() => {
			const a = document.querySelector('.dose-alert').getBoundingClientRect();
			const f = document.querySelector('.block h2').getBoundingClientRect();
			return [a.top, a.bottom, f.top, innerHeight, parseFloat(getComputedStyle(document.querySelector('.dose-alert')).borderLeftWidth)];
		})()`)
		if top, bottom, findings, height, border := layout[0], layout[1], layout[2], layout[3], layout[4]; top >= findings || top > height/2 || bottom > findings || border < 6 {
			t.Errorf("dose alert at %.0f-%.0f px (findings at %.0f, viewport %.0f, border %.0f px): want it first, in the upper half of the first screen, styled", top, bottom, findings, height, border)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", artifact(t, dir, "report-DEMO-0001.png", png), len(png))
		if len(png) < 20000 || string(png[1:4]) != "PNG" {
			t.Errorf("screenshot is not a PNG of a page (%d bytes)", len(png))
		}

		// Print: navigation hidden, A4 pages.
		webtest.Do(t, ctx, "emulate print", emulateMedia("print"))
		hidden := webtest.Eval[[]string](t, ctx, `['.topbar', '.crumbs', '.toolbar', '.footer'].map(s => getComputedStyle(document.querySelector(s)).display)`)
		for i, d := range hidden {
			if d != "none" {
				t.Errorf("print: element %d is displayed (%s), want none", i, d)
			}
		}
		// At the width of an A4 page's content (210 mm less 2 x 13 mm margins: 695 CSS px),
		// nothing is wider than the page: no table runs off its edge.
		webtest.Do(t, ctx, "A4 width", chromedp.EmulateViewport(695, 1000))
		wide := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('main table, main section, main dl')]
			.filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
			.map(el => el.tagName + '.' + el.className)`)
		if len(wide) > 0 {
			t.Errorf("print at A4 width: %d elements run off the page: %v", len(wide), wide)
		}
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, "report-DEMO-0001-print.png"), png, 0o644)
		}
		webtest.Do(t, ctx, "stop print emulation", chromedp.EmulateViewport(1280, 900), emulateMedia(""))
		pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("print: %s (%d bytes)", artifact(t, dir, "report-DEMO-0001.pdf", pdf), len(pdf))
		boxes := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`).FindAllSubmatch(pdf, -1)
		if len(boxes) == 0 {
			t.Fatalf("PDF has no page")
		}
		for i, m := range boxes {
			w, _ := strconv.ParseFloat(string(m[1]), 64)
			h, _ := strconv.ParseFloat(string(m[2]), 64)
			// A4 is 210 x 297 mm: 595.28 x 841.89 PostScript points.
			if math.Abs(w-595.28) > 1.5 || math.Abs(h-841.89) > 1.5 {
				t.Errorf("page %d is %.1f x %.1f pt, want A4 (595.3 x 841.9)", i+1, w, h)
			}
		}
		if len(boxes) > 6 {
			t.Errorf("the report prints on %d pages, want at most 6", len(boxes))
		}
	})

	t.Run("alert arrives live", func(t *testing.T) {
		webtest.Do(t, ctx, "open the alerts page",
			chromedp.Navigate(srv.URL+"/alerts"),
			chromedp.WaitVisible(chromedp.CSS(`#live-status[data-state="open"]`)))
		before := webtest.Eval[int](t, ctx, "document.querySelectorAll('#alert-feed tbody tr').length")
		webtest.Eval[bool](t, ctx, "window.precisMarker = true")
		waitWatchers(t, e.b, 1)
		poor := newAlert(labA, "LIVE-0007", "DPYD Poor Metabolizer (activity score 0.0): avoid fluorouracil/capecitabine (CPIC, strong).")
		zero := 0.0
		poor.Severity, poor.Phenotype, poor.ActivityScore = "high", "Poor Metabolizer", &zero
		a := e.b.publish(poor)
		e.b.publish(newAlert(labB, "OTHER-LAB", "must not appear"))
		// The stream is in order: once an alert of this lab published after the other
		// lab's has shown, the other lab's would have shown before it if it were sent.
		sentinel := e.b.publish(newAlert(labA, "LIVE-0008", "DPYD Normal Metabolizer: standard dosing."))
		webtest.Do(t, ctx, "wait for the new alerts", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#alert-%d", sentinel.Seq))))
		if !webtest.Eval[bool](t, ctx, "window.precisMarker === true") {
			t.Errorf("the page reloaded")
		}
		rows := webtest.Eval[[]string](t, ctx, "Array.from(document.querySelectorAll('#alert-feed tbody tr'), r => r.id)")
		if want := []string{fmt.Sprintf("alert-%d", sentinel.Seq), fmt.Sprintf("alert-%d", a.Seq)}; len(rows) < 2 || !slices.Equal(rows[:2], want) {
			t.Errorf("the new alerts are not at the top, newest first: rows %v, want %v first", rows, want)
		}
		if len(rows) != before+2 {
			t.Errorf("got %d rows after two new alerts of this lab, want %d", len(rows), before+2)
		}
		if txt := webtest.Eval[string](t, ctx, "document.body.innerText"); strings.Contains(txt, "OTHER-LAB") {
			t.Errorf("another lab's alert appeared")
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "alerts.png"), png, 0o644)
		}
		if err != nil {
			t.Error(err)
		}
	})
}

// artifact writes b to dir/name, for a person to look at after the run, and returns its path.
func artifact(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// emulateMedia makes the page render for a CSS media type ("print"), or for none ("").
func emulateMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}
