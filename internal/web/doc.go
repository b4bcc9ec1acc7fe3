// Package web serves the web pages of the Precis result service: sign-in with an access
// token, the runs a user may read, a run's samples, a sample's report (the pharmacogenomic
// dose alerts first, DPYD, UGT1A1, TPMT, NUDT15, those of the planned drugs leading; then
// findings by panel, tags with their rationale, untested positions, QC and warnings,
// provenance), and the PGx dose alerts, which update live. Pages are server-rendered with
// html/template from embedded files; there is no build step and nothing is loaded from
// elsewhere.
//
// Routes (Server.Handler):
//
//	GET  /                                         runs list (redirect to /signin when not signed in)
//	GET  /signin, POST /signin                      sign in with a token (form field "token"; "next" returns to a page)
//	POST /signout                                   end the session
//	GET  /runs/{lab}/{run}                          a run with its samples, their status and reason
//	GET  /runs/{lab}/{run}/samples/{sample}         the report page (audit: report.read, format "web")
//	GET  /runs/{lab}/{run}/samples/{sample}?format=html   the standalone report as a download (audit: report.download, format "html")
//	GET  /alerts                                    dose alerts, newest first
//	GET  /alerts/events                             server-sent events feeding the alerts page (?after=SEQ, Last-Event-ID)
//	GET  /static/{name}                             app.css, report.css, app.js (embedded; ?v= content hash)
//
// Every page takes ?lang=sv or ?lang=en (remembered in a cookie); without one the language
// comes from Accept-Language (Swedish when preferred, else English). All labels come from one
// message catalogue; clinical terms (phenotypes, HGVS, classifications, tags) are shown as the
// report states them.
//
// Access: a lab's runs, reports and alerts are shown only to a principal that may read the
// lab (auth.Principal.CanRead); anything else answers 404, exactly as a resource that does not
// exist, so ids cannot be probed. Sign-in is recorded as token.use (a refused token as
// auth.failed), a report page as report.read and a download as report.download; when the
// audit trail cannot be written the report is not shown (503).
//
// Sessions: the cookie holds the token sealed with AES-256-GCM together with its expiry
// (SessionTTL); each request re-authenticates the token, so revocation takes effect at once.
// The cookie is HttpOnly, SameSite=Strict, and Secure with the __Host- prefix when serving
// TLS. Cross-origin form posts are refused (net/http.CrossOriginProtection). Every response
// carries a Content-Security-Policy without inline script, and the usual hardening headers.
package web
