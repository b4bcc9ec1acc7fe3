package main

import (
	"fmt"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Object is one rendered Kubernetes object, decoded into its Go API type.
type Object struct {
	Kind      string // apiVersion/kind, e.g. "apps/v1/Deployment"
	Name      string
	Namespace string
	Value     any // *appsv1.Deployment, *kedav1alpha1.ScaledObject, ...
}

func (o Object) String() string { return o.Kind + " " + o.Namespace + "/" + o.Name }

// Render builds the kustomization in dir (as `kubectl kustomize dir` would, without kubectl)
// and decodes every object it produces strictly into its Go API type.
func Render(fsys filesys.FileSystem, dir string) ([]Object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	var objs []Object
	for _, r := range m.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", dir, r.CurId(), err)
		}
		v, err := Decode(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", dir, r.GetKind(), r.GetName(), err)
		}
		gvk := r.GetGvk()
		kind := gvk.Version + "/" + gvk.Kind
		if gvk.Group != "" {
			kind = gvk.Group + "/" + kind
		}
		objs = append(objs, Object{Kind: kind, Name: r.GetName(), Namespace: r.GetNamespace(), Value: v})
	}
	return objs, nil
}
