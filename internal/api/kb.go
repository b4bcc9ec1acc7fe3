package api

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/pipeline"
)

// KBAdmin publishes knowledge bases and lists them (issue 15); package kbstore's Store
// satisfies it. Publish loads the knowledge base `precis kb build` wrote in dir (every file
// checked against its manifest), stores it and makes it the active one; by names who
// published (a token id); changed is false when that version was active already. An error of
// kind pipeline.Invalid says the directory is not a knowledge base (answered 400 with its
// text). List returns every published version and the active one ("" when none).
type KBAdmin interface {
	Publish(ctx context.Context, dir, by string) (p pipeline.KBPublished, changed bool, err error)
	List(ctx context.Context) (versions []pipeline.KBPublished, active string, err error)
}

// KBActivator is what a KBAdmin may also do: make a version published earlier the active
// one again (a roll-back, or a roll-forward after one), without uploading it again. When the
// KBAdmin has no Activate, POST /api/v1/kb with {"version": ...} answers 501 and a knowledge
// base is activated by uploading it.
type KBActivator interface {
	Activate(ctx context.Context, version, by string) (p pipeline.KBPublished, changed bool, err error)
}

// Limits of a knowledge base uploaded to POST /api/v1/kb.
const (
	// MaxKBUploadBytes bounds the request body (a tar archive, gzipped or not).
	MaxKBUploadBytes = 256 << 20
	// MaxKBBytes bounds the files of an uploaded knowledge base, unpacked.
	MaxKBBytes = 1 << 30
	// MaxKBFiles bounds how many files it may hold.
	MaxKBFiles = 256
	// maxKBRequestBytes bounds the JSON body that names a version.
	maxKBRequestBytes = 4 << 10
)

// CodeNotImplemented is the error code of a 501: the service was built without the part the
// request needs (activating an earlier knowledge-base version by name).
const CodeNotImplemented = "not_implemented"

// kbVersion is one published knowledge base in the answer to GET /api/v1/kb.
type kbVersion struct {
	pipeline.KBPublished
	Active bool `json:"active"`
}

// kbList is the answer to GET /api/v1/kb.
type kbList struct {
	Active   string      `json:"active"` // "" when none was published: each worker uses the one it started with
	Versions []kbVersion `json:"versions"`
}

// kbPublished is the answer to POST /api/v1/kb.
type kbPublished struct {
	Version   string               `json:"version"`
	Active    bool                 `json:"active"`
	Changed   bool                 `json:"changed"` // false: it was the active version already
	Published pipeline.KBPublished `json:"published"`
}

// listKB answers GET /api/v1/kb for any signed-in token: the published knowledge bases,
// oldest publication first, and which is active.
func (s *Server) listKB(w http.ResponseWriter, r *http.Request) {
	versions, active, err := s.kb.List(r.Context())
	if err != nil {
		s.failDependency(w, r, "list knowledge bases", err)
		return
	}
	out := kbList{Active: active, Versions: []kbVersion{}}
	for _, v := range versions {
		out.Versions = append(out.Versions, kbVersion{KBPublished: v, Active: v.Version == active})
	}
	writeJSON(w, http.StatusOK, out)
}

// publishKB answers POST /api/v1/kb, for admin tokens only (403 for others): it does what
// `precis kb publish` does. The body is either
//
//   - application/json {"version": "2026.02-4339bdbf29"}: make that published version the
//     active one (404 when it was never published; 501 when the service cannot activate by
//     name), or
//   - a tar archive of the directory `precis kb build` wrote, gzipped or not
//     (application/gzip, application/x-tar, application/octet-stream): published and made
//     active. Its files may sit at the archive's top or in one directory; links, devices,
//     absolute or ".." paths, hidden names, nested directories and more than MaxKBFiles
//     files or MaxKBBytes bytes are refused with 400 naming the entry.
//
// 201 when the active version changed, 200 when it was active already. The act is recorded
// in the audit trail as kb.publish.
func (s *Server) publishKB(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !p.CanAudit() { // the admin role
		s.fail(w, r, http.StatusForbidden, CodeForbidden,
			fmt.Sprintf("a %s token cannot publish knowledge bases; use an admin token", p.Role))
		return
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "application/json":
		s.activateKB(w, r)
	case "application/gzip", "application/x-gzip", "application/x-tar", "application/tar", "application/octet-stream", "":
		s.uploadKB(w, r)
	default:
		s.fail(w, r, http.StatusUnsupportedMediaType, CodeBadRequest,
			fmt.Sprintf("Content-Type %q: want application/json {\"version\": ...} or a tar archive (application/gzip, application/x-tar)", ctype))
	}
}

