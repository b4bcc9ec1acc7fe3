package pipelinetest

import (
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/pipeline"
)

// TestKinds: Kinds holds an error of every kind, in order, and each has the kind it says.
func TestKinds(t *testing.T) {
	for k := pipeline.Kind(0); !strings.HasPrefix(k.String(), "kind("); k++ {
		if int(k) >= len(Kinds) || Kinds[k].Kind != k {
			t.Fatalf("Kinds has no example of kind %v at %d", k, k)
		}
	}
	for _, k := range Kinds {
		if got := pipeline.KindOf(k.Err); got != k.Kind {
			t.Errorf("KindOf(%v) = %v, want %v", k.Err, got, k.Kind)
		}
	}
}
