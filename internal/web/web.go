package web

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
)

// ErrNotFound is what a Backend returns (wrapped or not) for a report that does not exist,
// is not ready yet, or failed (the reason of a failure is in the run state).
var ErrNotFound = errors.New("web: not found")

// Backend is what the pages read: run state, reports and PGx alerts. The result service
// implements it over the queue and the object store. Its methods are called from many
// requests at once, so an implementation must be safe for concurrent use.
type Backend interface {
	// ListRuns lists the runs of lab; lab "" lists every lab's (for an admin).
	ListRuns(ctx context.Context, lab string) ([]pipeline.RunState, error)
	// GetRun returns a run's state; an error wrapping queue.ErrNotFound when there is none.
	GetRun(ctx context.Context, lab, run string) (pipeline.RunState, error)
	// Report returns a sample's report; an error wrapping ErrNotFound when it is absent,
	// not ready or failed.
	Report(ctx context.Context, lab, run, sample string) (*report.Report, error)
	// Alerts returns the stored PGx alerts of labs (every lab's when all) from since on,
	// oldest first, at most the newest limit.
	Alerts(ctx context.Context, labs []string, all bool, since time.Time, limit int) ([]queue.Alert, error)
	// WatchAlerts delivers the alerts of labs (every lab's when all) published from now on,
	// until ctx ends, when the channel is closed.
	WatchAlerts(ctx context.Context, labs []string, all bool) (<-chan queue.Alert, error)
}

// Authenticator turns a presented token into a principal; auth.Store satisfies it. It is
// called on every request, concurrently.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (auth.Principal, error)
}

// Sessions keeps the server-side record of sign-in sessions; auth.Store satisfies it. With
// one, signing out (or revoking the token) ends a session at once, also for a copy of its
// cookie. It is called on every signed-in request, concurrently.
type Sessions interface {
	StartSession(ctx context.Context, tokenID string) (string, error)
	// CheckSession returns an error wrapping auth.ErrUnauthenticated for a session that ended.
	CheckSession(ctx context.Context, tokenID, id string) error
	EndSession(ctx context.Context, tokenID, id string) error
}

// Recorder writes the audit trail; it is called concurrently. A Record that fails refuses
// the request it records (report pages, downloads, sign-in answer 503).
type Recorder interface {
	Record(ctx context.Context, e audit.Event) error
}

// Options configure a Server; a plain value, read once by New. The zero value works: sessions then use a random key, so a
// restart signs everyone out.
type Options struct {
	Log           *slog.Logger // discarded when nil
	SecureCookies bool         // set when serving TLS: cookies get Secure (and the __Host- prefix), and HSTS is sent
	Version       string       // shown in the page footer
	// SessionKey seals the session cookies. Give the same secret to every replica behind
	// one address, and across restarts, to keep users signed in; empty draws a random key.
	SessionKey []byte
	// TrustProxy takes the client address for the audit trail from the last hop of
	// X-Forwarded-For. Set it only behind a reverse proxy that sets the header.
	TrustProxy bool
	// Sessions keeps sessions server-side. Nil: a session is its sealed cookie alone, and
	// signing out only asks the browser to forget it (a copy works until it expires).
	Sessions Sessions
}

// Limits and lifetimes.
const (
	// SessionTTL is how long a sign-in lasts, however active the user is.
	SessionTTL = 12 * time.Hour
	// alertsWindow and alertsLimit bound the alerts the alerts page lists on first paint.
	alertsWindow = 30 * 24 * time.Hour
	alertsLimit  = 200
	// maxFormBytes bounds the sign-in form.
	maxFormBytes = 8 << 10
	// heartbeat is how often the alert stream sends a comment, so proxies keep it open.
	heartbeat = 20 * time.Second
)

// idRE is the shape of lab, run and sample ids (the manifest's: NATS subject tokens). A path
// with another shape is answered 404 without asking the backend.
var idRE = regexp.MustCompile(pipeline.IDPattern)

