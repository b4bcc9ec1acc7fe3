package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/precis-dx/precis/internal/audit"
)

// AuditLog reads the audit trail back; audit.Log satisfies it.
type AuditLog interface {
	Query(ctx context.Context, f audit.Filter) ([]audit.Event, error)
}

// maxAuditEvents bounds one audit query's answer.
const maxAuditEvents = 5000

// getAudit answers GET /api/audit for admins, filtered by ?lab= ?run= ?sample= (the
// pseudonymous sample id) ?action= ?actor= ?since= ?until= (RFC 3339) and ?limit= (default
// 500): the newest matching events, oldest first. Other roles get 403: the trail is not a
// lab's resource, so refusing it reveals nothing about any lab.
func (s *Server) getAudit(w http.ResponseWriter, r *http.Request) {
	if !principal(r).CanAudit() {
		s.fail(w, r, http.StatusForbidden, CodeForbidden, "the audit trail is for admin tokens")
		return
	}
	q := r.URL.Query()
	f := audit.Filter{Lab: q.Get("lab"), Run: q.Get("run"), Sample: q.Get("sample"), Action: q.Get("action"),
		Actor: q.Get("actor"), Limit: 500}
	for _, v := range []struct {
		name, val string
	}{{"lab", f.Lab}, {"run", f.Run}, {"sample", f.Sample}} {
		if v.val != "" && !idName.MatchString(v.val) {
			s.fail(w, r, http.StatusBadRequest, CodeInvalidName, fmt.Sprintf("%s %q: %s", v.name, v.val, idRule))
			return
		}
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.fail(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("%s %q: want an RFC 3339 time", t.name, v))
				return
			}
			*t.dst = tm
		}
	}
	var ok bool
	if f.Limit, ok = s.queryLimit(w, r, f.Limit, maxAuditEvents); !ok {
		return
	}
	events, err := s.auditLog.Query(r.Context(), f)
	if err != nil { // invalid 400
		s.failDependency(w, r, "read the audit trail", err)
		return
	}
	writeList(w, "events", events)
}
