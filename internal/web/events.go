package web

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/auth"
)

// backlogLimit bounds the alerts a reconnecting stream sends to catch up.
const backlogLimit = 200

// alertEvents streams new alerts of the labs p may read as server-sent events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html). Each event is named
// "alert", carries the alert's stream sequence as its id and, as data, the alert's row of
// the alerts table rendered by the same template as the page (so it is escaped the same way).
//
// Nothing is lost between the page and the stream: the page asks for the alerts after the
// newest it listed (?after=), a reconnecting EventSource sends Last-Event-ID, and the
// stream first sends the stored alerts after that sequence, then the live ones, dropping
// any it has sent already. The subscription is made before the stored alerts are read, so
// an alert published in between arrives by one way or the other.
func (s *Server) alertEvents(w http.ResponseWriter, r *http.Request, p auth.Principal, lang string) {
	ctx := r.Context()
	labs, all := p.ReadableLabs()
	live, err := s.b.WatchAlerts(ctx, labs, all)
	if err != nil {
		s.log.ErrorContext(ctx, "web: watch alerts", "err", err)
		http.Error(w, "alert stream unavailable", http.StatusServiceUnavailable)
		return
	}
	after, catchUp := uint64(0), false
	if v := cmp.Or(r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")); v != "" {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			after, catchUp = n, true
		}
	}

	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout; each write has its own deadline, so
	// a browser that stops reading is dropped.
	_ = rc.SetWriteDeadline(time.Now().Add(2 * s.heartbeat))
	w = streamWriter{w, rc, 2 * s.heartbeat}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, "retry: 3000\n\n"); err != nil || rc.Flush() != nil {
		return
	}

	send := func(row alertRow) bool {
		if !p.CanRead(row.Lab) || row.Seq <= after && catchUp {
			return true
		}
		html, err := renderAlertRow(lang, row)
		if err != nil {
			s.log.ErrorContext(ctx, "web: alert event", "err", err)
			return false
		}
		after, catchUp = max(after, row.Seq), true
		if _, err := io.WriteString(w, sseEvent("alert", strconv.FormatUint(row.Seq, 10), html)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}

	if catchUp {
		stored, err := s.b.Alerts(ctx, labs, all, s.now().Add(-alertsWindow), backlogLimit)
		if err != nil {
			s.log.ErrorContext(ctx, "web: alerts backlog", "err", err)
			return // the browser reconnects and tries again
		}
		for _, a := range stored {
			if a.Seq > after {
				row := newAlertRow(a)
				row.New = true
				if !send(row) {
					return
				}
			}
		}
	}

	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case a, ok := <-live:
			if !ok {
				return
			}
			row := newAlertRow(a)
			row.New = true
			if !send(row) {
				return
			}
		case <-tick.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// sseEvent formats one server-sent event; a multi-line data value becomes several data
// lines, which the browser joins with newlines. Carriage returns are dropped (they would
// end a line early).
func sseEvent(name, id, data string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "event: %s\nid: %s\n", name, id)
	for line := range strings.SplitSeq(strings.ReplaceAll(data, "\r", ""), "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.String()
}

// streamWriter gives each write of an event stream its own write deadline: the stream lives
// as long as the browser reads it, and no longer.
type streamWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (s streamWriter) Write(p []byte) (int, error) {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.stall))
	return s.ResponseWriter.Write(p)
}
