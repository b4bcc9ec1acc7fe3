package annotator

import (
	"fmt"
	"testing"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/pipeline/pipelinetest"
	"github.com/precis-dx/precis/internal/store"
)

// TestFailureKind: the failure kind of a job error comes from its kind alone.
func TestFailureKind(t *testing.T) {
	pipelinetest.CheckMapping(t, "failureKind", failureKind, map[pipeline.Kind]string{
		pipeline.Invalid:  "invalid-input",
		pipeline.Build:    "genome-build",
		pipeline.NotExist: "missing-input",
	}, "", []pipelinetest.Example[string]{
		{Name: "nil", Err: nil, Want: ""},
		{Name: "invalid input", Err: fmt.Errorf("x.vcf: %w: no primary contig", annotate.ErrInvalid), Want: "invalid-input"},
		{Name: "usage", Err: fmt.Errorf("%w: --sample S9 is not in x.vcf", annotate.ErrUsage), Want: "invalid-input"},
		{Name: "build", Err: fmt.Errorf("x.vcf: %w", assembly.ErrUnsupported), Want: "genome-build"},
		{Name: "missing object", Err: fmt.Errorf("annotate x.vcf: %w", store.ErrNotExist), Want: "missing-input"},
	})
}
