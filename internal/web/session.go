package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// errSession is returned when a session cookie cannot be opened: malformed, tampered with,
// sealed with another key, or expired. The caller learns nothing about which. Unexported:
// the pages answer it with the sign-in page, and no caller outside needs to tell it apart.
var errSession = errors.New("web: invalid session")

// sessionAAD binds a sealed value to its use, so a value sealed for something else with the
// same key does not open as a session.
const sessionAAD = "precis-web-session-v1"

// maxSessionCookie bounds the cookie read; a sealed token is about 160 bytes.
const maxSessionCookie = 512

// sealer seals the session cookie: the sign-in token and the session's expiry, encrypted and
// authenticated with AES-256-GCM. Safe for concurrent use (cipher.AEAD is).
//
// Why the cookie holds the sealed token rather than the token or a server-side session id:
//   - Every request re-authenticates the token through the Authenticator, so a revoked token
//     stops working in the browser at once, and no session table is kept (nothing to lose
//     on restart, nothing to share between replicas given the same key).
//   - A copied cookie is not the token: it does not work as a Bearer token on the API, and
//     it stops opening when the session expires or the key changes (every restart, unless
//     Options.SessionKey is set), while the token itself lives until revoked.
//   - The token never reaches JavaScript (HttpOnly) and never appears in a URL or a log.
type sealer struct {
	aead cipher.AEAD
}

// newSealer derives a 256-bit key from key (SHA-256, so any length of key material will do),
// or draws a random one when key is empty.
func newSealer(key []byte) (*sealer, error) {
	var k [32]byte
	if len(key) == 0 {
		if _, err := rand.Read(k[:]); err != nil {
			return nil, fmt.Errorf("web: session key: %w", err)
		}
	} else {
		k = sha256.Sum256(key)
	}
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("web: session key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("web: session key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal returns the cookie value for token, valid until exp.
func (s *sealer) seal(token string, exp time.Time) (string, error) {
	plain := make([]byte, 8, 8+len(token))
	binary.BigEndian.PutUint64(plain, uint64(exp.Unix()))
	plain = append(plain, token...)
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("web: seal session: %w", err)
	}
	return s.sealNonce(plain, nonce), nil
}

// sealNonce seals plain with nonce, which must never repeat under one key (seal draws it at
// random: 96 bits).
func (s *sealer) sealNonce(plain, nonce []byte) string {
	out := make([]byte, len(nonce), len(nonce)+len(plain)+s.aead.Overhead())
	copy(out, nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(out, nonce, plain, []byte(sessionAAD)))
}

// open returns the token sealed in value, or errSession when value is not a session sealed
// with this key or it expired at or before now.
func (s *sealer) open(value string, now time.Time) (string, error) {
	if len(value) > maxSessionCookie {
		return "", errSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead()+8 {
		return "", errSession
	}
	ns := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], []byte(sessionAAD))
	if err != nil || len(plain) < 8 {
		return "", errSession
	}
	exp := int64(binary.BigEndian.Uint64(plain))
	if now.Unix() >= exp {
		return "", errSession
	}
	return string(plain[8:]), nil
}
