package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Usage is what one run of a process cost.
type Usage struct {
	Wall time.Duration
	// PeakRSS is the process's peak resident set size in bytes: the largest VmHWM read from
	// /proc/PID/status while it ran. 0 when unknown (not Linux).
	PeakRSS int64
	// BytesRead is what the process read through read(2) and its kin, files, pipes and
	// sockets alike (/proc/PID/io rchar, read after it exited and before it was reaped):
	// bytes asked of storage, whether the page cache or the disk answered. Files mapped
	// with mmap (the binary itself) are not counted. -1 when unknown (not Linux).
	BytesRead int64
}

// pollEvery is how often VmHWM is read. It is a high-water mark, so polling loses at most
// the growth of the last interval before the process exits.
const pollEvery = 2 * time.Millisecond

// Measure runs cmd, which must not be started yet, to its end and returns its wall time,
// peak RSS and bytes read. The caller sets cmd's input and outputs; a process that exits
// non-zero gives its Usage and an *exec.ExitError. When ctx ends first, the process is
// killed.
//
// getrusage's ru_maxrss would not do for the peak: Go starts children with CLONE_VM, and
// Linux carries the parent's high-water mark into the child's maxrss at exec, so every child
// would report at least the harness's own RSS.
func Measure(ctx context.Context, cmd *exec.Cmd) (Usage, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{BytesRead: -1}, err
	}
	pid := cmd.Process.Pid
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var hwm int64
		status := fmt.Sprintf("/proc/%d/status", pid)
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		for {
			if v, ok := procField(status, "VmHWM:"); ok && v*1024 > hwm {
				hwm = v * 1024
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-ctx.Done():
				cmd.Process.Kill()
			case <-t.C:
			}
		}
	}()
	// The process has exited once waitExited returns, but is not reaped: its /proc entry
	// still holds the final I/O counters.
	werr := waitExited(pid)
	wall := time.Since(start)
	read := int64(-1)
	if werr == nil {
		if v, ok := procField(fmt.Sprintf("/proc/%d/io", pid), "rchar:"); ok {
			read = v
		}
	}
	close(done)
	err := cmd.Wait()
	if werr != nil { // no waitid: the wall time ends at the reaping
		wall = time.Since(start)
	}
	u := Usage{Wall: wall, PeakRSS: <-peak, BytesRead: read}
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
