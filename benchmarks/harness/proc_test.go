package harness

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMeasure runs real processes whose reading and memory are known: cat of a 20 MB file
// reads the file (plus the few bytes the loader reads), and a process that exits non-zero
// gives its exit error.
func TestMeasure(t *testing.T) {
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("no /proc/PID/io here")
	}
	path := filepath.Join(t.TempDir(), "data")
	const size = 20 << 20
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
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
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
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
