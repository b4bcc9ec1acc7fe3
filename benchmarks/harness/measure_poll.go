//go:build !(linux && (amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64))

package harness

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// pollEvery is how often VmHWM is read where the process cannot be stopped at its exit. It
// is a high-water mark, so polling loses at most the growth of the last interval, and a
// process shorter than one interval may report nothing.
const pollEvery = 2 * time.Millisecond

// measure polls the peak RSS while cmd runs: the fallback where measure_ptrace.go does not
// build.
func measure(ctx context.Context, cmd *exec.Cmd) (Usage, error) {
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
	return Usage{Wall: wall, PeakRSS: <-peak, BytesRead: read}, err
}
