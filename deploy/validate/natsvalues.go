package main

import (
	"fmt"
	"net"
	"regexp"
	"strings"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// NATSValues mirrors the keys of the official NATS Helm chart (nats-io/k8s,
// helm/charts/nats/values.yaml, chart 1.x: the layout introduced by the 1.0.0 release) that
// deploy/kubernetes/nats/values.yaml sets. Helm ignores a key the chart does not have, so a
// typo ("replica:", "fileStorage:" from the 0.x chart) would silently give a one-node cluster
// without persistence; decoding strictly into this struct fails on it instead. A key the
// values need that is not here must be added here, from the chart's values.yaml.
type NATSValues struct {
	Config struct {
		Cluster struct {
			Enabled     bool  `json:"enabled"`
			Replicas    int   `json:"replicas"`
			Port        int   `json:"port,omitempty"`
			NoAdvertise *bool `json:"noAdvertise,omitempty"`
		} `json:"cluster"`
		JetStream struct {
			Enabled   bool `json:"enabled"`
			FileStore struct {
				Enabled bool   `json:"enabled"`
				Dir     string `json:"dir,omitempty"`
				PVC     struct {
					Enabled          bool    `json:"enabled"`
					Size             string  `json:"size"`
					StorageClassName *string `json:"storageClassName,omitempty"`
				} `json:"pvc"`
				MaxSize string `json:"maxSize,omitempty"`
			} `json:"fileStore"`
			MemoryStore struct {
				Enabled bool   `json:"enabled"`
				MaxSize string `json:"maxSize,omitempty"`
			} `json:"memoryStore"`
		} `json:"jetstream"`
		Monitor struct {
			Enabled bool `json:"enabled"`
			Port    int  `json:"port,omitempty"`
		} `json:"monitor"`
		// Merge is merged into the generated nats.conf (the chart's config.merge); the part of
		// the NATS server configuration that Precis uses is typed here too.
		Merge struct {
			Accounts      map[string]NATSAccount `json:"accounts"`
			SystemAccount string                 `json:"system_account,omitempty"`
		} `json:"merge"`
	} `json:"config"`
	Container struct {
		// Env is the chart's map form: name -> value, or name -> {valueFrom: ...}.
		Env   map[string]NATSEnv `json:"env,omitempty"`
		Merge struct {
			Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
		} `json:"merge"`
	} `json:"container"`
	PodTemplate struct {
		// Keyed by topologyKey; the chart adds the labelSelector.
		TopologySpreadConstraints map[string]struct {
			MaxSkew           int32                                `json:"maxSkew"`
			WhenUnsatisfiable corev1.UnsatisfiableConstraintAction `json:"whenUnsatisfiable"`
		} `json:"topologySpreadConstraints,omitempty"`
	} `json:"podTemplate"`
	PodDisruptionBudget struct {
		Enabled bool `json:"enabled"`
	} `json:"podDisruptionBudget"`
	NatsBox struct {
		Enabled bool `json:"enabled"`
	} `json:"natsBox"`
	PromExporter struct {
		Enabled bool `json:"enabled"`
	} `json:"promExporter"`
}

// NATSAccount is an account block of the NATS server configuration.
type NATSAccount struct {
	JetStream string     `json:"jetstream,omitempty"` // "enabled" or "disabled"
	Users     []NATSUser `json:"users"`
}

// NATSUser is a user of an account; Password is usually a << $VAR >> config variable.
type NATSUser struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// NATSEnv is one value of the chart's container.env map.
type NATSEnv struct {
	Value     string               `json:"value,omitempty"`
	ValueFrom *corev1.EnvVarSource `json:"valueFrom,omitempty"`
}

var configVar = regexp.MustCompile(`^<<\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*>>$`)

// CheckNATSValues decodes the chart values strictly and checks them against what Precis needs
// (an R3-capable JetStream cluster with persistent storage, a PodDisruptionBudget, the
// monitoring port KEDA reads) and against the ScaledObjects that read its monitoring endpoint.
func CheckNATSValues(data []byte, scaled []*kedav1alpha1.ScaledObject) (*NATSValues, []error) {
	var v NATSValues
	if err := decodeStrict(data, &v); err != nil {
		return nil, []error{err}
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	c := v.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas < 3 {
		bad("config.cluster: enabled with replicas >= 3 is required for R3 streams (have enabled=%v, replicas=%d)", c.Cluster.Enabled, c.Cluster.Replicas)
	}
	if c.Cluster.Replicas%2 == 0 {
		bad("config.cluster.replicas %d: an even number of servers adds no fault tolerance to RAFT quorums", c.Cluster.Replicas)
	}
	js := c.JetStream
	if !js.Enabled || !js.FileStore.Enabled || !js.FileStore.PVC.Enabled {
		bad("config.jetstream: enabled, fileStore.enabled and fileStore.pvc.enabled are required (file storage on a PersistentVolumeClaim)")
	}
	size, err := resource.ParseQuantity(js.FileStore.PVC.Size)
	if err != nil {
		bad("config.jetstream.fileStore.pvc.size %q: %v", js.FileStore.PVC.Size, err)
	}
	if js.FileStore.MaxSize != "" {
		// The chart writes max_file_store from maxSize; NATS units (10Gi, 9G) are also
		// Kubernetes quantities for the sizes used here.
		maxSize, err := resource.ParseQuantity(js.FileStore.MaxSize)
		if err != nil {
			bad("config.jetstream.fileStore.maxSize %q: %v", js.FileStore.MaxSize, err)
		} else if err == nil && maxSize.Cmp(size) >= 0 {
			bad("config.jetstream.fileStore.maxSize %s must be below the PVC size %s: files on disk take more than the stored messages", js.FileStore.MaxSize, js.FileStore.PVC.Size)
		}
	}
	if !v.PodDisruptionBudget.Enabled {
		bad("podDisruptionBudget.enabled must be true: a drain must not take two servers of three")
	}
	monitorPort := c.Monitor.Port
	if monitorPort == 0 {
		monitorPort = 8222 // the chart's default
	}
	if !c.Monitor.Enabled {
		bad("config.monitor.enabled must be true: KEDA reads the consumer lag from the monitoring endpoint")
	}

	// Accounts: every password is a config variable that container.env fills from a Secret,
	// never a literal in this file.
	for name, acc := range c.Merge.Accounts {
		for _, u := range acc.Users {
			m := configVar.FindStringSubmatch(strings.TrimSpace(u.Password))
			if m == nil {
				bad("config.merge.accounts.%s user %s: password must be a << $VAR >> variable filled from a Secret, not a literal", name, u.User)
				continue
			}
			e, ok := v.Container.Env[m[1]]
			if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				bad("config.merge.accounts.%s user %s: $%s must be in container.env with valueFrom.secretKeyRef", name, u.User, m[1])
			}
		}
	}
	if sys := c.Merge.SystemAccount; sys != "" {
		if _, ok := c.Merge.Accounts[sys]; !ok {
			bad("config.merge.system_account %q is not an account in config.merge.accounts", sys)
		}
	}

	for _, so := range scaled {
		for _, t := range so.Spec.Triggers {
			if t.Type != "nats-jetstream" {
				continue
			}
			acct := t.Metadata["account"]
			if acct == "" {
				acct = t.Metadata["accountID"]
			}
			a, ok := c.Merge.Accounts[acct]
			if !ok {
				bad("ScaledObject %s: account %q is not an account in config.merge.accounts", so.Name, acct)
			} else if a.JetStream != "enabled" {
				bad("ScaledObject %s: account %q does not have jetstream: enabled", so.Name, acct)
			}
			if _, port, err := net.SplitHostPort(t.Metadata["natsServerMonitoringEndpoint"]); err == nil && port != fmt.Sprint(monitorPort) {
				bad("ScaledObject %s: natsServerMonitoringEndpoint port %s is not the monitoring port %d", so.Name, port, monitorPort)
			}
		}
	}
	return &v, errs
}
