package main

import (
	"fmt"
	"testing"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/pipeline/pipelinetest"
)

// TestExitCode: exit codes by kind (DESIGN.md, "CLI"), and by the usage error of annotate.
func TestExitCode(t *testing.T) {
	pipelinetest.CheckMapping(t, "exitCode", exitCode,
		map[pipeline.Kind]int{pipeline.Invalid: exitInvalid, pipeline.Build: exitBuild}, exitFailure,
		[]pipelinetest.Example[int]{
			{Name: "invalid input", Err: fmt.Errorf("x.vcf: %w", annotate.ErrInvalid), Want: exitInvalid},
			{Name: "invalid manifest", Err: fmt.Errorf("submit: %w", manifest.ErrIdentity), Want: exitInvalid},
			{Name: "usage", Err: fmt.Errorf("%w: --sample S9 is not in x.vcf", annotate.ErrUsage), Want: exitUsage},
			{Name: "build", Err: fmt.Errorf("x.vcf: %w", assembly.ErrMismatch), Want: exitBuild},
		})
}