// Server serves the web pages. It holds no per-request state and is safe for concurrent use.
type Server struct {
	b          Backend
	a          Authenticator
	rec        Recorder
	sessions   Sessions // nil: cookie-only sessions
	log        *slog.Logger
	secure     bool
	proxied    bool
	version    string
	seal       *sealer
	sealErr    error
	now        func() time.Time
	heartbeat  time.Duration
	cookieName string
	handler    http.Handler
	done       chan struct{} // closed by Close: ends the alert streams
	closeOnce  sync.Once
}

// New returns a Server over b. New does not fail: a session key that cannot be set up (the
// system's random source failing) makes every sign-in answer 500 and is logged.
func New(b Backend, a Authenticator, rec Recorder, opt Options) *Server {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{b: b, a: a, rec: rec, sessions: opt.Sessions, log: log, secure: opt.SecureCookies, proxied: opt.TrustProxy,
		version: cmp.Or(opt.Version, "(unknown version)"), now: time.Now, heartbeat: heartbeat,
		cookieName: "precis_session", done: make(chan struct{})}
	if s.secure {
		// The __Host- prefix makes the browser refuse the cookie unless it is Secure, has
		// Path=/ and no Domain: a sibling host cannot set or shadow it.
		s.cookieName = "__Host-precis_session"
	}
	s.seal, s.sealErr = newSealer(opt.SessionKey)
	if s.sealErr != nil {
		log.Error("web: sessions unavailable", "err", s.sealErr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.authed(s.runs))
	mux.HandleFunc("GET /signin", s.signinForm)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("POST /signout", s.signout)
	mux.HandleFunc("GET /runs/{lab}/{run}", s.authed(s.run))
	mux.HandleFunc("GET /runs/{lab}/{run}/samples/{sample}", s.authed(s.report))
	mux.HandleFunc("GET /alerts", s.authed(s.alerts))
	mux.HandleFunc("GET /alerts/events", s.authed(s.alertEvents))
	mux.HandleFunc("GET /static/{name}", s.static)
	mux.HandleFunc("/", s.notFoundPage)
	// Cross-origin POSTs (sign-in, sign-out) are refused with 403: SameSite=Strict already
	// keeps the session cookie off them, and this also stops a login-CSRF that would sign
	// a user in with someone else's token.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.recordBestEffort(r, audit.Event{Action: audit.ActionRefused, Actor: audit.Anonymous,
			Status: http.StatusForbidden, Detail: "web page: cross-origin request"})
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	s.handler = s.headers(cop.Handler(mux))
	return s
}

// Handler returns the handler of every web route (see the package documentation).
func (s *Server) Handler() http.Handler { return s.handler }

