package annotator

import (
	"errors"
	"fmt"
	"testing"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/store"
)

// TestFailureKind: the failure kind of a job error comes from its kind alone.
func TestFailureKind(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"invalid input", fmt.Errorf("x.vcf: %w: no primary contig", annotate.ErrInvalid), "invalid-input"},
		{"usage", fmt.Errorf("%w: --sample S9 is not in x.vcf", annotate.ErrUsage), "invalid-input"},
		{"build", fmt.Errorf("x.vcf: %w", assembly.ErrUnsupported), "genome-build"},
		{"missing VCF", pipeline.Errorf(pipeline.NotExist, "x.vcf: not in the object store"), "missing-input"},
		{"missing object", fmt.Errorf("annotate x.vcf: %w", store.ErrNotExist), "missing-input"},
		{"store down", pipeline.Wrap(pipeline.Transient, errors.New("connection refused")), ""},
		{"unknown", errors.New("something else"), ""},
	} {
		if got := failureKind(tt.err); got != tt.want {
			t.Errorf("%s: failureKind(%v) = %q, want %q", tt.name, tt.err, got, tt.want)
		}
	}
}
