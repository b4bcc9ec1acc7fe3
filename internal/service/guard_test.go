package service

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/auth"
)

// TestWebhookInternalRefused: through the real API, a token that reads a lab cannot point
// a webhook at the service's own host or the networks behind it (the embedded NATS port
// included): 400 with the reason, nothing stored. --webhook-allow lets an internal
// receiver in, and only that one.
func TestWebhookInternalRefused(t *testing.T) {
	const lab = "lab-ssrf"
	s := start(t, Config{Ingest: true})
	clin := token(t, s, auth.RoleClinician, lab)
	u, err := url.Parse(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	natsPort := u.Port()
	create := func(s *Service, target string) (int, string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"lab": lab, "url": target})
		resp, b := send(t, s, http.MethodPost, "/api/v1/webhooks", clin, body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct{ url, why string }{
		{"http://127.0.0.1:" + natsPort + "/", "127.0.0.1 is a loopback address"},
		{"http://localhost:" + natsPort + "/", "host localhost resolves to"},
		{"http://[::1]:" + natsPort + "/", "::1 is a loopback address"},
		{"http://0.0.0.0:" + natsPort + "/", "unspecified"},
		{"http://10.11.12.13/hook", "private address"},
		{"http://172.20.0.1/hook", "private address"},
		{"http://192.168.0.10/hook", "private address"},
		{"http://[fd12::1]/hook", "unique local address"},
		{"http://100.64.0.1/hook", "carrier-grade NAT"},
		{"http://169.254.169.254/latest/meta-data/iam/", "cloud metadata"},
		{"http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"},
		{"http://224.0.0.251/hook", "multicast"},
	} {
		code, body := create(s, tc.url)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.why) || !strings.Contains(body, "--webhook-allow") {
			t.Errorf("POST %s: %d %s, want 400 saying %q and naming --webhook-allow", tc.url, code, body, tc.why)
		}
	}
	resp, b := send(t, s, http.MethodGet, "/api/v1/webhooks", clin, nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), "\"id\"") {
		t.Errorf("after refusals: %d %s, want no subscriptions", resp.StatusCode, b)
	}

	allowed := start(t, Config{Ingest: true, WebhookAllow: []string{"10.11.0.0/16", "127.0.0.1"}})
	clin = token(t, allowed, auth.RoleClinician, lab)
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"http://10.11.12.13/hook", http.StatusCreated},
		{"http://127.0.0.1:9/hook", http.StatusCreated},
		{"http://10.12.0.1/hook", http.StatusBadRequest},
		{"http://[::1]:9/hook", http.StatusBadRequest},
		{"http://169.254.169.254/", http.StatusBadRequest},
	} {
		if code, body := create(allowed, tc.url); code != tc.want {
			t.Errorf("with an allow-list, POST %s: %d %s, want %d", tc.url, code, body, tc.want)
		}
	}
}
