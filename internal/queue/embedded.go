package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configures StartEmbedded. The zero value is usable: a
// random free port on 127.0.0.1. A plain value, copied by StartEmbedded.
type EmbeddedOptions struct {
	// Host is the address the client listener binds to; default 127.0.0.1.
	Host string
	// Port is the client port; 0 picks a random free port. Negative values
	// are refused (nats-server reads -1 as "random", which is what 0 means
	// here; accepting both would hide a mistake).
	Port int
	// ServerName names the server in logs and in JetStream metadata;
	// default "precis".
	ServerName string
	// ReadyTimeout bounds the wait for the server to accept connections and
	// for JetStream to be enabled; default 10s.
	ReadyTimeout time.Duration
	// Logger receives the server's log lines (debug and trace are dropped)
	// and the recovery's. Nil disables logging.
	Logger *slog.Logger

	// Reserve is the free space, in bytes, the file system of dir must have
	// before JetStream is brought back after a full disk; default 64 MiB.
	Reserve uint64
	// RecoverInterval is the shortest time between two reloads of JetStream
	// (see Recover); default 10s.
	RecoverInterval time.Duration
	// FreeSpace returns the bytes free to this process on the file system
	// holding dir; nil asks the kernel (statfs). Tests inject a full disk.
	FreeSpace func(dir string) (uint64, error)
}

// Embedded is a NATS server with JetStream running inside this process,
// storing streams and key-value buckets under one directory. It is what
// `precis serve` and the tests use. Safe for concurrent use.
//
// It requires credentials: anyone who reaches its port could otherwise
// create tokens or rewrite the streams. They are generated on first start
// into CredsPath(dir) (user:password, mode 0600) and kept for later starts,
// so MinIO's NATS target and local commands configured once keep working.
type Embedded struct {
	srv   *server.Server
	dir   string
	creds creds
	rec   *recovery
}

// StartEmbedded starts a NATS server with JetStream storing under dir and
// waits until it accepts connections. Starting it again on the same dir
// recovers the streams, consumers and key-value buckets written before, and
// requires the same credentials.
func StartEmbedded(dir string, opts EmbeddedOptions) (*Embedded, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: embedded server needs a storage directory", ErrInvalid)
	}
	if opts.Port < 0 {
		return nil, fmt.Errorf("%w: embedded server port %d (use 0 for a random free port)", ErrInvalid, opts.Port)
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.ServerName == "" {
		opts.ServerName = "precis"
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 10 * time.Second
	}
	c, err := embeddedCreds(dir)
	if err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	sopts := &server.Options{
		ServerName: opts.ServerName,
		Host:       opts.Host,
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      opts.Logger == nil,
		Username:   c.user,
		Password:   c.password,
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("queue: embedded server: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rec := newRecovery(srv, dir, opts, log)
	// Always installed: the server reports a latched write error only in its log.
	srv.SetLoggerV2(serverLogger{l: log.With("component", "nats-server"), writeErr: rec.writeFailed}, false, false, false)
	go srv.Start()
	if !srv.ReadyForConnections(opts.ReadyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("queue: embedded server on %s not ready after %s", dir, opts.ReadyTimeout)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("queue: embedded server started without JetStream")
	}
	rec.start(*srv.JetStreamConfig())
	e := &Embedded{srv: srv, dir: dir, creds: c, rec: rec}
	if err := os.WriteFile(filepath.Join(dir, AddrName), []byte(e.Addr()+"\n"), 0o600); err != nil {
		e.Shutdown()
		return nil, fmt.Errorf("queue: embedded server: %w", err)
	}
	return e, nil
}

// AddrName is the file, in the embedded server's directory, that holds its client
// address (host:port) while it runs, so that local commands find it on any port.
const AddrName = "address"

// RunningAddr returns the client address recorded by an embedded server on dir, and
// false when none is recorded. A server killed without Shutdown leaves its address
// behind: connecting tells.
func RunningAddr(dir string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dir, AddrName))
	if err != nil {
		return "", false
	}
	addr := strings.TrimSpace(string(b))
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", false
	}
	return addr, true
}

// URL returns the client URL with the credentials as its userinfo, e.g.
// nats://precis:<password>@127.0.0.1:40123: what a client in this process (or
// a test) connects with. It holds the password: log Addr instead.
func (e *Embedded) URL() string {
	u, err := url.Parse(e.srv.ClientURL())
	if err != nil {
		return e.srv.ClientURL()
	}
	u.User = url.UserPassword(e.creds.user, e.creds.password)
	return u.String()
}

// Credentials returns the user and password the server requires, the
// contents of CredsFile (for MinIO's MINIO_NOTIFY_NATS_USERNAME_* and
// MINIO_NOTIFY_NATS_PASSWORD_*).
func (e *Embedded) Credentials() (user, password string) { return e.creds.user, e.creds.password }

// CredsFile returns the path of the credentials file, for --nats-creds.
func (e *Embedded) CredsFile() string { return CredsPath(e.dir) }

// Addr returns the client listener as host:port, the form MinIO's
// MINIO_NOTIFY_NATS_ADDRESS_* variable wants.
func (e *Embedded) Addr() string {
	if a, ok := e.srv.Addr().(*net.TCPAddr); ok {
		return net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port))
	}
	return e.srv.Addr().String()
}

// Shutdown stops the server and waits until it has flushed its stores.
func (e *Embedded) Shutdown() {
	if addr, ok := RunningAddr(e.dir); ok && addr == e.Addr() {
		_ = os.Remove(filepath.Join(e.dir, AddrName))
	}
	e.rec.stop()
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// serverLogger adapts slog to the nats-server logger. Fatalf is logged at
// error level: a library must not exit the process. Errors that say a store
// latched a write error (the server refuses every later write to it, and says
// so nowhere else) go to writeErr too.
type serverLogger struct {
	l        *slog.Logger
	writeErr func(msg string)
}

func (s serverLogger) Noticef(format string, v ...any) { s.log(slog.LevelInfo, format, v) }
func (s serverLogger) Warnf(format string, v ...any)   { s.log(slog.LevelWarn, format, v) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s serverLogger) Debugf(format string, v ...any)  {}
func (s serverLogger) Tracef(format string, v ...any)  {}

func (s serverLogger) Errorf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	s.l.Log(context.Background(), slog.LevelError, msg)
	if s.writeErr != nil && isWriteFailure(msg) {
		s.writeErr(msg)
	}
}

func (s serverLogger) log(level slog.Level, format string, v []any) {
	s.l.Log(context.Background(), level, fmt.Sprintf(format, v...))
}
