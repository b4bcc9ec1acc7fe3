package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Local is a Store whose objects are files under a directory: the key runs/a/b/x.vcf is the
// file dir/runs/a/b/x.vcf. Put writes to a temporary file under dir/.precis-tmp and renames
// it into place, so readers never see a partial object. Local keeps no content type, and,
// unlike S3, cannot hold both a and a/b: the second Put of such a pair fails.
// It is safe for concurrent use, also by several processes sharing the directory.
type Local struct {
	root string
}

var _ Store = (*Local)(nil)

// NewLocal opens (and creates when missing) the store at dir.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: local directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("store: local directory: %w", err)
	}
	return &Local{root: abs}, nil
}

// Dir returns the directory that holds the objects.
func (l *Local) Dir() string { return l.root }

func (l *Local) path(key string) string {
	return filepath.Join(l.root, filepath.FromSlash(key))
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (err error) {
	if err := begin(ctx, "put", key); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(l.root, tmpDir), "put-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = &sizedReader{r: src, left: size}
	}
	if _, err := io.Copy(tmp, src); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	dst := l.path(key)
	// A concurrent Delete may remove the (empty) parent folder between MkdirAll and Rename;
	// try again a few times when that happens.
	for attempt := 0; ; attempt++ {
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			if err = os.Rename(tmp.Name(), dst); err == nil {
				return nil
			}
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 3 {
			return fmt.Errorf("put %s: %w", key, err)
		}
	}
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f, _, err := l.open(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	return ctxReadCloser{ctxReader{ctx, f}, f}, nil
}

// GetRange implements Store.
func (l *Local) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if off < 0 {
		return nil, fmt.Errorf("get %s: %w: offset %d", key, ErrInvalidRange, off)
	}
	f, fi, err := l.open(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	if off > fi.Size() {
		f.Close()
		return nil, fmt.Errorf("get %s: %w: offset %d past the end (%d bytes)", key, ErrInvalidRange, off, fi.Size())
	}
	if n < 0 {
		n = fi.Size() - off
	}
	return ctxReadCloser{ctxReader{ctx, io.NewSectionReader(f, off, n)}, f}, nil
}

// open opens the file of key, refusing folders (they are not objects).
func (l *Local) open(ctx context.Context, op, key string) (*os.File, os.FileInfo, error) {
	if err := begin(ctx, op, key); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(l.path(key))
	if err != nil {
		return nil, nil, l.fileErr(op, key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s %s: %w", op, key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s %s: %w", op, key, ErrNotExist)
	}
	return f, fi, nil
}

// fileErr maps a missing file, or a path through a file (ENOTDIR), to ErrNotExist.
func (l *Local) fileErr(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s %s: %w", op, key, ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	if err := begin(ctx, "stat", key); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(l.path(key))
	if err != nil {
		return Info{}, l.fileErr("stat", key, err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("stat %s: %w", key, ErrNotExist)
	}
	return localInfo(key, fi), nil
}

// localInfo describes a file. Its ETag is a weak validator made of the modification time
// and size: it changes whenever Put replaces the object (each Put writes a new file).
func localInfo(key string, fi os.FileInfo) Info {
	return Info{
		Key:      key,
		Size:     fi.Size(),
		ETag:     fmt.Sprintf("%x-%x", fi.ModTime().UnixNano(), fi.Size()),
		Modified: fi.ModTime().UTC(),
	}
}

// List implements Store.
func (l *Local) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validPrefix(prefix); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	// Walk the deepest folder the prefix names in full, then filter by the prefix.
	start := l.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = l.path(prefix[:i])
	}
	var out []Info
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if key == tmpDir {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, localInfo(key, fi))
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		err = nil // nothing stored under the prefix's folder
	}
	return listed(prefix, out, err)
}

// Delete implements Store. It also removes the folders the object leaves empty.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := begin(ctx, "delete", key); err != nil {
		return err
	}
	p := l.path(key)
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		return nil // a folder is not an object
	}
	if err := os.Remove(p); err != nil {
		if err := l.fileErr("delete", key, err); !errors.Is(err, ErrNotExist) {
			return err
		}
		return nil
	}
	for dir := filepath.Dir(p); dir != l.root && strings.HasPrefix(dir, l.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break // not empty, or already gone
		}
	}
	return nil
}
