package service

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/auth"
)

// rssBytes is the process's resident set (VmRSS of /proc/self/status), or the Go runtime's
// total mapped memory where /proc is not there.
func rssBytes(t testing.TB) uint64 {
	t.Helper()
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// heapBytes is the live heap after a collection.
func heapBytes() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestHostileLoad: a thousand requests of each hostile kind of issue 12 leave the process
// under 300 MB resident, and the other labs' requests are still answered.
func TestHostileLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("sends thousands of requests")
	}
	const n, limit = 1000, 300 << 20
	s := start(t, Config{BodyStall: 2 * time.Second})
	labA := token(t, s, auth.RoleLab, "lab-a")
	labB := token(t, s, auth.RoleLab, "lab-b")
	clin := token(t, s, auth.RoleClinician, "lab-a")
	if resp, b := send(t, s, http.MethodPut, "/api/v1/runs/lab-b/run-1/files/s1.vcf", labB, []byte(tinyVCF)); resp.StatusCode != 201 {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	deep := deepManifest("lab-a", 100_000)
	huge := append([]byte(`{"lab":"lab-a","x":"`), bytes.Repeat([]byte("a"), 2<<20)...)
	badUTF8 := bytes.Replace(manifestJSON("lab-a", "run-u"), []byte("Onkologi"), []byte("Onk\xffologi"), 1)
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	do := func(method, path, tok string, body []byte, want ...int) error {
		req, err := http.NewRequest(method, s.BaseURL()+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := client.Do(req)
		if err != nil && len(body) > 100_000 && (strings.Contains(err.Error(), "broken pipe") || strings.Contains(err.Error(), "connection reset")) {
			// Refused before its body was read: the server closed the connection while the
			// client was still sending, as it should (the client may miss the answer).
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		for _, w := range want {
			if resp.StatusCode == w {
				return nil
			}
		}
		return fmt.Errorf("%s %.80s: got %d, want %v", method, path, resp.StatusCode, want)
	}
	stalled := func(tok string) error {
		c, err := net.Dial("tcp", s.HTTPAddr())
		if err != nil {
			return err
		}
		defer c.Close()
		h := ""
		if tok != "" {
			h = "Authorization: Bearer " + tok + "\r\n"
		}
		fmt.Fprintf(c, "POST /api/v1/runs HTTP/1.1\r\nHost: x\r\n%sContent-Length: 500000\r\n\r\n", h)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil || !bytes.Contains(b, []byte(" 40")) {
			return fmt.Errorf("stalled body: %q %v", b, err)
		}
		return nil
	}
	kinds := []struct {
		name string
		f    func(i int) error
	}{
		{"deep manifest", func(int) error { return do("POST", "/api/v1/runs", labA, deep, 400) }},
		{"deep manifest, clinician", func(int) error { return do("POST", "/api/v1/runs", clin, deep, 403) }},
		{"huge manifest", func(int) error { return do("POST", "/api/v1/runs", labA, huge, 413) }},
		{"invalid UTF-8", func(int) error { return do("POST", "/api/v1/runs", labA, badUTF8, 400) }},
		{"stalled body, no token", func(int) error { return stalled("") }},
		{"stalled body, clinician", func(int) error { return stalled(clin) }},
		{"bad lab", func(i int) error {
			return do("GET", "/api/v1/runs/"+[]string{"lab.A", "_", url.PathEscape("läb"), "-x"}[i%4], labA, nil, 400)
		}},
		{"cross-lab", func(int) error { return do("GET", "/api/v1/runs/lab-b/run-1", labA, nil, 404) }},
		{"redirect probe", func(i int) error {
			return do("GET", "/signin?next="+url.QueryEscape([]string{"/./\\evil.example", "//evil.example", "/%5Cevil"}[i%3]), "", nil, 200)
		}},
		{"bad run id upload", func(int) error {
			return do("PUT", "/api/v1/runs/lab-a/"+strings.Repeat("r", 100)+"/files/s1.vcf", labA, []byte(tinyVCF), 400)
		}},
	}
	baseline := rssBytes(t)
	for _, k := range kinds {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		work := make(chan int)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					if err := k.f(i); err != nil {
						errs <- err
					}
				}
			}()
		}
		for i := range n {
			work <- i
		}
		close(work)
		wg.Wait()
		close(errs)
		failed := 0
		for err := range errs {
			if failed++; failed <= 3 {
				t.Errorf("%s: %v", k.name, err)
			}
		}
		rss, heap := rssBytes(t), heapBytes()
		t.Logf("%s: %d requests, %d failed; RSS %d MB (at start %d MB), live heap %d MB", k.name, n, failed, rss>>20, baseline>>20, heap>>20)
		// The race detector's shadow memory multiplies the resident set; under it the
		// bound holds the Go heap instead.
		if !raceEnabled && rss > limit {
			t.Fatalf("after %d requests of %s: RSS %d MB, want under %d MB", n, k.name, rss>>20, limit>>20)
		}
		if heap > limit {
			t.Fatalf("after %d requests of %s: live heap %d MB, want under %d MB", n, k.name, heap>>20, limit>>20)
		}
		// The other lab is still served.
		if err := do("GET", "/api/v1/runs/lab-b/run-1", labB, nil, 404, 200); err != nil {
			t.Fatalf("after %s: lab-b: %v", k.name, err)
		}
		if err := do("GET", "/api/v1/runs/lab-b", labB, nil, 200); err != nil {
			t.Fatalf("after %s: lab-b: %v", k.name, err)
		}
	}
	if resp, b := send(t, s, http.MethodPost, "/api/v1/runs", labB, manifestJSON("lab-b", "run-1")); resp.StatusCode != 202 {
		t.Errorf("lab-b submits after the load: %s %s", resp.Status, b)
	}
	if h := heapBytes(); h > limit {
		t.Errorf("live heap %d MB after the load", h>>20)
	}
}
