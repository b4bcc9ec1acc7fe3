package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pipeline"
)

// TestExitCode: exit codes by kind (DESIGN.md, "CLI").
func TestExitCode(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"invalid input", fmt.Errorf("x.vcf: %w", annotate.ErrInvalid), exitInvalid},
		{"invalid manifest", fmt.Errorf("submit: %w", manifest.ErrIdentity), exitInvalid},
		{"usage", fmt.Errorf("%w: --sample S9 is not in x.vcf", annotate.ErrUsage), exitUsage},
		{"build", fmt.Errorf("x.vcf: %w", assembly.ErrMismatch), exitBuild},
		{"transient", pipeline.Wrap(pipeline.Transient, errors.New("connection refused")), exitFailure},
		{"permanent", pipeline.ErrPermanent, exitFailure},
		{"unknown", errors.New("disk full"), exitFailure},
	} {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}
