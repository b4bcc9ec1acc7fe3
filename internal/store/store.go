// Package store keeps Precis objects (run manifests, VCFs and their indexes, reports) in an
// object store addressed by keys such as runs/{lab}/{run}/manifest.json and
// reports/{lab}/{run}/{sample}.json (DESIGN.md, "Messaging and storage").
//
// Two implementations sit behind the Store interface: Local, a directory on local disk (the
// default of `precis serve`), and S3, any S3-compatible service through minio-go. Both check
// keys with the same rule (ValidKey), report a missing object as ErrNotExist, and classify
// failures by kind (package pipeline: Invalid, NotExist, Transient) so that one place (the
// job queue) decides whether to retry.
// The conformance suite both pass is in the sibling package storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/minio/minio-go/v7"

	"github.com/precis-dx/precis/internal/pipeline"
)

// Store is an object store. Implementations are safe for concurrent use.
type Store interface {
	// Put stores the size bytes read from r under key, replacing any object there; size is
	// -1 when unknown. A reader that yields more or fewer than size bytes is an error
	// (ErrSize) and leaves no object behind. Readers see either the old or the new object,
	// never a partial one.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the object for reading; it returns ErrNotExist when there is none.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// GetRange opens bytes [off, off+n) of the object (0-based byte offsets, end exclusive),
	// fewer when the object ends first; n < 0 reads to the end. An offset past the end is
	// ErrInvalidRange; an offset equal to the size gives an empty reader. On S3 this is an
	// HTTP range request, so reading a tabix-indexed slice costs only the bytes asked for.
	GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	// Stat describes the object, or returns ErrNotExist.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns every object whose key starts with prefix (a plain string prefix, not a
	// folder), sorted by key in byte order. The prefix "" lists everything.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes the object. Deleting an object that does not exist is not an error,
	// as on S3.
	Delete(ctx context.Context, key string) error
}

// Info describes a stored object.
type Info struct {
	Key      string
	Size     int64 // bytes
	ETag     string
	Modified time.Time
}

var (
	// ErrNotExist is returned (wrapped) when an object is absent. Kind NotExist.
	ErrNotExist = pipeline.New(pipeline.NotExist, "store: object does not exist")
	// ErrInvalidKey is returned (wrapped) for a key or prefix that ValidKey refuses. Kind
	// Invalid.
	ErrInvalidKey = pipeline.New(pipeline.Invalid, "store: invalid key")
	// ErrInvalidRange is returned (wrapped) for a negative offset or one past the end. Kind
	// Invalid.
	ErrInvalidRange = pipeline.New(pipeline.Invalid, "store: invalid range")
	// ErrSize is returned (wrapped) when a Put reader does not yield the announced size. Kind
	// Invalid.
	ErrSize = pipeline.New(pipeline.Invalid, "store: content length does not match size")
)

// MaxKeyLen is the longest key accepted, in bytes (the S3 limit).
const MaxKeyLen = 1024

// tmpDir is the folder of a Local store that holds files being written. Keys may not start
// with it, in either implementation, so that both accept the same keys.
const tmpDir = ".precis-tmp"

// ValidKey reports whether key can name an object: 1 to MaxKeyLen bytes of UTF-8, segments
// separated by "/", none of them empty, "." or "..", no leading "/", no backslash, no
// control characters, and not under the reserved folder ".precis-tmp/". The rule is the
// same for every implementation, so a key that works on a laptop works on S3 and the other
// way round.
func ValidKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	return checkPath(key, false)
}

// validPrefix is ValidKey for List prefixes: "" is allowed, and so is a last segment that is
// empty (a prefix ending in "/") or incomplete.
func validPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return checkPath(prefix, true)
}

func checkPath(s string, prefix bool) error {
	what := "key"
	if prefix {
		what = "prefix"
	}
	if len(s) > MaxKeyLen {
		return fmt.Errorf("%w: %s is %d bytes long, limit %d", ErrInvalidKey, what, len(s), MaxKeyLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s %q is not UTF-8", ErrInvalidKey, what, s)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: %s %q has a control character", ErrInvalidKey, what, s)
		}
		if c == '\\' {
			return fmt.Errorf("%w: %s %q has a backslash", ErrInvalidKey, what, s)
		}
	}
	if strings.HasPrefix(s, "/") {
		return fmt.Errorf("%w: %s %q is absolute", ErrInvalidKey, what, s)
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case seg == "" && !(prefix && last):
			return fmt.Errorf("%w: %s %q has an empty segment", ErrInvalidKey, what, s)
		case (seg == "." || seg == "..") && !(prefix && last):
			return fmt.Errorf("%w: %s %q has a %q segment", ErrInvalidKey, what, s, seg)
		case i == 0 && seg == tmpDir && !(prefix && last):
			return fmt.Errorf("%w: %s %q is under the reserved folder %s/", ErrInvalidKey, what, s, tmpDir)
		}
	}
	return nil
}

