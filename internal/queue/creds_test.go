package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestEmbeddedRequiresCredentials: the embedded server refuses a client without its
// credentials, or with others (anyone on the host could otherwise create an admin token
// or rewrite the streams); it generates them once into DIR/credentials, mode 0600, and
// requires the same ones after a restart; a client reads them with CredsFile.
func TestEmbeddedRequiresCredentials(t *testing.T) {
	dir := t.TempDir()
	e, err := StartEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := CredsPath(dir)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("credentials file: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %04o, want 0600", info.Mode().Perm())
	}
	user, pw := e.Credentials()
	if b, _ := os.ReadFile(path); string(b) != user+":"+pw+"\n" || len(pw) != 64 {
		t.Errorf("credentials file %q, want user:password with 64 hex digits", b)
	}
	addr := "nats://" + e.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	for name, opts := range map[string][]nats.Option{
		"no credentials":   nil,
		"wrong password":   {nats.UserInfo(user, "not-the-password")},
		"a token":          {nats.Token(pw)},
		"other user":       {nats.UserInfo("admin", pw)},
		"password as user": {nats.UserInfo(pw, "")},
	} {
		nc, err := nats.Connect(addr, append(opts, nats.NoReconnect())...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected, want refused", name)
			continue
		}
		if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Errorf("%s: %v, want an authorization violation", name, err)
		}
	}
	if _, err := Connect(ctx, addr, Config{}, nil); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("Connect without credentials: %v, want refused (and no password in the message)", err)
	}
	q, err := Connect(ctx, addr, Config{CredsFile: path}, nil)
	if err != nil {
		t.Fatalf("Connect with CredsFile: %v", err)
	}
	if err := q.SubmitRun(ctx, "lab-a", "run-1", []byte(`{}`)); err != nil {
		t.Fatalf("SubmitRun: %v", err)
	}
	q.Close()
	e.Shutdown()

	// A restart keeps the credentials, and the stream.
	e2 := startServer(t, dir)
	if u2, pw2 := e2.Credentials(); u2 != user || pw2 != pw {
		t.Error("a restart changed the credentials")
	}
	q2 := connect(t, e2.URL(), Config{})
	if n := streamMsgs(t, q2, StreamRuns); n != 1 {
		t.Errorf("PRECIS_RUNS after restart: %d messages, want 1", n)
	}
	if nc, err := nats.Connect("nats://"+e2.Addr(), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Error("after a restart: connected without credentials")
	}
}

// TestCredsFile: the forms --nats-creds reads, and the files it refuses.
func TestCredsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, body string
		mode       os.FileMode
		want       creds
		ok         bool
	}{
		{"userpass", "svc:s3cret\n", 0o600, creds{user: "svc", password: "s3cret"}, true},
		{"token", "  tok3n\n", 0o400, creds{password: "tok3n"}, true},
		{"jwt", "-----BEGIN NATS USER JWT-----\neyJ...\n------END NATS USER JWT------\n", 0o600, creds{}, true},
		{"world-readable", "svc:s3cret\n", 0o644, creds{}, false},
		{"group-readable", "svc:s3cret\n", 0o640, creds{}, false},
		{"empty", "\n", 0o600, creds{}, false},
		{"two lines", "svc:a\nother:b\n", 0o600, creds{}, false},
		{"no password", "svc:\n", 0o600, creds{}, false},
	} {
		p := write(tc.name, tc.body, tc.mode)
		got, err := readCreds(p)
		if !tc.ok {
			if !errors.Is(err, ErrCreds) {
				t.Errorf("%s: got %+v, %v; want ErrCreds", tc.name, got, err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: the error repeats the secret: %v", tc.name, err)
			}
			continue
		}
		if tc.name == "jwt" {
			tc.want.jwtFile = p
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := readCreds(filepath.Join(dir, "absent")); !errors.Is(err, ErrCreds) {
		t.Errorf("absent file: %v, want ErrCreds", err)
	}
	// The embedded server refuses to start on credentials others may read.
	sdir := t.TempDir()
	write2 := filepath.Join(sdir, CredsName)
	if err := os.WriteFile(write2, []byte("precis:abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(write2, 0o644); err != nil {
		t.Fatal(err)
	}
	if e, err := StartEmbedded(sdir, EmbeddedOptions{}); !errors.Is(err, ErrCreds) {
		if err == nil {
			e.Shutdown()
		}
		t.Errorf("StartEmbedded on a world-readable credentials file: %v, want ErrCreds", err)
	}
}
