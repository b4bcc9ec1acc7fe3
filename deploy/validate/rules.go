package main

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// JobGraceSeconds is the worker's job grace on shutdown (the queue's ShutdownGrace default):
// every pod's terminationGracePeriodSeconds must exceed it, or the kubelet's SIGKILL lands
// while jobs are still finishing.
const JobGraceSeconds = 10

// The workers' queue, as the service creates it (DESIGN.md: PRECIS_JOBS, durable pull
// consumer shared by all workers).
const (
	jobStream   = "PRECIS_JOBS"
	jobConsumer = "workers"
)

// natsJetStreamMetadata lists the trigger metadata KEDA's nats-jetstream scaler reads: the
// `keda:"name=..."` tags of natsJetStreamMetadata in KEDA v2.21.0,
// pkg/scalers/nats_jetstream_scaler.go (documented at keda.sh/docs/scalers/nats-jetstream).
// KEDA ignores a metadata key it does not know, so a misspelt one ("lagTreshold") would
// silently fall back to the default; here it fails.
var natsJetStreamMetadata = map[string]bool{
	"natsServerMonitoringEndpoint": true, // required (or from a TriggerAuthentication)
	"account":                      true, // account or accountID required
	"accountID":                    true,
	"stream":                       true, // required
	"consumer":                     true, // required
	"lagThreshold":                 true, // default 10
	"activationLagThreshold":       true, // default 0
	"useHttps":                     true, // default false
}

// workload is a pod template and where it came from.
type workload struct {
	obj      Object
	labels   map[string]string
	template corev1.PodSpec
	claims   []string // a StatefulSet's volumeClaimTemplates, mounted like volumes
}

// Check applies the deployment's rules to the rendered objects of one kustomization and
// returns every violation (nil when there is none).
func Check(objs []Object) []error {
	var errs []error
	bad := func(o Object, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", o, fmt.Sprintf(format, args...)))
	}

	byKey := map[string]Object{}
	for _, o := range objs {
		byKey[o.Kind+" "+o.Namespace+"/"+o.Name] = o
	}
	lookup := func(kind, ns, name string) (Object, bool) {
		o, ok := byKey[kind+" "+ns+"/"+name]
		return o, ok
	}

	var workloads []workload
	namespaces := map[string]bool{}
	for _, o := range objs {
		switch v := o.Value.(type) {
		case *corev1.Namespace:
			namespaces[v.Name] = true
		case *appsv1.Deployment:
			workloads = append(workloads, workload{o, v.Spec.Template.Labels, v.Spec.Template.Spec, nil})
			if !selectorMatches(v.Spec.Selector, v.Spec.Template.Labels) {
				bad(o, "spec.selector does not match the pod template's labels")
			}
		case *appsv1.StatefulSet:
			var claims []string
			for _, c := range v.Spec.VolumeClaimTemplates {
				claims = append(claims, c.Name)
			}
			workloads = append(workloads, workload{o, v.Spec.Template.Labels, v.Spec.Template.Spec, claims})
			if !selectorMatches(v.Spec.Selector, v.Spec.Template.Labels) {
				bad(o, "spec.selector does not match the pod template's labels")
			}
		}
	}

	for _, o := range objs {
		if o.Kind != "v1/Namespace" && o.Namespace == "" {
			bad(o, "no namespace: the kustomization must set one")
		} else if o.Kind != "v1/Namespace" && !namespaces[o.Namespace] {
			bad(o, "namespace %q is not created by this kustomization (no Namespace object)", o.Namespace)
		}
	}

	for _, w := range workloads {
		errs = append(errs, checkPod(w, lookup)...)
	}

	for _, o := range objs {
		switch v := o.Value.(type) {
		case *corev1.Service:
			errs = append(errs, checkService(o, v, workloads)...)
		case *policyv1.PodDisruptionBudget:
			if !anyWorkload(workloads, o.Namespace, v.Spec.Selector) {
				bad(o, "selector matches no Deployment or StatefulSet")
			}
		case *networkingv1.NetworkPolicy:
			if v.Spec.PodSelector.Size() > 0 && !anyWorkload(workloads, o.Namespace, &v.Spec.PodSelector) {
				bad(o, "podSelector matches no Deployment or StatefulSet")
			}
		case *kedav1alpha1.ScaledObject:
			errs = append(errs, checkScaledObject(o, v, lookup)...)
		}
	}

	// Default deny: in every namespace with pods, a NetworkPolicy that selects every pod and
	// denies both directions, so that everything else has to be allowed explicitly.
	for ns := range podNamespaces(workloads) {
		if !hasDefaultDeny(objs, ns) {
			errs = append(errs, fmt.Errorf("namespace %s: no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)", ns))
		}
	}
	return errs
}

