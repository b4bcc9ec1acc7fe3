// Package apitest holds what the tests of the HTTP API share, on the server side (package
// api) and end to end (package service). It is test support, never linked into the precis
// binary.
package apitest

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// Send makes one API request to url with the bearer token tok (none when "") and the header
// name, value pairs in hdr, and returns the response and its body.
//
// A request with a body asks "Expect: 100-continue", as precis submit does: the service
// answers a refusal before reading the body and closes the connection, and asking first lets
// the refusal arrive instead of a reset. It goes through a copy of c's transport
// (http.DefaultTransport when c has none) that waits as long as a loaded machine needs for
// "100 Continue" or the refusal, and closes its connections after.
func Send(t testing.TB, c *http.Client, method, url, tok string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if req.ContentLength > 0 {
		req.Header.Set("Expect", "100-continue")
		rt := c.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		tr := rt.(*http.Transport).Clone()
		tr.ExpectContinueTimeout = time.Minute
		defer tr.CloseIdleConnections()
		c = &http.Client{Transport: tr}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
