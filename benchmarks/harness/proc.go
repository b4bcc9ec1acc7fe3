package harness

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Usage is what one run of a process cost.
type Usage struct {
	Wall time.Duration
	// PeakRSS is the process's peak resident set size in bytes: its VmHWM (/proc/PID/status)
	// read as it exits, over its whole life however short. 0 when unknown (not Linux, or a
	// process killed before its exit could be stopped).
	PeakRSS int64
	// BytesRead is what the process read through read(2) and its kin, files, pipes and
	// sockets alike (/proc/PID/io rchar, read as it exits): bytes asked of storage, whether
	// the page cache or the disk answered. Files mapped with mmap (the binary itself) are not
	// counted. -1 when unknown (not Linux).
	BytesRead int64
}

// Measure runs cmd, which must not be started yet, to its end and returns its wall time,
// peak RSS and bytes read. The caller sets cmd's input and outputs; a process that exits
// non-zero gives its Usage and an *exec.ExitError. When ctx ends first, the process is
// killed.
//
// On Linux the process is traced (ptrace) and stopped at its exit, where its memory map is
// still whole: the peak and the bytes read are read there, exactly, however short the
// process was. Elsewhere the peak is polled while it runs (see measure_poll.go).
//
// getrusage's ru_maxrss would not do for the peak: Go starts children with CLONE_VM, and
// Linux carries the parent's high-water mark into the child's maxrss at exec, so every child
// would report at least the harness's own RSS.
//
// Measure is safe for concurrent use.
func Measure(ctx context.Context, cmd *exec.Cmd) (Usage, error) {
	u, err := measure(ctx, cmd)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return u, err
}

// procField reads the integer after key in a /proc file of "key: value [kB]" lines.
func procField(path, key string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