func selectorMatches(sel *metav1.LabelSelector, lbls map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		return false
	}
	return s.Matches(labels.Set(lbls))
}

func anyWorkload(ws []workload, ns string, sel *metav1.LabelSelector) bool {
	for _, w := range ws {
		if w.obj.Namespace == ns && selectorMatches(sel, w.labels) {
			return true
		}
	}
	return false
}

func podNamespaces(ws []workload) map[string]bool {
	m := map[string]bool{}
	for _, w := range ws {
		m[w.obj.Namespace] = true
	}
	return m
}

func hasDefaultDeny(objs []Object, ns string) bool {
	for _, o := range objs {
		np, ok := o.Value.(*networkingv1.NetworkPolicy)
		if !ok || o.Namespace != ns || np.Spec.PodSelector.Size() != 0 {
			continue
		}
		if slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) &&
			slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) &&
			len(np.Spec.Ingress) == 0 && len(np.Spec.Egress) == 0 {
			return true
		}
	}
	return false
}

// checkPod applies the pod rules: probes, resources, a restricted security context, a grace
// period longer than the job grace, no API token, and every Secret and ConfigMap it reads.
func checkPod(w workload, lookup func(kind, ns, name string) (Object, bool)) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", w.obj, fmt.Sprintf(format, args...)))
	}
	ns := w.obj.Namespace
	p := w.template

	if p.TerminationGracePeriodSeconds == nil {
		bad("terminationGracePeriodSeconds is not set; it must exceed the job grace of %d s", JobGraceSeconds)
	} else if *p.TerminationGracePeriodSeconds <= JobGraceSeconds {
		bad("terminationGracePeriodSeconds %d must exceed the job grace of %d s", *p.TerminationGracePeriodSeconds, JobGraceSeconds)
	}

	// The pod's automountServiceAccountToken wins over its ServiceAccount's; unset on both, the
	// token is mounted.
	saName := p.ServiceAccountName
	mounted := p.AutomountServiceAccountToken
	if saName == "" || saName == "default" {
		bad("serviceAccountName is not set: give the pod its own ServiceAccount")
	} else if o, ok := lookup("v1/ServiceAccount", ns, saName); !ok {
		bad("ServiceAccount %q does not exist", saName)
	} else if mounted == nil {
		mounted = o.Value.(*corev1.ServiceAccount).AutomountServiceAccountToken
	}
	if mounted == nil || *mounted {
		bad("the API token is mounted: set automountServiceAccountToken: false (ServiceAccount %s or pod)", saName)
	}

	psc := p.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	volumes := map[string]corev1.Volume{}
	for _, name := range w.claims {
		volumes[name] = corev1.Volume{Name: name}
	}
	for _, v := range p.Volumes {
		volumes[v.Name] = v
		switch {
		case v.Secret != nil:
			checkKeys(bad, lookup, ns, "v1/Secret", v.Secret.SecretName, keysOf(v.Secret.Items), v.Secret.Optional)
		case v.ConfigMap != nil:
			checkKeys(bad, lookup, ns, "v1/ConfigMap", v.ConfigMap.Name, keysOf(v.ConfigMap.Items), v.ConfigMap.Optional)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					checkKeys(bad, lookup, ns, "v1/Secret", s.Secret.Name, keysOf(s.Secret.Items), s.Secret.Optional)
				}
				if s.ConfigMap != nil {
					checkKeys(bad, lookup, ns, "v1/ConfigMap", s.ConfigMap.Name, keysOf(s.ConfigMap.Items), s.ConfigMap.Optional)
				}
			}
		}
	}

	check := func(c corev1.Container, init bool) {
		where := "container " + c.Name
		if init {
			where = "init container " + c.Name
		}
		cbad := func(format string, args ...any) { bad("%s: %s", where, fmt.Sprintf(format, args...)) }

		if c.Image == "" {
			cbad("no image")
		}
		if !init {
			if c.ReadinessProbe == nil {
				cbad("no readinessProbe")
			} else if err := probePort(c, c.ReadinessProbe); err != nil {
				cbad("readinessProbe: %v", err)
			}
			if c.LivenessProbe == nil {
				cbad("no livenessProbe")
			} else if err := probePort(c, c.LivenessProbe); err != nil {
				cbad("livenessProbe: %v", err)
			}
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[res]
			lim, hasLim := c.Resources.Limits[res]
			if !hasReq {
				cbad("no %s request", res)
			}
			if !hasLim {
				cbad("no %s limit", res)
			}
			if hasReq && hasLim && req.Cmp(lim) > 0 {
				cbad("%s request %s is above its limit %s", res, req.String(), lim.String())
			}
		}

		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		nonRoot := sc.RunAsNonRoot
		if nonRoot == nil {
			nonRoot = psc.RunAsNonRoot
		}
		if nonRoot == nil || !*nonRoot {
			cbad("runAsNonRoot is not true")
		}
		uid := sc.RunAsUser
		if uid == nil {
			uid = psc.RunAsUser
		}
		if uid == nil || *uid == 0 {
			cbad("runAsUser must name a non-zero user id")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			cbad("readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			cbad("allowPrivilegeEscalation is not false")
		}
		if sc.Privileged != nil && *sc.Privileged {
			cbad("privileged")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			cbad("capabilities do not drop ALL")
		} else if len(sc.Capabilities.Add) > 0 {
			cbad("capabilities add %v", sc.Capabilities.Add)
		}
		seccomp := sc.SeccompProfile
		if seccomp == nil {
			seccomp = psc.SeccompProfile
		}
		if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
			cbad("seccompProfile is not RuntimeDefault")
		}

		writableTmp := false
		for _, m := range c.VolumeMounts {
			v, ok := volumes[m.Name]
			if !ok {
				cbad("volumeMount %s: no volume of that name", m.Name)
				continue
			}
			if m.MountPath == "/tmp" && v.EmptyDir != nil && !m.ReadOnly {
				writableTmp = true
			}
		}
		if !init && !writableTmp {
			cbad("no emptyDir mounted at /tmp (the root filesystem is read-only)")
		}

		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				checkKeys(cbad, lookup, ns, "v1/Secret", r.Name, []string{r.Key}, r.Optional)
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				checkKeys(cbad, lookup, ns, "v1/ConfigMap", r.Name, []string{r.Key}, r.Optional)
			}
		}
		for _, e := range c.EnvFrom {
			if r := e.SecretRef; r != nil {
				checkKeys(cbad, lookup, ns, "v1/Secret", r.Name, nil, r.Optional)
			}
			if r := e.ConfigMapRef; r != nil {
				checkKeys(cbad, lookup, ns, "v1/ConfigMap", r.Name, nil, r.Optional)
			}
		}
		// $(VAR) in args must name a variable the container defines, or Kubernetes passes
		// the text "$(VAR)" through unchanged.
		defined := map[string]bool{}
		for _, e := range c.Env {
			defined[e.Name] = true
		}
		for _, a := range append(slices.Clone(c.Command), c.Args...) {
			for _, ref := range varRefs(a) {
				if !defined[ref] && len(c.EnvFrom) == 0 {
					cbad("argument %q refers to $(%s), which the container does not define", a, ref)
				}
			}
		}
	}
	for _, c := range p.InitContainers {
		check(c, true)
	}
	if len(p.Containers) == 0 {
		bad("no containers")
	}
	for _, c := range p.Containers {
		check(c, false)
	}
	return errs
}

