package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	neturl "net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/auth"
	"github.com/precis-dx/precis/internal/queue"
)

const tokenUsage = `usage:
  precis token create --role lab|clinician|admin [--lab LAB]... [--name WHO] [--nats URL [--nats-creds FILE] [--replicas N] | --data DIR]
  precis token list   [--nats URL [--nats-creds FILE] [--replicas N] | --data DIR]
  precis token revoke [--nats URL [--nats-creds FILE] [--replicas N] | --data DIR] TOKEN-ID

A lab token names its one lab; a clinician token one --lab per granted lab; an admin token none.
The token is printed once, on standard output; only its hash is stored.
Without --nats, the command uses the NATS server of a running 'precis serve --data DIR'
(on whatever port), with the credentials that server keeps in DIR/nats/credentials; when
none runs, it opens the embedded store in DIR itself. With --nats (an external cluster,
or a serve on another port), --nats-creds names the credentials: a NATS .creds file, or a file
of one line user:password (DIR/nats/credentials of a serve) or token.
`

// listFlag is a repeatable flag (--lab, --webhook-allow); "a,b" also works.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		fmt.Fprint(stderr, tokenUsage)
		return exitUsage
	}
	verb := args[0]
	fs := flag.NewFlagSet("token "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsURL := fs.String("nats", "", "NATS URL of the service (default: a running 'precis serve --data DIR', with the credentials in DIR, else the embedded store in DIR)")
	natsCreds := fs.String("nats-creds", "", "credentials for --nats, mode 0600: a NATS .creds file, or one line user:password or token")
	replicas := fs.Int("replicas", 0, "with --nats: the replicas the service runs with (0: automatic); Connect sets every stream's, so give the service's --replicas")
	dataDir := fs.String("data", "precis-data", "data directory of the embedded default")
	var labs listFlag
	role := fs.String("role", "", "lab, clinician or admin")
	name := fs.String("name", "", "who the token is for (free text, shown in lists and the audit trail)")
	if verb == "create" {
		fs.Var(&labs, "lab", "lab id (repeat, or comma-separated, for a clinician's granted labs)")
	}
	if err := fs.Parse(reorder(fs, args[1:])); err != nil {
		return exitUsage
	}
	switch {
	case verb == "revoke" && fs.NArg() != 1, verb != "revoke" && fs.NArg() != 0:
		fmt.Fprint(stderr, tokenUsage)
		return exitUsage
	case verb == "create" && *role == "":
		fmt.Fprintln(stderr, "precis token create: --role is required (lab, clinician or admin)")
		return exitUsage
	case *natsCreds != "" && *natsURL == "":
		fmt.Fprintln(stderr, "precis token: --nats-creds goes with --nats (a local serve's credentials are read from --data)")
		return exitUsage
	}
	q, where, closeFn, err := openTokenQueue(ctx, *natsURL, *natsCreds, *replicas, *dataDir)
	if err != nil {
		fmt.Fprintln(stderr, "precis token:", err)
		return exitFailure
	}
	defer closeFn()
	store, err := auth.Open(ctx, q.JetStream(), q.Replicas())
	if err != nil {
		fmt.Fprintln(stderr, "precis token:", err)
		return exitFailure
	}
	switch verb {
	case "create":
		trail, err := audit.Open(ctx, q.JetStream(), q.Replicas())
		if err != nil {
			fmt.Fprintln(stderr, "precis token create: audit:", err)
			return exitFailure
		}
		token, rec, err := store.Issue(ctx, trail, "cli", auth.Role(*role), labs, *name)
		if errors.Is(err, auth.ErrInvalid) {
			fmt.Fprintln(stderr, "precis token create:", err)
			return exitUsage
		}
		if err != nil {
			fmt.Fprintln(stderr, "precis token create:", err)
			return exitFailure
		}
		fmt.Fprintf(stderr, "token %s: role %s, labs %s; stored (hashed) in %s. It is shown only now.\n",
			rec.ID, rec.Role, strings.Join(rec.Labs, ",")+map[bool]string{true: "(all)", false: ""}[rec.Role == auth.RoleAdmin], where)
		fmt.Fprintln(stdout, token)
	case "list":
		recs, err := store.List(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "precis token list:", err)
			return exitFailure
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tLABS\tNAME\tCREATED\tREVOKED")
		for _, r := range recs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", r.ID, r.Role, strings.Join(r.Labs, ","), r.Name,
				r.Created.Format(time.RFC3339), r.Revoked)
		}
		tw.Flush()
	case "revoke":
		trail, err := audit.Open(ctx, q.JetStream(), q.Replicas())
		if err != nil {
			fmt.Fprintln(stderr, "precis token revoke: audit:", err)
			return exitFailure
		}
		if err := store.Withdraw(ctx, trail, "cli", fs.Arg(0)); err != nil {
			fmt.Fprintln(stderr, "precis token revoke:", err)
			return exitFailure
		}
		fmt.Fprintf(stderr, "token %s revoked\n", fs.Arg(0))
	}
	return exitOK
}

// openTokenQueue connects to the service's NATS: the given URL with the given credentials,
// else a running serve on dataDir (on the default port, with the credentials it keeps in
// dataDir), else an embedded server on dataDir started for this command alone.
// connectWait bounds how long a command (token, kb publish) waits for a NATS cluster.
const connectWait = 30 * time.Second

func openTokenQueue(ctx context.Context, url, creds string, replicas int, dataDir string) (*queue.Queue, string, func(), error) {
	quiet := slog.New(slog.DiscardHandler)
	if url != "" {
		// Connect waits while no server answers or JetStream has no quorum; a command gives up
		// after connectWait, saying so.
		cctx, cancel := context.WithTimeout(ctx, connectWait)
		q, err := queue.Connect(cctx, url, queue.Config{CredsFile: creds, Replicas: replicas}, quiet)
		cancel()
		if err != nil {
			if cctx.Err() != nil && ctx.Err() == nil {
				return nil, "", nil, fmt.Errorf("NATS at %s: no server with a JetStream quorum answered within %s: %w", url, connectWait, err)
			}
			return nil, "", nil, err
		}
		where := url
		if u, err := neturl.Parse(url); err == nil {
			where = u.Redacted()
		}
		return q, "the NATS at " + where, q.Close, nil
	}
	dir := filepath.Join(dataDir, "nats")
	if addr, ok := queue.RunningAddr(dir); ok {
		// A serve on dataDir: its address and credentials are in dir. Recorded by one
		// that was killed, the address answers no more (or, reused, refuses these).
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		q, err := queue.Connect(cctx, "nats://"+addr, queue.Config{CredsFile: queue.CredsPath(dir)}, quiet)
		cancel()
		if err == nil {
			return q, "the running service's NATS at " + addr, q.Close, nil
		}
		if errors.Is(err, queue.ErrCreds) {
			return nil, "", nil, err
		}
	}
	e, err := queue.StartEmbedded(dir, queue.EmbeddedOptions{Port: 0})
	if err != nil {
		return nil, "", nil, fmt.Errorf("no service runs on %s, and its embedded store in %s cannot be opened: %w", dataDir, dir, err)
	}
	q, err := queue.Connect(ctx, e.URL(), queue.Config{}, quiet)
	if err != nil {
		e.Shutdown()
		return nil, "", nil, err
	}
	return q, "the embedded store in " + dir, func() { q.Close(); e.Shutdown() }, nil
}
