package webhook

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"https://ehr.example.org/precis/alerts", "https://ehr.example.org/precis/alerts", nil},
		{"http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook", nil},
		{"HTTPS://EHR.Example.ORG/Hook", "https://ehr.example.org/Hook", nil},
		{"https://svc:pw@ehr.example.org/hook?key=abc", "https://svc:pw@ehr.example.org/hook?key=abc", nil},
		{"https://[::1]:8443/hook", "https://[::1]:8443/hook", nil},
		{"ftp://ehr.example.org/hook", "", ErrInvalid},
		{"/precis/alerts", "", ErrInvalid},
		{"ehr.example.org/hook", "", ErrInvalid},
		{"mailto:clinic@example.org", "", ErrInvalid},
		{"javascript:alert(1)", "", ErrInvalid},
		{"http://", "", ErrInvalid},
		{"https:///hook", "", ErrInvalid},
		{"https:ehr.example.org", "", ErrInvalid},
		{"https://ehr.example.org/hook#frag", "", ErrInvalid},
		{"https://ehr.example.org/%zz", "", ErrInvalid},
		{"https://ehr.example.org/" + strings.Repeat("a", maxURL), "", ErrInvalid},
		{"", "", ErrInvalid},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := checkURL(tc.in)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("checkURL(%q): got %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

// FuzzCheckURL: an accepted URL is absolute http(s) with a host, and accepting it again
// gives the same string.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://ehr.example.org/precis/alerts", "http://svc:pw@10.0.0.1:8080/h?k=v",
		"HTTPS://EHR.example.org", "ftp://x", "https:///x", "http://[::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := checkURL(raw)
		if err != nil {
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Fragment != "" {
			t.Fatalf("checkURL(%q) accepted %q", raw, got)
		}
		if again, err := checkURL(got); err != nil || again != got {
			t.Errorf("checkURL(%q) = %q, %v; want %q", got, again, err, got)
		}
	})
}

func TestTarget(t *testing.T) {
	for in, want := range map[string]string{
		"https://svc:pw@ehr.example.org/hook?key=abc": "https://ehr.example.org/hook",
		"http://127.0.0.1:8080/hook":                  "http://127.0.0.1:8080/hook",
		"https://ehr.example.org/hook?":               "https://ehr.example.org/hook",
	} {
		if got := (Subscription{URL: in}).Target(); got != want {
			t.Errorf("Target(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestStore(t *testing.T) {
	e := newEnv(t)
	s, ctx := e.store, context.Background()
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)

	a, err := s.Create(ctx, "karolinska-molpat", "https://ehr.example.org/precis", "tok-admin")
	if err != nil {
		t.Fatal(err)
	}
	if !hexRE.MatchString(a.Secret) || !idRE.MatchString(a.ID) || a.CreatedAt.IsZero() || a.CreatedBy != "tok-admin" {
		t.Errorf("Create: got %+v, want a 64-hex secret, an id, a time and the creator", a)
	}
	b := e.subscribe(t, "karolinska-molpat", "https://clinic.example.net/hook")
	c := e.subscribe(t, "sahlgrenska-klingen", "https://ehr.example.org/precis") // same URL, other lab
	if a.Secret == b.Secret || a.ID == b.ID {
		t.Error("two subscriptions share a secret or an id")
	}

	t.Run("create refused", func(t *testing.T) {
		for _, tc := range []struct {
			name, lab, url, by string
			want               error
		}{
			{"same lab and URL", "karolinska-molpat", "https://ehr.example.org/precis", "tok-2", ErrExists},
			{"same URL with upper-case host", "karolinska-molpat", "https://EHR.example.org/precis", "tok-2", ErrExists},
			{"bad lab", "karolinska.molpat", "https://x.example.org/", "tok-2", ErrInvalid},
			{"no lab", "", "https://x.example.org/", "tok-2", ErrInvalid},
			{"not http", "karolinska-molpat", "file:///etc/passwd", "tok-2", ErrInvalid},
			{"no creator", "karolinska-molpat", "https://x.example.org/", "", ErrInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.Create(ctx, tc.lab, tc.url, tc.by); !errors.Is(err, tc.want) {
					t.Errorf("Create: got %v, want %v", err, tc.want)
				}
			})
		}
	})

	t.Run("get hides the secret", func(t *testing.T) {
		got, err := s.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := a
		want.Secret = ""
		if got != want {
			t.Errorf("Get: got %+v, want %+v", got, want)
		}
	})

	t.Run("list", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			labs []string
			all  bool
			want []string
		}{
			{"one lab", []string{"karolinska-molpat"}, false, []string{a.ID, b.ID}},
			{"two labs", []string{"karolinska-molpat", "sahlgrenska-klingen"}, false, []string{a.ID, b.ID, c.ID}},
			{"all", nil, true, []string{a.ID, b.ID, c.ID}},
			{"no labs", nil, false, nil},
			{"lab without subscriptions", []string{"uppsala-klinpat"}, false, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				subs, err := s.List(ctx, tc.labs, tc.all)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, sub := range subs {
					ids = append(ids, sub.ID)
					if sub.Secret != "" {
						t.Errorf("List returned the secret of %s", sub.ID)
					}
				}
				if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
					t.Errorf("List: got %v, want %v", ids, tc.want)
				}
			})
		}
		if _, err := s.List(ctx, []string{"*"}, false); !errors.Is(err, ErrInvalid) {
			t.Errorf("List lab *: got %v, want ErrInvalid", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := s.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Delete: got %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete twice: got %v, want ErrNotFound", err)
		}
		// The URL is free again for the lab.
		if _, err := s.Create(ctx, "karolinska-molpat", "https://ehr.example.org/precis", "tok-3"); err != nil {
			t.Errorf("Create after Delete: %v", err)
		}
	})

	t.Run("bad ids", func(t *testing.T) {
		if _, err := s.Get(ctx, "wh_nosuch"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get unknown: got %v, want ErrNotFound", err)
		}
		for _, id := range []string{"", "a.b", "*", ">"} {
			if _, err := s.Get(ctx, id); !errors.Is(err, ErrInvalid) {
				t.Errorf("Get %q: got %v, want ErrInvalid", id, err)
			}
			if _, err := s.Deliveries(ctx, id, 0); !errors.Is(err, ErrInvalid) {
				t.Errorf("Deliveries %q: got %v, want ErrInvalid", id, err)
			}
		}
	})
}

// TestCreateRace: of several Creates of one lab and URL at once, exactly one succeeds.
func TestCreateRace(t *testing.T) {
	e := newEnv(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.store.Create(context.Background(), "karolinska-molpat", "https://ehr.example.org/precis", "tok")
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrExists):
			t.Errorf("Create: got %v, want nil or ErrExists", err)
		}
	}
	subs, err := e.store.List(context.Background(), []string{"karolinska-molpat"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if ok != 1 || len(subs) != 1 {
		t.Errorf("got %d successful Creates and %d subscriptions, want 1 and 1", ok, len(subs))
	}
}
