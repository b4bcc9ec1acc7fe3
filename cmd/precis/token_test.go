package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/service"
)

// TestTokenNeedsNATSCredentials: against a running service on its embedded NATS, `precis
// token create --nats URL` without the credentials is refused (anyone reaching the port
// could otherwise make an admin token), with wrong ones too; `--data DIR` finds the
// service on DIR (on whatever port) and uses the credentials it keeps there, and so does
// `--nats URL --nats-creds DIR/nats/credentials`. The tokens made work on the service's
// HTTP API, and a revocation through `--data` ends one.
func TestTokenNeedsNATSCredentials(t *testing.T) {
	dataDir := t.TempDir()
	svc, err := service.Start(context.Background(), service.Config{DataDir: dataDir, NATSPort: 0, HTTPAddr: "127.0.0.1:0",
		Version: "test", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		svc.Shutdown(ctx)
	})
	natsDir := filepath.Join(dataDir, "nats")
	addr, ok := queue.RunningAddr(natsDir)
	if !ok {
		t.Fatalf("the service recorded no address in %s", natsDir)
	}
	plain := "nats://" + addr
	wrong := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrong, []byte("precis:"+strings.Repeat("0", 64)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{
		{"token", "create", "--role", "admin", "--nats", plain},
		{"token", "create", "--role", "admin", "--nats", plain, "--nats-creds", wrong},
		{"token", "list", "--nats", plain},
	} {
		code, out, errOut := precis(t, nil, args...)
		if code != exitFailure || out != "" || !strings.Contains(strings.ToLower(errOut), "authorization") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and an authorization error", args, code, out, errOut, exitFailure)
		}
	}
	if code, _, errOut := precis(t, nil, "token", "list", "--nats-creds", wrong); code != exitUsage {
		t.Errorf("--nats-creds without --nats: exit %d (%s), want %d", code, errOut, exitUsage)
	}

	me := func(tok string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, svc.BaseURL()+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	code, labTok, errOut := precis(t, nil, "token", "create", "--role", "lab", "--lab", "lab-t", "--data", dataDir)
	labTok = strings.TrimSpace(labTok)
	if code != exitOK || !strings.Contains(errOut, "running service's NATS at "+addr) {
		t.Fatalf("token create --data: exit %d, stderr %q; want the running service used", code, errOut)
	}
	code, adminTok, errOut := precis(t, nil, "token", "create", "--role", "admin", "--nats", plain, "--nats-creds",
		queue.CredsPath(natsDir))
	adminTok = strings.TrimSpace(adminTok)
	if code != exitOK {
		t.Fatalf("token create --nats-creds: exit %d, stderr %q", code, errOut)
	}
	for _, tok := range []string{labTok, adminTok} {
		if got := me(tok); got != http.StatusOK {
			t.Errorf("GET /api/v1/me with a token made by the CLI: %d, want 200", got)
		}
	}
	code, list, errOut := precis(t, nil, "token", "list", "--data", dataDir)
	if code != exitOK || !strings.Contains(list, "lab-t") {
		t.Fatalf("token list --data: exit %d, %q %q", code, list, errOut)
	}
	var labID string
	for line := range strings.Lines(list) {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "lab" && f[2] == "lab-t" {
			labID = f[0]
		}
	}
	if labID == "" {
		t.Fatalf("token list: no lab token of lab-t in %q", list)
	}
	if code, _, errOut := precis(t, nil, "token", "revoke", "--data", dataDir, labID); code != exitOK {
		t.Fatalf("token revoke --data: exit %d, %q", code, errOut)
	}
	deadline := time.Now().Add(10 * time.Second)
	for me(labTok) != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("the revoked token still works after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
