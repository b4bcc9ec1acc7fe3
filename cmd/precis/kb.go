package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/build"
	"github.com/precis-dx/precis/internal/kbstore"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/store"
)

const kbUsage = `usage:
  precis kb build [--src DIR] [--clinvar FILE]... [--out DIR]
  precis kb info [--kb DIR]
  precis kb info --published [--nats URL [--nats-creds FILE] | --data DIR]
  precis kb publish [--nats URL [--nats-creds FILE] | --data DIR] [--s3-endpoint HOST:PORT [--bucket B] [--s3-tls]] DIR

publish stores the knowledge base in DIR (written by 'kb build') in the service's object store
(kb/{version}/), records it and makes it the active one: every running worker switches to it
without a restart, and every stored report made with another version is reanalysed. Publishing
the active version again changes nothing. NATS and the object store are reached as 'precis token'
and 'precis serve' reach them: --data DIR for the embedded default (a running serve's NATS, with
the credentials in DIR, and the local object store DIR/objects), or --nats and --s3-endpoint.
`

// pathsFlag is a repeatable flag of file paths (kept whole: a path may hold a comma).
type pathsFlag []string

func (p *pathsFlag) String() string     { return strings.Join(*p, " ") }
func (p *pathsFlag) Set(v string) error { *p = append(*p, v); return nil }

// kbFlag registers --kb on a command's flags.
func kbFlag(fs *flag.FlagSet) *string {
	return fs.String("kb", "", "knowledge base directory written by 'precis kb build' (empty: the one embedded in the binary)")
}

// loadKB loads the knowledge base in dir, or the embedded one when dir is "". An error names
// the directory and what is wrong with it.
func loadKB(dir string) (*kb.KB, error) {
	if dir == "" {
		return kb.Load()
	}
	return kb.LoadDir(dir)
}

func kbCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, kbUsage)
		return exitUsage
	}
	switch args[0] {
	case "publish":
		return kbPublishCmd(ctx, args[1:], stdout, stderr)
	case "build":
		fs := flag.NewFlagSet("kb build", flag.ContinueOnError)
		fs.SetOutput(stderr)
		src := fs.String("src", "../shared/data", "directory of the source data (ClinVar, MANE, PharmCAT, sequences)")
		out := fs.String("out", "internal/kb/data", "directory to write the built knowledge base into")
		var clinvar pathsFlag
		fs.Var(&clinvar, "clinvar", "a GRCh38 ClinVar VCF release to use (repeat for several; the newer release wins where they disagree); none: the two ClinVar files of --src")
		if err := fs.Parse(args[1:]); err != nil {
			return exitUsage
		}
		if fs.NArg() != 0 {
			fmt.Fprint(stderr, kbUsage)
			return exitUsage
		}
		v, err := build.Run(build.Options{Src: *src, Out: *out, ClinVar: clinvar})
		if err != nil {
			fmt.Fprintln(stderr, "precis kb build:", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "knowledge base %s written to %s\n", v, *out)
		if filepath.Clean(*out) == filepath.Join("internal", "kb", "data") {
			fmt.Fprintln(stderr, "rebuild the binary to embed it")
		} else {
			fmt.Fprintf(stderr, "use it with --kb %s (precis annotate, serve, worker)\n", *out)
		}
		return exitOK
	case "info":
		fs := flag.NewFlagSet("kb info", flag.ContinueOnError)
		fs.SetOutput(stderr)
		dir := kbFlag(fs)
		published := fs.Bool("published", false, "list the knowledge bases published to the service, and which is active")
		var sf serviceFlags
		sf.registerConn(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return exitUsage
		}
		if fs.NArg() != 0 {
			fmt.Fprint(stderr, kbUsage)
			return exitUsage
		}
		if *published {
			return kbPublishedCmd(ctx, &sf, stdout, stderr)
		}
		k, err := loadKB(*dir)
		if err != nil {
			fmt.Fprintln(stderr, "precis kb info:", err)
			return exitInvalid
		}
		where := "embedded"
		if *dir != "" {
			where = *dir
		}
		fmt.Fprintf(stdout, "knowledge base %s (%s)\n", k.Version, where)
		fmt.Fprintln(stdout, "sources:")
		for _, s := range k.Sources {
			fmt.Fprintf(stdout, "  %s\t%s\t%s\n", s.Name, s.Release, s.Licence)
		}
		counts := map[string]int{}
		for e := range k.ClinVar.All() {
			counts[e.Release]++
		}
		fmt.Fprintln(stdout, "ClinVar entries by release:")
		for _, r := range slices.Sorted(maps.Keys(counts)) {
			fmt.Fprintf(stdout, "  %s\t%d\n", r, counts[r])
		}
		fmt.Fprintf(stdout, "  total\t%d\n", k.ClinVar.Len())
		return exitOK
	}
	fmt.Fprintf(stderr, "precis kb: unknown subcommand %q\n", args[0])
	return exitUsage
}

