package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
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
	// Logger receives the server's log lines (debug and trace are dropped).
	// Nil disables server logging.
	Logger *slog.Logger
}

// Embedded is a NATS server with JetStream running inside this process,
// storing streams and key-value buckets under one directory. It is what
// `precis serve` and the tests use. Safe for concurrent use.
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts a NATS server with JetStream storing under dir and
// waits until it accepts connections. Starting it again on the same dir
// recovers the streams, consumers and key-value buckets written before.
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
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("queue: embedded server: %w", err)
	}
	if opts.Logger != nil {
		srv.SetLoggerV2(serverLogger{opts.Logger.With("component", "nats-server")}, false, false, false)
	}
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
	return &Embedded{srv: srv}, nil
}

// URL returns the client URL, e.g. nats://127.0.0.1:40123.
func (e *Embedded) URL() string { return e.srv.ClientURL() }

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
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// serverLogger adapts slog to the nats-server logger. Fatalf is logged at
// error level: a library must not exit the process.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) Noticef(format string, v ...any) { s.log(slog.LevelInfo, format, v) }
func (s serverLogger) Warnf(format string, v ...any)   { s.log(slog.LevelWarn, format, v) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s serverLogger) Errorf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s serverLogger) Debugf(format string, v ...any)  {}
func (s serverLogger) Tracef(format string, v ...any)  {}

func (s serverLogger) log(level slog.Level, format string, v []any) {
	s.l.Log(context.Background(), level, fmt.Sprintf(format, v...))
}
