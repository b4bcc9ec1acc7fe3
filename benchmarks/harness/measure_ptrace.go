//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64)

package harness

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

const (
	cldTrapped      = 4        // si_code CLD_TRAPPED: the child is in a ptrace stop, <signal.h>
	ptraceOExitKill = 0x100000 // PTRACE_O_EXITKILL, <sys/ptrace.h>: the child dies with its tracer
)

// siginfo is siginfo_t as waitid fills it for a child on 64-bit Linux, where the union after
// the three leading ints is 8-byte aligned (the build constraint above lists those ports).
type siginfo struct {
	Signo, Errno, Code int32
	_                  int32
	Pid, UID, Status   int32
	_                  [100]byte
}

// waitid waits for an event of child pid as waitid(P_PID, pid, info, options) does.
func waitid(pid int, info *siginfo, options int) error {
	const pPID = 1 // idtype_t P_PID, <sys/wait.h>
	for {
		*info = siginfo{}
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(info)), uintptr(options), 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

// measure starts cmd traced and stops it at its exit (PTRACE_O_TRACEEXIT), where its memory
// map is still whole: VmHWM read there is its peak over its whole life, however short, and
// rchar is final. The process is then let go and reaped by cmd.Wait as usual.
func measure(ctx context.Context, cmd *exec.Cmd) (Usage, error) {
	// ptrace requests are taken only from the tracer, the thread that started the child.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var attr syscall.SysProcAttr
	if cmd.SysProcAttr != nil {
		attr = *cmd.SysProcAttr
	}
	attr.Ptrace = true
	cmd.SysProcAttr = &attr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{BytesRead: -1}, err
	}
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	u := Usage{BytesRead: -1}
	ferr := follow(cmd.Process.Pid, &u)
	if ferr != nil {
		cmd.Process.Kill() // not to leave it stopped
	} else {
		// Until the exit is complete (not reaped): the wall time ends there.
		waitExited(cmd.Process.Pid)
	}
	u.Wall = time.Since(start)
	stop()
	err := cmd.Wait()
	if err == nil {
		err = ferr
	}
	return u, err
}

// follow runs process pid, traced and stopped after its exec, to its exit stop, reads its
// peak RSS and bytes read into u there and lets it finish exiting. Signals the process gets
// on the way are passed on to it. It returns with the process exiting or exited, never
// reaped: that is cmd.Wait's.
func follow(pid int, u *Usage) error {
	var info siginfo
	started := false
	for {
		// Wait for the next stop or the exit without consuming it...
		if err := waitid(pid, &info, syscall.WEXITED|syscall.WSTOPPED|syscall.WNOWAIT); err != nil {
			return fmt.Errorf("bench: waitid %d: %w", pid, err)
		}
		if info.Code != cldTrapped {
			return nil // gone without an exit stop: killed
		}
		// ...then consume it if it is still a stop: never the exit, which a SIGKILL in
		// between could have made of it.
		if err := waitid(pid, &info, syscall.WSTOPPED|syscall.WNOHANG); err != nil {
			return fmt.Errorf("bench: waitid %d: %w", pid, err)
		}
		if info.Pid == 0 {
			continue
		}
		sig := syscall.Signal(info.Status & 0xff)
		switch {
		case sig == syscall.SIGTRAP && info.Status>>8 == syscall.PTRACE_EVENT_EXIT:
			if v, ok := procField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:"); ok {
				u.PeakRSS = v * 1024
			}
			if v, ok := procField(fmt.Sprintf("/proc/%d/io", pid), "rchar:"); ok {
				u.BytesRead = v
			}
			return ptraceCont(pid, 0)
		case sig == syscall.SIGTRAP && !started: // the stop after exec
			started = true
			if err := syscall.PtraceSetOptions(pid, syscall.PTRACE_O_TRACEEXIT|ptraceOExitKill); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("bench: ptrace options %d: %w", pid, err)
			}
			sig = 0
		}
		if err := ptraceCont(pid, sig); err != nil {
			return err
		}
	}
}

// ptraceCont resumes stopped process pid, delivering sig unless it is 0. A process killed
// meanwhile (ESRCH) is no error: the next wait sees it gone.
func ptraceCont(pid int, sig syscall.Signal) error {
	if err := syscall.PtraceCont(pid, int(sig)); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("bench: ptrace cont %d: %w", pid, err)
	}
	return nil
}
