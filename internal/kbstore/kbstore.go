// Package kbstore keeps published knowledge bases (issue 15): Publish stores a knowledge base
// that `precis kb build` wrote in the object store (kb/{version}/{file}) and makes it the
// active one in KV (kb.versions.{token}, kb.active; the keys are package pipeline's), Load
// reads a published one back with every checksum verified, and the coordinator (Coordinate)
// enqueues a reanalysis job for every stored report made with another version whenever the
// active version changes.
//
// It is a role-level package: the CLI (`precis kb publish`, `kb info --nats`), the service's
// workers (which switch on kb.active) and the admin HTTP endpoint use it.
//
// Coordination needs no lease: every serve process with the ingest role runs a coordinator,
// each rescans from the start, and a reanalysis job's Nats-Msg-Id
// (reanalyse:{lab}:{run}:{sample}:{kb_version}) makes the queue store each job once within
// its duplicate window, while the handler skips a report already made with the version. A
// crash mid-scan is resumed by the rescan at the next start.
package kbstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
)

// ErrNotPublished is returned (wrapped) by Load for a version with no stored files.
var ErrNotPublished = pipeline.New(pipeline.NotExist, "kbstore: knowledge base not published")

// maxFileBytes bounds one knowledge-base file read from a directory or the store.
const maxFileBytes = 256 << 20

// Store publishes and loads knowledge bases. Safe for concurrent use.
type Store struct {
	Objects store.Store
	Queue   *queue.Queue
	Log     *slog.Logger // nil: discard
}

func (s *Store) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Publish loads the knowledge base in dir (kb.LoadDir: every file checked against its
// manifest's SHA-256), stores every file of dir under kb/{version}/, records the version in
// KV and makes it active. by says who published ("cli", a token id). changed is false when
// the version was active already: then nothing is written.
func (s *Store) Publish(ctx context.Context, dir, by string) (p pipeline.KBPublished, changed bool, err error) {
	k, err := kb.LoadDir(dir)
	if err != nil {
		return p, false, pipeline.Wrap(pipeline.Invalid, err)
	}
	active, err := s.Queue.ActiveKB(ctx)
	if err != nil {
		return p, false, err
	}
	if active == k.Version {
		p, err = s.Queue.KBVersion(ctx, k.Version)
		return p, false, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return p, false, err
	}
	p = pipeline.KBPublished{Version: k.Version, PublishedAt: time.Now().UTC(), PublishedBy: by}
	for _, src := range k.Sources {
		p.Sources = append(p.Sources, pipeline.KBSource{Name: src.Name, Release: src.Release})
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := readFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return p, false, err
		}
		key := pipeline.KBFileKey(k.Version, e.Name())
		if _, ok := pipeline.ParseKey(key); !ok {
			return p, false, pipeline.Errorf(pipeline.Invalid, "%s: %q cannot be stored as %s", dir, e.Name(), key)
		}
		if err := s.Objects.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
			return p, false, fmt.Errorf("store %s: %w", key, err)
		}
		sum := sha256.Sum256(data)
		p.Files = append(p.Files, pipeline.KBFile{Name: e.Name(), SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data))})
	}
	if m, err := readManifest(dir); err == nil {
		p.Released = m
	}
	if err := s.Queue.PutKBVersion(ctx, p); err != nil {
		return p, false, err
	}
	if changed, err = s.Queue.SetActiveKB(ctx, k.Version); err != nil {
		return p, false, err
	}
	s.log().Info("knowledge base published", "version", k.Version, "files", len(p.Files), "active", true)
	return p, changed, nil
}

// Activate makes a version published earlier the active one again (a roll-back, or a
// roll-forward after one), without storing its files again: workers switch to it and
// reports made with another version are re-evaluated, as after Publish. by says who. It
// returns the version's record and whether the active version changed; a version never
// published is an error of the kind pipeline.NotExist.
func (s *Store) Activate(ctx context.Context, version, by string) (p pipeline.KBPublished, changed bool, err error) {
	if p, err = s.Queue.KBVersion(ctx, version); err != nil {
		return p, false, err
	}
	if changed, err = s.Queue.SetActiveKB(ctx, version); err != nil {
		return p, false, err
	}
	s.log().Info("knowledge base activated", "version", version, "by", by, "changed", changed)
	return p, changed, nil
}

// Active returns the active version, "" when none was published.
func (s *Store) Active(ctx context.Context) (string, error) { return s.Queue.ActiveKB(ctx) }