func keysOf(items []corev1.KeyToPath) []string {
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

// checkKeys reports a Secret or ConfigMap that a pod reads but the kustomization does not
// create, or a key missing from it (unless the reference is optional).
func checkKeys(bad func(string, ...any), lookup func(kind, ns, name string) (Object, bool), ns, kind, name string, keys []string, optional *bool) {
	if optional != nil && *optional {
		return
	}
	o, ok := lookup(kind, ns, name)
	if !ok {
		bad("%s %s/%s is referenced but does not exist", strings.TrimPrefix(kind, "v1/"), ns, name)
		return
	}
	has := map[string]bool{}
	switch v := o.Value.(type) {
	case *corev1.Secret:
		for k := range v.Data {
			has[k] = true
		}
		for k := range v.StringData {
			has[k] = true
		}
	case *corev1.ConfigMap:
		for k := range v.Data {
			has[k] = true
		}
		for k := range v.BinaryData {
			has[k] = true
		}
	}
	for _, k := range keys {
		if !has[k] {
			bad("%s %s/%s has no key %q", strings.TrimPrefix(kind, "v1/"), ns, name, k)
		}
	}
}

// varRefs returns the names in $(NAME) references of s ($$(NAME) is an escape).
func varRefs(s string) []string {
	var refs []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		if s[i+1] == '$' {
			i++
			continue
		}
		if s[i+1] != '(' {
			continue
		}
		end := strings.IndexByte(s[i:], ')')
		if end < 0 {
			break
		}
		refs = append(refs, s[i+2:i+end])
		i += end
	}
	return refs
}

