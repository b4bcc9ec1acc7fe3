package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/store/storetest"
)

// testS3Config names the MinIO server that .ci/run starts, and a bucket of the test's own.
// Without the server the test is skipped, or fails when CI=true.
func testS3Config(t *testing.T) store.S3Config {
	t.Helper()
	endpoint := os.Getenv("PRECIS_TEST_S3_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PRECIS_TEST_S3_ENDPOINT is not set; CI must start MinIO (.ci/run)")
		}
		t.Skip("PRECIS_TEST_S3_ENDPOINT is not set (host:port of a MinIO server)")
	}
	var b [6]byte
	rand.Read(b[:])
	return store.S3Config{
		Endpoint:  endpoint,
		Bucket:    "precis-test-" + hex.EncodeToString(b[:]),
		AccessKey: os.Getenv("PRECIS_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("PRECIS_TEST_S3_SECRET_KEY"),
	}
}

// newTestS3 opens a fresh bucket and removes it, with its objects, when the test ends.
func newTestS3(t *testing.T) *store.S3 {
	t.Helper()
	return newTestS3WithConfig(t, testS3Config(t))
}

func newTestS3WithConfig(t *testing.T, cfg store.S3Config) *store.S3 {
	t.Helper()
	s, err := store.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		direct := os.Getenv("PRECIS_TEST_S3_ENDPOINT")
		client, err := minio.New(direct, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		for oi := range client.ListObjects(ctx, s.Bucket(), minio.ListObjectsOptions{Recursive: true}) {
			if oi.Err == nil {
				oi.Err = client.RemoveObject(ctx, s.Bucket(), oi.Key, minio.RemoveObjectOptions{})
			}
			if oi.Err != nil {
				t.Errorf("cleanup: %v", oi.Err)
				return
			}
		}
		if err := client.RemoveBucket(ctx, s.Bucket()); err != nil {
			t.Errorf("cleanup: remove bucket %s: %v", s.Bucket(), err)
		}
	})
	return s
}

func TestS3Conformance(t *testing.T) {
	storetest.Run(t, newTestS3(t))
}

func TestS3CreatesBucketOnce(t *testing.T) {
	s := newTestS3(t)
	cfg := testS3Config(t)
	cfg.Bucket = s.Bucket()
	again, err := store.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewS3 on an existing bucket: %v", err)
	}
	if again.Bucket() != s.Bucket() {
		t.Errorf("Bucket: got %q, want %q", again.Bucket(), s.Bucket())
	}
}

func TestS3RefusedCredentials(t *testing.T) {
	cfg := testS3Config(t)
	cfg.SecretKey = "not-the-secret"
	_, err := store.NewS3(context.Background(), cfg)
	if err == nil {
		t.Fatal("NewS3 with a wrong secret: got nil error")
	}
	if store.IsTransient(err) {
		t.Errorf("IsTransient(%v) = true, want false: access denied does not pass with time", err)
	}
}

func TestS3Transient(t *testing.T) {
	// A port that was free a moment ago: connections to it are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = store.NewS3(ctx, store.S3Config{Endpoint: closed, Bucket: "precis-test-closed", AccessKey: "k", SecretKey: "secret-key"})
	if err == nil {
		t.Fatal("NewS3 on a closed port: got nil error")
	}
	if ctx.Err() != nil {
		t.Fatalf("NewS3 on a closed port took the whole %v: %v", 30*time.Second, err)
	}
	if !store.IsTransient(err) {
		t.Errorf("IsTransient(%v) = false, want true", err)
	}
	if errors.Is(err, store.ErrNotExist) {
		t.Errorf("got ErrNotExist for a refused connection: %v", err)
	}
}

// proxy forwards TCP connections to a server until it is stopped; stopping it cuts the
// store off from the server as a network failure would.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) stop() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestS3TransientWhenCutOff cuts a working store off from its server: the failures that
// follow are transient, while a missing object seen before was not.
func TestS3TransientWhenCutOff(t *testing.T) {
	cfg := testS3Config(t)
	p := startProxy(t, cfg.Endpoint)
	cfg.Endpoint = p.addr()
	s := newTestS3WithConfig(t, cfg)
	ctx := context.Background()
	if err := s.Put(ctx, "runs/lab1/run1/manifest.json", strings.NewReader("{}"), 2, "application/json"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Stat(ctx, "runs/lab1/run1/missing.json")
	if !errors.Is(err, store.ErrNotExist) || store.IsTransient(err) {
		t.Errorf("missing object: got %v (transient %v), want ErrNotExist, not transient", err, store.IsTransient(err))
	}
	if k := pipeline.KindOf(err); k != pipeline.NotExist {
		t.Errorf("missing object: KindOf(%v) = %v, want not-exist", err, k)
	}

	p.stop()
	start := time.Now()
	_, err = s.Get(ctx, "runs/lab1/run1/manifest.json")
	if err == nil {
		t.Fatal("Get with the server cut off: got nil error")
	}
	t.Logf("cut off: %v after %v", err, time.Since(start).Round(time.Millisecond))
	if !store.IsTransient(err) {
		t.Errorf("Get with the server cut off: IsTransient(%v) = false, want true", err)
	}
	if k := pipeline.KindOf(err); k != pipeline.Transient { // classified at the store's boundary
		t.Errorf("Get with the server cut off: KindOf(%v) = %v, want transient", err, k)
	}
	if errors.Is(err, store.ErrNotExist) {
		t.Errorf("Get with the server cut off: got ErrNotExist: %v", err)
	}
	if err := s.Put(ctx, "runs/lab1/run1/x", strings.NewReader("x"), 1, ""); !store.IsTransient(err) {
		t.Errorf("Put with the server cut off: IsTransient(%v) = false, want true", err)
	}
}