// IsTransient reports whether err is worth retrying later: whether kind(err) is
// pipeline.Transient. The store's own failures carry their kind already; IsTransient also
// classifies an error that did not come through a store.
func IsTransient(err error) bool { return kind(err) == pipeline.Transient }

// kind classifies a failure at the store's boundary. The store's errors keep their kinds
// (a missing object NotExist; a bad key or range and a size mismatch Invalid). Transient:
// network errors, time-outs, refused or reset connections, a connection dropped mid-body,
// and S3 answers that say the service is busy or failing (5xx, 429, SlowDown,
// RequestTimeout). A cancelled context, refused credentials and anything unknown are
// pipeline.Other (the package pipeline's rule for errors of no known kind).
func kind(err error) pipeline.Kind {
	if err == nil {
		return pipeline.Other
	}
	if k := pipeline.KindOf(err); k != pipeline.Other {
		if errors.Is(err, context.Canceled) && k == pipeline.Transient {
			return pipeline.Other // a deadline inside a cancelled call: the caller gave up
		}
		return k
	}
	if errors.Is(err, context.Canceled) {
		return pipeline.Other
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.Code {
		case "SlowDown", "SlowDownRead", "SlowDownWrite", "ServiceUnavailable", "InternalError",
			"RequestTimeout", "XMinioServerNotInitialized", "XMinioStorageFull":
			return pipeline.Transient
		}
		if resp.StatusCode >= 500 || resp.StatusCode == 429 || resp.StatusCode == 408 {
			return pipeline.Transient
		}
		return pipeline.Other
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return pipeline.Transient
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
		syscall.EPIPE, syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN} {
		if errors.Is(err, errno) {
			return pipeline.Transient
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return pipeline.Transient
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || (errors.As(err, &dnsErr) && dnsErr.IsTemporary) {
		return pipeline.Transient
	}
	return pipeline.Other
}

// Kinded gives a failure that IsTransient recognises the kind pipeline.Transient, so that
// pipeline.KindOf sees it wherever the error goes. S3 returns its failures through it; a
// caller handed an error by another implementation of Store can pass it through too.
func Kinded(err error) error {
	if pipeline.KindOf(err) == pipeline.Other && kind(err) == pipeline.Transient {
		return pipeline.Wrap(pipeline.Transient, err)
	}
	return err
}

// begin checks what every operation on an object checks first: that key is valid and ctx
// not done. The error names the operation op, and key once it is valid.
func begin(ctx context.Context, op, key string) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, key, err)
	}
	return nil
}

// listed is what List returns for the objects out it found under prefix: out sorted by key,
// or, when the listing failed with err, err named with the prefix.
func listed(prefix string, out []Info, err error) ([]Info, error) {
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// sizedReader passes on exactly size bytes of r and fails with ErrSize when r holds fewer
// or more. The failing Read returns no data, so callers that read full buffers (io.ReadFull)
// see the error rather than a quietly truncated object.
type sizedReader struct {
	r    io.Reader
	left int64
}

func (s *sizedReader) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, s.atEnd()
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	switch {
	case s.left == 0:
		if err := s.atEnd(); err != io.EOF {
			return 0, err
		}
		return n, io.EOF
	case err == io.EOF:
		return 0, fmt.Errorf("%w: the reader ended %d bytes short", ErrSize, s.left)
	}
	return n, err
}

// atEnd checks that nothing follows the announced size: io.EOF if so.
func (s *sizedReader) atEnd() error {
	var one [1]byte
	n, err := io.ReadFull(s.r, one[:])
	switch {
	case n > 0:
		return fmt.Errorf("%w: the reader holds more bytes than announced", ErrSize)
	case err == io.EOF:
		return io.EOF
	}
	return err
}

// ctxReader fails reads once ctx is done, so a copy loop stops promptly on cancellation.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ctxReadCloser is ctxReader for an object being read.
type ctxReadCloser struct {
	ctxReader
	io.Closer
}
