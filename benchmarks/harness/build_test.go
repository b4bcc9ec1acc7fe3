package harness

import (
	"errors"
	"testing"
)

// TestRunManifestBuild: a benchmark run's manifest names the build of its inputs, GRCh38
// unless the harness is told otherwise, and is a manifest the service accepts; a build the
// service does not know is refused before anything is uploaded.
func TestRunManifestBuild(t *testing.T) {
	for _, tc := range []struct{ build, want string }{{"", "GRCh38"}, {"GRCh38", "GRCh38"}, {"GRCh37", "GRCh37"}} {
		m, err := runManifest("bench", "run-1", tc.build, 3, ".tbi")
		if err != nil {
			t.Fatalf("%q: %v", tc.build, err)
		}
		if m.GenomeBuild != tc.want {
			t.Errorf("%q: manifest genome_build %q, want %q", tc.build, m.GenomeBuild, tc.want)
		}
		if err := m.Validate(); err != nil {
			t.Errorf("%q: the service would refuse the manifest: %v", tc.build, err)
		}
		if len(m.Samples) != 3 || m.Samples[2].VCF != "runs/bench/run-1/S002.vcf.gz" || m.Samples[2].Index != "runs/bench/run-1/S002.vcf.gz.tbi" {
			t.Errorf("%q: samples %+v", tc.build, m.Samples)
		}
	}
	if _, err := runManifest("bench", "run-1", "hg19", 1, ""); !errors.Is(err, ErrRun) {
		t.Errorf("hg19: got %v, want ErrRun", err)
	}
}

// TestConfigBuild: the harness's build option is GRCh38 by default and GRCh38 or GRCh37.
func TestConfigBuild(t *testing.T) {
	cfg := QuickConfig()
	cfg.Precis = "precis"
	for _, tc := range []struct {
		build, want string
		ok          bool
	}{{"", "GRCh38", true}, {"GRCh37", "GRCh37", true}, {"GRCh38", "GRCh38", true}, {"b37", "", false}} {
		cfg.GenomeBuild = tc.build
		err := cfg.check()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("%q: check: %v, want ok=%v", tc.build, err, tc.ok)
		}
		if tc.ok && cfg.build() != tc.want {
			t.Errorf("%q: build %q, want %q", tc.build, cfg.build(), tc.want)
		}
	}
}
