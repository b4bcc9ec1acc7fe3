package web

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/waittest"
)

// streamEvent is one server-sent event as a browser sees it.
type streamEvent struct{ event, id, data string }

// openStream opens the alert stream with cookie and returns its events as they arrive, and
// whether comment lines (keep-alives) were seen.
func openStream(t *testing.T, ctx context.Context, url string, cookie *http.Cookie, hdr ...string) (<-chan streamEvent, <-chan struct{}) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(cookie)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: got %d %s, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events, comments := make(chan streamEvent, 16), make(chan struct{}, 16)
	go func() {
		defer resp.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev streamEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" {
					ev.data = strings.Join(data, "\n")
					events <- ev
				}
				ev, data = streamEvent{}, nil
			case strings.HasPrefix(line, ":"):
				select {
				case comments <- struct{}{}:
				default:
				}
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	return events, comments
}

func waitWatchers(t *testing.T, b *fakeBackend, n int) {
	t.Helper()
	if !waittest.Poll(5*time.Second, func() bool { return b.watchers() >= n }) {
		t.Fatalf("got %d watchers, want %d", b.watchers(), n)
	}
}

func next(t *testing.T, events <-chan streamEvent) streamEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return streamEvent{}
}

// nextID checks that the next event of the stream has the id seq (an alert's stream
// sequence); note is added to the failure.
func nextID(t *testing.T, events <-chan streamEvent, seq uint64, note string) {
	t.Helper()
	if ev := next(t, events); ev.id != fmt.Sprint(seq) {
		t.Errorf("got event id %s, want %d%s", ev.id, seq, note)
	}
}

func newAlert(lab, sample, msg string) queue.Alert {
	score := 1.0
	return queue.Alert{PGxAlert: pipeline.PGxAlert{SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: runA, SampleID: sample,
		Gene: "DPYD", Phenotype: "Intermediate Metabolizer", ActivityScore: &score, Severity: "moderate", Message: msg}}
}

func TestAlertStream(t *testing.T) {
	for _, leak := range []bool{false, true} {
		t.Run(fmt.Sprintf("leaky backend=%v", leak), func(t *testing.T) {
			e := newEnv(t, Options{})
			e.b.leak = leak
			srv := httptest.NewServer(e.h)
			defer srv.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			events, _ := openStream(t, ctx, srv.URL+"/alerts/events?lang=sv", e.signin(tokClinA))
			waitWatchers(t, e.b, 1)

			e.b.publish(newAlert(labB, "B-1", "lab B's alert"))
			a := e.b.publish(newAlert(labA, "A-1", "DPYD <b>Intermediate</b> Metabolizer (activity score 1.0)"))
			ev := next(t, events)
			if ev.event != "alert" || ev.id != fmt.Sprint(a.Seq) {
				t.Errorf("got event %q id %q, want alert id %d", ev.event, ev.id, a.Seq)
			}
			for _, want := range []string{fmt.Sprintf(`id="alert-%d"`, a.Seq), "is-new", "Måttlig",
				"DPYD &lt;b&gt;Intermediate&lt;/b&gt; Metabolizer", `href="/runs/` + labA + `/` + runA + `/samples/A-1"`} {
				if !strings.Contains(ev.data, want) {
					t.Errorf("event data lacks %q:\n%s", want, ev.data)
				}
			}
			if strings.Contains(ev.data, "lab B") {
				t.Errorf("clinician A got lab B's alert")
			}
			// The next event is lab A's next alert, not lab B's.
			e.b.publish(newAlert(labB, "B-2", "lab B's second alert"))
			a2 := e.b.publish(newAlert(labA, "A-2", "second"))
			nextID(t, events, a2.Seq, "")
			cancel()
			waitWatchers(t, e.b, 0)
		})
	}
}

// TestAlertStreamCatchUp checks that a stream opened after the page (or reconnecting) first
// sends the stored alerts it missed, once each.
func TestAlertStreamCatchUp(t *testing.T) {
	e := newEnv(t, Options{})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	c := e.signin(tokClinA)
	for _, tc := range []struct {
		name string
		hdr  []string
		path string
	}{
		{"after", nil, "/alerts/events?after=%d"},
		{"Last-Event-ID", []string{"Last-Event-ID", "%d"}, "/alerts/events?after=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stored, err := e.b.Alerts(context.Background(), []string{labA}, false, time.Time{}, 0)
			if err != nil || len(stored) < 2 {
				t.Fatalf("fixture has %d lab A alerts, want at least 2", len(stored))
			}
			if strings.Contains(tc.path, "%d") {
				tc.path = fmt.Sprintf(tc.path, stored[0].Seq)
			}
			if tc.hdr != nil {
				tc.hdr[1] = fmt.Sprint(stored[0].Seq)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			events, _ := openStream(t, ctx, srv.URL+tc.path, c, tc.hdr...)
			for _, a := range stored[1:] {
				nextID(t, events, a.Seq, "")
			}
			waitWatchers(t, e.b, 1)
			live := e.b.publish(newAlert(labA, "A-9", "live"))
			nextID(t, events, live.Seq, " (the live one, with nothing repeated)")
			cancel()
			waitWatchers(t, e.b, 0)
		})
	}
}

func TestAlertStreamKeepAlive(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.heartbeat = 20 * time.Millisecond
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, comments := openStream(t, ctx, srv.URL+"/alerts/events", e.signin(tokAdmin))
	select {
	case <-comments:
	case <-time.After(5 * time.Second):
		t.Fatal("no keep-alive within 5 s")
	}
}

// TestAlertStreamBadLastEventID: a Last-Event-ID (or ?after=) that is not a number is 400,
// as on the API's stream (sse.ErrLastEventID). It used to be ignored here, and the stream
// sent only live alerts.
func TestAlertStreamBadLastEventID(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct{ name, path, hdr string }{
		{"Last-Event-ID", "/alerts/events", "x7"},
		{"Last-Event-ID over after", "/alerts/events?after=3", "-1"},
		{"after", "/alerts/events?after=3a", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.hdr != "" {
				hdr = []string{"Last-Event-ID", tc.hdr}
			}
			if w := e.do("GET", tc.path, e.signin(tokAdmin), nil, hdr...); w.Code != http.StatusBadRequest {
				t.Errorf("got status %d, want 400 (%s)", w.Code, w.Body)
			}
		})
	}
}

func TestAlertStreamUnavailable(t *testing.T) {
	e := newEnv(t, Options{})
	e.b.fail["WatchAlerts"] = errBackendUp
	if w := e.do("GET", "/alerts/events", e.signin(tokAdmin), nil); w.Code != http.StatusServiceUnavailable {
		t.Errorf("got status %d, want 503", w.Code)
	}
}

func TestCloseEndsStreams(t *testing.T) {
	e := newEnv(t, Options{})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	events, _ := openStream(t, context.Background(), srv.URL+"/alerts/events", e.signin(tokAdmin))
	waitWatchers(t, e.b, 1)
	e.s.Close()
	e.s.Close() // twice is fine
	select {
	case _, ok := <-events:
		if ok {
			t.Errorf("got an event, want the stream to end")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream is still open 5 s after Close")
	}
	waitWatchers(t, e.b, 0)
}
