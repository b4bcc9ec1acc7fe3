package harness

import (
	"os"
	"runtime"
	"strings"
)

// Machine describes the computer a run was measured on. It is a plain value.
type Machine struct {
	CPU         string `json:"cpu"`          // model name from /proc/cpuinfo
	Cores       int    `json:"cores"`        // logical CPUs usable by this process
	MemoryBytes int64  `json:"memory_bytes"` // MemTotal from /proc/meminfo
	OS          string `json:"os"`           // GOOS and the kernel release
}

// ReadMachine reads the machine's description; fields it cannot read stay empty.
func ReadMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if kb, ok := procField("/proc/meminfo", "MemTotal:"); ok {
		m.MemoryBytes = kb * 1024
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += " " + strings.TrimSpace(string(b))
	}
	return m
}
