package harness

import (
	"syscall"
	"unsafe"
)

// waitExited blocks until process pid has exited, without reaping it (waitid with WNOWAIT),
// so its /proc entry can still be read.
func waitExited(pid int) error {
	const pPID = 1     // idtype_t P_PID, <sys/wait.h>
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}
