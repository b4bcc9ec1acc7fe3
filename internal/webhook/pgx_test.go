package webhook

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/guideline/guidelinetest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/waittest"
)

// TestDeliverEveryGene: the alerts of one sample's TPMT and UGT1A1 results (raised for FOLFIRI
// and mercaptopurine) are each delivered, with the gene, diplotype, phenotype and drugs the
// worker published.
func TestDeliverEveryGene(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(t, labK, rc.srv.URL+"/hook")
	rc.setSecret(sub.Secret)
	planned := []string{"folfiri", "mercaptopurine"}
	var alerts []goldenAlert
	for _, p := range guidelinetest.Results(t, planned) {
		if !guideline.Raises(p, planned) {
			continue
		}
		m := pipeline.PGxAlert{SchemaVersion: pipeline.SchemaVersion, Lab: labK, RunID: runK, SampleID: "S1",
			Gene: p.Gene, Diplotype: p.Diplotype, Phenotype: p.Phenotype, Drugs: guideline.AlertDrugs(p.Gene, planned),
			Severity: p.Alert.Severity, Message: p.Alert.Message, ReportKey: pipeline.ReportKey(labK, runK, "S1")}
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		alerts = append(alerts, goldenAlert{msg: m, body: body, msgID: "alert:" + labK + ":" + runK + ":S1:S1:" + p.Gene})
	}
	if len(alerts) != 2 {
		t.Fatalf("%d alerts raised, want TPMT and UGT1A1", len(alerts))
	}
	e.publish(t, alerts...)
	e.start(t, nil, nil, testOptions())
	waittest.Until(t, 10*time.Second, "both alerts settled", func() bool { return settledCount(t, e.store, sub.ID) == len(alerts) })
	byGene := map[string]pipeline.PGxAlert{}
	for _, r := range rc.requests() {
		if r.verifyErr != nil {
			t.Errorf("delivery %s: %v", r.delivery, r.verifyErr)
		}
		var got queue.Alert
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		byGene[got.Gene] = got.PGxAlert
	}
	for _, a := range alerts {
		got, ok := byGene[a.msg.Gene]
		if !ok {
			t.Errorf("%s alert not delivered", a.msg.Gene)
			continue
		}
		if got.Diplotype != a.msg.Diplotype || got.Phenotype != a.msg.Phenotype || !slices.Equal(got.Drugs, a.msg.Drugs) || got.Message != a.msg.Message {
			t.Errorf("%s: delivered %+v, want %+v", a.msg.Gene, got, a.msg)
		}
	}
}
