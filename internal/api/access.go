package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
)

// Access rules (issue #5; the access-matrix test holds every route to them):
//
//   - Every route under /api needs "Authorization: Bearer <token>"; without a valid one the
//     answer is 401 with code unauthenticated and a WWW-Authenticate header.
//   - A resource of a lab the token may not read answers 404, exactly as a resource that
//     does not exist, so a lab cannot probe another lab's run or sample ids.
//   - A role that may read a lab but not do the act (a clinician uploading, an admin
//     submitting) answers 403 with code forbidden: it reveals nothing the token cannot read.
//   - Every authenticated request is recorded in the audit trail (token.use); a request with
//     a bad token is recorded as auth.failed. If the audit trail cannot be written the request
//     is refused with 503: a report read that leaves no trace is not allowed.

type principalKey struct{}

// principal returns the request's authenticated principal (set by authed).
func principal(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(principalKey{}).(auth.Principal)
	return p
}

// authed wraps a handler with token authentication and the token.use audit record. The
// ids in the path are checked first, so that the record names only valid labs (the audit
// trail files events by lab).
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ra := requestAudit(r)
		token := auth.FromHeader(r.Header.Get("Authorization"))
		if token == "" {
			s.unauthenticated(w, r, "an access token is required: Authorization: Bearer <token>")
			return
		}
		p, err := s.auth.Authenticate(r.Context(), token)
		switch {
		case errors.Is(err, auth.ErrUnauthenticated):
			s.recordBestEffort(r, audit.Event{Action: audit.ActionAuthFailed, Actor: auth.TokenID(token),
				Target: target(r), From: s.clientAddr(r), Status: http.StatusUnauthorized})
			ra.recorded = true
			s.unauthenticated(w, r, "the access token is not valid")
			return
		case err != nil:
			s.failDependency(w, r, "checking the access token", err)
			return
		}
		ra.p, ra.authed = p, true
		for _, name := range []string{"lab", "run", "sample"} {
			if v := r.PathValue(name); v != "" && !idName.MatchString(v) {
				s.fail(w, r, http.StatusBadRequest, CodeInvalidName, fmt.Sprintf("%s %q: %s", name, v, idRule))
				return
			}
		}
		ev := audit.Event{Action: audit.ActionTokenUse, Actor: p.TokenID, Role: string(p.Role),
			Lab: r.PathValue("lab"), Run: r.PathValue("run"), Sample: r.PathValue("sample"),
			Target: target(r), From: s.clientAddr(r)}
		if err := s.audit.Record(r.Context(), ev); err != nil {
			s.auditDown(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// maxTarget bounds the request line kept in an audit record: a client chooses its path.
const maxTarget = 512

// target is the audit record's Target of a request: method and path, cut to maxTarget.
func target(r *http.Request) string { return cut(r.Method+" "+r.URL.Path, maxTarget) }

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// reqAudit is what the audit trail needs to know of a request once it is answered: who
// made it, and whether it was recorded already. Handler puts one in every request's context.
type reqAudit struct {
	p        auth.Principal
	authed   bool   // p is set: the token was valid
	recorded bool   // the refusal is recorded already (auth.failed)
	code     string // the error code answered
	msg      string // and its message
}

type reqAuditKey struct{}

// requestAudit returns the request's reqAudit; a throwaway one outside Handler (tests).
func requestAudit(r *http.Request) *reqAudit {
	if ra, ok := r.Context().Value(reqAuditKey{}).(*reqAudit); ok {
		return ra
	}
	return &reqAudit{}
}

// refused reports whether an answer is a refusal the audit trail keeps: 401 and 403 to
// anyone, 400 and 404 to a valid token (a bad name, another lab's or a missing resource).
func (ra *reqAudit) refused(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusBadRequest, http.StatusNotFound:
		return ra.authed
	}
	return false
}

// recordRefusal writes the request.refused record of an answered API request, when it was
// a refusal not recorded yet. Best effort: the request is refused anyway.
func (s *Server) recordRefusal(r *http.Request, ra *reqAudit, status int) {
	if ra.recorded || !ra.refused(status) || !strings.HasPrefix(r.URL.Path, "/api/") {
		return
	}
	ev := audit.Event{Action: audit.ActionRefused, Actor: audit.Anonymous, Target: target(r),
		From: s.clientAddr(r), Status: status, Detail: cut(strings.TrimPrefix(ra.code+": "+ra.msg, ": "), 300)}
	if ra.authed {
		ev.Actor, ev.Role = ra.p.TokenID, string(ra.p.Role)
	}
	if lab := r.PathValue("lab"); idName.MatchString(lab) {
		ev.Lab = lab
		if run := r.PathValue("run"); idName.MatchString(run) {
			ev.Run = run
		}
	}
	// The client may have gone already; the record is written all the same.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.ErrorContext(ctx, "audit", "action", ev.Action, "err", err)
	}
}

func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="precis"`)
	s.fail(w, r, http.StatusUnauthorized, CodeUnauthenticated, msg)
}

// canRead answers 404 and returns false unless the principal may read lab's resources.
// what names the resource as the caller would for a missing one, so both answers match.
func (s *Server) canRead(w http.ResponseWriter, r *http.Request, lab, what string) bool {
	if principal(r).CanRead(lab) {
		return true
	}
	s.fail(w, r, http.StatusNotFound, CodeNotFound, what)
	return false
}

// canSubmit answers and returns false unless the principal may upload and submit for lab:
// 404 when it may not even read the lab, 403 when it reads it in another role.
func (s *Server) canSubmit(w http.ResponseWriter, r *http.Request, lab, what string) bool {
	p := principal(r)
	switch {
	case p.CanSubmit(lab):
		return true
	case p.CanRead(lab):
		s.fail(w, r, http.StatusForbidden, CodeForbidden,
			fmt.Sprintf("a %s token cannot upload or submit runs; use the lab's own token", p.Role))
	default:
		s.fail(w, r, http.StatusNotFound, CodeNotFound, what)
	}
	return false
}

// record writes an audit event for the request's principal; the caller refuses the request
// when it fails.
func (s *Server) record(r *http.Request, ev audit.Event) error {
	p := principal(r)
	ev.Actor, ev.Role = p.TokenID, string(p.Role)
	if ev.From == "" {
		ev.From = s.clientAddr(r)
	}
	return s.audit.Record(r.Context(), ev)
}

// recordBestEffort writes an event whose loss cannot be helped by refusing the request (the
// request is refused anyway); a failure is logged.
func (s *Server) recordBestEffort(r *http.Request, ev audit.Event) {
	if err := s.audit.Record(r.Context(), ev); err != nil {
		s.log.ErrorContext(r.Context(), "audit", "action", ev.Action, "err", err)
	}
}

// clientAddr is the client's address for the audit trail.
func (s *Server) clientAddr(r *http.Request) string { return audit.ClientAddr(r, s.proxied) }

// me answers GET /api/v1/me: who the token is, so clients and the web pages can tell.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	labs, all := p.ReadableLabs()
	if labs == nil {
		labs = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_id": p.TokenID, "role": p.Role, "labs": labs,
		"all_labs": all, "name": p.Name})
}

// auditDown refuses a request whose audit record could not be written: 503, so the client
// retries once the trail is back. The cause is logged, not sent.
func (s *Server) auditDown(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "audit trail unavailable; request refused", "method", r.Method, "path", r.URL.Path, "err", err)
	s.fail(w, r, http.StatusServiceUnavailable, CodeUnavailable, "the audit trail cannot be written; retry later")
}
