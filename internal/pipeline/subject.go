package pipeline

import "strings"

// NATS subjects. The last token is a lab id, or for dead letters the kind of message given
// up on (job, run or s3); pass ">" for every lab in a filter.
//
//	precis.run.submitted.{lab}   RunSubmitted: a run to ingest
//	precis.job.annotate.{lab}    Job: one sample for a worker
//	precis.job.reanalyse.{lab}   ReanalyseJob: one stored report to re-evaluate with a newer knowledge base
//	precis.report.ready.{lab}    ReportReady: a report was stored (by a job or a reanalysis)
//	precis.alert.pgx.{lab}       PGxAlert: a dose alert for clinicians
//	precis.alert.reclassified.{lab}  ReclassifiedAlert: a reanalysis found major changes
//	precis.dead.{kind}           Dead: a message given up on
//	precis.s3.events             MinIO bucket notifications
//	precis.audit.{lab}           audit events (package audit)
const (
	prefixRunSubmitted = "precis.run.submitted."
	prefixJobAnnotate  = "precis.job.annotate."
	prefixJobReanalyse = "precis.job.reanalyse."
	prefixReportReady  = "precis.report.ready."
	prefixAlertPGx     = "precis.alert.pgx."
	prefixAlertReclass = "precis.alert.reclassified."
	prefixDead         = "precis.dead."
	prefixAudit        = "precis.audit."

	// SubjectS3Events is where MinIO publishes bucket notifications.
	SubjectS3Events = "precis.s3.events"
)

// SubjectRunSubmitted returns precis.run.submitted.{lab}.
func SubjectRunSubmitted(lab string) string { return prefixRunSubmitted + lab }

// SubjectJob returns precis.job.annotate.{lab}.
func SubjectJob(lab string) string { return prefixJobAnnotate + lab }

// SubjectReanalyse returns precis.job.reanalyse.{lab}.
func SubjectReanalyse(lab string) string { return prefixJobReanalyse + lab }

// SubjectAlertReclassified returns precis.alert.reclassified.{lab}.
func SubjectAlertReclassified(lab string) string { return prefixAlertReclass + lab }

// SubjectReportReady returns precis.report.ready.{lab}.
func SubjectReportReady(lab string) string { return prefixReportReady + lab }

// SubjectAlertPGx returns precis.alert.pgx.{lab}.
func SubjectAlertPGx(lab string) string { return prefixAlertPGx + lab }

// SubjectDead returns precis.dead.{kind}; kinds in use are job, run and s3.
func SubjectDead(kind string) string { return prefixDead + kind }

// SubjectAudit returns precis.audit.{lab}.
func SubjectAudit(lab string) string { return prefixAudit + lab }

// IsEventSubject reports whether subject is a report.ready, alert.pgx, alert.reclassified or
// dead subject with one valid last token (ValidToken).
func IsEventSubject(subject string) bool {
	for _, p := range []string{prefixReportReady, prefixAlertPGx, prefixAlertReclass, prefixDead} {
		if rest, found := strings.CutPrefix(subject, p); found && ValidToken(rest) {
			return true
		}
	}
	return false
}
