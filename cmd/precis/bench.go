package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// benchCmd hands `precis bench` over to the benchmark harness, a program of its own
// (cmd/precis-bench) so that this binary links none of it. It runs precis-bench found beside
// this executable or on the PATH, with this binary as the precis it measures, and returns its
// exit code; without it, it says how to build or run it.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "precis bench:", err)
		return exitFailure
	}
	harness := filepath.Join(filepath.Dir(exe), "precis-bench")
	if st, err := os.Stat(harness); err != nil || st.IsDir() {
		if harness, err = exec.LookPath("precis-bench"); err != nil {
			fmt.Fprintf(stderr, `precis bench: the benchmark harness is a separate program, precis-bench, and it is
not beside %s or on the PATH. From the repository, build it next to precis:
    go build -o bin/precis ./cmd/precis && go build -o bin/precis-bench ./cmd/precis-bench
    %s
or run it directly (it builds precis from the repository):
    go run ./cmd/precis-bench [--quick] [--out DIR] [--wgs-records N] [--exomes N] [--skip-service]
`, exe, strings.TrimSpace("bin/precis bench "+strings.Join(args, " ")))
			return exitFailure
		}
	}
	cmd := exec.CommandContext(ctx, harness, append([]string{"--precis", exe}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// On Ctrl-C the harness gets the signal too and stops its MinIO and service; give it time.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() > 0 {
			return exit.ExitCode()
		}
		fmt.Fprintln(stderr, "precis bench:", err)
		return exitFailure
	}
	return exitOK
}
