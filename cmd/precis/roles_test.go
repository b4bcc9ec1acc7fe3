package main

import (
	"strings"
	"testing"
)

// TestRoleCommands: the role commands refuse what cannot run before they connect anywhere:
// a role alone without a NATS cluster, an unknown role, a replica count NATS does not allow,
// and replicas on the single embedded server.
func TestRoleCommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		errHas string
	}{
		{"api without nats", []string{"api"}, "--nats is required for the api role"},
		{"ingest without nats", []string{"ingest"}, "--nats is required for the ingest role"},
		{"worker without nats", []string{"worker"}, "--nats is required for the worker role"},
		{"serve subset without nats", []string{"serve", "--roles", "api,ingest"}, "--nats is required for the api,ingest role"},
		{"unknown role", []string{"serve", "--roles", "api,scheduler"}, `unknown role "scheduler"`},
		{"empty roles", []string{"serve", "--roles", ","}, "no role"},
		{"replicas above 5", []string{"worker", "--nats", "nats://127.0.0.1:1", "--replicas", "6"}, "--replicas 6"},
		{"negative replicas", []string{"api", "--nats", "nats://127.0.0.1:1", "--replicas", "-1"}, "--replicas -1"},
		{"replicas on the embedded server", []string{"serve", "--replicas", "3"}, "the embedded server is a single server"},
		{"api without http", []string{"api", "--nats", "nats://127.0.0.1:1", "--http", ""}, "the api role needs --http"},
		{"demo without api", []string{"serve", "--nats", "nats://127.0.0.1:1", "--roles", "worker", "--demo"}, "--demo needs the api role"},
		{"no workers", []string{"worker", "--nats", "nats://127.0.0.1:1", "--workers", "0"}, "--workers 0"},
		{"ingest takes no workers flag", []string{"ingest", "--nats", "nats://127.0.0.1:1", "--workers", "2"}, "flag provided but not defined: -workers"},
		{"stray argument", []string{"worker", "--nats", "nats://127.0.0.1:1", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := precis(t, nil, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.errHas) {
				t.Errorf("stderr %q does not say %q", stderr, tc.errHas)
			}
		})
	}
}

// TestUsageNamesRoles: the help lists every role command.
func TestUsageNamesRoles(t *testing.T) {
	code, out, _ := precis(t, nil, "help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, cmd := range []string{"\n  serve ", "--roles api,ingest,worker", "\n  api ", "\n  ingest ", "\n  worker "} {
		if !strings.Contains(out, cmd) {
			t.Errorf("usage does not list %q:\n%s", cmd, out)
		}
	}
}
