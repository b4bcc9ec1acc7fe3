package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// ErrForbidden: a webhook URL's host is, or resolves to, an address webhooks may not reach
// (see Guard). It wraps ErrInvalid, so a registration refused for it is a bad request.
var ErrForbidden = fmt.Errorf("%w: destination not allowed", ErrInvalid)

// blocked are the address ranges webhooks may not reach unless an operator allows them:
// the service's own host and the networks behind it (a webhook URL is chosen by any token
// that reads a lab, and the delivery log shows what answered). IPv4-mapped IPv6 addresses
// are checked as the IPv4 address they map.
var blocked = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified (this-host) address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.169.254/32"), metadataWhat},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address (RFC 6890)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved or broadcast address"},
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address (deprecated)"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), metadataWhat},
	{netip.MustParsePrefix("fc00::/7"), "a unique local address (private, RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

const metadataWhat = "the cloud metadata service"

// hostRE is an allowed host name: DNS labels, optionally "*." for any subdomain.
var hostRE = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Guard decides which addresses webhook deliveries may connect to. By default it refuses
// every address in the blocked ranges (loopback, unspecified, private RFC 1918 and ULA
// fc00::/7, link-local and the cloud metadata service, CGNAT 100.64/10, multicast, reserved);
// an operator allows the hospital's own receivers, usually internal, by network or host name.
//
// A Guard checks twice: at registration (Store.Create resolves the URL's host and refuses it
// when any of its addresses is forbidden) and at every connection, on the address actually
// dialled (a net.Dialer Control hook, before any packet is sent), so a name that resolves to
// another address later (DNS rebinding) gains nothing. Redirects are never followed.
// The zero value (and a nil *Guard) refuses the blocked ranges and allows nothing more.
// Safe for concurrent use; not to be modified after NewGuard.
type Guard struct {
	nets  []netip.Prefix
	hosts []string // lower-case host names; "*.example.org" allows any subdomain
	// lookup resolves a host name at registration; nil: the default resolver.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// NewGuard returns a Guard that also allows the given entries, each a CIDR network
// (10.20.0.0/16, fd12:3456::/48), an IP address, or a host name (receiver.region.example,
// or *.region.example for its subdomains). An entry may hold several, comma-separated.
// An allowed host name is connected to at whatever address it resolves to: allow names
// only under the operator's own DNS.
func NewGuard(allow []string) (*Guard, error) {
	g := &Guard{}
	for _, list := range allow {
		for e := range strings.SplitSeq(list, ",") {
			e = strings.ToLower(strings.TrimSpace(e))
			if e == "" {
				continue
			}
			if p, err := netip.ParsePrefix(e); err == nil {
				if p.Masked() != p {
					return nil, fmt.Errorf("%w: webhook allow %q: host bits set; did you mean %s?", ErrInvalid, e, p.Masked())
				}
				g.nets = append(g.nets, p)
				continue
			}
			if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				g.nets = append(g.nets, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			if !hostRE.MatchString(strings.TrimSuffix(e, ".")) {
				return nil, fmt.Errorf("%w: webhook allow %q: want a CIDR network, an IP address or a host name", ErrInvalid, e)
			}
			g.hosts = append(g.hosts, strings.TrimSuffix(e, "."))
		}
	}
	return g, nil
}

// hostAllowed reports whether the host name is allowed by name.
func (g *Guard) hostAllowed(host string) bool {
	if g == nil {
		return false
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range g.hosts {
		if sub, ok := strings.CutPrefix(h, "*."); ok {
			if strings.HasSuffix(host, "."+sub) {
				return true
			}
		} else if host == h {
			return true
		}
	}
	return false
}

// refusal returns why a delivery may not connect to a, or nil. An allowed network lifts
// the refusal, except of the cloud metadata service, which only an entry naming exactly its
// address lifts.
func (g *Guard) refusal(a netip.Addr) *forbidden {
	a = a.Unmap().WithZone("")
	for _, b := range blocked {
		if !b.prefix.Contains(a) {
			continue
		}
		metadata := b.what == metadataWhat
		if g != nil {
			for _, n := range g.nets {
				if n.Contains(a) && (!metadata || n.IsSingleIP()) {
					return nil
				}
			}
		}
		return &forbidden{addr: a, what: b.what}
	}
	return nil
}

// forbidden is the guard's refusal of an address. It wraps ErrForbidden.
type forbidden struct {
	addr netip.Addr
	what string // "a loopback address"
	host string // the name that resolved to addr, when known
}

func (f *forbidden) Error() string {
	s := fmt.Sprintf("%s: %s is %s", ErrForbidden, f.addr, f.what)
	if f.host != "" {
		s = fmt.Sprintf("%s: host %s resolves to %s, %s", ErrForbidden, f.host, f.addr, f.what)
	}
	return s + "; webhooks may not reach internal addresses unless the operator allows them (precis serve --webhook-allow)"
}

func (f *forbidden) Unwrap() error { return ErrForbidden }

// checkHost checks a URL's host at registration: an IP literal itself, a host name allowed
// by name as it is, any other name through every address it resolves to now. A name that
// does not resolve now is accepted: its addresses are checked at every delivery.
func (g *Guard) checkHost(ctx context.Context, host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		if f := g.refusal(a); f != nil {
			return f
		}
		return nil
	}
	if g.hostAllowed(host) {
		return nil
	}
	lookup := net.DefaultResolver.LookupNetIP
	if g != nil && g.lookup != nil {
		lookup = func(ctx context.Context, _, host string) ([]netip.Addr, error) { return g.lookup(ctx, host) }
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := lookup(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if f := g.refusal(a); f != nil {
			f.host = host
			return f
		}
	}
	return nil
}

// control is the dialer's Control hook: it runs after the name is resolved, before the
// socket connects, with the address about to be dialled.
func (g *Guard) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: address %q", ErrForbidden, address)
	}
	if f := g.refusal(ap.Addr()); f != nil {
		return f
	}
	return nil
}

// dialContext dials addr (host:port of the URL), checking the address dialled unless the
// host is allowed by name.
func (g *Guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if host, _, err := net.SplitHostPort(addr); err != nil || !g.hostAllowed(host) {
		d.ControlContext = g.control
	}
	return d.DialContext(ctx, network, addr)
}

// client returns the HTTP client of deliveries: connections through the guard, no proxy
// from the environment (it would be what is dialled), redirects not followed (a 3xx is a
// failed delivery, not retried).
func (g *Guard) client() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            g.dialContext,
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           64,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
			TLSHandshakeTimeout:    10 * time.Second,
			ResponseHeaderTimeout:  30 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// reason names why a request failed in a few words for the delivery log, the audit trail
// and the API: never the error's own text, which can carry what the other end sent (a
// non-HTTP server's banner) or internal addresses.
func reason(err error) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
		urlErr  *url.Error
		fb      *forbidden
	)
	switch {
	case errors.As(err, &fb):
		// The guard's own words: the address and its range, nothing received.
		return fmt.Sprintf("refused: %s is %s (not in --webhook-allow)", fb.addr, fb.what)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "host not found"
		}
		return "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		return "TLS certificate not accepted"
	case errors.As(err, &recErr):
		return "TLS handshake failed: the endpoint does not speak TLS"
	case errors.As(err, &urlErr) && urlErr.Timeout():
		return "timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return "connection failed"
	}
	return "no valid HTTP response"
}
