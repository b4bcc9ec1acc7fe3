package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/queue/queuetest"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	s, _ := openStoreAndTrail(t)
	return s
}

// openStoreAndTrail opens a token store and the audit trail on one embedded JetStream, as the
// service does.
func openStoreAndTrail(t *testing.T) (*Store, *audit.Log) {
	t.Helper()
	q, _ := queuetest.New(t)
	s, err := Open(context.Background(), q.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.Open(context.Background(), q.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return s, log
}

// TestIssueRecords: every token issued leaves a token.create event naming it, its role, its
// lab and who issued it: `precis token create` ("cli") and the tokens `precis serve --demo`
// makes for itself ("system"), which are issued the same way.
func TestIssueRecords(t *testing.T) {
	ctx := context.Background()
	s, log := openStoreAndTrail(t)
	tests := []struct {
		actor, name string
		role        Role
		labs        []string
		lab         string // the event's Lab: the one lab named, else none
	}{
		{"cli", "dr test", RoleAdmin, nil, ""},
		{"system", "demo lab (precis serve --demo)", RoleLab, []string{"demo-lab"}, "demo-lab"},
		{"system", "demo clinician (precis serve --demo)", RoleClinician, []string{"demo-lab"}, "demo-lab"},
		{"cli", "dr two labs", RoleClinician, []string{"lab-a", "lab-b"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, rec, err := s.Issue(ctx, log, tc.actor, tc.role, tc.labs, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, tok); err != nil {
				t.Fatalf("the issued token does not authenticate: %v", err)
			}
			evs, err := log.Query(ctx, audit.Filter{Action: audit.ActionTokenCreate, Actor: tc.actor})
			if err != nil {
				t.Fatal(err)
			}
			var got []audit.Event
			for _, e := range evs {
				if e.Target == rec.ID {
					got = append(got, e)
				}
			}
			if len(got) != 1 {
				t.Fatalf("token.create events for token %s: got %d (%+v), want 1", rec.ID, len(got), evs)
			}
			e := got[0]
			if e.Role != string(tc.role) || e.Lab != tc.lab || !strings.Contains(e.Detail, rec.ID) || !strings.Contains(e.Detail, tc.name) {
				t.Errorf("event: got role %q lab %q detail %q, want role %s lab %q and a detail naming %s and %q",
					e.Role, e.Lab, e.Detail, tc.role, tc.lab, rec.ID, tc.name)
			}
			if strings.Contains(e.Detail, tok[len("precis_")+17:]) {
				t.Error("the audit event holds the token's secret")
			}
		})
	}
}

// failingTrail is an audit trail that cannot record.
type failingTrail struct{}

var errTrailDown = errors.New("trail down")

func (failingTrail) Record(context.Context, audit.Event) error { return errTrailDown }

// TestIssueUnrecorded: a token whose creation cannot be recorded is not handed out.
func TestIssueUnrecorded(t *testing.T) {
	s := openStore(t)
	tok, _, err := s.Issue(context.Background(), failingTrail{}, "cli", RoleAdmin, nil, "dr test")
	if !errors.Is(err, errTrailDown) || tok != "" {
		t.Fatalf("got token %q, error %v; want no token and an error wrapping %v", tok, err, errTrailDown)
	}
}

func TestCreateAuthenticate(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	tests := []struct {
		role Role
		labs []string
	}{
		{RoleLab, []string{"karolinska-pat"}},
		{RoleClinician, []string{"karolinska-pat", "sahlgrenska"}},
		{RoleAdmin, nil},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			tok, rec, err := s.Create(ctx, tc.role, tc.labs, "dr test")
			if err != nil {
				t.Fatal(err)
			}
			if !tokenRE.MatchString(tok) {
				t.Fatalf("token %q has the wrong shape", tok)
			}
			if strings.Contains(rec.Hash, tok[len("precis_")+17:]) {
				t.Fatal("the record holds the secret")
			}
			p, err := s.Authenticate(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if p.TokenID != rec.ID || p.Role != tc.role || strings.Join(p.Labs, ",") != strings.Join(tc.labs, ",") {
				t.Fatalf("got %+v, want id %s role %s labs %v", p, rec.ID, tc.role, tc.labs)
			}
		})
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	tok, rec, err := s.Create(ctx, RoleLab, []string{"lab1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := s.Create(ctx, RoleLab, []string{"lab2"}, "")
	if err != nil {
		t.Fatal(err)
	}
	// The right id with another token's secret.
	swapped := tok[:len("precis_")+16] + other[len("precis_")+16:]
	flipped := tok[:len(tok)-1] + map[bool]string{true: "0", false: "1"}[tok[len(tok)-1] != '0']
	for name, bad := range map[string]string{
		"empty":          "",
		"garbage":        "hello",
		"flipped secret": flipped,
		"swapped secret": swapped,
		"unknown id":     "precis_0000000000000000_" + strings.Repeat("ab", 32),
		"upper case":     strings.ToUpper(tok),
		"trailing space": tok + " ",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("got %v, want ErrUnauthenticated", err)
			}
		})
	}
	if err := s.Revoke(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("revoked token: got %v, want ErrUnauthenticated", err)
	}
	if _, err := s.Authenticate(ctx, other); err != nil {
		t.Fatalf("revoking one token touched another: %v", err)
	}
	recs, err := s.List(ctx)
	if err != nil || len(recs) != 2 || !recs[0].Revoked || recs[1].Revoked {
		t.Fatalf("List: got %+v, %v", recs, err)
	}
}

func TestCreateRefuses(t *testing.T) {
	s := openStore(t)
	for name, tc := range map[string]struct {
		role Role
		labs []string
		who  string
	}{
		"lab without lab":       {RoleLab, nil, ""},
		"lab with two labs":     {RoleLab, []string{"a", "b"}, ""},
		"clinician without lab": {RoleClinician, nil, ""},
		"admin with lab":        {RoleAdmin, []string{"a"}, ""},
		"unknown role":          {"root", []string{"a"}, ""},
		"dotted lab":            {RoleLab, []string{"a.b"}, ""},
		"wildcard lab":          {RoleClinician, []string{">"}, ""},
		"two-line name":         {RoleLab, []string{"a"}, "x\ny"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := s.Create(context.Background(), tc.role, tc.labs, tc.who); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestPrincipal(t *testing.T) {
	lab := Principal{Role: RoleLab, Labs: []string{"a"}}
	clin := Principal{Role: RoleClinician, Labs: []string{"a", "b"}}
	admin := Principal{Role: RoleAdmin}
	none := Principal{}
	tests := []struct {
		name            string
		p               Principal
		lab             string
		read, submit, a bool
	}{
		{"lab own", lab, "a", true, true, false},
		{"lab other", lab, "b", false, false, false},
		{"clinician granted", clin, "b", true, false, false},
		{"clinician not granted", clin, "c", false, false, false},
		{"admin", admin, "z", true, false, true},
		{"zero", none, "a", false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.CanRead(tc.lab); got != tc.read {
				t.Errorf("CanRead: got %v, want %v", got, tc.read)
			}
			if got := tc.p.CanSubmit(tc.lab); got != tc.submit {
				t.Errorf("CanSubmit: got %v, want %v", got, tc.submit)
			}
			if got := tc.p.CanAudit(); got != tc.a {
				t.Errorf("CanAudit: got %v, want %v", got, tc.a)
			}
		})
	}
}

func TestFromHeader(t *testing.T) {
	for in, want := range map[string]string{
		"Bearer abc":   "abc",
		"bearer abc  ": "abc",
		"Basic abc":    "",
		"Bearer":       "",
		"":             "",
	} {
		if got := FromHeader(in); got != want {
			t.Errorf("FromHeader(%q): got %q, want %q", in, got, want)
		}
	}
}

// TestWithdrawRecords: a revoked token stops authenticating and its revocation is in the
// audit trail once, with the actor; when the trail cannot record, the token stays revoked
// and the error says it was not recorded.
func TestWithdrawRecords(t *testing.T) {
	ctx := context.Background()
	s, log := openStoreAndTrail(t)
	tok, rec, err := s.Issue(ctx, log, "cli", RoleAdmin, nil, "dr revoked")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Withdraw(ctx, log, "cli", rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok); err == nil {
		t.Error("the withdrawn token still authenticates")
	}
	evs, err := log.Query(ctx, audit.Filter{Action: audit.ActionTokenRevoke, Actor: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(evs); n != 1 || evs[0].Target != rec.ID {
		t.Fatalf("token.revoke events: got %+v, want one for %s", evs, rec.ID)
	}

	tok2, rec2, err := s.Issue(ctx, log, "cli", RoleAdmin, nil, "dr unrecorded")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Withdraw(ctx, failingTrail{}, "cli", rec2.ID); !errors.Is(err, errTrailDown) || !strings.Contains(err.Error(), "not recorded") {
		t.Fatalf("withdraw with the trail down: got %v, want an error wrapping %v that says it was not recorded", err, errTrailDown)
	}
	if _, err := s.Authenticate(ctx, tok2); err == nil {
		t.Error("a token withdrawn with the trail down still authenticates")
	}
	if err := s.Withdraw(ctx, log, "cli", "no-such-token"); err == nil {
		t.Error("withdraw of a token that does not exist: no error")
	}
}
