package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config names an S3-compatible service and bucket.
type S3Config struct {
	Endpoint  string // host:port, no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Secure    bool // HTTPS
	Region    string
}

// S3ConfigFromEnv reads the credentials and region from the usual variables:
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, else MINIO_ROOT_USER and MINIO_ROOT_PASSWORD;
// AWS_REGION, else AWS_DEFAULT_REGION. Endpoint and bucket are left empty: the command line
// names them. It is meant for cmd/precis; libraries take an S3Config.
func S3ConfigFromEnv() S3Config {
	return s3ConfigFrom(os.Getenv)
}

func s3ConfigFrom(getenv func(string) string) S3Config {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	// Take the key pair from one source, never the id of one and the secret of another.
	access, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if access == "" && secret == "" {
		access, secret = getenv("MINIO_ROOT_USER"), getenv("MINIO_ROOT_PASSWORD")
	}
	return S3Config{
		AccessKey: access,
		SecretKey: secret,
		Region:    first("AWS_REGION", "AWS_DEFAULT_REGION"),
	}
}

// S3 is a Store in one bucket of an S3-compatible service (MinIO, AWS S3, Ceph RGW, ...).
// It is safe for concurrent use.
type S3 struct {
	client *minio.Client
	core   minio.Core
	bucket string
}

var _ Store = (*S3)(nil)

const (
	// s3Retries is how often minio-go tries a request: few, because the job queue owns
	// retries (IsTransient) and a long silent retry loop would hold a job past its AckWait.
	s3Retries = 3
	// s3PartSize is the multipart part size for uploads of unknown size, and the least part
	// size otherwise: the memory an upload holds. With S3's 10,000-part limit it caps an
	// upload of unknown size at 80 GiB; give the size for anything larger.
	s3PartSize = 8 << 20
	s3MaxParts = 10000
)

// NewS3 connects to the service and creates the bucket when it is missing.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, fmt.Errorf("store: s3: endpoint and bucket are required")
	}
	if strings.Contains(cfg.Endpoint, "://") {
		return nil, fmt.Errorf("store: s3: endpoint %q: give host:port without a scheme (Secure selects HTTPS)", cfg.Endpoint)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		MaxRetries: s3Retries,
	})
	if err != nil {
		return nil, fmt.Errorf("store: s3 %s: %w", cfg.Endpoint, err)
	}
	s := &S3{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s.err(ctx, "bucket", cfg.Bucket, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil && !isCode(err, "BucketAlreadyOwnedByYou") {
			return nil, s.err(ctx, "create bucket", cfg.Bucket, err)
		}
	}
	return s, nil
}

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.bucket }

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := begin(ctx, "put", key); err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: contentType, PartSize: s3PartSize}
	if size >= 0 {
		if size > s3PartSize*s3MaxParts {
			opts.PartSize = 0 // let minio-go choose parts large enough
		}
		// Hide ReaderAt/Seeker so that minio-go streams part by part instead of reading
		// several parts in parallel, and check that r holds exactly size bytes.
		sr := &sizedReader{r: r, left: size}
		if size == 0 {
			// minio-go does not read a reader announced empty; check it here.
			if err := sr.atEnd(); err != io.EOF {
				return fmt.Errorf("put %s: %w", key, err)
			}
		}
		r = sr
	}
	if _, err := s.client.PutObject(ctx, s.bucket, key, r, size, opts); err != nil {
		return s.err(ctx, "put", key, err)
	}
	return nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.get(ctx, key, minio.GetObjectOptions{})
}

// GetRange implements Store.
func (s *S3) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if off < 0 {
		return nil, fmt.Errorf("get %s: %w: offset %d", key, ErrInvalidRange, off)
	}
	if n == 0 {
		// HTTP cannot ask for zero bytes; check the offset against the size instead.
		info, err := s.Stat(ctx, key)
		if err != nil {
			return nil, err
		}
		if off > info.Size {
			return nil, fmt.Errorf("get %s: %w: offset %d past the end (%d bytes)", key, ErrInvalidRange, off, info.Size)
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	var opts minio.GetObjectOptions
	end := int64(0) // SetRange(off, 0) with off > 0 means "from off to the end"
	if n > 0 {
		end = off + n - 1
	}
	if off == 0 && n < 0 {
		return s.get(ctx, key, opts)
	}
	if err := opts.SetRange(off, end); err != nil {
		return nil, fmt.Errorf("get %s: %w: %v", key, ErrInvalidRange, err)
	}
	rc, err := s.get(ctx, key, opts)
	if err != nil && isCode(err, "InvalidRange") {
		// S3 refuses a range that starts at the end; an offset equal to the size is an
		// empty read here, as for a file.
		info, serr := s.Stat(ctx, key)
		if serr != nil {
			return nil, serr
		}
		if off == info.Size {
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, fmt.Errorf("get %s: %w: offset %d past the end (%d bytes)", key, ErrInvalidRange, off, info.Size)
	}
	return rc, err
}

func (s *S3) get(ctx context.Context, key string, opts minio.GetObjectOptions) (io.ReadCloser, error) {
	if err := begin(ctx, "get", key); err != nil {
		return nil, err
	}
	// Core.GetObject sends the request now, so a missing object is reported here rather
	// than at the first Read, and the body streams straight from the response.
	body, _, _, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		return nil, s.err(ctx, "get", key, err)
	}
	return &s3Body{ctx: ctx, rc: body, key: key, s: s}, nil
}

// s3Body reports read errors with the key and their kind.
type s3Body struct {
	ctx context.Context
	rc  io.ReadCloser
	key string
	s   *S3
}

func (b *s3Body) Read(p []byte) (int, error) {
	// The transport may have buffered the rest of a small object already, so a cancelled
	// context is checked here too, as the local store does: cancellation stops a copy loop
	// on both stores alike.
	if err := b.ctx.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", b.key, err)
	}
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		return n, b.s.err(b.ctx, "read", b.key, err)
	}
	return n, err
}

func (b *s3Body) Close() error { return b.rc.Close() }

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := begin(ctx, "stat", key); err != nil {
		return Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.err(ctx, "stat", key, err)
	}
	return s3Info(oi), nil
}

func s3Info(oi minio.ObjectInfo) Info {
	return Info{Key: oi.Key, Size: oi.Size, ETag: strings.Trim(oi.ETag, `"`), Modified: oi.LastModified.UTC()}
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validPrefix(prefix); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when we return early
	var out []Info
	for oi := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, s.err(ctx, "list", prefix, oi.Err)
		}
		out = append(out, s3Info(oi))
	}
	return listed(prefix, out, ctx.Err())
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := begin(ctx, "delete", key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.err(ctx, "delete", key, err), ErrNotExist) {
			return nil
		}
		return s.err(ctx, "delete", key, err)
	}
	return nil
}

// err wraps an S3 failure with what failed, and with ErrNotExist or the context's error
// when that is what it was, and gives a transient failure its kind (Kinded), so that
// errors.Is, IsTransient and pipeline.KindOf work on it.
func (s *S3) err(ctx context.Context, op, key string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return Kinded(fmt.Errorf("%s %s: %w (%w)", op, key, cerr, err))
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code == "NoSuchKey" || (resp.Code == "" && resp.StatusCode == http.StatusNotFound)) {
		return fmt.Errorf("%s %s: %w (%w)", op, key, ErrNotExist, err)
	}
	return Kinded(fmt.Errorf("%s %s: %w", op, key, err))
}

func isCode(err error, code string) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && resp.Code == code
}
