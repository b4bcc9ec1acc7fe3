package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/testfile"
)

// TestMain lets the test binary stand in for a child that allocates: with
// PRECIS_BENCH_ALLOC=n it touches n bytes and exits at once.
func TestMain(m *testing.M) {
	if v := os.Getenv("PRECIS_BENCH_ALLOC"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			os.Exit(2)
		}
		b := make([]byte, n)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		runtime.KeepAlive(b)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMeasurePeakShort: the peak RSS of processes too short for any sampling is read
// exactly, run after run: a minimal process (true, echo) reports at least the few hundred KB
// any exec'd process maps, and a process that touches 64 MiB and exits at once reports at
// least that.
func TestMeasurePeakShort(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("exact peaks are Linux only")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	alloc := func(n int) *exec.Cmd {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), fmt.Sprintf("PRECIS_BENCH_ALLOC=%d", n))
		return cmd
	}
	tests := []struct {
		name     string
		cmd      func() *exec.Cmd
		runs     int
		min, max int64
	}{
		{"true", func() *exec.Cmd { return exec.Command("true") }, 50, 100 << 10, 64 << 20},
		{"echo", func() *exec.Cmd { return exec.Command("/bin/echo", "x") }, 50, 100 << 10, 64 << 20},
		{"alloc 64 MiB", func() *exec.Cmd { return alloc(64 << 20) }, 5, 64 << 20, 1 << 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath(tc.cmd().Path); err != nil {
				t.Skipf("no %s", tc.cmd().Path)
			}
			for i := range tc.runs {
				u, err := Measure(context.Background(), tc.cmd())
				if err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
				if u.PeakRSS < tc.min || u.PeakRSS > tc.max {
					t.Fatalf("run %d: PeakRSS %d, want between %d and %d", i, u.PeakRSS, tc.min, tc.max)
				}
				if u.BytesRead < 0 || u.Wall <= 0 {
					t.Fatalf("run %d: BytesRead %d, Wall %v: want >= 0 and > 0", i, u.BytesRead, u.Wall)
				}
			}
		})
	}
}

// TestMeasureSignals: a traced process still gets its signals, is killed when the context
// ends, and its output and exit status reach the caller as without Measure.
func TestMeasureSignals(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// A signal the process handles reaches its handler and lets it finish normally.
	// The output goes to a buffer, not a pipe read by a goroutine: cmd.Wait closes a
	// StdoutPipe when the process exits, possibly before the goroutine has read it, while
	// it waits for the copy into a buffer to finish.
	cmd := exec.Command(sh, "-c", `trap 'echo got; exit 0' USR1; kill -USR1 $$; sleep 5; echo missed`)
	var out bytes.Buffer
	cmd.Stdout = &out
	if _, err := Measure(context.Background(), cmd); err != nil {
		t.Fatalf("trapped USR1: %v", err)
	}
	if g := out.String(); g != "got\n" {
		t.Errorf("trapped USR1: output %q, want %q", g, "got\n")
	}
	// One it does not handle kills it, with that signal in the exit status.
	_, err = Measure(context.Background(), exec.Command(sh, "-c", `kill -TERM $$; sleep 5`))
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("kill -TERM: got %v, want an exit error", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("kill -TERM: %v, want killed by SIGTERM", err)
	}
	// A context that ends kills the process and is the error.
	ctx, cancel := context.WithCancel(context.Background())
	cmd = exec.Command(sh, "-c", "echo up; sleep 60")
	up, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		up.Read(make([]byte, 8)) // the process runs
		cancel()
	}()
	start := time.Now()
	if _, err := Measure(ctx, cmd); err == nil {
		t.Errorf("cancelled: no error, want the process killed")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cancelled: Measure took %v, want it killed at once", d)
	}
}

// TestMeasure runs real processes whose reading and memory are known: cat of a 20 MB file
// reads the file (plus the few bytes the loader reads), and a process that exits non-zero
// gives its exit error.
func TestMeasure(t *testing.T) {
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("no /proc/PID/io here")
	}
	path := filepath.Join(t.TempDir(), "data")
	const size = 20 << 20
	testfile.Write(t, path, make([]byte, size))
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat")
	}
	u, err := Measure(context.Background(), exec.Command(cat, path))
	if err != nil {
		t.Fatal(err)
	}
	if u.BytesRead < size || u.BytesRead > size+1<<20 {
		t.Errorf("cat of %d bytes: BytesRead %d, want %d plus at most 1 MiB", size, u.BytesRead, size)
	}
	if u.PeakRSS <= 0 || u.PeakRSS > 64<<20 {
		t.Errorf("cat: PeakRSS %d, want between 0 and 64 MiB", u.PeakRSS)
	}
	if u.Wall <= 0 {
		t.Errorf("cat: Wall %v, want > 0", u.Wall)
	}

	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// A shell holding 40 MB in a variable for a moment: the peak is seen though the
	// process has shrunk again by the time it exits.
	u, err = Measure(context.Background(), exec.Command(sh, "-c", `x=$(head -c 40000000 /dev/zero | tr '\0' a); sleep 0.1; x=`))
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSS < 40e6 {
		t.Errorf("shell holding 40 MB: PeakRSS %d, want at least 40e6", u.PeakRSS)
	}
	_, err = Measure(context.Background(), exec.Command(sh, "-c", "exit 3"))
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("exit 3: got %v, want exit status 3", err)
	}
}

// FuzzProcField: procField never panics, on /proc files as the kernel writes them and on
// anything else. Seeded from this process's own status, io and meminfo.
func FuzzProcField(f *testing.F) {
	for _, p := range []string{"/proc/self/status", "/proc/self/io", "/proc/meminfo"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "VmHWM:")
			f.Add(b, "rchar:")
		}
	}
	f.Add([]byte("VmHWM:\t  57344 kB\n"), "VmHWM:")
	f.Fuzz(func(t *testing.T, content []byte, key string) {
		p := filepath.Join(t.TempDir(), "status")
		testfile.Write(t, p, content)
		procField(p, key)
	})
}

func TestProcField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "status")
	os.WriteFile(p, []byte("Name:\tprecis\nVmPeak:\t 1270488 kB\nVmHWM:\t   58212 kB\nrchar: 49612345\nbad: x kB\n"), 0o644)
	for _, tc := range []struct {
		key  string
		want int64
		ok   bool
	}{
		{"VmHWM:", 58212, true},
		{"rchar:", 49612345, true},
		{"bad:", 0, false},
		{"VmRSS:", 0, false},
	} {
		if got, ok := procField(p, tc.key); got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %d, %v; want %d, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
}
