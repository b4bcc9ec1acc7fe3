package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/audit"
	"github.com/precis-dx/precis/internal/waittest"
)

// TestGuardAddresses: the ranges refused by default, what an allow-list lifts, and that
// the cloud metadata address stays refused under a wider allowed network. Addresses are
// only checked, never dialled.
func TestGuardAddresses(t *testing.T) {
	allow, err := NewGuard([]string{"10.20.0.0/16,fd12:3456::/48", "192.168.7.9", "169.254.0.0/16", "receiver.region.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr          string
		refused       bool // by default
		refusedByList bool // with the allow-list above
		what          string
	}{
		{"127.0.0.1", true, true, "loopback"},
		{"127.1.2.3", true, true, "loopback"},
		{"::1", true, true, "loopback"},
		{"::ffff:127.0.0.1", true, true, "loopback"},
		{"0.0.0.0", true, true, "unspecified"},
		{"::", true, true, "unspecified"},
		{"10.0.0.1", true, true, "private"},
		{"10.20.3.4", true, false, "private"},
		{"172.16.0.1", true, true, "private"},
		{"172.31.255.255", true, true, "private"},
		{"192.168.7.9", true, false, "private"},
		{"192.168.7.10", true, true, "private"},
		{"fd00::1", true, true, "unique local"},
		{"fd12:3456::99", true, false, "unique local"},
		{"100.64.0.1", true, true, "carrier-grade NAT"},
		{"100.127.255.254", true, true, "carrier-grade NAT"},
		{"169.254.1.1", true, false, "link-local"},
		{"169.254.169.254", true, true, "metadata"},
		{"fd00:ec2::254", true, true, "metadata"},
		{"fe80::1", true, true, "link-local"},
		{"224.0.0.1", true, true, "multicast"},
		{"ff02::1", true, true, "multicast"},
		{"255.255.255.255", true, true, "broadcast"},
		{"64:ff9b::a00:1", true, true, "NAT64"},
		{"8.8.8.8", false, false, ""},
		{"2001:4860:4860::8888", false, false, ""},
		{"172.32.0.1", false, false, ""},
		{"100.128.0.1", false, false, ""},
	} {
		a := netip.MustParseAddr(tc.addr)
		for _, g := range []struct {
			name    string
			guard   *Guard
			refused bool
		}{{"default", nil, tc.refused}, {"zero", &Guard{}, tc.refused}, {"allow-list", allow, tc.refusedByList}} {
			f := g.guard.refusal(a)
			if got := f != nil; got != g.refused {
				t.Errorf("%s guard, %s: refused %v, want %v", g.name, tc.addr, got, g.refused)
				continue
			}
			if f != nil && !strings.Contains(f.Error(), tc.what) {
				t.Errorf("%s guard, %s: %q does not say %q", g.name, tc.addr, f, tc.what)
			}
			if f != nil && (!errors.Is(f, ErrForbidden) || !errors.Is(f, ErrInvalid)) {
				t.Errorf("%s guard, %s: %v does not wrap ErrForbidden and ErrInvalid", g.name, tc.addr, f)
			}
		}
	}
	for _, host := range []string{"receiver.region.example", "RECEIVER.region.example."} {
		if !allow.hostAllowed(host) {
			t.Errorf("%s not allowed by name", host)
		}
	}
	if allow.hostAllowed("evil.receiver.region.example") || allow.hostAllowed("region.example") {
		t.Error("an allowed host name allows other names")
	}
	if wild, _ := NewGuard([]string{"*.region.example"}); !wild.hostAllowed("a.b.region.example") || wild.hostAllowed("region.example") {
		t.Error("*.region.example: want its subdomains, not itself")
	}
	for _, bad := range []string{"10.0.0.1/8", "not a host", "http://x.example/", "*.*.example", "10.0.0.0/33"} {
		if _, err := NewGuard([]string{bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewGuard(%q): got %v, want ErrInvalid", bad, err)
		}
	}
}

// TestRegistrationRefused: Create refuses a URL whose host is, or resolves to, a refused
// address, saying why, and stores nothing; a name that resolves to public addresses, and
// an internal receiver the operator allowed, are accepted.
func TestRegistrationRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	def, err := OpenStore(ctx, e.q.JetStream(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Names resolve through a fixed table: no query leaves the machine.
	def.guard = &Guard{lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "rebind.example":
			return []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("10.1.2.3")}, nil
		case "public.example":
			return []netip.Addr{netip.MustParseAddr("203.0.113.8")}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}}
	natsPort := e.srv.Addr()[strings.LastIndex(e.srv.Addr(), ":")+1:]
	for _, tc := range []struct{ url, why string }{
		{"http://127.0.0.1:" + natsPort + "/", "127.0.0.1 is a loopback address"},
		{"http://[::1]:8080/hook", "::1 is a loopback address"},
		{"http://0.0.0.0:" + natsPort + "/", "0.0.0.0 is an unspecified"},
		{"http://10.0.0.5/hook", "10.0.0.5 is a private address"},
		{"https://192.168.1.1/", "private address"},
		{"http://[fd00:ec2::254]/latest/meta-data/", "the cloud metadata service"},
		{"http://169.254.169.254/latest/meta-data/", "the cloud metadata service"},
		{"http://100.100.100.200/", "carrier-grade NAT"},
		{"http://[::ffff:7f00:1]:4222/", "127.0.0.1 is a loopback address"},
		{"http://[fe80::1%25eth0]/", "link-local"},
		{"http://rebind.example/hook", "host rebind.example resolves to 10.1.2.3"},
	} {
		_, err := def.Create(ctx, labK, tc.url, "tok-clin")
		if !errors.Is(err, ErrForbidden) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.why) ||
			!strings.Contains(err.Error(), "--webhook-allow") {
			t.Errorf("Create(%s): got %v, want ErrForbidden saying %q and naming --webhook-allow", tc.url, err, tc.why)
		}
	}
	if subs, err := def.List(ctx, nil, true); err != nil || len(subs) != 0 {
		t.Errorf("after refusals: %d subscriptions stored (%v), want 0", len(subs), err)
	}
	for _, u := range []string{"https://public.example/hook", "https://unknown.example/hook", "https://203.0.113.9/hook"} {
		if _, err := def.Create(ctx, labK, u, "tok-clin"); err != nil {
			t.Errorf("Create(%s): %v, want it accepted (checked again at every delivery)", u, err)
		}
	}
	// The env's store allows 127.0.0.1, as --webhook-allow 127.0.0.1 does; not ::1.
	if _, err := e.store.Create(ctx, labK, "http://127.0.0.1:9/allowed", "tok-clin"); err != nil {
		t.Errorf("allowed receiver: %v", err)
	}
	if _, err := e.store.Create(ctx, labK, "http://[::1]:9/hook", "tok-clin"); !errors.Is(err, ErrForbidden) {
		t.Errorf("::1 with 127.0.0.1 allowed: got %v, want ErrForbidden", err)
	}
}

