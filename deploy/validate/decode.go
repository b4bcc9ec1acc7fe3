package main

import (
	"errors"
	"fmt"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// ErrUnknownKind is returned for an apiVersion/kind this deployment does not use: a typo
// ("Deplyoment", "apps/v2") or an object nobody reviewed for it.
var ErrUnknownKind = errors.New("validate: unknown apiVersion/kind")

// kinds maps apiVersion/kind to a constructor of its Go API type. Only kinds that the
// manifests use are here; adding one is a deliberate change.
var kinds = map[string]func() any{
	"v1/Namespace":                           func() any { return new(corev1.Namespace) },
	"v1/ServiceAccount":                      func() any { return new(corev1.ServiceAccount) },
	"v1/ConfigMap":                           func() any { return new(corev1.ConfigMap) },
	"v1/Secret":                              func() any { return new(corev1.Secret) },
	"v1/Service":                             func() any { return new(corev1.Service) },
	"v1/PersistentVolumeClaim":               func() any { return new(corev1.PersistentVolumeClaim) },
	"apps/v1/Deployment":                     func() any { return new(appsv1.Deployment) },
	"apps/v1/StatefulSet":                    func() any { return new(appsv1.StatefulSet) },
	"policy/v1/PodDisruptionBudget":          func() any { return new(policyv1.PodDisruptionBudget) },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return new(networkingv1.NetworkPolicy) },
	"keda.sh/v1alpha1/ScaledObject":          func() any { return new(kedav1alpha1.ScaledObject) },
	"keda.sh/v1alpha1/TriggerAuthentication": func() any { return new(kedav1alpha1.TriggerAuthentication) },
}

// typeMeta is read first to choose the Go type.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// decodeStrict converts one YAML document to JSON and decodes it into v the way the API
// server's strict field validation does: field names are case-sensitive, and an unknown or
// duplicated field is an error.
func decodeStrict(doc []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(j, v, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// Decode decodes one Kubernetes object, given as a YAML document, into its typed Go struct
// chosen by apiVersion and kind (k8s.io/api, or KEDA's API types for keda.sh).
func Decode(doc []byte) (any, error) {
	var tm typeMeta
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &tm); err != nil {
		return nil, err
	}
	if tm.APIVersion == "" || tm.Kind == "" {
		return nil, fmt.Errorf("%w: apiVersion %q, kind %q: both are required", ErrUnknownKind, tm.APIVersion, tm.Kind)
	}
	mk, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: %s %s", ErrUnknownKind, tm.APIVersion, tm.Kind)
	}
	obj := mk()
	if err := decodeStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	return obj, nil
}