// List returns every published version (oldest publication first) and the active one.
func (s *Store) List(ctx context.Context) (versions []pipeline.KBPublished, active string, err error) {
	if versions, err = s.Queue.KBVersions(ctx); err != nil {
		return nil, "", err
	}
	active, err = s.Queue.ActiveKB(ctx)
	return versions, active, err
}

// Load reads the published knowledge base version from the object store into a temporary
// directory and loads it with kb.LoadDir, which checks every file against the manifest; the
// version derived from the manifest must be the one asked for.
func (s *Store) Load(ctx context.Context, version string) (*kb.KB, error) {
	if !pipeline.ValidKBVersion(version) {
		return nil, pipeline.Errorf(pipeline.Invalid, "kbstore: knowledge-base version %q", version)
	}
	infos, err := s.Objects.List(ctx, pipeline.KBPrefix(version))
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotPublished, version)
	}
	dir, err := os.MkdirTemp("", "precis-kb-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for _, info := range infos {
		k, ok := pipeline.ParseKey(info.Key)
		if !ok || k.Type != pipeline.KeyKBFile {
			continue
		}
		if err := s.download(ctx, info.Key, filepath.Join(dir, path.Base(k.Name))); err != nil {
			return nil, err
		}
	}
	k, err := kb.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("kbstore: knowledge base %s in the object store: %w", version, err)
	}
	if k.Version != version {
		return nil, pipeline.Errorf(pipeline.Permanent, "kbstore: %s holds knowledge base %s", pipeline.KBPrefix(version), k.Version)
	}
	return k, nil
}

func (s *Store) download(ctx context.Context, key, dst string) error {
	rc, err := s.Objects.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, io.LimitReader(rc, maxFileBytes)); err != nil {
		f.Close()
		return fmt.Errorf("read %s: %w", key, err)
	}
	return f.Close()
}

// Rescan enqueues a reanalysis job with version for every current report (not a failure)
// made with another version, and returns how many it enqueued (the queue drops a job
// enqueued again within its duplicate window).
func (s *Store) Rescan(ctx context.Context, version string) (int, error) {
	infos, err := s.Objects.List(ctx, "reports/")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, info := range infos {
		k, ok := pipeline.ParseKey(info.Key)
		if !ok || k.Type != pipeline.KeyReport {
			continue
		}
		made, err := s.reportVersion(ctx, info.Key)
		if errors.Is(err, store.ErrNotExist) || made == "" && err == nil {
			continue // deleted since listed, or a failure
		}
		if err != nil {
			return n, err
		}
		if made == version {
			continue
		}
		if err := s.Queue.PublishReanalyse(ctx, pipeline.ReanalyseJob{Lab: k.Lab, RunID: k.Run, SampleID: k.Sample, KBVersion: version}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// reportVersion returns the knowledge-base version of the report at key, "" for a failure or
// a document that is not a report.
func (s *Store) reportVersion(ctx context.Context, key string) (string, error) {
	rc, err := s.Objects.Get(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	rep, _, _, err := report.ReadStored(rc)
	if err != nil || rep == nil {
		if err != nil {
			s.log().Warn("reanalysis: stored report unreadable, skipped", "key", key, "err", err)
		}
		return "", nil
	}
	return rep.KnowledgeBase.Version, nil
}

// Coordinate watches kb.active and rescans (Rescan) whenever it names a version, at start
// too, so a scan a crash interrupted is done again. It retries a failed scan after retry
// (5s when 0) and returns when ctx is cancelled.
func (s *Store) Coordinate(ctx context.Context, retry time.Duration) error {
	if retry <= 0 {
		retry = 5 * time.Second
	}
	updates, err := s.Queue.WatchActiveKB(ctx)
	if err != nil {
		return err
	}
	var pending string
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case v, ok := <-updates:
			if !ok {
				return ctx.Err()
			}
			pending = v
		case <-timer:
		}
		timer = nil
		if pending == "" || !pipeline.ValidKBVersion(pending) {
			continue
		}
		n, err := s.Rescan(ctx, pending)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log().Warn("reanalysis scan failed, will retry", "kb", pending, "enqueued", n, "err", err)
			timer = time.After(retry)
			continue
		}
		s.log().Info("reanalysis scan done", "kb", pending, "enqueued", n)
		pending = ""
	}
}

func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, pipeline.Errorf(pipeline.Invalid, "%s: larger than %d bytes", p, maxFileBytes)
	}
	return b, nil
}

// readManifest returns the released date of the manifest in dir.
func readManifest(dir string) (string, error) {
	b, err := readFile(filepath.Join(dir, kb.FileManifest))
	if err != nil {
		return "", err
	}
	var m kb.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	return m.Released, nil
}
