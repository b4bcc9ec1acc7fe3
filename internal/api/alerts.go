package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/precis-dx/precis/internal/queue"
)

// maxAlerts bounds one alert listing.
const maxAlerts = 1000

// alertScope returns the labs a request for alerts covers: the ?lab= one (404 unless the
// token reads it) or every lab the token reads.
func (s *Server) alertScope(w http.ResponseWriter, r *http.Request) (labs []string, all, ok bool) {
	p := principal(r)
	if lab := r.URL.Query().Get("lab"); lab != "" {
		if !idName.MatchString(lab) {
			s.fail(w, r, http.StatusBadRequest, CodeInvalidName, fmt.Sprintf("lab %q: %s", lab, idRule))
			return nil, false, false
		}
		if !s.canRead(w, r, lab, noLab(lab)) {
			return nil, false, false
		}
		return []string{lab}, false, true
	}
	labs, all = p.ReadableLabs()
	return labs, all, true
}

// listAlerts answers GET /api/v1/alerts[?lab=L][&since=RFC3339][&limit=N]: the PGx alerts of
// the labs the token reads, oldest first, the newest limit (default 100) of them.
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	labs, all, ok := s.alertScope(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("since %q: want an RFC 3339 time", v))
			return
		}
		since = t
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAlerts {
			s.fail(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("limit %q: want 1 to %d", v, maxAlerts))
			return
		}
		limit = n
	}
	alerts, err := s.alerts.Alerts(r.Context(), labs, all, since, limit)
	if err != nil {
		s.failDependency(w, r, "read alerts", err)
		return
	}
	if alerts == nil {
		alerts = []queue.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": alerts})
}

// keepAlive is how often an idle alert stream sends a comment line, so proxies keep it open.
const keepAlive = 15 * time.Second

// streamAlerts answers GET /api/v1/alerts/stream[?lab=L] with server-sent events: one
// "alert" event per PGx alert published from now on, its id the stream sequence. A client
// that reconnects with Last-Event-ID first gets the alerts of the last 24 hours it missed.
func (s *Server) streamAlerts(w http.ResponseWriter, r *http.Request) {
	labs, all, ok := s.alertScope(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	live, err := s.alerts.WatchAlerts(ctx, labs, all)
	if err != nil {
		s.failDependency(w, r, "watch alerts", err)
		return
	}
	var missed []queue.Alert
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		last, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Last-Event-ID %q: want a number", v))
			return
		}
		back, err := s.alerts.Alerts(ctx, labs, all, s.now().Add(-24*time.Hour), maxAlerts)
		if err != nil {
			s.failDependency(w, r, "read alerts", err)
			return
		}
		for _, a := range back {
			if a.Seq > last {
				missed = append(missed, a)
			}
		}
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	// The stream outlives the server's write timeout; each write has its own deadline, so
	// a client that stops reading is dropped.
	_ = rc.SetWriteDeadline(time.Now().Add(2 * keepAlive))
	w.WriteHeader(http.StatusOK)
	w = streamWriter{w, rc, 2 * keepAlive}
	sent := uint64(0)
	send := func(a queue.Alert) bool {
		if a.Seq <= sent {
			return true // already sent from the backlog
		}
		b, err := json.Marshal(a)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: alert\ndata: %s\n\n", a.Seq, b); err != nil {
			return false
		}
		sent = a.Seq
		return rc.Flush() == nil
	}
	if _, err := fmt.Fprint(w, ": precis alert stream\nretry: 3000\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	for _, a := range missed {
		if !send(a) {
			return
		}
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case a, ok := <-live:
			if !ok || !send(a) {
				return
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// streamWriter gives each write of an event stream its own write deadline: the stream lives
// as long as the client reads it, and no longer.
type streamWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (s streamWriter) Write(p []byte) (int, error) {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.stall))
	return s.ResponseWriter.Write(p)
}
