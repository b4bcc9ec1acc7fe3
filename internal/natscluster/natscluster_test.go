package natscluster

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestCluster starts three nodes, creates an R3 stream, finds its leader, kills it and sees
// another node take over, then brings it back.
func TestCluster(t *testing.T) {
	c := ForTest(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	leader, err := c.StreamLeader(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		jsz, err := n.JSZ(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := jsz.Stream("T")
		if !ok || s.Config == nil || s.Config.Replicas != 3 || s.Cluster == nil || len(s.Cluster.Replicas) != 2 {
			t.Fatalf("%s /jsz: stream T %+v, want 3 replicas", n.Name, s)
		}
		if jsz.Meta == nil || jsz.Meta.Size != 3 {
			t.Errorf("%s /jsz meta %+v, want cluster size 3", n.Name, jsz.Meta)
		}
	}
	leader.Kill()
	if leader.Running() {
		t.Fatal("killed node still running")
	}
	next, err := c.StreamLeader(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	if next == leader {
		t.Fatalf("leader still %s after it was killed", leader.Name)
	}
	if err := leader.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}
