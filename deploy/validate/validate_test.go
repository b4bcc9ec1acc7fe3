package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

const tree = "../kubernetes"

// memTree copies deploy/kubernetes into an in-memory file system, so that a test can break
// one file without touching the real ones.
func memTree(t *testing.T) filesys.FileSystem {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(tree, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, path)
		return mem.WriteFile(filepath.Join("/k", rel), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	return mem
}

// edit replaces old by new in file; old must be there, so a test cannot pass by editing
// nothing.
func edit(t *testing.T, fsys filesys.FileSystem, file, old, new string) {
	t.Helper()
	path := filepath.Join("/k", file)
	data, err := fsys.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := fsys.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1))); err != nil {
		t.Fatal(err)
	}
}

func renderCheck(fsys filesys.FileSystem, dir string) ([]Object, error) {
	objs, err := Render(fsys, filepath.Join("/k", dir))
	if err != nil {
		return nil, err
	}
	return objs, errors.Join(Check(objs)...)
}

func TestRealManifests(t *testing.T) {
	for _, dir := range []string{"base", "overlays/example", "overlays/minio"} {
		t.Run(dir, func(t *testing.T) {
			objs, err := renderCheck(memTree(t), dir)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.Kind]++
			}
			if got := Placeholders(objs); len(got) != 3 {
				t.Errorf("%s: placeholders in %v, want the 3 Secret templates", dir, got)
			}
			for kind, want := range map[string]int{"apps/v1/Deployment": 3, "keda.sh/v1alpha1/ScaledObject": 1, "policy/v1/PodDisruptionBudget": 3, "v1/Secret": 3} {
				if kinds[kind] != want {
					t.Errorf("%s: got %d %s, want %d", dir, kinds[kind], kind, want)
				}
			}
		})
	}
}

// The example overlay's patches take effect: they are strategic merges, and a patch that
// names no object or a misspelt field would otherwise vanish.
func TestExampleOverlay(t *testing.T) {
	objs, err := renderCheck(memTree(t), "overlays/example")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, o := range objs {
		switch v := o.Value.(type) {
		case *appsv1.Deployment:
			if img := v.Spec.Template.Spec.Containers[0].Image; img != "ghcr.io/precis-dx/precis:v0.1.0" {
				t.Errorf("%s: image %s, want the overlay's tag v0.1.0", o, img)
			}
			if v.Name == "precis-api" {
				seen++
				if got := *v.Spec.Replicas; got != 3 {
					t.Errorf("api replicas: got %d, want 3", got)
				}
			}
		case *corev1.ConfigMap:
			seen++
			if got := v.Data["PRECIS_S3_ENDPOINT"]; got != "s3.lab.example.org:443" {
				t.Errorf("S3 endpoint: got %q", got)
			}
			if got := v.Data["PRECIS_NATS_URL"]; got == "" {
				t.Errorf("the overlay's ConfigMap patch dropped the base's PRECIS_NATS_URL")
			}
		case *kedav1alpha1.ScaledObject:
			seen++
			if got := *v.Spec.MaxReplicaCount; got != 6 {
				t.Errorf("maxReplicaCount: got %d, want 6", got)
			}
		}
	}
	if seen != 3 {
		t.Errorf("saw %d of the 3 patched objects", seen)
	}
}

