package submit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/pipeline"
)

// DemoOptions configures Demo.
type DemoOptions struct {
	// Server is the running service's base URL.
	Server string
	// Dir is the run folder to submit: testdata/runs/demo for `precis serve --demo`.
	Dir string
	// Issue creates an access token of role for labs, recorded in the audit trail
	// (auth.Store.Issue); Demo asks for a lab token and a clinician token of the run's lab.
	Issue func(ctx context.Context, role auth.Role, labs []string, name string) (string, error)
	// Progress receives the upload's progress bar; nil shows none.
	Progress io.Writer
}

// How often Demo asks for the run's status, and for how long.
const (
	demoPoll = 200 * time.Millisecond
	demoWait = 2 * time.Minute
)

// Demo is what `precis serve --demo` does once the service runs: it issues a lab token and a
// clinician token for the lab of the run in opts.Dir, submits the run with the lab token,
// waits for the run to finish and writes to out the tokens, where to read the reports, the
// run's outcome and the text report of each sample done.
func Demo(ctx context.Context, out io.Writer, opts DemoOptions) error {
	m, _, _, err := readRun(opts.Dir)
	if err != nil {
		return err
	}
	labToken, err := opts.Issue(ctx, auth.RoleLab, []string{m.Lab}, "demo lab (precis serve --demo)")
	if err != nil {
		return err
	}
	clinToken, err := opts.Issue(ctx, auth.RoleClinician, []string{m.Lab}, "demo clinician (precis serve --demo)")
	if err != nil {
		return err
	}
	lab, run, err := Run(ctx, opts.Dir, Options{Server: opts.Server, Progress: opts.Progress, Token: labToken})
	var se *ServerError
	switch {
	case errors.As(err, &se) && se.StatusCode == http.StatusConflict:
		// A run id is used once: the demo ran before on this data folder. Show that run
		// instead of failing (a fresh start: remove the data folder).
		lab, run = m.Lab, m.RunID
		fmt.Fprintf(out, "run %s of lab %s was submitted before in this data folder; showing it (remove the data folder to start afresh)\n", run, lab)
	case err != nil:
		return err
	default:
		fmt.Fprintf(out, "submitted run %s of lab %s\n", run, lab)
	}
	base, err := serverURL(opts.Server)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "web pages: %s (sign in with the clinician token below)\n", base.JoinPath("/"))
	fmt.Fprintf(out, "demo clinician token (read-only, lab %s): %s\n", lab, clinToken)
	fmt.Fprintf(out, "demo lab token (submits for lab %s):       %s\n", lab, labToken)
	status := base.JoinPath("api/v1/runs", lab, run).String()
	deadline := time.Now().Add(demoWait)
	for {
		var st pipeline.RunState
		body, err := Fetch(ctx, nil, status, labToken)
		if err == nil {
			err = json.Unmarshal([]byte(body), &st)
		}
		if err == nil && (st.Status == "done" || st.Status == "failed" || st.Status == "rejected") {
			fmt.Fprintf(out, "run %s: %s %s\n", run, st.Status, st.Reason)
			for id, s := range st.Samples {
				fmt.Fprintf(out, "sample %s: %s; report object %s\n  %s/samples/%s/report\n", id, s.Status, s.Report, status, id)
				if s.Status == "done" {
					if text, err := Fetch(ctx, nil, status+"/samples/"+id+"/report?format=text", labToken); err == nil {
						fmt.Fprintln(out)
						fmt.Fprint(out, text)
					}
				}
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("run %s not finished after 2 minutes", run)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(demoPoll):
		}
	}
}
