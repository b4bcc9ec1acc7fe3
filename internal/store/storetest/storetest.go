// Package storetest is the conformance suite of store.Store: every implementation must pass
// Run. It is imported by tests only.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/store"
)

// LargeSize is the size of the object that Run streams through the store: large enough that
// holding it whole in memory would show, small enough for a test.
const LargeSize = 20 << 20

// maxHeapRise is how much the heap may grow while LargeSize bytes go through a store: an S3
// upload holds one multipart part (8 MiB) at a time, a store that holds the whole object
// needs more than this.
const maxHeapRise = LargeSize * 3 / 4

// Run checks s against the contract of store.Store. s must be empty, and is left with
// objects in it.
func Run(t *testing.T, s store.Store) {
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, s) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, s) })
	t.Run("NotExist", func(t *testing.T) { testNotExist(t, s) })
	t.Run("InvalidKey", func(t *testing.T) { testInvalidKey(t, s) })
	t.Run("Range", func(t *testing.T) { testRange(t, s) })
	t.Run("Stat", func(t *testing.T) { testStat(t, s) })
	t.Run("List", func(t *testing.T) { testList(t, s) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, s) })
	t.Run("Size", func(t *testing.T) { testSize(t, s) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, s) })
	t.Run("Large", func(t *testing.T) { testLarge(t, s) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, s) })
}

func put(t *testing.T, s store.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, s store.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return b
}

func keys(infos []store.Info) []string {
	var out []string
	for _, i := range infos {
		out = append(out, i.Key)
	}
	return out
}

func testPutGet(t *testing.T, s store.Store) {
	tests := []struct {
		key, contentType string
		data             []byte
		size             int64 // -1: unknown
	}{
		{"putget/empty", "application/octet-stream", nil, 0},
		{"putget/manifest.json", "application/json", []byte(`{"run_id":"R1"}`), 15},
		{"putget/unknown-size.vcf", "text/plain", []byte("##fileformat=VCFv4.2\n"), -1},
		{"putget/deep/er/still/x.vcf.gz", "application/gzip", bytes.Repeat([]byte{0x1f, 0x8b, 0}, 3000), 9000},
		{"putget/odd name (1).json", "application/json", []byte("{}"), 2},
		{"putget/åäö-ünïcode", "text/plain", []byte("ok"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if err := s.Put(context.Background(), tt.key, bytes.NewReader(tt.data), tt.size, tt.contentType); err != nil {
				t.Fatalf("Put: %v", err)
			}
			if got := get(t, s, tt.key); !bytes.Equal(got, tt.data) {
				t.Errorf("Get: got %d bytes, want %d (%q)", len(got), len(tt.data), tt.data[:min(len(tt.data), 20)])
			}
		})
	}
}

func testOverwrite(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "overwrite/x", []byte("first version"))
	before, err := s.Stat(ctx, "overwrite/x")
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "overwrite/x", []byte("second, longer version"))
	if got, want := string(get(t, s, "overwrite/x")), "second, longer version"; got != want {
		t.Errorf("after overwrite: got %q, want %q", got, want)
	}
	after, err := s.Stat(ctx, "overwrite/x")
	if err != nil {
		t.Fatal(err)
	}
	if after.Size != 22 {
		t.Errorf("Stat size after overwrite: got %d, want 22", after.Size)
	}
	if after.ETag == before.ETag {
		t.Errorf("ETag unchanged by an overwrite: %q", after.ETag)
	}
}

