package web

import (
	"net/http"

	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/sse"
)

// backlogLimit bounds the alerts a reconnecting stream sends to catch up.
const backlogLimit = 200

// alertEvents streams new alerts of the labs p may read (PGx dose alerts, and reclassification
// alerts when the backend is an AlertFeed) as server-sent events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html). Each event is named
// "alert", carries the alert's stream sequence as its id and, as data, the alert's row of
// the alerts table rendered by the same template as the page (so it is escaped the same way).
//
// Nothing is lost between the page and the stream: the page asks for the alerts after the
// newest it listed (?after=), a reconnecting EventSource sends Last-Event-ID, and the
// stream first sends the stored alerts after that sequence, then the live ones, dropping
// any it has sent already. The subscription is made before the stored alerts are read, so
// an alert published in between arrives by one way or the other.
//
// A Last-Event-ID (or ?after=) that is not a number is 400 (sse.ErrLastEventID), as on the
// API's stream.
func (s *Server) alertEvents(w http.ResponseWriter, r *http.Request, p auth.Principal, lang string) {
	ctx := r.Context()
	after, catchUp, err := sse.LastEventID(r, r.URL.Query().Get("after"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	labs, all := p.ReadableLabs()
	live, err := s.watchAlerts(ctx, labs, all)
	if err != nil {
		s.log.ErrorContext(ctx, "web: watch alerts", "err", err)
		w.Header().Set("Retry-After", retryAfter)
		http.Error(w, "alert stream unavailable", http.StatusServiceUnavailable)
		return
	}
	stream, err := sse.Open(w, s.heartbeat, "")
	if err != nil {
		return
	}
	var stored []AlertEvent
	if catchUp {
		stored, err = s.storedAlerts(ctx, labs, all, s.now().Add(-alertsWindow), backlogLimit)
		if err != nil {
			s.log.ErrorContext(ctx, "web: alerts backlog", "err", err)
			return // the browser reconnects and tries again
		}
	}
	_ = sse.Relay(ctx, stream, sse.Source[AlertEvent]{
		Resume: catchUp, After: after, Backlog: stored, Live: live, Done: s.done,
		ID: func(a AlertEvent) uint64 { return a.Seq },
		Event: func(a AlertEvent) (string, string, bool, error) {
			if !p.CanRead(a.lab()) {
				return "", "", false, nil
			}
			row := newEventRow(a)
			row.New = true
			html, err := renderAlertRow(lang, row)
			if err != nil {
				s.log.ErrorContext(ctx, "web: alert event", "err", err)
			}
			return "alert", html, true, err
		},
	})
}
