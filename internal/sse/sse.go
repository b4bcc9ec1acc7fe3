// Package sse writes server-sent event streams
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): the alert stream of the
// API (GET /api/v1/alerts/stream) and of the web pages (GET /alerts/events) are both written
// by it, so they frame events, keep idle streams alive, resume after Last-Event-ID and drop
// stalled clients the same way.
package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrLastEventID is returned for a Last-Event-ID that is not a decimal event id. The
// streams answer it with 400 Bad Request: a client that cannot say where it stopped would
// otherwise be sent either everything again or nothing it missed, and neither is safe to
// guess for clinical alerts.
var ErrLastEventID = errors.New("sse: malformed Last-Event-ID")

// LastEventID returns the id of the last event a reconnecting client received: the
// Last-Event-ID header, or fallback (a page's own ?after= value) when the header is absent.
// ok is false when neither is set; a value that is not a decimal uint64 is ErrLastEventID.
func LastEventID(r *http.Request, fallback string) (id uint64, ok bool, err error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = fallback
	}
	if v == "" {
		return 0, false, nil
	}
	id, err = strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%w %q: want a number", ErrLastEventID, v)
	}
	return id, true, nil
}

// Stream is an open event stream. It is not safe for concurrent use: one handler goroutine
// writes it.
type Stream struct {
	w         io.Writer
	rc        *http.ResponseController
	heartbeat time.Duration
}

// Open starts an event stream on w: it sets the headers, writes 200 and a first block with
// the comment (if any) and the client's reconnection delay (3 s), and flushes. The stream
// outlives the server's write timeout; each write has its own deadline of two heartbeats,
// so a client that stops reading is dropped.
func Open(w http.ResponseWriter, heartbeat time.Duration, comment string) (*Stream, error) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream") // always UTF-8 (the specification)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	_ = rc.SetWriteDeadline(time.Now().Add(2 * heartbeat))
	w.WriteHeader(http.StatusOK)
	s := &Stream{w: deadlineWriter{w, rc, 2 * heartbeat}, rc: rc, heartbeat: heartbeat}
	first := "retry: 3000\n\n"
	if comment != "" {
		first = ": " + comment + "\n" + first
	}
	return s, s.write(first)
}

func (s *Stream) write(text string) error {
	if _, err := io.WriteString(s.w, text); err != nil {
		return err
	}
	return s.rc.Flush()
}

// Event writes one event and flushes it.
func (s *Stream) Event(name string, id uint64, data string) error {
	return s.write(Format(name, strconv.FormatUint(id, 10), data))
}

// Format formats one server-sent event; a multi-line data value becomes several data
// lines, which the client joins with newlines. Carriage returns are dropped (they would end
// a line early).
func Format(name, id, data string) string {
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

// Source is what Relay sends: stored events first, then live ones.
type Source[T any] struct {
	// Resume and After: the client has the events up to id After (its Last-Event-ID).
	Resume bool
	After  uint64
	// Backlog is sent first: the stored events a reconnecting client may have missed.
	Backlog []T
	// Live delivers new events; the subscription is made before the backlog is read, so it
	// may repeat some of it.
	Live <-chan T
	// Done, when not nil, ends the stream when it is closed (the server is shutting down).
	Done <-chan struct{}
	// ID is an event's id, increasing along the stream.
	ID func(T) uint64
	// Event renders an event's name and data; send false skips it (the client may not see
	// it), and an error ends the stream.
	Event func(T) (name, data string, send bool, err error)
}

// Relay sends src's backlog, then its live events, each once: an event whose id is at or
// below the last one sent (or src.After) is dropped. An idle stream gets a keep-alive comment
// every heartbeat, so proxies keep it open. Relay returns when ctx is done, src.Done is
// closed, src.Live is closed, an event fails to render or a write fails (the client has
// gone or stopped reading); the error is nil for the first three.
func Relay[T any](ctx context.Context, s *Stream, src Source[T]) error {
	after, resume := src.After, src.Resume
	send := func(v T) error {
		id := src.ID(v)
		if resume && id <= after {
			return nil
		}
		name, data, ok, err := src.Event(v)
		if err != nil || !ok {
			return err
		}
		after, resume = max(after, id), true
		return s.Event(name, id, data)
	}
	for _, v := range src.Backlog {
		if err := send(v); err != nil {
			return err
		}
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-src.Done:
			return nil
		case v, ok := <-src.Live:
			if !ok {
				return nil
			}
			if err := send(v); err != nil {
				return err
			}
		case <-tick.C:
			if err := s.write(": keep-alive\n\n"); err != nil {
				return err
			}
		}
	}
}

// deadlineWriter gives each write of an event stream its own write deadline: the stream
// lives as long as the client reads it, and no longer.
type deadlineWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (d deadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(d.stall))
	return d.ResponseWriter.Write(p)
}
