package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSignKnownAnswer pins the scheme to a vector computed outside Go (Python's hmac
// module: hmac.new(secret.encode(), b"1737106200." + body, hashlib.sha256).hexdigest()).
func TestSignKnownAnswer(t *testing.T) {
	const secret = "8d2f4c0a9b1e3d5f7a6c8e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f0a1c3e5b7d9f"
	body := []byte(`{"seq":42,"lab":"karolinska-molpat"}`)
	got := Sign(secret, time.Unix(1737106200, 0), body)
	want := "t=1737106200,v1=52408cb26a9a6e805348c4fe702ad9a982cb4b7ed762d57c4b79c517f608319c"
	if got != want {
		t.Errorf("Sign: got %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "8d2f4c0a9b1e3d5f7a6c8e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f0a1c3e5b7d9f"
	alerts := goldenAlerts(t, "karolinska-molpat", "RUN-2025-0117")
	body := alerts[0].body
	now := time.Date(2025, 1, 17, 9, 30, 0, 0, time.UTC)
	good := Sign(secret, now, body)
	other := Sign("another secret", now, body)
	tampered := []byte(strings.Replace(string(body), alerts[0].msg.Phenotype, "Normal Metabolizer", 1))
	if string(tampered) == string(body) {
		t.Fatal("tampering changed nothing")
	}
	for _, tc := range []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"good", secret, good, body, now, 5 * time.Minute, nil},
		{"good, 4 minutes later", secret, good, body, now.Add(4 * time.Minute), 5 * time.Minute, nil},
		{"tampered body", secret, good, tampered, now, 5 * time.Minute, ErrSignature},
		{"body with a trailing newline", secret, good, append(append([]byte{}, body...), '\n'), now, 5 * time.Minute, ErrSignature},
		{"wrong secret", "another secret", good, body, now, 5 * time.Minute, ErrSignature},
		{"stale", secret, good, body, now.Add(6 * time.Minute), 5 * time.Minute, ErrStale},
		{"from the future", secret, good, body, now.Add(-6 * time.Minute), 5 * time.Minute, ErrStale},
		{"no time check", secret, good, body, now.Add(240 * time.Hour), 0, nil},
		{"rotated secret: second v1 matches", secret, other + ",v1=" + strings.SplitN(good, "v1=", 2)[1], body, now, time.Minute, nil},
		{"spaces after commas", secret, strings.ReplaceAll(good, ",", ", "), body, now, time.Minute, nil},
		{"unknown scheme ignored", secret, good + ",v0=abc", body, now, time.Minute, nil},
		{"empty header", secret, "", body, now, time.Minute, ErrSignature},
		{"no t", secret, strings.SplitN(good, ",", 2)[1], body, now, time.Minute, ErrSignature},
		{"no v1", secret, strings.SplitN(good, ",", 2)[0], body, now, time.Minute, ErrSignature},
		{"t twice", secret, "t=1," + good, body, now, time.Minute, ErrSignature},
		{"t not a number", secret, strings.Replace(good, "t=", "t=x", 1), body, now, time.Minute, ErrSignature},
		{"v1 not hex", secret, strings.Replace(good, "v1=", "v1=zz", 1), body, now, time.Minute, ErrSignature},
		{"v1 truncated", secret, good[:len(good)-2], body, now, time.Minute, ErrSignature},
		{"part without =", secret, good + ",junk", body, now, time.Minute, ErrSignature},
		{"time changed, mac kept", secret, strings.Replace(good, "t=1737", "t=1738", 1), body, now, 0, ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.header, tc.body, tc.now, tc.tol)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Verify: got %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzVerify: Verify never panics, and accepts a header only when it carries the
// body's HMAC for its t.
func FuzzVerify(f *testing.F) {
	const secret = "8d2f4c0a9b1e3d5f7a6c8e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f0a1c3e5b7d9f"
	now := time.Unix(1737106200, 0)
	for _, a := range goldenAlerts(f, "karolinska-molpat", "RUN-2025-0117") {
		f.Add(Sign(secret, now, a.body), a.body)
	}
	f.Add("t=1737106200,v1=", []byte("{}"))
	f.Add("t=-1,v1=00", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if Verify(secret, header, body, now, 0) != nil {
			return
		}
		var ts string
		found := false
		for part := range strings.SplitSeq(header, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			if k == "t" {
				ts = v
			}
			if k == "v1" {
				found = found || v != ""
			}
		}
		h := hmac.New(sha256.New, []byte(secret))
		h.Write([]byte(ts + "."))
		h.Write(body)
		if want := hex.EncodeToString(h.Sum(nil)); !found || !strings.Contains(strings.ToLower(header), "v1="+want) {
			t.Errorf("Verify accepted %q for body %q, whose mac is %s", header, body, want)
		}
	})
}