// Close ends every open alert stream (browsers reconnect to wherever the address then
// leads). An alert stream never ends by itself, so give Close to the http.Server's
// RegisterOnShutdown, or Shutdown waits for the streams until its context ends. The pages
// keep working after Close; only new alert streams end at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// pageCSP allows this origin's style sheets and scripts only: no inline script or style,
// nothing from elsewhere, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets the security headers of every response.
func (s *Server) headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", pageCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		hd.Set("Cache-Control", "no-store") // pages hold clinical data; /static overrides it
		if s.secure {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// page is what the layout needs besides the page's own data.
type page struct {
	Lang      string
	Title     string
	Nav       string // "runs" or "alerts": the active navigation item
	User      *auth.Principal
	LangLinks []langLink
	Version   string
	Crumbs    []crumb
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

type crumb struct{ Label, URL string }

type view struct {
	Page page
	Data any
}

// lang decides the language of a request: ?lang=, else the cookie an earlier ?lang= set,
// else Accept-Language. A ?lang= choice is remembered in a cookie for the next pages.
func (s *Server) lang(w http.ResponseWriter, r *http.Request) string {
	if l := validLang(r.URL.Query().Get("lang")); l != "" {
		http.SetCookie(w, &http.Cookie{Name: "precis_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("precis_lang"); err == nil && validLang(c.Value) != "" {
		return c.Value
	}
	return preferredLang(r.Header.Get("Accept-Language"))
}

// newPage fills the layout's data for a request.
func (s *Server) newPage(r *http.Request, lang, title, nav string, user *auth.Principal) page {
	p := page{Lang: lang, Title: title, Nav: nav, User: user, Version: s.version}
	for _, l := range languages {
		q := r.URL.Query()
		q.Set("lang", l)
		p.LangLinks = append(p.LangLinks, langLink{Code: l, Name: msg(l, "lang."+l),
			URL: r.URL.Path + "?" + q.Encode(), Current: l == lang})
	}
	return p
}

// render writes a page. It renders into a buffer first, so a template error answers 500
// instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page, data any) {
	a, err := assets()
	if err != nil {
		s.log.ErrorContext(r.Context(), "web: templates", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := a.pages[p.Lang][name].ExecuteTemplate(&buf, "layout", view{Page: p, Data: data}); err != nil {
		s.log.ErrorContext(r.Context(), "web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorData is the data of the error page.
type errorData struct {
	Heading, Text string
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, lang string, user *auth.Principal, status int, heading, text string) {
	h := msg(lang, heading)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter) // a dependency down or electing a leader
	}
	s.render(w, r, status, "error", s.newPage(r, lang, h, "", user), errorData{Heading: h, Text: msg(lang, text)})
}

// retryAfter is the Retry-After header (seconds) of a 503 page, as the API gives it
// (api.RetryAfter): JetStream without quorum or electing a leader comes back in seconds.
const retryAfter = "5"

// notFound answers 404 with the same page whether the resource does not exist or belongs to
// a lab the user may not read, so ids cannot be probed.
//
// A signed-in user's 404 is recorded in the audit trail as a refusal: it is how another
// lab's run would be probed.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, lang string, user *auth.Principal) {
	if user != nil {
		ev := audit.Event{Action: audit.ActionRefused, Actor: user.TokenID, Role: string(user.Role),
			Status: http.StatusNotFound, Detail: "web page: not found or not readable"}
		if lab := r.PathValue("lab"); idRE.MatchString(lab) {
			ev.Lab = lab
		}
		s.recordBestEffort(r, ev)
	}
	s.errorPage(w, r, lang, user, http.StatusNotFound, "error.notfound", "error.notfound.text")
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, lang string, user *auth.Principal, what string, err error) {
	s.log.ErrorContext(r.Context(), "web: "+what, "path", r.URL.Path, "err", err)
	if pipeline.KindOf(store.Kinded(queue.Kinded(err))) == pipeline.Transient {
		// NATS or JetStream is down or reloading (a full disk), or a deadline passed: try
		// again, as the API's 503 says (the one kind rule of package pipeline).
		s.errorPage(w, r, lang, user, http.StatusServiceUnavailable, "error.unavailable", "error.unavailable.text")
		return
	}
	s.errorPage(w, r, lang, user, http.StatusInternalServerError, "error.internal", "error.internal.text")
}

// notFoundPage answers paths that are no route.
func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) {
	s.notFound(w, r, s.lang(w, r), nil)
}

// principalHandler is a handler that runs for a signed-in user.
type principalHandler func(w http.ResponseWriter, r *http.Request, p auth.Principal, lang string)

// authed runs h for the request's signed-in user. Without a session (or with one that no
// longer opens, or whose token was revoked) a page request is sent to the sign-in page and
// comes back after it; the alert stream answers 401.
func (s *Server) authed(h principalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := s.lang(w, r)
		p, sess, err := s.principal(r)
		if err != nil {
			if !errors.Is(err, auth.ErrUnauthenticated) && !errors.Is(err, errSession) {
				// The token store is unreachable: keep the session for when it is back.
				s.internalError(w, r, lang, nil, "authenticate", err)
				return
			}
			if sess.present {
				s.clearSession(w) // it will not open again: stop sending it
			}
			status := http.StatusSeeOther
			if r.URL.Path == "/alerts/events" {
				status = http.StatusUnauthorized
			}
			s.recordBestEffort(r, audit.Event{Action: audit.ActionRefused, Actor: cmp.Or(sess.tokenID, audit.Anonymous),
				Status: status, Detail: "web page: " + sess.why})
			if status == http.StatusUnauthorized {
				http.Error(w, "not signed in", http.StatusUnauthorized)
				return
			}
			target := "/signin"
			if next := r.URL.RequestURI(); next != "/" {
				target += "?next=" + url.QueryEscape(next)
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		h(w, r, p, lang)
	}
}

// session is what a request's session cookie held, as far as it opened.
type session struct {
	present bool   // a session cookie came with the request
	tokenID string // the id of the token it holds, once it opened
	id      string // the server-side session id ("" without Sessions)
	why     string // why it does not sign the request in, for the audit trail
}

// principal opens the session cookie, authenticates its token and, with Sessions, checks
// that the session has not ended. The cookie holds the token and the session id, sealed.
func (s *Server) principal(r *http.Request) (auth.Principal, session, error) {
	var sess session
	c, err := r.Cookie(s.cookieName)
	if err != nil {
		sess.why = "not signed in"
		return auth.Principal{}, sess, errSession
	}
	sess.present = true
	if s.seal == nil {
		return auth.Principal{}, sess, s.sealErr
	}
	value, err := s.seal.open(c.Value, s.now())
	if err != nil {
		sess.why = "session cookie does not open (expired, altered or from another key)"
		return auth.Principal{}, sess, err
	}
	token, id, _ := strings.Cut(value, sessionSep)
	sess.tokenID, sess.id = auth.TokenID(token), id
	p, err := s.a.Authenticate(r.Context(), token)
	if err != nil {
		sess.why = "the session's token is not valid (revoked?)"
		return auth.Principal{}, sess, err
	}
	if s.sessions != nil {
		if err := s.sessions.CheckSession(r.Context(), p.TokenID, id); err != nil {
			sess.why = "the session has ended (signed out)"
			return auth.Principal{}, sess, err
		}
	}
	return p, sess, nil
}

// sessionSep separates the token from the session id in the sealed cookie value.
const sessionSep = "#"

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// signinData is the data of the sign-in page.
type signinData struct {
	Next   string
	Failed bool
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(w, r)
	next := safeNext(r.URL.Query().Get("next"))
	if _, _, err := s.principal(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signin", s.newPage(r, lang, msg(lang, "signin.title"), "", nil), signinData{Next: next})
}

// signin checks the posted token and starts a session. The token is never logged, put in
// a URL or echoed back; a failure says nothing about why.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "signin", s.newPage(r, lang, msg(lang, "signin.title"), "", nil),
			signinData{Next: "/", Failed: true})
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	token := strings.TrimSpace(r.PostForm.Get("token"))
	p, err := s.a.Authenticate(r.Context(), token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		s.recordBestEffort(r, audit.Event{Action: audit.ActionAuthFailed, Actor: auth.TokenID(token), Target: "POST /signin",
			Status: http.StatusUnauthorized, Detail: "web sign-in"})
		s.render(w, r, http.StatusUnauthorized, "signin", s.newPage(r, lang, msg(lang, "signin.title"), "", nil),
			signinData{Next: next, Failed: true})
		return
	}
	if err != nil {
		s.internalError(w, r, lang, nil, "authenticate", err)
		return
	}
	if s.seal == nil {
		s.internalError(w, r, lang, nil, "session", s.sealErr)
		return
	}
	plain := token
	if s.sessions != nil {
		id, err := s.sessions.StartSession(r.Context(), p.TokenID)
		if err != nil {
			s.internalError(w, r, lang, nil, "session", err)
			return
		}
		plain += sessionSep + id
	}
	value, err := s.seal.seal(plain, s.now().Add(SessionTTL))
	if err != nil {
		s.internalError(w, r, lang, nil, "session", err)
		return
	}
	labs, all := p.ReadableLabs()
	detail := "web sign-in; labs " + strings.Join(labs, ",")
	if all {
		detail = "web sign-in; every lab"
	}
	if err := s.record(r, p, audit.Event{Action: audit.ActionTokenUse, Target: "POST /signin",
		Status: http.StatusSeeOther, Detail: detail}); err != nil {
		s.auditUnavailable(w, r, lang, nil, err)
		return
	}
	// A session cookie (no Max-Age) ends with the browser; the sealed expiry ends it after
	// SessionTTL in any case.
	http.SetCookie(w, &http.Cookie{Name: s.cookieName, Value: value, Path: "/",
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	s.log.InfoContext(r.Context(), "web: signed in", "token_id", p.TokenID, "role", p.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signout ends the session: server-side first (with Sessions), so a copy of the cookie stops
// working at once, then in the browser.
func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	if p, sess, err := s.principal(r); err == nil && s.sessions != nil {
		if err := s.sessions.EndSession(r.Context(), p.TokenID, sess.id); err != nil {
			s.internalError(w, r, s.lang(w, r), nil, "end session", err)
			return
		}
		s.recordBestEffort(r, audit.Event{Action: audit.ActionSignOut, Actor: p.TokenID, Role: string(p.Role),
			Status: http.StatusSeeOther, Detail: "web sign-out"})
	}
	s.clearSession(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// safeNext returns next, cleaned, when it is a path on this site, else "/": the sign-in page
// never sends a user to another site. What comes back is what http.Redirect sends: a path
// that path.Clean leaves the same, starting with a single "/", with no backslash (browsers
// read "\" as "/", so "/\\evil.example" is another host) and no control character, in any
// spelling (%5C is a backslash too).
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for _, c := range []byte(next) {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.ContainsAny(u.Path, "\\\x00") {
		return "/"
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if strings.HasPrefix(clean, "//") || !strings.HasPrefix(clean, "/") {
		return "/"
	}
	out := &url.URL{Path: clean, RawQuery: u.RawQuery}
	res := out.String()
	if !strings.HasPrefix(res, "/") || strings.HasPrefix(res, "//") || strings.Contains(res, "\\") {
		return "/"
	}
	return res
}

// record writes an audit event for p; the caller refuses the request when it fails, so no
// report is shown that leaves no trace.
func (s *Server) record(r *http.Request, p auth.Principal, ev audit.Event) error {
	ev.At = s.now().UTC()
	ev.Actor, ev.Role = p.TokenID, string(p.Role)
	ev.From = s.clientAddr(r)
	return s.rec.Record(r.Context(), ev)
}

// recordBestEffort writes an event of a request that is refused anyway; a failure is logged.
func (s *Server) recordBestEffort(r *http.Request, ev audit.Event) {
	ev.At = s.now().UTC()
	ev.From = s.clientAddr(r)
	if ev.Target == "" {
		ev.Target = target(r)
	}
	if err := s.rec.Record(r.Context(), ev); err != nil {
		s.log.ErrorContext(r.Context(), "web: audit", "action", ev.Action, "err", err)
	}
}

func (s *Server) auditUnavailable(w http.ResponseWriter, r *http.Request, lang string, user *auth.Principal, err error) {
	s.log.ErrorContext(r.Context(), "web: audit trail unavailable; request refused", "path", r.URL.Path, "err", err)
	s.errorPage(w, r, lang, user, http.StatusServiceUnavailable, "error.unavailable", "error.audit.text")
}

// target is the Target of a request's audit record: method and path, at most 512 bytes (a
// client chooses its path).
func target(r *http.Request) string {
	t := r.Method + " " + r.URL.Path
	if len(t) > 512 {
		t = strings.ToValidUTF8(t[:512], "") + "…"
	}
	return t
}

// clientAddr is the client's address for the audit trail.
func (s *Server) clientAddr(r *http.Request) string { return audit.ClientAddr(r, s.proxied) }

// runRow is one line of the runs list.
type runRow struct {
	pipeline.RunState
	URL         string
	Done, Total int
}

func newRunRow(rs pipeline.RunState) runRow {
	row := runRow{RunState: rs, URL: runURL(rs.Lab, rs.RunID), Total: len(rs.Samples)}
	for _, ss := range rs.Samples {
		if ss.Status == "done" {
			row.Done++
		}
	}
	return row
}

func runURL(lab, run string) string {
	return "/runs/" + url.PathEscape(lab) + "/" + url.PathEscape(run)
}

func sampleURL(lab, run, sample string) string {
	return runURL(lab, run) + "/samples/" + url.PathEscape(sample)
}

// runs lists the runs of the labs p may read, most recently updated first.
func (s *Server) runs(w http.ResponseWriter, r *http.Request, p auth.Principal, lang string) {
	labs, all := p.ReadableLabs()
	if all {
		labs = []string{""}
	}
	var rows []runRow
	for _, lab := range labs {
		list, err := s.b.ListRuns(r.Context(), lab)
		if err != nil {
			s.internalError(w, r, lang, &p, "list runs", err)
			return
		}
		for _, rs := range list {
			if p.CanRead(rs.Lab) { // a backend that returns too much must not show it
				rows = append(rows, newRunRow(rs))
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b runRow) int {
		return cmp.Or(b.Updated.Compare(a.Updated), cmp.Compare(a.Lab, b.Lab), cmp.Compare(a.RunID, b.RunID))
	})
	s.render(w, r, http.StatusOK, "runs", s.newPage(r, lang, msg(lang, "runs.title"), "runs", &p), rows)
}

// sampleRow is one line of a run page.
type sampleRow struct {
	ID string
	pipeline.SampleState
	URL string // the report page; "" until the sample is done
}

type runData struct {
	Run     pipeline.RunState
	Samples []sampleRow
}

// readable returns the path's lab and run when p may read the lab and both are ids; else
// it answers 404 (the same answer as for a run that does not exist) and returns ok false.
func (s *Server) readable(w http.ResponseWriter, r *http.Request, p auth.Principal, lang string) (lab, run string, ok bool) {
	lab, run = r.PathValue("lab"), r.PathValue("run")
	if !idRE.MatchString(lab) || !idRE.MatchString(run) || !p.CanRead(lab) {
		s.notFound(w, r, lang, &p)
		return "", "", false
	}
	return lab, run, true
}

// getRun reads a run; a run that is not there answers 404.
func (s *Server) getRun(w http.ResponseWriter, r *http.Request, p auth.Principal, lang, lab, run string) (pipeline.RunState, bool) {
	rs, err := s.b.GetRun(r.Context(), lab, run)
	switch {
	case errors.Is(err, queue.ErrNotFound), errors.Is(err, ErrNotFound):
		s.notFound(w, r, lang, &p)
		return rs, false
	case err != nil:
		s.internalError(w, r, lang, &p, "get run", err)
		return rs, false
	case rs.Lab != lab || rs.RunID != run:
		s.internalError(w, r, lang, &p, "get run", fmt.Errorf("asked for %s/%s, got %s/%s", lab, run, rs.Lab, rs.RunID))
		return rs, false
	}
	return rs, true
}

func (s *Server) run(w http.ResponseWriter, r *http.Request, p auth.Principal, lang string) {
	lab, run, ok := s.readable(w, r, p, lang)
	if !ok {
		return
	}
	rs, ok := s.getRun(w, r, p, lang, lab, run)
	if !ok {
		return
	}
	d := runData{Run: rs}
	for _, id := range slices.Sorted(maps.Keys(rs.Samples)) {
		row := sampleRow{ID: id, SampleState: rs.Samples[id]}
		if row.Status == "done" && idRE.MatchString(id) {
			row.URL = sampleURL(lab, run, id)
		}
		d.Samples = append(d.Samples, row)
	}
	pg := s.newPage(r, lang, msgf(lang, "run.title", run), "runs", &p)
	pg.Crumbs = []crumb{{msg(lang, "nav.runs"), "/"}, {lab + " / " + run, ""}}
	s.render(w, r, http.StatusOK, "run", pg, d)
}

// reportPageData is the data of the report page.
type reportPageData struct {
	Report      reportView
	DownloadURL string
	// Reclass lists what reanalyses changed after the version shown (nil: nothing);
	// ReclassUnknown says the history could not be read, so the reader is told to check.
	Reclass        *reclassData
	ReclassUnknown bool
	Version        *versionData // set when an earlier version is shown (?version=N)
}

// notReadyData is the data of the page for a sample with no report.
type notReadyData struct {
	Sample string
	State  *pipeline.SampleState
	RunURL string
}

// report shows a sample's report (audited as report.read), or with ?format=html sends the
// standalone document as a download (audited as report.download).
func (s *Server) report(w http.ResponseWriter, r *http.Request, p auth.Principal, lang string) {
	lab, run, ok := s.readable(w, r, p, lang)
	if !ok {
		return
	}
	sample := r.PathValue("sample")
	if !idRE.MatchString(sample) {
		s.notFound(w, r, lang, &p)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "html" {
		s.notFound(w, r, lang, &p)
		return
	}
	// ?version=N shows an earlier version, one a reanalysis replaced (issue 15).
	version, ok := parseVersion(r.URL.Query())
	re, withHistory := s.b.(Reanalyses)
	if !ok || (version > 0 && !withHistory) {
		s.notFound(w, r, lang, &p)
		return
	}
	var rep *report.Report
	var err error
	if version > 0 {
		rep, err = re.ReportVersion(r.Context(), lab, run, sample, version)
		if errors.Is(err, ErrNotFound) || errors.Is(err, queue.ErrNotFound) {
			s.notFound(w, r, lang, &p)
			return
		}
	} else {
		rep, err = s.b.Report(r.Context(), lab, run, sample)
		if errors.Is(err, ErrNotFound) || errors.Is(err, queue.ErrNotFound) {
			s.notReady(w, r, p, lang, lab, run, sample)
			return
		}
	}
	if err != nil {
		s.internalError(w, r, lang, &p, "read report", err)
		return
	}
	if rep.Run != nil && (rep.Run.Lab != lab || rep.Run.RunID != run) {
		// The store handed back another run's report: show nothing rather than the wrong
		// patient's result.
		s.internalError(w, r, lang, &p, "read report", fmt.Errorf("report of %s/%s/%s names run %s/%s",
			lab, run, sample, rep.Run.Lab, rep.Run.RunID))
		return
	}
	ev := audit.Event{Lab: lab, Run: run, Sample: sample, Target: r.Method + " " + r.URL.Path, Status: http.StatusOK}
	if version > 0 {
		ev.Detail = "earlier version " + strconv.Itoa(version)
	}
	if format == "html" {
		ev.Action, ev.Format = audit.ActionReportDownload, "html"
	} else {
		ev.Action, ev.Format = audit.ActionReportRead, "web"
	}
	if err := s.record(r, p, ev); err != nil {
		s.auditUnavailable(w, r, lang, &p, err)
		return
	}
	if format == "html" {
		var buf bytes.Buffer
		if err := RenderReport(&buf, rep, lang); err != nil {
			s.internalError(w, r, lang, &p, "render report", err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", ReportCSP())
		h.Set("Cache-Control", "no-store")
		name := sample
		if version > 0 {
			name += "-v" + strconv.Itoa(version)
		}
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="precis-%s-%s-%s.html"`, lab, run, name))
		w.Write(buf.Bytes())
		return
	}
	q := url.Values{"format": {"html"}, "lang": {lang}}
	if version > 0 {
		q.Set("version", strconv.Itoa(version))
	}
	d := reportPageData{Report: newReportView(rep), DownloadURL: sampleURL(lab, run, sample) + "?" + q.Encode()}
	if withHistory {
		h, err := re.Changes(r.Context(), lab, run, sample)
		switch {
		case errors.Is(err, ErrNotFound) || errors.Is(err, queue.ErrNotFound):
			h = nil
		case err != nil:
			// The report is shown all the same, with a notice that reclassifications could
			// not be checked: hiding the report would help nobody.
			s.log.ErrorContext(r.Context(), "web: read change history", "lab", lab, "run", run, "sample", sample, "err", err)
			d.ReclassUnknown, h = true, nil
		case h != nil && (h.Lab != "" && (h.Lab != lab || h.RunID != run || h.SampleID != sample)):
			s.log.ErrorContext(r.Context(), "web: change history of another sample", "lab", lab, "run", run, "sample", sample)
			d.ReclassUnknown, h = true, nil
		}
		d.Reclass = newReclassData(h, lab, run, sample, version)
		if version > 0 {
			d.Version = newVersionData(h, lab, run, sample, version)
		}
	}
	pg := s.newPage(r, lang, msg(lang, "report.sample")+" "+sample, "runs", &p)
	pg.Crumbs = []crumb{{msg(lang, "nav.runs"), "/"}, {lab + " / " + run, runURL(lab, run)}, {sample, ""}}
	s.render(w, r, http.StatusOK, "report", pg, d)
}

// notReady answers 404 for a sample with no report, with the sample's status and the
// reason of a failure when the run lists it.
func (s *Server) notReady(w http.ResponseWriter, r *http.Request, p auth.Principal, lang, lab, run, sample string) {
	rs, ok := s.getRun(w, r, p, lang, lab, run)
	if !ok {
		return
	}
	d := notReadyData{Sample: sample, RunURL: runURL(lab, run)}
	if st, ok := rs.Samples[sample]; ok {
		d.State = &st
	}
	pg := s.newPage(r, lang, msg(lang, "notready.title"), "runs", &p)
	pg.Crumbs = []crumb{{msg(lang, "nav.runs"), "/"}, {lab + " / " + run, runURL(lab, run)}, {sample, ""}}
	s.render(w, r, http.StatusNotFound, "notready", pg, d)
}

// alertRow is one alert as the alerts page lists it.
type alertRow struct {
	queue.Alert
	URL     string // the sample's report page; "" when the alert's ids are not ids
	Score   *float64
	New     bool
	Reclass *reclassRow // set for a reclassification alert (Alert then holds its ids only)
}

// newEventRow makes a row of either kind of alert.
func newEventRow(e AlertEvent) alertRow {
	if e.PGx != nil || e.Reclassified == nil {
		var a queue.Alert
		if e.PGx != nil {
			a.PGxAlert = *e.PGx
		}
		a.Seq, a.Time = e.Seq, e.Time
		return newAlertRow(a)
	}
	ra := e.Reclassified
	a := queue.Alert{Seq: e.Seq, Time: e.Time, PGxAlert: pipeline.PGxAlert{Lab: ra.Lab, RunID: ra.RunID, SampleID: ra.SampleID}}
	row := newAlertRow(a)
	rr := &reclassRow{ReclassifiedAlert: ra, ChangesURL: row.URL}
	for _, c := range ra.Changes {
		if !slices.Contains(rr.Genes, c.Gene) {
			rr.Genes = append(rr.Genes, c.Gene)
		}
	}
	row.Reclass = rr
	return row
}

func newAlertRow(a queue.Alert) alertRow {
	row := alertRow{Alert: a, Score: a.ActivityScore}
	if idRE.MatchString(a.Lab) && idRE.MatchString(a.RunID) && idRE.MatchString(a.SampleID) {
		row.URL = sampleURL(a.Lab, a.RunID, a.SampleID)
	}
	return row
}

type alertsData struct {
	Rows      []alertRow
	StreamURL string
}

// alerts lists the recent alerts of the labs p may read, newest first; the page's script
// then adds new ones from the alert stream, starting after the newest listed.
func (s *Server) alerts(w http.ResponseWriter, r *http.Request, p auth.Principal, lang string) {
	labs, all := p.ReadableLabs()
	list, err := s.storedAlerts(r.Context(), labs, all, s.now().Add(-alertsWindow), alertsLimit)
	if err != nil {
		s.internalError(w, r, lang, &p, "list alerts", err)
		return
	}
	var d alertsData
	var last uint64
	for _, a := range slices.Backward(list) {
		if p.CanRead(a.lab()) {
			d.Rows = append(d.Rows, newEventRow(a))
			last = max(last, a.Seq)
		}
	}
	d.StreamURL = "/alerts/events?" + url.Values{"after": {fmt.Sprint(last)}, "lang": {lang}}.Encode()
	s.render(w, r, http.StatusOK, "alerts", s.newPage(r, lang, msg(lang, "alerts.title"), "alerts", &p), d)
}

// static serves the embedded style sheets and script. Their URLs carry a hash of the
// content, so they may be cached for long.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	a, err := assets()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	f, ok := a.static[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", `"`+f.hash+`"`)
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == `"`+f.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(f.body)
}

// renderAlertRow writes one alert as the alerts page lists it, for the alert stream.
func renderAlertRow(lang string, row alertRow) (string, error) {
	a, err := assets()
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := a.pages[lang]["alerts"].ExecuteTemplate(&buf, "alert-row", row); err != nil {
		return "", fmt.Errorf("web: render alert row: %w", err)
	}
	return buf.String(), nil
}