// probePort checks that an HTTP or TCP probe names a port the container declares.
func probePort(c corev1.Container, p *corev1.Probe) error {
	var port *intstr.IntOrString
	switch {
	case p.HTTPGet != nil:
		port = &p.HTTPGet.Port
	case p.TCPSocket != nil:
		port = &p.TCPSocket.Port
	case p.Exec != nil, p.GRPC != nil:
		return nil
	default:
		return errors.New("no handler (httpGet, tcpSocket, exec or grpc)")
	}
	if hasPort(c, *port) {
		return nil
	}
	return fmt.Errorf("port %s is not a port of the container", port.String())
}

func hasPort(c corev1.Container, port intstr.IntOrString) bool {
	for _, cp := range c.Ports {
		if (port.Type == intstr.String && cp.Name == port.StrVal) || (port.Type == intstr.Int && cp.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

func checkService(o Object, s *corev1.Service, ws []workload) []error {
	var errs []error
	if len(s.Spec.Selector) == 0 {
		return []error{fmt.Errorf("%s: no selector", o)}
	}
	sel := &metav1.LabelSelector{MatchLabels: s.Spec.Selector}
	var matched []workload
	for _, w := range ws {
		if w.obj.Namespace == o.Namespace && selectorMatches(sel, w.labels) {
			matched = append(matched, w)
		}
	}
	if len(matched) == 0 {
		return []error{fmt.Errorf("%s: selector %v matches no Deployment or StatefulSet", o, s.Spec.Selector)}
	}
	for _, sp := range s.Spec.Ports {
		target := sp.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(sp.Port)
		}
		for _, w := range matched {
			found := false
			for _, c := range w.template.Containers {
				found = found || hasPort(c, target)
			}
			if !found {
				errs = append(errs, fmt.Errorf("%s: port %s: targetPort %s is not a container port of %s", o, sp.Name, target.String(), w.obj))
			}
		}
	}
	return errs
}

// checkScaledObject checks the KEDA ScaledObject with KEDA's own validation functions, then
// the nats-jetstream trigger against the queue the workers really consume.
func checkScaledObject(o Object, so *kedav1alpha1.ScaledObject, lookup func(kind, ns, name string) (Object, bool)) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", o, fmt.Sprintf(format, args...)))
	}
	ref := so.Spec.ScaleTargetRef
	if ref == nil || ref.Name == "" {
		bad("spec.scaleTargetRef.name is required")
	} else if (ref.Kind != "" && ref.Kind != "Deployment") || (ref.APIVersion != "" && ref.APIVersion != "apps/v1") {
		bad("scaleTargetRef %s %s: the workers are an apps/v1 Deployment", ref.APIVersion, ref.Kind)
	} else if _, ok := lookup("apps/v1/Deployment", o.Namespace, ref.Name); !ok {
		bad("scaleTargetRef names Deployment %s/%s, which does not exist", o.Namespace, ref.Name)
	}
	if err := kedav1alpha1.CheckReplicaCountBoundsAreValid(so); err != nil {
		bad("%v", err)
	}
	if err := kedav1alpha1.ValidateTriggers(so.Spec.Triggers); err != nil {
		bad("%v", err)
	}
	if err := kedav1alpha1.CheckFallbackValid(so); err != nil {
		bad("%v", err)
	}
	minReplicas := int32(0) // KEDA's default
	if so.Spec.MinReplicaCount != nil {
		minReplicas = *so.Spec.MinReplicaCount
	}
	for i, t := range so.Spec.Triggers {
		tbad := func(format string, args ...any) { bad("trigger %d (%s): %s", i, t.Type, fmt.Sprintf(format, args...)) }
		if t.AuthenticationRef != nil {
			kind := t.AuthenticationRef.Kind
			if kind == "" || kind == "TriggerAuthentication" {
				if _, ok := lookup("keda.sh/v1alpha1/TriggerAuthentication", o.Namespace, t.AuthenticationRef.Name); !ok {
					tbad("authenticationRef names TriggerAuthentication %s, which does not exist", t.AuthenticationRef.Name)
				}
			}
		}
		if t.Type != "nats-jetstream" {
			tbad("the workers scale on their JetStream consumer: type must be nats-jetstream")
			continue
		}
		m := t.Metadata
		for k := range m {
			if !natsJetStreamMetadata[k] {
				tbad("metadata %q is not a nats-jetstream parameter (KEDA would ignore it)", k)
			}
		}
		if m["natsServerMonitoringEndpoint"] == "" && t.AuthenticationRef == nil {
			tbad("natsServerMonitoringEndpoint is required")
		} else if ep := m["natsServerMonitoringEndpoint"]; ep != "" {
			if _, port, err := net.SplitHostPort(ep); err != nil || port == "" {
				tbad("natsServerMonitoringEndpoint %q must be HOST:PORT (the NATS monitoring port)", ep)
			}
		}
		if m["account"] == "" && m["accountID"] == "" && t.AuthenticationRef == nil {
			tbad("account (or accountID) is required")
		}
		if m["stream"] != jobStream {
			tbad("stream %q: the workers consume %s", m["stream"], jobStream)
		}
		if m["consumer"] != jobConsumer {
			tbad("consumer %q: the workers share the durable consumer %q", m["consumer"], jobConsumer)
		}
		lag, err := strconv.ParseInt(m["lagThreshold"], 10, 64)
		if err != nil || lag <= 0 {
			tbad("lagThreshold %q must be a positive integer (jobs per worker pod)", m["lagThreshold"])
		}
		act := int64(0)
		if s, ok := m["activationLagThreshold"]; ok {
			act, err = strconv.ParseInt(s, 10, 64)
			if err != nil || act < 0 {
				tbad("activationLagThreshold %q must be a non-negative integer", s)
			}
		}
		if minReplicas == 0 && act > 0 {
			tbad("activationLagThreshold %d with minReplicaCount 0: up to %d waiting jobs would never wake a worker", act, act)
		}
		if s, ok := m["useHttps"]; ok {
			if _, err := strconv.ParseBool(s); err != nil {
				tbad("useHttps %q is not a boolean", s)
			}
		}
	}
	return errs
}
