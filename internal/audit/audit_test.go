package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/queue/queuetest"
	"github.com/precis-dx/precis/internal/waittest"
)

// newJS starts an embedded NATS server with JetStream in a temp dir and connects to it.
func newJS(t *testing.T) (jetstream.JetStream, *queue.Embedded) {
	t.Helper()
	q, e := queuetest.New(t)
	return q.JetStream(), e
}

func open(t *testing.T, js jetstream.JetStream) *Log {
	t.Helper()
	l, err := Open(context.Background(), js, 1)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func streamState(t *testing.T, js jetstream.JetStream) (jetstream.StreamConfig, jetstream.StreamState) {
	t.Helper()
	s, err := js.Stream(context.Background(), StreamName)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.Config, info.State
}

func TestOpenCreatesAppendOnlyStream(t *testing.T) {
	js, _ := newJS(t)
	open(t, js)
	open(t, js) // a second process opening the same stream
	cfg, _ := streamState(t, js)
	if w := Weaknesses(cfg); len(w) > 0 {
		t.Errorf("Weaknesses of the created stream: %q, want none", w)
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"DenyDelete", cfg.DenyDelete, true},
		{"DenyPurge", cfg.DenyPurge, true},
		{"Discard", cfg.Discard, jetstream.DiscardNew},
		{"MaxAge", cfg.MaxAge, time.Duration(0)},
		{"MaxBytes", cfg.MaxBytes, int64(-1)},
		{"MaxMsgs", cfg.MaxMsgs, int64(-1)},
		{"Storage", cfg.Storage, jetstream.FileStorage},
		{"Subjects", fmt.Sprint(cfg.Subjects), "[precis.audit.>]"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

// TestServerRefusesDeleteAndPurge records events, then tries every way the JetStream API
// offers to remove one: the server must refuse each, and every event must still be there.
func TestServerRefusesDeleteAndPurge(t *testing.T) {
	js, _ := newJS(t)
	l := open(t, js)
	ctx := context.Background()
	for i, lab := range []string{"karolinska-molpat", "sahlgrenska-klingen", ""} {
		if err := l.Record(ctx, Event{Action: ActionReportRead, Actor: fmt.Sprintf("tok-%d", i), Lab: lab}); err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		t.Fatal(err)
	}
	// JetStream API error codes, from nats-server's server/errors.json.
	const (
		msgDeleteFailed = 10057 // JSStreamMsgDeleteFailedF: "message delete not permitted"
		purgeFailed     = 10110 // JSStreamPurgeFailedF: "stream purge not permitted"
		rollupFailed    = 10111 // JSStreamRollupFailedF: "rollup not permitted"
	)
	for _, tc := range []struct {
		name string
		code jetstream.ErrorCode
		do   func() error
	}{
		{"delete message", msgDeleteFailed, func() error { return s.DeleteMsg(ctx, 1) }},
		{"secure delete message", msgDeleteFailed, func() error { return s.SecureDeleteMsg(ctx, 2) }},
		{"purge stream", purgeFailed, func() error { return s.Purge(ctx) }},
		{"purge one lab's subject", purgeFailed, func() error {
			return s.Purge(ctx, jetstream.WithPurgeSubject("precis.audit.karolinska-molpat"))
		}},
		{"purge up to a sequence", purgeFailed, func() error { return s.Purge(ctx, jetstream.WithPurgeSequence(3)) }},
		{"roll-up publish", rollupFailed, func() error {
			m := nats.NewMsg("precis.audit.karolinska-molpat")
			m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupAll)
			m.Data = []byte(`{"action":"report.read"}`)
			_, err := js.PublishMsg(ctx, m)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !refusedWith(err, tc.code) {
				t.Errorf("%s: got %v, want the server's refusal, error code %d", tc.name, err, tc.code)
			}
			if _, st := streamState(t, js); st.Msgs != 3 || st.FirstSeq != 1 {
				t.Errorf("after %s: got %d events from seq %d, want 3 from seq 1", tc.name, st.Msgs, st.FirstSeq)
			}
		})
	}
}

// refusedWith reports whether err is the server's API error with the code. DeleteMsg
// keeps only the text of the API error (nats.go jetstream/stream.go), hence the fallback.
func refusedWith(err error, code jetstream.ErrorCode) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == code
	}
	return err != nil && strings.Contains(err.Error(), fmt.Sprintf("err_code=%d ", code))
}

