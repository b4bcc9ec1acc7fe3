package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

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

// authed wraps a handler with token authentication and the token.use audit record.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := auth.FromHeader(r.Header.Get("Authorization"))
		if token == "" {
			s.unauthenticated(w, r, "an access token is required: Authorization: Bearer <token>")
			return
		}
		p, err := s.auth.Authenticate(r.Context(), token)
		switch {
		case errors.Is(err, auth.ErrUnauthenticated):
			s.recordBestEffort(r, audit.Event{Action: audit.ActionAuthFailed, Target: r.Method + " " + r.URL.Path,
				From: s.clientAddr(r), Status: http.StatusUnauthorized})
			s.unauthenticated(w, r, "the access token is not valid")
			return
		case err != nil:
			s.failDependency(w, r, "checking the access token", err)
			return
		}
		ev := audit.Event{Action: audit.ActionTokenUse, Actor: p.TokenID, Role: string(p.Role),
			Lab: r.PathValue("lab"), Run: r.PathValue("run"), Sample: r.PathValue("sample"),
			Target: r.Method + " " + r.URL.Path, From: s.clientAddr(r)}
		if err := s.audit.Record(r.Context(), ev); err != nil {
			s.auditDown(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
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
