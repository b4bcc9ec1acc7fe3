// Package submit is the client side of `precis submit RUN-DIR`: it checks a run folder's
// manifest on the lab's own machine, uploads the run's VCFs and indexes to the result
// service (internal/api) and submits the manifest last, which starts the run
// (DESIGN.md, "The flow").
//
// The manifest is checked with manifest.Parse before anything is sent, so a manifest holding
// a personal identity number never leaves the lab.
//
// Report reads a run's status or a sample's report back (`precis report`), and Demo is the
// whole round trip `precis serve --demo` shows: issue tokens, submit, wait, print the reports.
package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/manifest"
)

// maxManifestBytes is the largest manifest the service accepts (api.MaxManifestBytes).
const maxManifestBytes = 1 << 20

var (
	// ErrServerURL is returned (wrapped) when Options.Server is not an http(s) URL.
	ErrServerURL = errors.New("submit: server must be an http:// or https:// URL")
)

// Options configures Run.
type Options struct {
	// Server is the result service's base URL, e.g. http://127.0.0.1:8080.
	Server string
	// Progress receives a text progress bar while files upload; nil shows none.
	Progress io.Writer
	// Client makes the requests; nil uses a client without a time limit (ctx bounds it).
	Client *http.Client
	// Token is the lab's access token (precis token create --role lab), sent as a bearer
	// token; never logged or shown.
	Token string
}

// ServerError is an error answer of the result service, with the API's stable code
// (for example "missing_file" or "unavailable").
type ServerError struct {
	StatusCode int
	Code       string
	Message    string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// Temporary reports whether trying again later may succeed (the service or one of its
// dependencies is unavailable).
func (e *ServerError) Temporary() bool {
	return e.StatusCode == http.StatusServiceUnavailable || e.StatusCode == http.StatusBadGateway ||
		e.StatusCode == http.StatusGatewayTimeout || e.StatusCode == http.StatusTooManyRequests
}

// file is one local file of the run and where it goes.
type file struct {
	path string // on the lab's disk
	name string // plain file name, last part of the object key
	size int64
}

// Run submits the run in dir: it reads and checks dir/manifest.json, uploads every VCF and
// index the manifest names (object key runs/{lab}/{run}/<file> is the file dir/<file>),
// then posts the manifest, and returns the run's lab and id. Errors name the file they are
// about; a refused manifest wraps manifest.ErrInvalid or manifest.ErrIdentity, a missing
// file wraps fs.ErrNotExist, and a refusal by the service is a *ServerError.
func Run(ctx context.Context, dir string, opts Options) (lab, runID string, err error) {
	m, body, mpath, err := readRun(dir)
	if err != nil {
		return "", "", err
	}
	files, err := runFiles(dir, m)
	if err != nil {
		return "", "", err
	}
	base, err := serverURL(opts.Server)
	if err != nil {
		return "", "", err
	}
	c := &client{http: opts.Client, base: base, token: opts.Token}
	if c.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ExpectContinueTimeout = expectContinue
		c.http = &http.Client{Transport: t}
	}

	var total int64
	for _, f := range files {
		total += f.size
	}
	bar := newProgress(opts.Progress, total)
	for _, f := range files {
		if err := c.upload(ctx, m.Lab, m.RunID, f, bar); err != nil {
			bar.abort()
			return "", "", fmt.Errorf("upload %s: %w", f.path, err)
		}
	}
	bar.finish(len(files))
	if err := c.submit(ctx, body); err != nil {
		return "", "", fmt.Errorf("submit %s: %w", mpath, err)
	}
	return m.Lab, m.RunID, nil
}

// readRun reads and checks the manifest of the run folder dir, and returns it with its text
// and path.
func readRun(dir string) (m *manifest.Manifest, body []byte, path string, err error) {
	path = filepath.Join(dir, "manifest.json")
	if body, err = readManifest(path); err != nil {
		return nil, nil, "", err
	}
	if m, err = manifest.Parse(bytes.NewReader(body), path); err != nil {
		return nil, nil, "", err
	}
	return m, body, path, nil
}

func readManifest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(body) > maxManifestBytes {
		return nil, fmt.Errorf("%s: %w: larger than the service's limit of %d bytes", path, manifest.ErrInvalid, maxManifestBytes)
	}
	return body, nil
}

// runFiles maps the manifest's files to files in dir and checks each is a readable regular
// file, so that nothing is uploaded unless everything can be. manifest.Parse has checked each
// key is a plain file name under the run's own folder.
func runFiles(dir string, m *manifest.Manifest) ([]file, error) {
	var files []file
	for _, in := range m.Inputs() {
		path := filepath.Join(dir, in.Name)
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("sample %s: %s: %w", in.Sample, in.Field, err) // *PathError names the file
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("sample %s: %s: %s is not a regular file", in.Sample, in.Field, path)
		}
		files = append(files, file{path: path, name: in.Name, size: fi.Size()})
	}
	return files, nil
}

func serverURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrServerURL, s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: got %q", ErrServerURL, s)
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

type client struct {
	http  *http.Client
	base  *url.URL
	token string
}

// upload streams one file with PUT /api/v1/runs/{lab}/{run}/files/{name}.
func (c *client) upload(ctx context.Context, lab, runID string, f file, bar *progress) error {
	fh, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer fh.Close()
	bar.begin(f.name)
	var body io.Reader = &countingReader{r: fh, bar: bar}
	if f.size == 0 {
		body = http.NoBody // so that Content-Length: 0 is sent rather than chunks
	}
	u := c.base.JoinPath("api/v1/runs", lab, runID, "files", f.name)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), body)
	if err != nil {
		return err
	}
	req.ContentLength = f.size
	req.Header.Set("Content-Type", "application/octet-stream")
	if f.size > 0 {
		// The service answers a refusal (a full or unavailable store, a run already
		// submitted, a bad token) before reading the body and closes the connection; asking
		// first (RFC 9110 section 10.1.1) lets the answer arrive instead of a broken pipe.
		req.Header.Set("Expect", "100-continue")
	}
	setToken(req, c.token)
	return c.do(req, http.StatusCreated, nil)
}

// expectContinue is how long an upload waits for the service's "100 Continue" (or its
// refusal) before it sends the body anyway.
const expectContinue = 10 * time.Second

// submitAnswer is the service's answer to a submitted manifest.
type submitAnswer struct {
	Lab       string `json:"lab"`
	RunID     string `json:"run_id"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
}

// submit posts the manifest with POST /api/v1/runs.
func (c *client) submit(ctx context.Context, body []byte) error {
	u := c.base.JoinPath("api/v1/runs")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue") // a refused manifest (413, 403) is answered unread
	setToken(req, c.token)
	var ans submitAnswer
	return c.do(req, http.StatusAccepted, &ans)
}

// do sends req and expects the status want; any other answer becomes a *ServerError.
// When out is not nil the answer's JSON body is decoded into it.
func (c *client) do(req *http.Request, want int, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("reading the answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != want {
		return serverError(resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("answer to %s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	return nil
}

func serverError(status int, body []byte) *ServerError {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return &ServerError{StatusCode: status, Code: e.Error.Code, Message: e.Error.Message}
	}
	// Not the API's error shape: a proxy or another service answered.
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &ServerError{StatusCode: status, Code: "http_" + fmt.Sprint(status), Message: msg}
}

// countingReader reports the bytes read to the progress bar.
type countingReader struct {
	r   io.Reader
	bar *progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.bar.add(n)
	return n, err
}

// setToken presents the lab's access token, when there is one.
func setToken(req *http.Request, token string) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
}
