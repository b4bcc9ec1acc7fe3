package webhook_test

import (
	"fmt"
	"time"

	"github.com/precis-dx/precis/internal/webhook"
)

// A receiver checks the signature on the raw body, before decoding it:
//
//	body, err := io.ReadAll(r.Body)
//	...
//	err = webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute)
//
// and drops an X-Precis-Delivery id it has already processed.
func ExampleVerify() {
	const secret = "8d2f4c0a9b1e3d5f7a6c8e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f0a1c3e5b7d9f"
	body := []byte(`{"seq":42,"lab":"karolinska-molpat"}`)
	sent := time.Unix(1737106200, 0)
	header := webhook.Sign(secret, sent, body)
	fmt.Println(header)
	fmt.Println(webhook.Verify(secret, header, body, sent.Add(30*time.Second), 5*time.Minute))
	fmt.Println(webhook.Verify(secret, header, []byte(`{"seq":43,"lab":"karolinska-molpat"}`), sent, 5*time.Minute))
	// Output:
	// t=1737106200,v1=52408cb26a9a6e805348c4fe702ad9a982cb4b7ed762d57c4b79c517f608319c
	// <nil>
	// webhook: signature does not match
}