// Each case breaks the manifests in one way that must fail deploy/check.
func TestBrokenManifests(t *testing.T) {
	cases := []struct {
		name, file, old, new string
		want                 string
	}{
		{"unknown field", "base/api.yaml", "  revisionHistoryLimit: 5", "  revisionHistoryLimt: 5", `unknown field "spec.revisionHistoryLimt"`},
		{"field with wrong case", "base/worker.yaml", "      terminationGracePeriodSeconds: 30", "      TerminationGracePeriodSeconds: 30", `unknown field "spec.template.spec.TerminationGracePeriodSeconds"`},
		{"unknown container field", "base/ingest.yaml", "          readinessProbe:", "          readynessProbe:", `unknown field "spec.template.spec.containers[0].readynessProbe"`},
		{"wrong kind", "base/worker.yaml", "kind: Deployment", "kind: Deploymnt", "unknown apiVersion/kind: apps/v1 Deploymnt"},
		{"wrong apiVersion", "base/api.yaml", "apiVersion: policy/v1\nkind: PodDisruptionBudget", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget", "unknown apiVersion/kind: policy/v1beta1 PodDisruptionBudget"},
		{"unknown ScaledObject field", "base/worker-scaledobject.yaml", "  minReplicaCount: 0", "  minReplicas: 0", `unknown field "spec.minReplicas"`},
		{"ScaledObject as wrong kind", "base/worker-scaledobject.yaml", "kind: ScaledObject", "kind: ScaledJob", "unknown apiVersion/kind: keda.sh/v1alpha1 ScaledJob"},
		{"wrong type", "base/api.yaml", "  replicas: 2", "  replicas: two", "cannot unmarshal string"},
		{"missing readiness probe", "base/ingest.yaml", "          readinessProbe:\n            httpGet: {path: /readyz, port: http}\n            periodSeconds: 5\n            failureThreshold: 2\n", "", "container precis: no readinessProbe"},
		{"missing liveness probe", "base/worker.yaml", "          livenessProbe:\n            httpGet: {path: /healthz, port: http}\n            periodSeconds: 10\n            failureThreshold: 3\n", "", "container precis: no livenessProbe"},
		{"probe on undeclared port", "base/api.yaml", "            httpGet: {path: /readyz, port: http}", "            httpGet: {path: /readyz, port: 8099}", "readinessProbe: port 8099 is not a port of the container"},
		{"no memory limit", "base/worker.yaml", `limits: {cpu: "2", memory: 1Gi}`, `limits: {cpu: "2"}`, "no memory limit"},
		{"root user", "base/api.yaml", "            runAsUser: 65532\n            capabilities", "            runAsUser: 0\n            capabilities", "runAsUser must name a non-zero user id"},
		{"writable root", "base/ingest.yaml", "            readOnlyRootFilesystem: true\n            runAsNonRoot: true\n            runAsUser: 65532\n            capabilities:\n              drop: [\"ALL\"]\n          volumeMounts:\n            - {name: tmp", "            readOnlyRootFilesystem: false\n            runAsNonRoot: true\n            runAsUser: 65532\n            capabilities:\n              drop: [\"ALL\"]\n          volumeMounts:\n            - {name: tmp", "readOnlyRootFilesystem is not true"},
		{"grace not above job grace", "base/worker.yaml", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 10", "terminationGracePeriodSeconds 10 must exceed the job grace of 10 s"},
		{"missing Secret", "base/secrets.yaml", "  name: precis-session", "  name: precis-sessions", "Secret precis/precis-session is referenced but does not exist"},
		{"missing Secret key", "base/secrets.yaml", "  AWS_SECRET_ACCESS_KEY: REPLACE-ME-secret-key", "  AWS_SECRET_KEY: REPLACE-ME-secret-key", `Secret precis/precis-s3 has no key "AWS_SECRET_ACCESS_KEY"`},
		{"undefined $(VAR)", "base/api.yaml", "--bucket=$(PRECIS_BUCKET)", "--bucket=$(PRECIS_BUKET)", "refers to $(PRECIS_BUKET)"},
		{"API token mounted", "base/worker.yaml", "      automountServiceAccountToken: false", "      automountServiceAccountToken: true", "the API token is mounted"},
		{"scale target missing", "base/worker-scaledobject.yaml", "    name: precis-worker", "    name: precis-workers", "scaleTargetRef names Deployment precis/precis-workers, which does not exist"},
		{"wrong consumer", "base/worker-scaledobject.yaml", "consumer: workers", "consumer: worker", `consumer "worker": the workers share the durable consumer "workers"`},
		{"wrong stream", "base/worker-scaledobject.yaml", "stream: PRECIS_JOBS", "stream: PRECIS_RUNS", `stream "PRECIS_RUNS": the workers consume PRECIS_JOBS`},
		{"misspelt trigger metadata", "base/worker-scaledobject.yaml", "        lagThreshold:", "        lagTreshold:", `metadata "lagTreshold" is not a nats-jetstream parameter`},
		{"activation with scale to zero", "base/worker-scaledobject.yaml", `activationLagThreshold: "0"`, `activationLagThreshold: "5"`, "activationLagThreshold 5 with minReplicaCount 0"},
		{"min above max", "base/worker-scaledobject.yaml", "  maxReplicaCount: 10", "  maxReplicaCount: 0\n  idleReplicaCount: 0", "must be less than"},
		{"no default deny", "base/networkpolicies.yaml", "  podSelector: {}\n  policyTypes: [Ingress, Egress]", "  podSelector:\n    matchLabels: {app.kubernetes.io/name: precis}\n  policyTypes: [Ingress, Egress]", "no default-deny NetworkPolicy"},
		{"PDB selects nothing", "base/api.yaml", "  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: precis\n      app.kubernetes.io/component: api", "  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: precis\n      app.kubernetes.io/component: apu", "selector matches no Deployment or StatefulSet"},
		{"Service targets a missing port", "base/api.yaml", "    - {name: metrics, port: 9090, targetPort: metrics}", "    - {name: metrics, port: 9090, targetPort: metric}", "targetPort metric is not a container port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := memTree(t)
			edit(t, fsys, tc.file, tc.old, tc.new)
			_, err := renderCheck(fsys, "base")
			if err == nil {
				t.Fatalf("base with %s: no error", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error\n%v\nwant one containing %q", err, tc.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"duplicate field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: \"1\"}\ndata: {y: \"2\"}\n", "already set"},
		{"no kind", "apiVersion: v1\nmetadata: {name: a}\n", "both are required"},
		{"unknown kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n", "unknown apiVersion/kind: v1 Pod"},
		{"unknown nested field", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80, tragetPort: 8080}]}\n", `unknown field "spec.ports[0].tragetPort"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Decode([]byte("apiVersion: v1\nkind: Pod\n")); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("got %v, want ErrUnknownKind", err)
	}
}

func realNATSValues(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tree, "nats", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func scaledObjects(t *testing.T) []*kedav1alpha1.ScaledObject {
	t.Helper()
	objs, err := renderCheck(memTree(t), "base")
	if err != nil {
		t.Fatal(err)
	}
	var so []*kedav1alpha1.ScaledObject
	for _, o := range objs {
		if v, ok := o.Value.(*kedav1alpha1.ScaledObject); ok {
			so = append(so, v)
		}
	}
	return so
}

func TestNATSValues(t *testing.T) {
	so := scaledObjects(t)
	if v, errs := CheckNATSValues([]byte(realNATSValues(t)), so); len(errs) > 0 {
		t.Fatalf("real values: %v", errs)
	} else if v.Config.Cluster.Replicas != 3 || v.Config.JetStream.FileStore.PVC.Size == "" {
		t.Fatalf("real values decoded to %+v", v.Config)
	}
	cases := []struct {
		name, old, new, want string
	}{
		{"misspelt key", "    replicas: 3", "    replica: 3", `unknown field "config.cluster.replica"`},
		{"0.x chart key", "    fileStore:", "    fileStorage:", `unknown field "config.jetstream.fileStorage"`},
		{"one server", "    replicas: 3", "    replicas: 1", "replicas >= 3"},
		{"no PVC", "      pvc:\n        enabled: true", "      pvc:\n        enabled: false", "fileStore.pvc.enabled are required"},
		{"bad size", "        size: 10Gi", "        size: ten", `pvc.size "ten"`},
		{"maxSize not below PVC", "      maxSize: 9Gi", "      maxSize: 10Gi", "must be below the PVC size"},
		{"no PDB", "podDisruptionBudget:\n  enabled: true", "podDisruptionBudget:\n  enabled: false", "podDisruptionBudget.enabled must be true"},
		{"monitoring off", "  monitor:\n    enabled: true", "  monitor:\n    enabled: false", "config.monitor.enabled must be true"},
		{"monitoring port differs from KEDA's", "    port: 8222", "    port: 8223", "port 8222 is not the monitoring port 8223"},
		{"literal password", "password: << $PRECIS_NATS_PASSWORD >>", "password: hunter2", "must be a << $VAR >> variable"},
		{"password variable not from a Secret", "    PRECIS_NATS_PASSWORD:\n", "    PRECIS_PASSWORD:\n", "$PRECIS_NATS_PASSWORD must be in container.env"},
		{"KEDA account missing", "      PRECIS:\n", "      PRECISE:\n", `account "PRECIS" is not an account`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values := realNATSValues(t)
			if !strings.Contains(values, tc.old) {
				t.Fatalf("values.yaml does not contain %q", tc.old)
			}
			_, errs := CheckNATSValues([]byte(strings.Replace(values, tc.old, tc.new, 1)), so)
			err := errors.Join(errs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMeasuredLag(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tree, "base", "worker-scaledobject.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckMeasuredLag(data); err != nil {
		t.Fatalf("real file: %v", err)
	}
	cases := []struct{ name, in, want string }{
		{"stale threshold", "# measured: 300 reports/min per worker pod\nlagThreshold: \"131\"\n", "set lagThreshold to 150"},
		{"no measured line", "lagThreshold: \"131\"\n", "no `# measured:"},
		{"no threshold", "# measured: 300 reports/min per worker pod\n", "no lagThreshold"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckMeasuredLag([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// The command exits 1 and names the problem for a broken tree, 0 for the real one.
func TestRun(t *testing.T) {
	var out, errb strings.Builder
	args := []string{"-nats-values", filepath.Join(tree, "nats", "values.yaml"), "-scaledobject", filepath.Join(tree, "base", "worker-scaledobject.yaml"), filepath.Join(tree, "overlays", "example")}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "kustomize") {
		t.Fatalf("empty dir: exit %d, stderr %q", code, errb.String())
	}
	if code := run(nil, &out, &errb); code != 2 {
		t.Fatalf("no args: exit %d, want 2", code)
	}
}
