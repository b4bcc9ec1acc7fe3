package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
)

// reclassifiedAlert is the message a reanalysis publishes for a sample whose BRCA2 finding
// moved from pathogenic to conflicting (a major change), with its Nats-Msg-Id.
func reclassifiedAlert(t *testing.T, lab, run, sample string) (pipeline.ReclassifiedAlert, []byte, string) {
	t.Helper()
	const kbFrom, kbTo = "2024.12-0123456789", "2026.02-4339bdbf29"
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	a := pipeline.ReclassifiedAlert{SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: sample,
		ReportKey: pipeline.ReportKey(lab, run, sample), KBFrom: kbFrom, KBTo: kbTo, Previous: 1, At: at,
		Changes: []pipeline.Change{{SampleID: sample, Gene: "BRCA2", HGVSc: "NM_000059.4:c.9382C>T",
			Variant: "13:32398438 C>T", From: "pathogenic", To: "conflicting", Impact: pipeline.ImpactMajor,
			KBFrom: kbFrom, KBTo: kbTo, At: at, What: "classification", Reason: "crosses the actionable line"}}}
	body, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.Decode(body, &pipeline.ReclassifiedAlert{}); err != nil {
		t.Fatalf("the alert does not validate: %v", err)
	}
	return a, body, "reclassified:" + lab + ":" + run + ":" + sample + ":" + kbTo
}

// TestDeliverReclassified delivers a reclassification alert to its lab's endpoint exactly
// once, signed like a PGx alert, with X-Precis-Event alert.reclassified: the reanalysis
// publishing it twice, and a dispatcher restarted after it, send it no second time; another
// lab's endpoint gets nothing.
func TestDeliverReclassified(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusServiceUnavailable // the first attempt is retried, by the same rules
		}
		return http.StatusOK
	})
	other := newReceiver(t, nil)
	sub := e.subscribe(t, labK, rc.srv.URL+"/hook")
	rc.setSecret(sub.Secret)
	subS := e.subscribe(t, labS, other.srv.URL+"/hook")
	other.setSecret(subS.Secret)

	want, body, msgID := reclassifiedAlert(t, labK, runK, "S-0042")
	for range 2 { // a redelivered reanalysis publishes again: the stream keeps it once
		if err := e.q.PublishEvent(context.Background(), pipeline.SubjectAlertReclassified(labK), msgID, body); err != nil {
			t.Fatalf("PublishEvent: %v", err)
		}
	}
	pgx := goldenAlerts(t, labK, runK)[:1]
	e.publish(t, pgx...)
	stop := e.start(t, nil, nil, testOptions())
	e.settle(t, stop, 2, sub.ID)

	var got []request
	for _, r := range rc.requests() {
		if r.header.Get(HeaderEvent) == EventAlertReclassified {
			got = append(got, r)
		}
	}
	if len(got) != 2 || got[0].status != 503 || got[1].status != 200 || got[0].delivery != got[1].delivery {
		t.Fatalf("reclassified requests: got %d, want a 503 then one 200 with the same delivery id", len(got))
	}
	if n := rc.accepted()[got[1].delivery]; n != 1 {
		t.Errorf("the reclassification was accepted %d times, want once", n)
	}
	r := got[1]
	if r.verifyErr != nil {
		t.Errorf("signature: %v", r.verifyErr)
	}
	tampered := []byte(strings.Replace(string(r.body), "conflicting", "benign", 1))
	if err := Verify(sub.Secret, r.header.Get(HeaderSignature), tampered, time.Now(), time.Minute); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered body: got %v, want ErrSignature", err)
	}
	var rb Reclassified
	if err := json.Unmarshal(r.body, &rb); err != nil {
		t.Fatal(err)
	}
	if r.delivery != DeliveryID(sub.ID, rb.Seq) || rb.Time.IsZero() {
		t.Errorf("delivery id %q, seq %d, time %v", r.delivery, rb.Seq, rb.Time)
	}
	gb, _ := json.Marshal(rb.ReclassifiedAlert)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("body: got %s, want %s", gb, wb)
	}
	var pgxSeen int
	for _, r := range rc.requests() {
		if r.header.Get(HeaderEvent) == EventAlertPGx && r.status == 200 {
			pgxSeen++
		}
	}
	if pgxSeen != 1 {
		t.Errorf("PGx alert deliveries: got %d, want 1", pgxSeen)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("lab %s's endpoint got %d requests of lab %s's alerts", labS, n, labK)
	}

	// A new dispatcher (a restart) sends nothing again: the next alert it settles is the
	// only new request.
	more := goldenAlerts(t, labK, runK)[1:2]
	e.publish(t, more...)
	stop = e.start(t, nil, nil, testOptions())
	e.settle(t, stop, 3, sub.ID)
	var reclass int
	for _, r := range rc.requests() {
		if r.header.Get(HeaderEvent) == EventAlertReclassified && r.status == 200 {
			reclass++
		}
	}
	if reclass != 1 {
		t.Errorf("after a restart: the reclassification was delivered %d times, want once", reclass)
	}

	evs, err := e.audit.Query(context.Background(), audit.Filter{Lab: labK, Action: audit.ActionAlertDelivered, Sample: "S-0042"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Run != runK || evs[0].Status != 200 {
		t.Errorf("audit: got %+v, want one alert.delivered of sample S-0042", evs)
	}
}

// TestMalformedReclassified: a reclassification alert that does not validate is not
// delivered, and does not hold up the alerts after it.
func TestMalformedReclassified(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(t, labK, rc.srv.URL+"/hook")
	rc.setSecret(sub.Secret)
	if err := e.q.PublishEvent(context.Background(), pipeline.SubjectAlertReclassified(labK), "reclassified:bad",
		[]byte(`{"lab":"`+labK+`","changes":[]}`)); err != nil {
		t.Fatal(err)
	}
	e.publish(t, goldenAlerts(t, labK, runK)[:1]...)
	stop := e.start(t, nil, nil, testOptions())
	e.settle(t, stop, 1, sub.ID)
	for _, r := range rc.requests() {
		if r.header.Get(HeaderEvent) != EventAlertPGx {
			t.Errorf("delivered a %s", r.header.Get(HeaderEvent))
		}
	}
}
