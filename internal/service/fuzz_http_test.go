package service

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/auth"
)

// FuzzHTTP sends arbitrary methods, paths, headers and bodies, as any kind of client, to
// the real service's HTTP server: no request makes it panic or answer 5xx (but 503 and 507,
// which say a dependency is down or full), and the live heap stays bounded. `go test` runs
// the seeds; `go test -fuzz FuzzHTTP` explores.
func FuzzHTTP(f *testing.F) {
	for _, seed := range []struct {
		method, path, header, value string
		who                         uint8
		body                        []byte
	}{
		{"GET", "/api/v1/runs/lab-a", "", "", 1, nil},
		{"POST", "/api/v1/runs", "Content-Type", "application/json", 1, deepManifest("lab-a", 1000)},
		{"POST", "/api/v1/runs", "", "", 2, manifestJSON("lab-a", "run-f")},
		{"POST", "/api/v1/runs", "", "", 1, []byte("{\"lab\":\"lab-a\xff\"}")},
		{"PUT", "/api/v1/runs/lab.A/run-1/files/x.vcf", "", "", 1, []byte(tinyVCF)},
		{"PUT", "/api/v1/runs/lab-a/-run/files/x.vcf", "", "", 1, []byte(tinyVCF)},
		{"GET", "/api/v1/runs/l%C3%A4b/r/samples/s/report?format=fhir", "", "", 3, nil},
		{"GET", "/signin?next=/./%5Cevil.example", "", "", 0, nil},
		{"POST", "/signin", "Content-Type", "application/x-www-form-urlencoded", 0, []byte("token=x&next=//evil")},
		{"POST", "/signout", "Cookie", "precis_session=AAAA", 0, nil},
		{"GET", "/runs/_/x", "Cookie", "precis_session=" + strings.Repeat("A", 600), 0, nil},
		{"DELETE", "/api/v1/webhooks/..%2F..", "", "", 3, nil},
		{"GET", "/api/audit?since=x&limit=-1", "", "", 3, nil},
		{"PROPFIND", "/", "Range", "bytes=0-", 4, nil},
		{"GET", "/api/v1/alerts?lab=lab.A", "", "", 2, nil},
	} {
		f.Add(seed.method, seed.path, seed.header, seed.value, seed.who, seed.body)
	}
	s := start(f, Config{BodyStall: 2 * time.Second})
	var once sync.Once
	var tokens []string
	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, method, path, header, value string, who uint8, body []byte) {
		once.Do(func() {
			tokens = []string{"", token(t, s, auth.RoleLab, "lab-a"), token(t, s, auth.RoleClinician, "lab-a"),
				token(t, s, auth.RoleAdmin), "precis_0000000000000000_" + strings.Repeat("0", 64)}
		})
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, s.BaseURL()+path, bytes.NewReader(body))
		if err != nil {
			return // not a request a client can send
		}
		if header != "" {
			req.Header.Set(header, value)
		}
		if tok := tokens[int(who)%len(tokens)]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			if strings.Contains(err.Error(), "net/http: invalid") || strings.Contains(err.Error(), "unsupported protocol") {
				return // the client refused to send it
			}
			if strings.Contains(err.Error(), "EOF") {
				t.Fatalf("%s %q: the server dropped the connection (a panic?): %v", method, path, err)
			}
			return // refused before the body was sent; the server may close while it is
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != 503 && resp.StatusCode != 507 {
			t.Fatalf("%s %q (%s: %q, body %d bytes): %s %s", method, path, header, value, len(body), resp.Status, b)
		}
		if h := heapBytes(); h > 300<<20 {
			t.Fatalf("live heap %d MB", h>>20)
		}
	})
}