// TestDeliveryRefusedAtDial: a subscription whose host now leads to a refused address
// (registered when it resolved elsewhere, DNS rebinding; or registered under an allow-list
// the operator has since removed) is refused at the dial, on the address dialled, before
// any packet is sent: the receiver gets nothing, and the log says why without retrying.
func TestDeliveryRefusedAtDial(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	port := rc.srv.URL[strings.LastIndex(rc.srv.URL, ":")+1:]
	// Registered under an allow-list of 127.0.0.1 (e.store): literal address.
	literal := e.subscribe(t, labK, rc.srv.URL+"/literal")
	// Registered when localhost resolved to a public address; it resolves to loopback now.
	rebinding, err := OpenStore(ctx, e.q.JetStream(), 1, &Guard{lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("203.0.113.10")}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	rebound, err := rebinding.Create(ctx, labK, "http://localhost:"+port+"/rebound", "tok-clin")
	if err != nil {
		t.Fatal(err)
	}
	// The dispatcher runs with the default guard: nothing internal allowed.
	def, err := OpenStore(ctx, e.q.JetStream(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDispatcher(ctx, e.q, def, e.audit, nil, nil, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	e.publish(t, goldenAlerts(t, labK, runK)[0])

	for _, sub := range []Subscription{literal, rebound} {
		waittest.Until(t, 10*time.Second, "delivery to "+sub.URL+" settled", func() bool { return settledCount(t, e.store, sub.ID) == 1 })
		ds, err := e.store.Deliveries(ctx, sub.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := ds[0]; got.State != StateFailed || got.Attempts != 1 || got.Status != 0 ||
			!strings.HasPrefix(got.Error, "refused: ") || !strings.Contains(got.Error, "loopback") {
			t.Errorf("%s: log %+v, want failed after one attempt, no status, refused as loopback", sub.URL, got)
		}
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("the receiver got %d requests, want none", n)
	}
	evs, err := e.audit.Query(ctx, audit.Filter{Action: audit.ActionAlertFailed})
	if err != nil || len(evs) != 2 {
		t.Fatalf("audit alert.failed: %d events (%v), want 2", len(evs), err)
	}
	for _, ev := range evs {
		if !strings.Contains(ev.Detail, "refused: ") {
			t.Errorf("audit detail %q does not say the destination was refused", ev.Detail)
		}
	}
}

// TestDeliveryLogKeepsNoBanner: an allowed endpoint that is not an HTTP server (here the
// embedded NATS server, whose greeting names its id and version) is logged with a short
// reason: nothing it sent reaches the delivery log or the audit trail. A redirect is not
// followed: its target gets nothing.
func TestDeliveryLogKeepsNoBanner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	natsURL := "http://" + e.srv.Addr() + "/hook"
	target := newReceiver(t, nil)
	redirect := newReceiver(t, func(_ int, w http.ResponseWriter) int {
		w.Header().Set("Location", target.srv.URL+"/followed")
		return http.StatusFound
	})
	nats := e.subscribe(t, labK, natsURL)
	moved := e.subscribe(t, labK, redirect.srv.URL+"/moved")
	e.publish(t, goldenAlerts(t, labK, runK)[0])
	opts := testOptions()
	opts.MaxAttempts = 2
	e.start(t, nil, nil, opts)

	waittest.Until(t, 10*time.Second, "delivery to NATS settled", func() bool { return settledCount(t, e.store, nats.ID) == 1 })
	ds, err := e.store.Deliveries(ctx, nats.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := ds[0]; got.State != StateFailed || got.Status != 0 || got.Error != "no valid HTTP response" {
		t.Errorf("log %+v, want failed with no status and the reason \"no valid HTTP response\"", got)
	}
	waittest.Until(t, 10*time.Second, "redirect settled", func() bool { return settledCount(t, e.store, moved.ID) == 1 })
	if ds, _ := e.store.Deliveries(ctx, moved.ID, 0); ds[0].State != StateFailed || ds[0].Status != http.StatusFound || ds[0].Attempts != 1 {
		t.Errorf("redirect log %+v, want failed at once with status 302", ds[0])
	}
	if n := len(target.requests()); n != 0 {
		t.Errorf("the redirect was followed: its target got %d requests", n)
	}
	evs, err := e.audit.Query(ctx, audit.Filter{Action: audit.ActionAlertFailed})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		ds = append(ds, Delivery{Error: ev.Detail})
	}
	for _, d := range ds {
		for _, leak := range []string{"INFO", "server_id", "version", "nats", "malformed"} {
			if strings.Contains(strings.ToLower(d.Error), strings.ToLower(leak)) {
				t.Errorf("log or audit %q repeats what the endpoint sent (%q)", d.Error, leak)
			}
		}
	}
}
