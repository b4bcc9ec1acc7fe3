package storetest

import (
	"runtime"
	"testing"
)

// TestPeakHeapSeesBuffering checks the meter of the Large test: holding the object whole
// must register as more than the limit, and streaming it must not.
func TestPeakHeapSeesBuffering(t *testing.T) {
	whole := peakHeap(func() {
		b := make([]byte, LargeSize)
		for i := range b {
			b[i] = patternByte(int64(i))
		}
		runtime.KeepAlive(b)
	})
	if whole <= maxHeapRise {
		t.Errorf("holding %d bytes: heap rose by %d, want more than %d", LargeSize, whole, maxHeapRise)
	}
	streamed := peakHeap(func() {
		p := &pattern{end: LargeSize}
		buf := make([]byte, 32<<10)
		for {
			if _, err := p.Read(buf); err != nil {
				break
			}
		}
	})
	if streamed > maxHeapRise {
		t.Errorf("streaming %d bytes: heap rose by %d, want under %d", LargeSize, streamed, maxHeapRise)
	}
}

func TestPatternRegenerates(t *testing.T) {
	if a, b := patternSum(0, 1<<20), patternSum(0, 1<<20); a != b {
		t.Errorf("patternSum is not deterministic: %x vs %x", a, b)
	}
	if a, b := patternSum(0, 1<<20), patternSum(1, 1<<20+1); a == b {
		t.Error("patternSum at offsets 0 and 1 agree: the pattern does not depend on the offset")
	}
}
