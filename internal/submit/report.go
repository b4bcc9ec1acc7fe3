package submit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Fetch GETs a URL of the result service with the access token (none when token is "") and
// returns the answer's body; an answer other than 200 OK is an error naming the URL and the
// status. A nil client uses http.DefaultClient.
func Fetch(ctx context.Context, client *http.Client, url, token string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	setToken(req, token)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}

// Report fetches a run's status (sample "") or a sample's report in format (json, text,
// fhir or html) from the service at opts.Server, with opts.Token and opts.Client.
func Report(ctx context.Context, opts Options, lab, run, sample, format string) (string, error) {
	url := fmt.Sprintf("%s/api/v1/runs/%s/%s", strings.TrimRight(opts.Server, "/"), lab, run)
	if sample != "" {
		url += "/samples/" + sample + "/report?format=" + format
	}
	return Fetch(ctx, opts.Client, url, opts.Token)
}
