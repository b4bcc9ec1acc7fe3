package queue

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/precis-dx/precis/internal/pipeline"
)

// CredsName is the file, in the embedded server's directory, of the credentials it
// requires: one line user:password, mode 0600. Local commands (precis token) read it.
const CredsName = "credentials"

// embeddedUser is the user the embedded server accepts.
const embeddedUser = "precis"

// ErrCreds: a credentials file is unreadable, malformed or readable by others.
var ErrCreds = pipeline.New(pipeline.Invalid, "queue: NATS credentials")

// CredsPath returns the credentials file of an embedded server storing under dir.
func CredsPath(dir string) string { return filepath.Join(dir, CredsName) }

// creds is what a client authenticates with.
type creds struct {
	user, password string // user:password, or password alone for a token
	jwtFile        string // a NATS .creds file (user JWT and NKey seed)
}

// readCreds reads a credentials file: a NATS .creds file (as nsc writes, user JWT and
// NKey seed), or one line user:password, or one line holding a token. A file that others
// than its owner may read or write is refused.
func readCreds(path string) (creds, error) {
	info, err := os.Stat(path)
	if err != nil {
		return creds{}, fmt.Errorf("%w: %w", ErrCreds, err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return creds{}, fmt.Errorf("%w: %s has mode %04o: others may read it; chmod 600 %s", ErrCreds, path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return creds{}, fmt.Errorf("%w: %w", ErrCreds, err)
	}
	if bytes.Contains(b, []byte("-----BEGIN NATS USER JWT-----")) {
		return creds{jwtFile: path}, nil
	}
	line := strings.TrimSpace(string(b))
	if line == "" || strings.ContainsAny(line, "\n\r\t ") {
		return creds{}, fmt.Errorf("%w: %s: want a NATS .creds file, or one line user:password or token", ErrCreds, path)
	}
	if user, pw, ok := strings.Cut(line, ":"); ok {
		if user == "" || pw == "" {
			return creds{}, fmt.Errorf("%w: %s: empty user or password", ErrCreds, path)
		}
		return creds{user: user, password: pw}, nil
	}
	return creds{password: line}, nil
}

// option returns the nats.Connect option of the credentials.
func (c creds) option() nats.Option {
	switch {
	case c.jwtFile != "":
		return nats.UserCredentials(c.jwtFile)
	case c.user != "":
		return nats.UserInfo(c.user, c.password)
	default:
		return nats.Token(c.password)
	}
}

// embeddedCreds returns the embedded server's credentials in dir, generating them (32
// random bytes, hex) into a new file of mode 0600 on first start.
func embeddedCreds(dir string) (creds, error) {
	path := CredsPath(dir)
	c, err := readCreds(path)
	if err == nil {
		if c.user == "" {
			return creds{}, fmt.Errorf("%w: %s: want one line user:password", ErrCreds, path)
		}
		return c, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return creds{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return creds{}, fmt.Errorf("queue: embedded server directory: %w", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	c = creds{user: embeddedUser, password: hex.EncodeToString(b)}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return embeddedCreds(dir) // another process made it meanwhile
	}
	if err != nil {
		return creds{}, fmt.Errorf("%w: %w", ErrCreds, err)
	}
	if _, err := fmt.Fprintf(f, "%s:%s\n", c.user, c.password); err != nil {
		f.Close()
		os.Remove(path)
		return creds{}, fmt.Errorf("%w: write %s: %w", ErrCreds, path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return creds{}, fmt.Errorf("%w: write %s: %w", ErrCreds, path, err)
	}
	return c, nil
}
