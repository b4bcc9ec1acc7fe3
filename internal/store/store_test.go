package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/precis-dx/precis/internal/pipeline"
)

// validCase is a key or prefix and whether it is valid.
type validCase struct {
	s    string
	want bool
}

// checkValid checks that valid (ValidKey or validPrefix, named name) accepts the strings of
// tests that are valid and refuses the others with ErrInvalidKey.
func checkValid(t *testing.T, name string, valid func(string) error, tests []validCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.s), func(t *testing.T) {
			err := valid(tt.s)
			if got := err == nil; got != tt.want {
				t.Errorf("%s: got %v, want valid=%v", name, err, tt.want)
			}
			if err != nil && !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%s: got error %v, want ErrInvalidKey", name, err)
			}
		})
	}
}

func TestValidKey(t *testing.T) {
	checkValid(t, "ValidKey", ValidKey, []validCase{
		{"runs/lab1/run1/manifest.json", true},
		{"runs/lab1/run1/S001.vcf.gz.tbi", true},
		{"reports/lab1/run1/S001.json", true},
		{"a", true},
		{".hidden/x", true},
		{"x/.precis-tmp/y", true},
		{"a b/c(1).txt", true},
		{"", false},
		{"/runs/x", false},
		{"runs//x", false},
		{"runs/x/", false},
		{"runs/../x", false},
		{"..", false},
		{"runs/./x", false},
		{`runs\x`, false},
		{"runs/\x01", false},
		{"runs/\x7f", false},
		{".precis-tmp/put-1", false},
		{".precis-tmp", false},
		{"\xc3\x28", false},
		{strings.Repeat("a", MaxKeyLen), true},
		{strings.Repeat("a", MaxKeyLen+1), false},
	})
}

func TestValidPrefix(t *testing.T) {
	checkValid(t, "validPrefix", validPrefix, []validCase{
		{"", true},
		{"runs/", true},
		{"runs/lab1/ru", true},
		{"runs/lab1/.", true},
		{".precis", true},
		{"runs//", false},
		{"/runs", false},
		{"../", false},
		{".precis-tmp/", false},
	})
}

func TestIsTransient(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection refused", fmt.Errorf("get x: %w", refused), true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"deadline", fmt.Errorf("put x: %w", context.DeadlineExceeded), true},
		{"body cut short", fmt.Errorf("read x: %w", io.ErrUnexpectedEOF), true},
		{"S3 SlowDown", minio503("SlowDown"), true},
		{"S3 503", minio503(""), true},
		{"S3 InternalError", fmt.Errorf("stat x: %w", minioErr("InternalError", 500)), true},
		{"S3 429", minioErr("", 429), true},
		{"S3 AccessDenied", minioErr("AccessDenied", 403), false},
		{"S3 NoSuchBucket", minioErr("NoSuchBucket", 404), false},
		{"not exist", fmt.Errorf("get x: %w", ErrNotExist), false},
		{"not exist from S3", fmt.Errorf("get x: %w (%w)", ErrNotExist, minioErr("NoSuchKey", 404)), false},
		{"bad key", fmt.Errorf("put: %w", ErrInvalidKey), false},
		{"bad range", ErrInvalidRange, false},
		{"size", ErrSize, false},
		{"cancelled", fmt.Errorf("get x: %w (%w)", context.Canceled, refused), false},
		{"unknown", errors.New("something else"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTransient(tt.err); got != tt.want {
				t.Errorf("IsTransient(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestS3ConfigFrom(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want S3Config
	}{
		{"aws", map[string]string{"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "sec", "AWS_REGION": "eu-north-1", "MINIO_ROOT_USER": "u"},
			S3Config{AccessKey: "id", SecretKey: "sec", Region: "eu-north-1"}},
		{"minio", map[string]string{"MINIO_ROOT_USER": "u", "MINIO_ROOT_PASSWORD": "p", "AWS_DEFAULT_REGION": "us-east-1"},
			S3Config{AccessKey: "u", SecretKey: "p", Region: "us-east-1"}},
		{"region precedence", map[string]string{"AWS_REGION": "a", "AWS_DEFAULT_REGION": "b"}, S3Config{Region: "a"}},
		{"none", nil, S3Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s3ConfigFrom(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSizedReader(t *testing.T) {
	tests := []struct {
		data    string
		size    int64
		wantErr error
	}{
		{"12345", 5, nil},
		{"", 0, nil},
		{"1234", 5, ErrSize},
		{"123456", 5, ErrSize},
		{"x", 0, ErrSize},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(&sizedReader{r: strings.NewReader(tt.data), left: tt.size})
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%q as %d bytes: got error %v, want %v", tt.data, tt.size, err, tt.wantErr)
		}
		if err == nil && string(got) != tt.data {
			t.Errorf("%q as %d bytes: got %q", tt.data, tt.size, got)
		}
	}
}

func minioErr(code string, status int) error {
	return minio.ErrorResponse{Code: code, StatusCode: status, Message: "test"}
}

func minio503(code string) error { return fmt.Errorf("put x: %w", minioErr(code, 503)) }

// TestKinds: the store's errors carry their kinds (package pipeline), so the queue gives up
// on a bad key at once and retries a store that is down.
func TestKinds(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tt := range []struct {
		name string
		err  error
		want pipeline.Kind
	}{
		{"bad key", ValidKey("a//b"), pipeline.Invalid},
		{"bad range", fmt.Errorf("get x: %w: offset -1", ErrInvalidRange), pipeline.Invalid},
		{"size", fmt.Errorf("put x: %w", ErrSize), pipeline.Invalid},
		{"not exist", fmt.Errorf("get x: %w", ErrNotExist), pipeline.NotExist},
		{"refused, classified", Kinded(fmt.Errorf("get x: %w", refused)), pipeline.Transient},
		{"S3 503, classified", Kinded(minio503("SlowDown")), pipeline.Transient},
		{"access denied, classified", Kinded(minioErr("AccessDenied", 403)), pipeline.Other},
		{"cancelled, classified", Kinded(fmt.Errorf("get x: %w (%w)", context.Canceled, refused)), pipeline.Other},
	} {
		if got := pipeline.KindOf(tt.err); got != tt.want {
			t.Errorf("%s: KindOf(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
