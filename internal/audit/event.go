package audit

import (
	"net"
	"net/http"
	"strings"
	"time"
)

// Actions recorded in the audit trail. They are part of the audit contract: a query may
// filter on them, so they never change meaning.
const (
	ActionReportRead     = "report.read"     // a report shown (API json, web page)
	ActionReportDownload = "report.download" // a report fetched as a file (fhir, text, html download, print)
	ActionAlertDelivered = "alert.delivered" // a webhook delivery acknowledged by its endpoint
	ActionAlertFailed    = "alert.failed"    // a webhook delivery given up after its retries
	ActionTokenUse       = "token.use"       // an authenticated request
	ActionTokenCreate    = "token.create"    // a token issued
	ActionAuthFailed     = "auth.failed"     // a request with an invalid token (Actor: the id it claims) or a failed sign-in
	ActionTokenRevoke    = "token.revoke"    // a token revoked (Target: its id)
	ActionRefused        = "request.refused" // a request refused: no token (Actor "anonymous"), a role that may not (403), another lab's or an unknown resource (404), a bad name (400), a session that does not open
	ActionSignOut        = "session.end"     // a web session ended by signing out
	ActionReanalysis     = "reanalysis"      // a sample's report re-evaluated with a newer knowledge base (Detail: versions and changes)
	ActionKBPublish      = "kb.publish"      // a knowledge base published and made active (Detail: its version)
)

// Anonymous is the Actor of a refused request that presented no token.
const Anonymous = "anonymous"

// Event is one line of the audit trail: who did what to which lab's resource, when and from
// where. Sample ids are pseudonymous (DESIGN.md, clinical rule 6); no patient identity is
// ever recorded. A plain value.
type Event struct {
	At     time.Time `json:"at"`               // when, UTC
	Action string    `json:"action"`           // one of the Action constants
	Actor  string    `json:"actor"`            // token id, "system" for the service's own acts, "anonymous" without a token
	Role   string    `json:"role,omitempty"`   // the actor's role
	Lab    string    `json:"lab,omitempty"`    // the lab whose resource it was
	Run    string    `json:"run,omitempty"`    // run id
	Sample string    `json:"sample,omitempty"` // pseudonymous sample id
	Format string    `json:"format,omitempty"` // report format read or downloaded
	Target string    `json:"target,omitempty"` // request path, or the webhook endpoint for deliveries
	From   string    `json:"from,omitempty"`   // client address (the proxy's X-Forwarded-For when trusted)
	Status int       `json:"status,omitempty"` // HTTP status answered or received
	Detail string    `json:"detail,omitempty"` // anything else worth knowing, one line
	// Seq is the event's sequence in the PRECIS_AUDIT stream, set by Query (a stable id
	// for the event); Record ignores it.
	Seq uint64 `json:"seq,omitempty"`
}

// ClientAddr is the "from where" of an HTTP request: the last X-Forwarded-For hop (the
// address the reverse proxy itself saw) when the server runs behind a trusted proxy, else the
// peer's IP address. Only a proxy that replaces or appends the header may be trusted; the
// first hops are the client's own claims.
func ClientAddr(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
