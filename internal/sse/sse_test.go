package sse

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	got := Format("alert", "7", "<tr>\r\n<td>x</td>\n</tr>")
	want := "event: alert\nid: 7\ndata: <tr>\ndata: <td>x</td>\ndata: </tr>\n\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLastEventID(t *testing.T) {
	tests := []struct {
		hdr, fallback string
		id            uint64
		ok            bool
		err           error
	}{
		{"", "", 0, false, nil},
		{"12", "", 12, true, nil},
		{"0", "", 0, true, nil},
		{"", "5", 5, true, nil},
		{"12", "5", 12, true, nil},
		{"x", "5", 0, false, ErrLastEventID},
		{"-1", "", 0, false, ErrLastEventID},
		{" 1", "", 0, false, ErrLastEventID},
		{"", "3a", 0, false, ErrLastEventID},
		{"18446744073709551616", "", 0, false, ErrLastEventID},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.hdr != "" {
			r.Header.Set("Last-Event-ID", tt.hdr)
		}
		id, ok, err := LastEventID(r, tt.fallback)
		if id != tt.id || ok != tt.ok || !errors.Is(err, tt.err) {
			t.Errorf("LastEventID(%q, %q) = %d, %v, %v; want %d, %v, %v", tt.hdr, tt.fallback, id, ok, err, tt.id, tt.ok, tt.err)
		}
	}
}

// TestRelay checks that the backlog comes first, that nothing at or below the client's
// Last-Event-ID or already sent is repeated, that skipped events are not sent, and that the
// stream ends when the live channel closes.
func TestRelay(t *testing.T) {
	w := httptest.NewRecorder()
	s, err := Open(w, time.Hour, "test stream")
	if err != nil {
		t.Fatal(err)
	}
	live := make(chan int, 4)
	live <- 4 // published while the backlog was read: sent already
	live <- 6 // skipped
	live <- 7
	close(live)
	err = Relay(context.Background(), s, Source[int]{
		Resume: true, After: 2, Backlog: []int{1, 2, 3, 4}, Live: live,
		ID:    func(v int) uint64 { return uint64(v) },
		Event: func(v int) (string, string, bool, error) { return "n", strings.Repeat("x", v), v != 6, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := ": test stream\nretry: 3000\n\n" +
		"event: n\nid: 3\ndata: xxx\n\n" +
		"event: n\nid: 4\ndata: xxxx\n\n" +
		"event: n\nid: 7\ndata: xxxxxxx\n\n"
	if got := w.Body.String(); got != want {
		t.Errorf("body: got %q, want %q", got, want)
	}
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
	if w.Code != http.StatusOK {
		t.Errorf("status: got %d, want 200", w.Code)
	}
}
