package web

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSeal(t *testing.T) {
	s, err := newSealer([]byte("key"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	v, err := s.seal(tokClinA, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, tokClinA[7:23]) {
		t.Errorf("sealed value shows the token id")
	}
	v2, _ := s.seal(tokClinA, now.Add(time.Hour))
	if v == v2 {
		t.Errorf("two seals of one token are equal; the nonce is not random")
	}
	other, _ := newSealer([]byte("another key"))
	random, _ := newSealer(nil)
	flip := []byte(v)
	flip[10] ^= 2
	for _, tc := range []struct {
		name  string
		s     *sealer
		value string
		at    time.Time
		want  string
		err   error
	}{
		{"fresh", s, v, now, tokClinA, nil},
		{"just before expiry", s, v, now.Add(time.Hour - time.Second), tokClinA, nil},
		{"at expiry", s, v, now.Add(time.Hour), "", errSession},
		{"other key", other, v, now, "", errSession},
		{"random key", random, v, now, "", errSession},
		{"flipped bit", s, string(flip), now, "", errSession},
		{"truncated", s, v[:len(v)-4], now, "", errSession},
		{"empty", s, "", now, "", errSession},
		{"not base64", s, "!!!!", now, "", errSession},
		{"too long", s, strings.Repeat("A", maxSessionCookie+1), now, "", errSession},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.open(tc.value, tc.at)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// FuzzOpenSession checks that no cookie value opens without the key, and none panics.
func FuzzOpenSession(f *testing.F) {
	s, err := newSealer([]byte("fuzz key"))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	// A fixed nonce makes the seed the same in every fuzzing process.
	plain := binary.BigEndian.AppendUint64(nil, uint64(now.Add(time.Hour).Unix()))
	good := s.sealNonce(append(plain, tokAdmin...), make([]byte, s.aead.NonceSize()))
	if tok, err := s.open(good, now); tok != tokAdmin || err != nil {
		f.Fatalf("seed does not open: %q, %v", tok, err)
	}
	f.Add(good)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, v string) {
		tok, err := s.open(v, now)
		if err == nil && v != good {
			t.Fatalf("value %q opened as %q", v, tok)
		}
	})
}
