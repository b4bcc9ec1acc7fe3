package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/sse"
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
	limit, ok := s.queryLimit(w, r, 100, maxAlerts)
	if !ok {
		return
	}
	alerts, err := s.alerts.Alerts(r.Context(), labs, all, since, limit)
	if err != nil {
		s.failDependency(w, r, "read alerts", err)
		return
	}
	writeList(w, "alerts", alerts)
}

// keepAlive is how often an idle alert stream sends a comment line, so proxies keep it open.
const keepAlive = 15 * time.Second

// streamAlerts answers GET /api/v1/alerts/stream[?lab=L] with server-sent events: one
// "alert" event per PGx alert published from now on, its id the stream sequence. A client
// that reconnects with Last-Event-ID first gets the alerts of the last 24 hours it missed; a
// Last-Event-ID that is not a number is 400 (sse.ErrLastEventID).
func (s *Server) streamAlerts(w http.ResponseWriter, r *http.Request) {
	labs, all, ok := s.alertScope(w, r)
	if !ok {
		return
	}
	last, resume, err := sse.LastEventID(r, "")
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	live, err := s.alerts.WatchAlerts(ctx, labs, all)
	if err != nil {
		s.failDependency(w, r, "watch alerts", err)
		return
	}
	var missed []queue.Alert
	if resume {
		missed, err = s.alerts.Alerts(ctx, labs, all, s.now().Add(-24*time.Hour), maxAlerts)
		if err != nil {
			s.failDependency(w, r, "read alerts", err)
			return
		}
	}
	stream, err := sse.Open(w, keepAlive, "precis alert stream")
	if err != nil {
		return
	}
	_ = sse.Relay(ctx, stream, sse.Source[queue.Alert]{
		Resume: resume, After: last, Backlog: missed, Live: live,
		ID: func(a queue.Alert) uint64 { return a.Seq },
		Event: func(a queue.Alert) (string, string, bool, error) {
			b, err := json.Marshal(a)
			return "alert", string(b), true, err
		},
	})
}