// activateKB makes a published version active again.
func (s *Server) activateKB(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Version string `json:"version"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxKBRequestBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest, "body: want {\"version\": \"YYYY.MM-<10 hex digits>\"}: "+err.Error())
		return
	}
	if !pipeline.ValidKBVersion(req.Version) {
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest,
			fmt.Sprintf("version %q: want a knowledge-base version like 2026.02-4339bdbf29", req.Version))
		return
	}
	act, ok := s.kb.(KBActivator)
	if !ok {
		s.fail(w, r, http.StatusNotImplemented, CodeNotImplemented,
			"this service cannot activate a knowledge base by version; upload the knowledge base's directory as a tar archive instead")
		return
	}
	versions, _, err := s.kb.List(r.Context())
	if err != nil {
		s.failDependency(w, r, "list knowledge bases", err)
		return
	}
	if !slices.ContainsFunc(versions, func(v pipeline.KBPublished) bool { return v.Version == req.Version }) {
		s.fail(w, r, http.StatusNotFound, CodeNotFound,
			fmt.Sprintf("knowledge base %s was never published; upload it as a tar archive", req.Version))
		return
	}
	pub, changed, err := act.Activate(r.Context(), req.Version, principal(r).TokenID)
	if err != nil {
		s.failDependency(w, r, "activate knowledge base "+req.Version, err)
		return
	}
	s.published(w, r, pub, changed, "activated")
}

// uploadKB unpacks an uploaded knowledge base into a temporary directory and publishes it.
func (s *Server) uploadKB(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > MaxKBUploadBytes {
		s.fail(w, r, http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("knowledge base of %d bytes exceeds the limit of %d bytes", r.ContentLength, MaxKBUploadBytes))
		return
	}
	dir, err := os.MkdirTemp("", "precis-kb-upload-")
	if err != nil {
		s.failDependency(w, r, "unpack the knowledge base", err)
		return
	}
	defer os.RemoveAll(dir)
	n, err := unpackKB(http.MaxBytesReader(w, r.Body, MaxKBUploadBytes), dir)
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			s.fail(w, r, http.StatusRequestEntityTooLarge, CodeTooLarge,
				fmt.Sprintf("knowledge base exceeds the limit of %d bytes", MaxKBUploadBytes))
		case errors.Is(err, errKBUpload):
			s.fail(w, r, http.StatusBadRequest, CodeBadRequest, err.Error())
		default:
			s.failDependency(w, r, "unpack the knowledge base", err)
		}
		return
	}
	if n == 0 {
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest, "knowledge base archive: no files (want the directory precis kb build wrote)")
		return
	}
	pub, changed, err := s.kb.Publish(r.Context(), dir, principal(r).TokenID)
	if err != nil {
		// A directory that is no knowledge base is Invalid: 400 with what is wrong with it.
		s.failDependency(w, r, "publish the knowledge base", err)
		return
	}
	s.published(w, r, pub, changed, "uploaded")
}

// published records the act and answers.
func (s *Server) published(w http.ResponseWriter, r *http.Request, pub pipeline.KBPublished, changed bool, how string) {
	status, detail := http.StatusCreated, fmt.Sprintf("knowledge base %s %s and active", pub.Version, how)
	if !changed {
		status, detail = http.StatusOK, fmt.Sprintf("knowledge base %s %s; it was active already", pub.Version, how)
	}
	// The knowledge base is active already: the record cannot refuse the act any more, so a
	// failure to write it is logged and answered 503 (the client retries; publishing again
	// changes nothing).
	if err := s.record(r, audit.Event{Action: audit.ActionKBPublish, Target: target(r), Status: status, Detail: detail}); err != nil {
		s.auditDown(w, r, err)
		return
	}
	writeJSON(w, status, kbPublished{Version: pub.Version, Active: true, Changed: changed, Published: pub})
}

// errKBUpload marks what is wrong with an uploaded archive (answered 400).
var errKBUpload = errors.New("knowledge base archive")

func kbUploadErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errKBUpload, fmt.Sprintf(format, args...))
}

// unpackKB writes the regular files of a tar archive (gzipped or not) into dir and returns
// how many. The files may be at the archive's top or all in one directory; see publishKB for
// what is refused.
func unpackKB(body io.Reader, dir string) (int, error) {
	br := bufio.NewReader(body)
	var rd io.Reader = br
	if magic, err := br.Peek(2); err == nil && bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, kbUploadErr("gzip: %v", err)
		}
		defer zr.Close()
		rd = zr
	}
	tr := tar.NewReader(rd)
	var files int
	var total int64
	top := "" // the one directory the files are in, when they are in one
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return files, err
			}
			if files == 0 && len(seen) == 0 {
				return files, kbUploadErr("not a tar archive (gzipped or not): %v", err)
			}
			return files, kbUploadErr("reading the tar archive: %v", err)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if strings.HasPrefix(hdr.Name, "/") || slices.Contains(strings.Split(hdr.Name, "/"), "..") {
			return files, kbUploadErr("entry %q: absolute or .. paths are refused", hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		case tar.TypeXGlobalHeader, tar.TypeXHeader:
			continue
		default:
			return files, kbUploadErr("entry %q: only regular files are accepted (no links or devices)", hdr.Name)
		}
		parts := strings.Split(strings.Trim(name, "/"), "/")
		var base string
		switch len(parts) {
		case 1:
			base = parts[0]
			if top != "" && top != "." {
				return files, kbUploadErr("entry %q: files both at the top and in %s/; want one directory", hdr.Name, top)
			}
			top = "."
		case 2:
			if top == "" {
				top = parts[0]
			}
			if top == "." {
				return files, kbUploadErr("entry %q: files both at the top and in %s/; want one directory", hdr.Name, parts[0])
			}
			if parts[0] != top {
				return files, kbUploadErr("entry %q: files in more than one directory (%s and %s)", hdr.Name, top, parts[0])
			}
			base = parts[1]
		default:
			return files, kbUploadErr("entry %q: nested directories are refused; want the files of one knowledge-base directory", hdr.Name)
		}
		if base == "" || strings.HasPrefix(base, ".") || base != filepath.Base(base) || path.Clean(base) != base {
			return files, kbUploadErr("entry %q: not a plain file name", hdr.Name)
		}
		if seen[base] {
			return files, kbUploadErr("entry %q: %s appears twice", hdr.Name, base)
		}
		seen[base] = true
		if files++; files > MaxKBFiles {
			return files, kbUploadErr("more than %d files", MaxKBFiles)
		}
		if hdr.Size < 0 || total+hdr.Size > MaxKBBytes {
			return files, kbUploadErr("entry %q: the files exceed %d bytes unpacked", hdr.Name, int64(MaxKBBytes))
		}
		total += hdr.Size
		in := &countingReader{r: io.LimitReader(tr, hdr.Size)}
		err = writeKBFile(filepath.Join(dir, base), in)
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(in.err, &tooLarge):
			return files, in.err
		case in.err != nil:
			return files, kbUploadErr("entry %q: %v", hdr.Name, in.err)
		case err != nil:
			return files, err // the temporary directory: the service's failure
		case in.n != hdr.Size:
			return files, kbUploadErr("entry %q: truncated, %d of %d bytes", hdr.Name, in.n, hdr.Size)
		}
	}
	return files, nil
}

func writeKBFile(dst string, r io.Reader) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
