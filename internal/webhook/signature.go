package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery, and the event names of PGx and reclassification alerts.
const (
	HeaderSignature = "X-Precis-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
	HeaderDelivery  = "X-Precis-Delivery"  // <subscription id>:<alert stream sequence>, the same on every retry
	HeaderEvent     = "X-Precis-Event"     // EventAlertPGx or EventAlertReclassified
	EventAlertPGx   = "alert.pgx"
	// EventAlertReclassified is the event of a reclassification alert
	// (precis.alert.reclassified.{lab}): a reanalysis with a newer knowledge base found
	// major changes in a sample's report.
	EventAlertReclassified = "alert.reclassified"
)

// Signature errors: a header that cannot be read or does not match the body, and a
// signature made too long ago (or too far ahead) to be accepted.
var (
	ErrSignature = errors.New("webhook: signature does not match")
	ErrStale     = errors.New("webhook: signature time outside the tolerance")
)

// Sign returns the X-Precis-Signature value for body sent at t: "t=<unix>,v1=<mac>",
// where mac is the lower-case hex HMAC-SHA256, keyed with the secret string's bytes as
// given to the subscriber, of the decimal unix time, a dot and the body bytes.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks an X-Precis-Signature header against the raw request body, for
// receivers: the body must be the bytes as received, before any JSON decoding. It
// accepts the header when one of its v1 values is the body's HMAC (compared in constant
// time; several v1 values allow a secret to be rotated) and its time t is within
// tolerance of now, either way (tolerance <= 0 skips the time check). Unknown keys are
// ignored, so later schemes can be added beside v1. Errors wrap ErrSignature or ErrStale.
//
// The time check bounds replays of a captured request; a receiver that also drops
// X-Precis-Delivery ids it has already processed is safe from replays altogether.
func Verify(secret string, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: header part %q is not key=value", ErrSignature, part)
		}
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("%w: t given twice", ErrSignature)
			}
			ts = v
		case "v1":
			if s, err := hex.DecodeString(v); err == nil && len(s) == sha256.Size {
				sigs = append(sigs, s)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || unix < 0 || strings.HasPrefix(ts, "+") {
		return fmt.Errorf("%w: t %q is not a unix time", ErrSignature, ts)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no v1 signature", ErrSignature)
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = hmac.Equal(s, want) || ok // every value compared: the time taken does not depend on which matched
	}
	if !ok {
		return ErrSignature
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
			return fmt.Errorf("%w: signed at %s, %s from now, tolerance %s", ErrStale,
				time.Unix(unix, 0).UTC().Format(time.RFC3339), d.Round(time.Second), tolerance)
		}
	}
	return nil
}
