package emulator

import (
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Approve plays the seller in a browser: it loads the consent page at
// authURL, presses Approve and returns the address the provider redirects
// to (redirect_uri with code and state) without following it. When the
// authorization request itself is refused with a redirect (an unknown
// scope, a missing code_challenge), that redirect's address is returned.
// A nil client means http.DefaultClient (its redirect policy is not used).
func Approve(ctx context.Context, client *http.Client, authURL string) (location string, err error) {
	return decide(ctx, client, authURL, "approve", "")
}

// ApproveAs is Approve with another seller signed in: seller names a
// configured user (name, email or id) or, when none matches, an ad-hoc
// seller whose test call answers that name.
func ApproveAs(ctx context.Context, client *http.Client, authURL, seller string) (location string, err error) {
	return decide(ctx, client, authURL, "approve", seller)
}

// Deny presses Deny on the consent page and returns the redirect address
// (redirect_uri with error=access_denied, error_description and state).
func Deny(ctx context.Context, client *http.Client, authURL string) (location string, err error) {
	return decide(ctx, client, authURL, "deny", "")
}

var (
	formRe   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	msgRe    = regexp.MustCompile(`(?s)<p>(.*?)</p>`)
)

func decide(ctx context.Context, client *http.Client, authURL, decision, seller string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base, err := url.Parse(authURL)
	if err != nil {
		return "", fmt.Errorf("emulator: consent page address: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", fmt.Errorf("emulator: consent page: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("emulator: consent page: %w", err)
	}
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return "", fmt.Errorf("emulator: consent page: %w", err)
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
		return resolve(base, loc), nil
	}
	if resp.StatusCode != http.StatusOK {
		msg := "no explanation"
		if m := msgRe.FindSubmatch(page); m != nil {
			msg = html.UnescapeString(string(m[1]))
		}
		return "", fmt.Errorf("emulator: consent page refused the request (HTTP %d): %s", resp.StatusCode, msg)
	}
	fm := formRe.FindSubmatch(page)
	if fm == nil {
		return "", fmt.Errorf("emulator: no consent form at %s", base.Redacted())
	}
	form := url.Values{}
	for _, m := range hiddenRe.FindAllSubmatch(page, -1) {
		form.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	if seller != "" {
		form.Set("seller", seller)
	}
	form.Set("decision", decision)
	action := resolve(base, html.UnescapeString(string(fm[1])))
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("emulator: consent form: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	if err != nil {
		return "", fmt.Errorf("emulator: consent form: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || loc == "" {
		return "", fmt.Errorf("emulator: consent form answered HTTP %d without a redirect", resp.StatusCode)
	}
	return resolve(base, loc), nil
}

func resolve(base *url.URL, ref string) string {
	u, err := base.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

// isLoopback reports whether an address points at this machine, where a
// browser would deliver it to the app's loopback receiver.
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// browser is what AutoApprover and AutoDenier share: a pretend browser.
type browser struct {
	once     sync.Once
	pasted   chan string
	followed chan error
}

const helperBuffer = 64

func (b *browser) init() {
	b.once.Do(func() {
		b.pasted = make(chan string, helperBuffer)
		b.followed = make(chan error, helperBuffer)
	})
}

func (b *browser) open(client *http.Client, rawURL, decision, seller string) error {
	b.init()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loc, err := decide(ctx, client, rawURL, decision, seller)
	if err != nil {
		return err
	}
	if !isLoopback(loc) {
		// An https page (eBay's accepted URL): the seller copies the address.
		select {
		case b.pasted <- loc:
		default:
		}
		return nil
	}
	// The browser goes to the app's loopback receiver. Like a real browser it
	// does not hold up the app that opened it, so this runs on its own; the
	// outcome arrives on Followed.
	if client == nil {
		client = http.DefaultClient
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := follow(ctx, client, loc)
		select {
		case b.followed <- err:
		default:
		}
	}()
	return nil
}

func follow(ctx context.Context, client *http.Client, loc string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("emulator: following the redirect to the app: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("emulator: the app's receiver answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// AutoApprover is a URL opener (Open(url string) error, like the app's
// browser opener) that approves every consent page it is given, as a seller
// would. When the provider redirects to a loopback address it follows the
// redirect in the background, as a browser delivers the callback to the
// app; the outcome (nil or an error) arrives on Followed. Any other
// redirect (eBay's https accepted URL) is not followed: the final address
// arrives on Pasted, ready for the paste fallback. Use it by pointer; the
// zero value (with a nil Client meaning http.DefaultClient) is ready.
type AutoApprover struct {
	Client *http.Client
	// Seller approves instead of the dialect's first user (see ApproveAs).
	Seller string
	b      browser
}

// Open approves the consent page at url.
func (a *AutoApprover) Open(url string) error {
	return a.b.open(a.Client, url, "approve", a.Seller)
}

// Pasted delivers final addresses that were not loopback redirects.
func (a *AutoApprover) Pasted() <-chan string { a.b.init(); return a.b.pasted }

// Followed delivers the outcome of each loopback redirect followed.
func (a *AutoApprover) Followed() <-chan error { a.b.init(); return a.b.followed }

// AutoDenier is AutoApprover pressing Deny: the redirect carries
// error=access_denied.
type AutoDenier struct {
	Client *http.Client
	b      browser
}

// Open denies the consent page at url.
func (a *AutoDenier) Open(url string) error { return a.b.open(a.Client, url, "deny", "") }

// Pasted delivers final addresses that were not loopback redirects.
func (a *AutoDenier) Pasted() <-chan string { a.b.init(); return a.b.pasted }

// Followed delivers the outcome of each loopback redirect followed.
func (a *AutoDenier) Followed() <-chan error { a.b.init(); return a.b.followed }
