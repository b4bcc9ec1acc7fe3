// Command validate checks Precis's Kubernetes deployment offline, without kubectl or a
// cluster: it renders each kustomization with the kustomize library, decodes every object
// strictly into its Kubernetes (k8s.io/api) or KEDA (keda.sh/v1alpha1) Go API type, so that an
// unknown field or a wrong kind fails, and then checks the rules the deployment relies on
// (probes, resources, restricted security context, grace periods, Secrets that exist, the
// ScaledObject's target and queue). It also decodes the NATS Helm chart values strictly.
//
//	go run . [-nats-values FILE] [-scaledobject FILE] KUSTOMIZATION-DIR...
//
// deploy/check runs it from the repository; it is its own Go module so that the Kubernetes
// and KEDA dependencies stay out of the service's go.mod.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsValues := fs.String("nats-values", "", "values.yaml for the NATS Helm chart, checked strictly")
	measured := fs.String("scaledobject", "", "the ScaledObject file whose `# measured:` line sets lagThreshold")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: validate [-nats-values FILE] [-scaledobject FILE] KUSTOMIZATION-DIR...")
		return 2
	}
	failed := false
	report := func(where string, errs []error) {
		for _, err := range errs {
			fmt.Fprintf(stderr, "%s: %v\n", where, err)
			failed = true
		}
	}
	disk := filesys.MakeFsOnDisk()
	var scaled []*kedav1alpha1.ScaledObject
	for _, dir := range fs.Args() {
		objs, err := Render(disk, dir)
		if err != nil {
			report(dir, []error{err})
			continue
		}
		errs := Check(objs)
		report(dir, errs)
		for _, o := range objs {
			if so, ok := o.Value.(*kedav1alpha1.ScaledObject); ok {
				scaled = append(scaled, so)
			}
		}
		if len(errs) == 0 {
			fmt.Fprintf(stdout, "validate: %s: %d objects decoded strictly, rules OK\n", dir, len(objs))
		}
		if names := Placeholders(objs); len(names) > 0 {
			fmt.Fprintf(stdout, "validate: %s: note: Secrets %s hold placeholder values (REPLACE-ME): set real ones before applying\n", dir, strings.Join(names, ", "))
		}
	}
	if *natsValues != "" {
		data, err := os.ReadFile(*natsValues)
		if err != nil {
			report(*natsValues, []error{err})
		} else if _, errs := CheckNATSValues(data, scaled); len(errs) > 0 {
			report(*natsValues, errs)
		} else {
			fmt.Fprintf(stdout, "validate: %s: NATS chart values OK\n", *natsValues)
		}
	}
	if *measured != "" {
		data, err := os.ReadFile(*measured)
		if err == nil {
			err = CheckMeasuredLag(data)
		}
		if err != nil {
			report(*measured, []error{err})
		} else {
			fmt.Fprintf(stdout, "validate: %s: lagThreshold follows the measured throughput\n", *measured)
		}
	}
	if failed {
		return 1
	}
	return 0
}

// Placeholders returns the Secrets (namespace/name) that still hold a REPLACE-ME value of
// the templates in base/secrets.yaml.
func Placeholders(objs []Object) []string {
	var names []string
	for _, o := range objs {
		s, ok := o.Value.(*corev1.Secret)
		if !ok {
			continue
		}
		found := false
		for _, v := range s.StringData {
			found = found || strings.Contains(v, "REPLACE-ME")
		}
		for _, v := range s.Data {
			found = found || strings.Contains(string(v), "REPLACE-ME")
		}
		if found {
			names = append(names, o.Namespace+"/"+o.Name)
		}
	}
	return names
}

// LagWindowSeconds is how much work one worker pod is given per scaling step: lagThreshold is
// the number of jobs one pod finishes in this many seconds.
const LagWindowSeconds = 30

var (
	measuredLine = regexp.MustCompile(`(?m)^\s*# measured:\s*([0-9]+(?:\.[0-9]+)?)\s*reports/min per worker pod`)
	lagLine      = regexp.MustCompile(`(?m)^\s*lagThreshold:\s*"?([0-9]+)"?\s*$`)
)

// CheckMeasuredLag checks that the ScaledObject file's lagThreshold is what its
// `# measured: N reports/min per worker pod` line implies: N * LagWindowSeconds / 60, rounded.
// Whoever updates the measured figure must update the threshold with it.
func CheckMeasuredLag(data []byte) error {
	m := measuredLine.FindSubmatch(data)
	if m == nil {
		return fmt.Errorf("no `# measured: N reports/min per worker pod` line")
	}
	l := lagLine.FindSubmatch(data)
	if l == nil {
		return fmt.Errorf("no lagThreshold")
	}
	rate, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil || rate <= 0 {
		return fmt.Errorf("measured rate %q is not a positive number", m[1])
	}
	lag, _ := strconv.Atoi(string(l[1]))
	want := int(math.Round(rate * LagWindowSeconds / 60))
	if want < 1 {
		want = 1
	}
	if lag != want {
		return fmt.Errorf("lagThreshold %d, but %s reports/min per pod finish %d jobs in %d s: set lagThreshold to %d", lag, m[1], want, LagWindowSeconds, want)
	}
	return nil
}