func testNotExist(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "notexist/folder/object", []byte("x"))
	for _, key := range []string{"notexist/missing", "notexist/folder", "notexist/folder/object/below", "never/was/here.json"} {
		t.Run(key, func(t *testing.T) {
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, store.ErrNotExist) {
					t.Errorf("%s: got error %v, want ErrNotExist", op, err)
				}
				if store.IsTransient(err) {
					t.Errorf("%s: IsTransient(%v) = true, want false", op, err)
				}
			}
			rc, err := s.Get(ctx, key)
			if err == nil {
				rc.Close()
			}
			check("Get", err)
			rc, err = s.GetRange(ctx, key, 0, 1)
			if err == nil {
				rc.Close()
			}
			check("GetRange", err)
			_, err = s.Stat(ctx, key)
			check("Stat", err)
			if err := s.Delete(ctx, key); err != nil {
				t.Errorf("Delete of a missing object: got %v, want nil", err)
			}
		})
	}
	if got := string(get(t, s, "notexist/folder/object")); got != "x" {
		t.Errorf("object disturbed by the misses: got %q, want %q", got, "x")
	}
}

func testInvalidKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "a//b", "a/", "../x", "a/../b", "a/./b", ".", `a\b`, "a\x00b", "a\nb",
		".precis-tmp/x", strings.Repeat("k", store.MaxKeyLen+1), "bad\xffutf8"} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, store.ErrInvalidKey) {
					t.Errorf("%s: got error %v, want ErrInvalidKey", op, err)
				}
				if store.IsTransient(err) {
					t.Errorf("%s: IsTransient = true, want false", op)
				}
			}
			check("Put", s.Put(ctx, key, strings.NewReader("x"), 1, ""))
			_, err := s.Get(ctx, key)
			check("Get", err)
			_, err = s.GetRange(ctx, key, 0, 1)
			check("GetRange", err)
			_, err = s.Stat(ctx, key)
			check("Stat", err)
			check("Delete", s.Delete(ctx, key))
		})
	}
	for _, prefix := range []string{"/x", "a//", "../", "a/../", `a\`, ".precis-tmp/"} {
		if _, err := s.List(ctx, prefix); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("List(%q): got error %v, want ErrInvalidKey", prefix, err)
		}
	}
}

func testRange(t *testing.T, s store.Store) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	put(t, s, "range/obj", data)
	put(t, s, "range/empty", nil)
	tests := []struct {
		key        string
		off, n     int64
		want       []byte
		wantErr    error
		wantNoData bool
	}{
		{key: "range/obj", off: 0, n: 10, want: data[:10]},
		{key: "range/obj", off: 990, n: 10, want: data[990:]},
		{key: "range/obj", off: 995, n: 10, want: data[995:]},
		{key: "range/obj", off: 0, n: -1, want: data},
		{key: "range/obj", off: 500, n: -1, want: data[500:]},
		{key: "range/obj", off: 123, n: 456, want: data[123:579]},
		{key: "range/obj", off: 10, n: 0, want: []byte{}},
		{key: "range/obj", off: 1000, n: 10, want: []byte{}},
		{key: "range/obj", off: 1000, n: -1, want: []byte{}},
		{key: "range/obj", off: 1001, n: 1, wantErr: store.ErrInvalidRange},
		{key: "range/obj", off: 1001, n: 0, wantErr: store.ErrInvalidRange},
		{key: "range/obj", off: -1, n: 5, wantErr: store.ErrInvalidRange},
		{key: "range/empty", off: 0, n: 5, want: []byte{}},
		{key: "range/empty", off: 1, n: 5, wantErr: store.ErrInvalidRange},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s@%d+%d", tt.key, tt.off, tt.n), func(t *testing.T) {
			rc, err := s.GetRange(context.Background(), tt.key, tt.off, tt.n)
			if tt.wantErr != nil {
				if err == nil {
					rc.Close()
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetRange: %v", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %d bytes, want %d", len(got), len(tt.want))
			}
		})
	}
}

func testStat(t *testing.T, s store.Store) {
	start := time.Now()
	put(t, s, "stat/runs/lab1/run1/manifest.json", []byte(`{"schema_version":"1.0.0"}`))
	info, err := s.Stat(context.Background(), "stat/runs/lab1/run1/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "stat/runs/lab1/run1/manifest.json" {
		t.Errorf("Key: got %q, want %q", info.Key, "stat/runs/lab1/run1/manifest.json")
	}
	if info.Size != 26 {
		t.Errorf("Size: got %d, want 26", info.Size)
	}
	if info.ETag == "" {
		t.Error("ETag: got empty, want a value")
	}
	// S3 times have one-second resolution, and a server's clock may differ a little.
	if d := info.Modified.Sub(start); d < -time.Minute || d > time.Minute {
		t.Errorf("Modified: got %v, want within a minute of %v", info.Modified, start)
	}
}

func testList(t *testing.T, s store.Store) {
	all := []string{
		"list/reports/lab1/run1/S001.json",
		"list/runs/lab1/run1-b/x.vcf",
		"list/runs/lab1/run1.json",
		"list/runs/lab1/run1/S001.vcf.gz",
		"list/runs/lab1/run1/S001.vcf.gz.tbi",
		"list/runs/lab1/run1/manifest.json",
		"list/runs/lab2/run1/manifest.json",
	}
	for _, k := range slices.Backward(all) {
		put(t, s, k, []byte(k))
	}
	// Keys in byte order: "run1-b" < "run1.json" < "run1/" because '-' < '.' < '/'.
	tests := []struct {
		prefix string
		want   []string
	}{
		{"list/", all},
		{"list/runs/lab1/run1/", all[3:6]},
		{"list/runs/lab1/run1", all[1:6]},
		{"list/runs/lab1/run1/S001.vcf.gz", all[3:5]},
		{"list/runs/lab", all[1:]},
		{"list/runs/lab3/", nil},
		{"list/nothing", nil},
		{"nothing/at/all/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			infos, err := s.List(context.Background(), tt.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(infos); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, i := range infos {
				if i.Size != int64(len(i.Key)) {
					t.Errorf("%s: size got %d, want %d", i.Key, i.Size, len(i.Key))
				}
			}
		})
	}
	everything, err := s.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(everything); !slices.IsSorted(got) || len(got) < len(all) {
		t.Errorf(`List(""): got %d keys (sorted %v), want at least %d, sorted`, len(got), slices.IsSorted(got), len(all))
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "delete/a/one", []byte("1"))
	put(t, s, "delete/a/two", []byte("2"))
	put(t, s, "delete/b/three", []byte("3"))
	for _, k := range []string{"delete/a/one", "delete/b/three"} {
		if err := s.Delete(ctx, k); err != nil {
			t.Fatalf("Delete(%q): %v", k, err)
		}
		if _, err := s.Stat(ctx, k); !errors.Is(err, store.ErrNotExist) {
			t.Errorf("Stat after Delete(%q): got %v, want ErrNotExist", k, err)
		}
	}
	infos, err := s.List(ctx, "delete/")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys(infos), []string{"delete/a/two"}; !slices.Equal(got, want) {
		t.Errorf("List after Delete: got %q, want %q", got, want)
	}
	// The key of a deleted object can be used again, also below it.
	put(t, s, "delete/b/three/again", []byte("4"))
	if got := string(get(t, s, "delete/b/three/again")); got != "4" {
		t.Errorf("Put after Delete: got %q, want %q", got, "4")
	}
}

func testSize(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		data string
		size int64
	}{
		{"short", "12345", 10},
		{"long", "1234567890", 5},
		{"empty-but-announced", "", 3},
		{"announced-empty", "x", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "size/" + tt.name
			err := s.Put(ctx, key, strings.NewReader(tt.data), tt.size, "")
			if !errors.Is(err, store.ErrSize) {
				t.Errorf("Put of %d bytes announced as %d: got error %v, want ErrSize", len(tt.data), tt.size, err)
			}
			if store.IsTransient(err) {
				t.Errorf("IsTransient(%v) = true, want false", err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, store.ErrNotExist) {
				t.Errorf("Stat after a failed Put: got %v, want ErrNotExist", err)
			}
		})
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers = 16
	const size = 64 << 10
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, size) }
	var wg sync.WaitGroup
	errs := make(chan error, 4*writers)
	for i := range writers {
		wg.Go(func() {
			if err := s.Put(ctx, fmt.Sprintf("concurrent/own/%02d", i), bytes.NewReader(content(i)), size, ""); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			if err := s.Put(ctx, "concurrent/shared", bytes.NewReader(content(i)), size, ""); err != nil {
				errs <- err
			}
		})
	}
	// Readers of the shared key must see a whole version, never a mix or a part.
	for range writers {
		wg.Go(func() {
			rc, err := s.Get(ctx, "concurrent/shared")
			if errors.Is(err, store.ErrNotExist) {
				return // not written yet
			}
			if err != nil {
				errs <- err
				return
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				errs <- err
				return
			}
			if len(b) != size || bytes.Count(b, b[:1]) != size {
				errs <- fmt.Errorf("concurrent read saw a mixed or partial object (%d bytes)", len(b))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range writers {
		key := fmt.Sprintf("concurrent/own/%02d", i)
		if got := get(t, s, key); !bytes.Equal(got, content(i)) {
			t.Errorf("%s: got %d bytes starting %q, want %d of %q", key, len(got), got[:min(1, len(got))], size, rune('a'+i))
		}
	}
	b := get(t, s, "concurrent/shared")
	if len(b) != size || bytes.Count(b, b[:1]) != size {
		t.Errorf("concurrent/shared: got a mixed or partial object (%d bytes)", len(b))
	}
	infos, err := s.List(ctx, "concurrent/own/")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != writers {
		t.Errorf("List: got %d objects, want %d", len(infos), writers)
	}
}

// pattern is a deterministic stream of n pseudo-random bytes that can be regenerated at any
// offset. It is not an io.Seeker or io.ReaderAt, so a store must stream it.
type pattern struct{ off, end int64 }

func patternByte(i int64) byte {
	// splitmix64 of the 8-byte word index
	z := uint64(i>>3) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return byte(z >> (8 * (i & 7)))
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.end {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.end-p.off))
	for i := range n {
		b[i] = patternByte(p.off + int64(i))
	}
	p.off += int64(n)
	return n, nil
}

func patternSum(off, end int64) [32]byte {
	h := sha256.New()
	io.Copy(h, &pattern{off: off, end: end})
	return [32]byte(h.Sum(nil))
}

// peakHeap runs f and returns how far the heap of live and unswept objects rose above
// where it stood before, sampled every millisecond, with the collector made eager so that
// garbage does not count as held memory.
func peakHeap(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

func testLarge(t *testing.T, s store.Store) {
	if testing.Short() {
		t.Skip("streams 2 x 20 MiB")
	}
	ctx := context.Background()
	want := patternSum(0, LargeSize)
	for _, size := range []int64{LargeSize, -1} {
		key := fmt.Sprintf("large/size%d.vcf.gz", size)
		var err error
		peak := peakHeap(func() {
			err = s.Put(ctx, key, &pattern{end: LargeSize}, size, "application/gzip")
		})
		if err != nil {
			t.Fatalf("Put %s: %v", key, err)
		}
		t.Logf("Put %s: heap rose by %.1f MiB", key, float64(peak)/(1<<20))
		if peak > maxHeapRise {
			t.Errorf("Put %s: heap rose by %d bytes, want under %d (3/4 of the object): it is not streamed", key, peak, maxHeapRise)
		}
		var got [32]byte
		peak = peakHeap(func() {
			var rc io.ReadCloser
			if rc, err = s.Get(ctx, key); err != nil {
				return
			}
			defer rc.Close()
			h := sha256.New()
			if _, err = io.Copy(h, rc); err == nil {
				got = [32]byte(h.Sum(nil))
			}
		})
		if err != nil {
			t.Fatalf("Get %s: %v", key, err)
		}
		t.Logf("Get %s: heap rose by %.1f MiB", key, float64(peak)/(1<<20))
		if got != want {
			t.Errorf("Get %s: SHA-256 got %x, want %x", key, got, want)
		}
		if peak > maxHeapRise {
			t.Errorf("Get %s: heap rose by %d bytes, want under %d (3/4 of the object): it is not streamed", key, peak, maxHeapRise)
		}
		if info, err := s.Stat(ctx, key); err != nil || info.Size != LargeSize {
			t.Errorf("Stat %s: got %+v, %v; want size %d", key, info, err, LargeSize)
		}
	}
	// A range in the middle, as a tabix-guided read would ask for.
	off, n := int64(LargeSize/2-12345), int64(1<<20+7)
	rc, err := s.GetRange(ctx, "large/size-1.vcf.gz", off, n)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatal(err)
	}
	if got, want := [32]byte(h.Sum(nil)), patternSum(off, off+n); got != want {
		t.Errorf("GetRange(%d, %d): SHA-256 got %x, want %x", off, n, got, want)
	}
}

// cancelAfter reads r and cancels ctx once n bytes have gone through, then goes on.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
		// Give the transport a moment to notice, so that the read is not raced through.
		time.Sleep(10 * time.Millisecond)
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

func testCancel(t *testing.T, s store.Store) {
	const size = 4 << 20
	t.Run("PutCancelledBefore", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.Put(ctx, "cancel/before", &pattern{end: size}, size, "")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got error %v, want context.Canceled", err)
		}
		if store.IsTransient(err) {
			t.Errorf("IsTransient(%v) = true, want false", err)
		}
		if _, err := s.Stat(context.Background(), "cancel/before"); !errors.Is(err, store.ErrNotExist) {
			t.Errorf("Stat: got %v, want ErrNotExist", err)
		}
	})
	for _, size := range []int64{size, -1} {
		t.Run(fmt.Sprintf("PutCancelledMidway/size%d", size), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			key := fmt.Sprintf("cancel/midway%d", size)
			r := &cancelAfter{r: &pattern{end: 4 << 20}, n: 1 << 20, cancel: cancel}
			if err := s.Put(ctx, key, r, size, ""); !errors.Is(err, context.Canceled) {
				t.Errorf("got error %v, want context.Canceled", err)
			}
			if _, err := s.Stat(context.Background(), key); !errors.Is(err, store.ErrNotExist) {
				t.Errorf("Stat: got %v, want ErrNotExist (no partial object)", err)
			}
		})
	}
	put(t, s, "cancel/object", bytes.Repeat([]byte("0123456789abcdef"), size/16))
	t.Run("GetCancelledBefore", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for name, open := range map[string]func() (io.ReadCloser, error){
			"Get":      func() (io.ReadCloser, error) { return s.Get(ctx, "cancel/object") },
			"GetRange": func() (io.ReadCloser, error) { return s.GetRange(ctx, "cancel/object", 5, 5) },
		} {
			rc, err := open()
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: got error %v, want context.Canceled", name, err)
			}
		}
		if _, err := s.Stat(ctx, "cancel/object"); !errors.Is(err, context.Canceled) {
			t.Errorf("Stat: got error %v, want context.Canceled", err)
		}
		if _, err := s.List(ctx, "cancel/"); !errors.Is(err, context.Canceled) {
			t.Errorf("List: got error %v, want context.Canceled", err)
		}
		if err := s.Delete(ctx, "cancel/object"); !errors.Is(err, context.Canceled) {
			t.Errorf("Delete: got error %v, want context.Canceled", err)
		}
	})
	t.Run("GetCancelledWhileReading", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rc, err := s.Get(ctx, "cancel/object")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		buf := make([]byte, 64<<10)
		if _, err := io.ReadFull(rc, buf); err != nil {
			t.Fatal(err)
		}
		cancel()
		n, err := io.Copy(io.Discard, rc)
		if err == nil {
			t.Errorf("reading on after cancel: got %d more bytes and no error, want an error", n)
		}
	})
}