// TestUpdateCannotCancelDenies answers whether a stream update can turn DenyDelete (or
// DenyPurge) off: nats-server refuses it.
func TestUpdateCannotCancelDenies(t *testing.T) {
	js, _ := newJS(t)
	open(t, js)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(c *jetstream.StreamConfig)
	}{
		{"deny delete off", func(c *jetstream.StreamConfig) { c.DenyDelete = false }},
		{"deny purge off", func(c *jetstream.StreamConfig) { c.DenyPurge = false }},
		{"both off", func(c *jetstream.StreamConfig) { c.DenyDelete, c.DenyPurge = false, false }},
		{"allow roll-ups", func(c *jetstream.StreamConfig) { c.AllowRollup = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := streamConfig(1)
			tc.edit(&cfg)
			// 10052 is JSStreamInvalidConfigF ("stream configuration update can not cancel
			// deny message deletes", "... deny purge", "roll-ups require the purge permission").
			if _, err := js.UpdateStream(ctx, cfg); !refusedWith(err, 10052) {
				t.Errorf("update %s: got %v, want the server's refusal, error code 10052", tc.name, err)
			}
			if got, _ := streamState(t, js); !got.DenyDelete || !got.DenyPurge || got.AllowRollup {
				t.Errorf("after update %s: deny_delete %v deny_purge %v allow_rollup %v, want true true false",
					tc.name, got.DenyDelete, got.DenyPurge, got.AllowRollup)
			}
		})
	}
}

// TestOpenRefusesWeakenedStream weakens the stream in the ways the server does accept
// (an update adding limits, or a delete and re-create), then checks that Open refuses it
// and leaves it as it was.
func TestOpenRefusesWeakenedStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *jetstream.StreamConfig)
		// recreate deletes the stream and creates it again with the edited config.
		recreate bool
	}{
		{"max age", func(c *jetstream.StreamConfig) { c.MaxAge = time.Hour }, false},
		{"message limit discarding old", func(c *jetstream.StreamConfig) {
			c.MaxMsgs, c.Discard = 1000, jetstream.DiscardOld
		}, false},
		{"byte limit discarding old", func(c *jetstream.StreamConfig) {
			c.MaxBytes, c.Discard = 1<<20, jetstream.DiscardOld
		}, false},
		{"per-lab limit", func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 10 }, false},
		{"message TTLs", func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true }, false},
		{"recreated without denies", func(c *jetstream.StreamConfig) { c.DenyDelete, c.DenyPurge = false, false }, true},
		{"recreated in memory", func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage }, true},
		{"recreated with interest retention", func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js, _ := newJS(t)
			open(t, js)
			ctx := context.Background()
			cfg := streamConfig(1)
			tc.edit(&cfg)
			if tc.recreate {
				if err := js.DeleteStream(ctx, StreamName); err != nil {
					t.Fatalf("delete stream: %v (DenyDelete does not protect the stream itself)", err)
				}
				if _, err := js.CreateStream(ctx, cfg); err != nil {
					t.Fatalf("recreate: %v", err)
				}
			} else if _, err := js.UpdateStream(ctx, cfg); err != nil {
				t.Fatalf("update %s: %v (the server refused it; the case is moot)", tc.name, err)
			}
			before, _ := streamState(t, js)
			if _, err := Open(ctx, js, 1); !errors.Is(err, ErrWeakened) {
				t.Fatalf("Open on a stream with %s: got %v, want ErrWeakened", tc.name, err)
			}
			after, _ := streamState(t, js)
			if len(Weaknesses(before)) == 0 {
				t.Errorf("Weaknesses(%s): got none", tc.name)
			}
			if fmt.Sprint(Weaknesses(after)) != fmt.Sprint(Weaknesses(before)) || after.MaxAge != before.MaxAge {
				t.Errorf("Open changed the refused stream: weaknesses %q, want %q", Weaknesses(after), Weaknesses(before))
			}
		})
	}
}