// registerConn registers the flags that reach a service's NATS and object store, as serve
// and token take them.
func (f *serviceFlags) registerConn(fs *flag.FlagSet) {
	fs.StringVar(&f.natsURL, "nats", "", "NATS URL of the service (default: a running 'precis serve --data DIR', with the credentials in DIR, else the embedded store in DIR)")
	fs.StringVar(&f.natsCreds, "nats-creds", "", "credentials for --nats, mode 0600: a NATS .creds file, or one line user:password or token")
	fs.IntVar(&f.replicas, "replicas", 0, "with --nats: the replicas the service runs with (0: automatic); connecting sets every stream's, so give the service's --replicas")
	fs.StringVar(&f.dataDir, "data", "precis-data", "data directory of the embedded default (NATS in DIR/nats, objects in DIR/objects)")
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3 endpoint host:port; empty uses the local object store in --data; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or MINIO_ROOT_USER/MINIO_ROOT_PASSWORD)")
	fs.StringVar(&f.bucket, "bucket", "precis", "S3 bucket")
	fs.BoolVar(&f.s3Secure, "s3-tls", false, "use HTTPS for the S3 endpoint")
}

// openKBStore connects to the service's NATS (openTokenQueue's rules) and object store.
func openKBStore(ctx context.Context, f *serviceFlags) (*kbstore.Store, string, func(), error) {
	if f.natsCreds != "" && f.natsURL == "" {
		return nil, "", nil, errors.New("--nats-creds goes with --nats (a local serve's credentials are read from --data)")
	}
	q, where, closeFn, err := openTokenQueue(ctx, f.natsURL, f.natsCreds, f.replicas, f.dataDir)
	if err != nil {
		return nil, "", nil, err
	}
	var objects store.Store
	if f.s3Endpoint == "" {
		objects, err = store.NewLocal(filepath.Join(f.dataDir, "objects"))
	} else {
		s3 := store.S3ConfigFromEnv()
		s3.Endpoint, s3.Bucket, s3.Secure = f.s3Endpoint, f.bucket, f.s3Secure
		objects, err = store.NewS3(ctx, s3)
	}
	if err != nil {
		closeFn()
		return nil, "", nil, fmt.Errorf("object store: %w", err)
	}
	return &kbstore.Store{Objects: objects, Queue: q, Log: slog.New(slog.DiscardHandler)}, where, closeFn, nil
}

func kbPublishCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kb publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf serviceFlags
	sf.registerConn(fs)
	if err := fs.Parse(reorder(fs, args)); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, kbUsage)
		return exitUsage
	}
	dir := fs.Arg(0)
	if _, err := kb.LoadDir(dir); err != nil { // before connecting: a bad directory is the user's error
		fmt.Fprintln(stderr, "precis kb publish:", err)
		return exitInvalid
	}
	ks, where, closeFn, err := openKBStore(ctx, &sf)
	if err != nil {
		fmt.Fprintln(stderr, "precis kb publish:", err)
		return exitFailure
	}
	defer closeFn()
	p, changed, err := ks.Publish(ctx, dir, "cli")
	if err != nil {
		fmt.Fprintln(stderr, "precis kb publish:", err)
		if pipeline.KindOf(err) == pipeline.Invalid {
			return exitInvalid
		}
		return exitFailure
	}
	if !changed {
		fmt.Fprintf(stdout, "knowledge base %s is the active one already; nothing changed\n", p.Version)
		return exitOK
	}
	if trail, err := audit.Open(ctx, ks.Queue.JetStream(), ks.Queue.Replicas()); err == nil {
		_ = trail.Record(ctx, audit.Event{Action: audit.ActionKBPublish, Actor: "cli", Target: pipeline.KBPrefix(p.Version),
			Detail: "knowledge base " + p.Version + " published and active"})
	}
	fmt.Fprintf(stdout, "knowledge base %s published (%d files) and active, via %s\n", p.Version, len(p.Files), where)
	fmt.Fprintln(stderr, "running workers switch to it; reports made with other versions are reanalysed")
	return exitOK
}

func kbPublishedCmd(ctx context.Context, sf *serviceFlags, stdout, stderr io.Writer) int {
	if sf.natsCreds != "" && sf.natsURL == "" {
		fmt.Fprintln(stderr, "precis kb info: --nats-creds goes with --nats")
		return exitUsage
	}
	q, _, closeFn, err := openTokenQueue(ctx, sf.natsURL, sf.natsCreds, sf.replicas, sf.dataDir)
	if err != nil {
		fmt.Fprintln(stderr, "precis kb info:", err)
		return exitFailure
	}
	defer closeFn()
	ks := &kbstore.Store{Queue: q}
	versions, active, err := ks.List(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "precis kb info:", err)
		return exitFailure
	}
	if len(versions) == 0 {
		fmt.Fprintln(stdout, "no knowledge base published; workers use the one they started with (--kb or embedded)")
		return exitOK
	}
	for _, p := range versions {
		mark := " "
		if p.Version == active {
			mark = "*"
		}
		var rel []string
		for _, s := range p.Sources {
			if s.Name == "ClinVar" {
				rel = append(rel, s.Release)
			}
		}
		fmt.Fprintf(stdout, "%s %s\tpublished %s\t%s\n", mark, p.Version, p.PublishedAt.Format(time.RFC3339), strings.Join(rel, ", "))
	}
	fmt.Fprintln(stdout, "(* active)")
	return exitOK
}