func TestRecordSetsTimeAndSubject(t *testing.T) {
	js, _ := newJS(t)
	l := open(t, js)
	ctx := context.Background()
	before := time.Now()
	if err := l.Record(ctx, Event{Action: ActionTokenUse, Actor: "tok-1", Role: "lab", Lab: "karolinska-molpat"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Record(ctx, Event{Action: ActionAuthFailed, Target: "GET /api/v1/runs", From: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		t.Fatal(err)
	}
	for seq, want := range map[uint64]string{1: "precis.audit.karolinska-molpat", 2: "precis.audit._"} {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != want {
			t.Errorf("seq %d subject: got %s, want %s", seq, m.Subject, want)
		}
	}
	got, err := l.Query(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Query: got %d events, want 2", len(got))
	}
	for _, e := range got {
		if e.At.Before(before.Add(-time.Millisecond)) || e.At.After(after) || e.At.Location() != time.UTC {
			t.Errorf("At: got %v, want UTC within [%v, %v]", e.At, before, after)
		}
	}
}

func TestRecordInvalid(t *testing.T) {
	js, _ := newJS(t)
	l := open(t, js)
	for _, tc := range []struct {
		name string
		e    Event
	}{
		{"no action", Event{Lab: "karolinska-molpat"}},
		{"lab with dot", Event{Action: ActionReportRead, Lab: "karolinska.molpat"}},
		{"lab wildcard", Event{Action: ActionReportRead, Lab: "*"}},
		{"lab is the no-lab token", Event{Action: ActionReportRead, Lab: "_"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := l.Record(context.Background(), tc.e); !errors.Is(err, ErrInvalid) {
				t.Errorf("Record: got %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := l.Query(context.Background(), Filter{Lab: ">"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Query lab >: got %v, want ErrInvalid", err)
	}
}

// TestRecordFailureVisible: with the server gone, Record returns an error.
func TestRecordFailureVisible(t *testing.T) {
	e, err := queue.StartEmbedded(t.TempDir(), queue.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	nc, err := nats.Connect(e.URL(), nats.NoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	l := open(t, js)
	e.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := l.Record(ctx, Event{Action: ActionReportRead, Lab: "karolinska-molpat"}); err == nil {
		t.Error("Record with the server down: got nil, want an error")
	}
}

func TestQuery(t *testing.T) {
	js, _ := newJS(t)
	l := open(t, js)
	ctx := context.Background()
	t0 := time.Date(2025, 1, 17, 9, 0, 0, 0, time.UTC)
	events := []Event{
		{At: t0, Action: ActionTokenUse, Actor: "tok-a", Lab: "karolinska-molpat"},
		{At: t0.Add(1 * time.Minute), Action: ActionReportRead, Actor: "tok-a", Lab: "karolinska-molpat", Run: "RUN-2025-0117", Sample: "DEMO-0001", Format: "json"},
		{At: t0.Add(2 * time.Minute), Action: ActionReportDownload, Actor: "tok-b", Lab: "sahlgrenska-klingen", Run: "RUN-7", Sample: "NA19226", Format: "fhir"},
		{At: t0.Add(3 * time.Minute), Action: ActionAuthFailed, Target: "GET /api/v1/runs"},
		{At: t0.Add(4 * time.Minute), Action: ActionAlertDelivered, Actor: "system", Lab: "karolinska-molpat", Run: "RUN-2025-0117", Sample: "DEMO-0001", Status: 200},
		{At: t0.Add(5 * time.Minute), Action: ActionReportDownload, Actor: "tok-a", Lab: "karolinska-molpat", Run: "RUN-2025-0117", Sample: "DEMO-0001", Format: "text"},
	}
	for _, e := range events {
		if err := l.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    Filter
		want []int // indexes into events, in the order expected
	}{
		{"all", Filter{}, []int{0, 1, 2, 3, 4, 5}},
		{"one lab", Filter{Lab: "karolinska-molpat"}, []int{0, 1, 4, 5}},
		{"other lab", Filter{Lab: "sahlgrenska-klingen"}, []int{2}},
		{"lab with no events", Filter{Lab: "uppsala-klinpat"}, nil},
		{"sample", Filter{Sample: "DEMO-0001"}, []int{1, 4, 5}},
		{"run and action", Filter{Run: "RUN-2025-0117", Action: ActionReportDownload}, []int{5}},
		{"actor", Filter{Actor: "tok-a"}, []int{0, 1, 5}},
		{"since", Filter{Since: t0.Add(2 * time.Minute)}, []int{2, 3, 4, 5}},
		{"until", Filter{Until: t0.Add(time.Minute)}, []int{0, 1}},
		{"window and lab", Filter{Lab: "karolinska-molpat", Since: t0.Add(time.Minute), Until: t0.Add(4 * time.Minute)}, []int{1, 4}},
		{"newest two", Filter{Limit: 2}, []int{4, 5}},
		{"newest two of a lab", Filter{Lab: "karolinska-molpat", Limit: 2}, []int{4, 5}},
		{"limit above matches", Filter{Sample: "NA19226", Limit: 10}, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.Query(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var gotIdx []int
			for _, e := range got {
				gotIdx = append(gotIdx, int(e.Seq)-1)
				want := events[e.Seq-1]
				want.Seq = e.Seq
				if e != want {
					t.Errorf("event %d: got %+v, want %+v", e.Seq, e, want)
				}
			}
			if !slices.Equal(gotIdx, tc.want) {
				t.Errorf("got events %v, want %v", gotIdx, tc.want)
			}
		})
	}
	if _, err := l.Query(ctx, Filter{Since: t0.Add(time.Hour), Until: t0}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Query until before since: got %v, want ErrInvalid", err)
	}
}

// TestQuerySinceUsesStreamTime: events recorded now are found by a Since just before
// them and not by one after them.
func TestQuerySinceUsesStreamTime(t *testing.T) {
	js, _ := newJS(t)
	l := open(t, js)
	ctx := context.Background()
	if err := l.Record(ctx, Event{Action: ActionTokenUse, Actor: "tok-old"}); err != nil {
		t.Fatal(err)
	}
	// mid is strictly after the first event's stream time and strictly before the second's,
	// by the clock itself rather than by sleeping long enough.
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mid := after(t, info.State.LastTime).Round(0) // wall clock only, as the server stamps
	after(t, mid)
	if err := l.Record(ctx, Event{Action: ActionTokenUse, Actor: "tok-new"}); err != nil {
		t.Fatal(err)
	}
	got, err := l.Query(ctx, Filter{Since: mid})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Actor != "tok-new" {
		t.Errorf("Query since %v: got %+v, want the one event of tok-new", mid, got)
	}
}

// after waits until the clock has passed at, and returns the time it read.
func after(t *testing.T, at time.Time) time.Time {
	t.Helper()
	var now time.Time
	waittest.Until(t, 10*time.Second, "clock past "+at.String(), func() bool {
		now = time.Now()
		return now.After(at)
	})
	return now
}

func TestConcurrentRecord(t *testing.T) {
	js, _ := newJS(t)
	l := open(t, js)
	ctx := context.Background()
	const writers, each = 8, 40 // 320 events: more than one fetch batch
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errs <- l.Record(ctx, Event{Action: ActionReportRead, Actor: fmt.Sprintf("tok-%d", w),
					Lab: "karolinska-molpat", Sample: fmt.Sprintf("S%d-%d", w, i)})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.Query(ctx, Filter{Lab: "karolinska-molpat"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d: got seq %d, want %d (oldest first)", i, e.Seq, i+1)
		}
		seen[e.Sample] = true
	}
	if len(got) != writers*each || len(seen) != writers*each {
		t.Errorf("got %d events (%d distinct), want %d", len(got), len(seen), writers*each)
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		xff    []string
		trust  bool
		want   string
	}{
		{"peer", "192.0.2.1:5000", nil, false, "192.0.2.1"},
		{"peer ipv6", "[2001:db8::1]:443", nil, false, "2001:db8::1"},
		{"header ignored untrusted", "192.0.2.1:5000", []string{"198.51.100.7"}, false, "192.0.2.1"},
		{"proxy's hop", "127.0.0.1:5000", []string{"203.0.113.9, 198.51.100.7"}, true, "198.51.100.7"},
		{"last header wins", "127.0.0.1:5000", []string{"203.0.113.9", "198.51.100.8"}, true, "198.51.100.8"},
		{"garbage falls back", "127.0.0.1:5000", []string{"not-an-ip"}, true, "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientAddr(r, tc.trust); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
