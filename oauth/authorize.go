package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// URLOpener opens an address in the seller's browser.
type URLOpener interface {
	Open(url string) error
}

// URLOpenerFunc adapts a function to URLOpener.
type URLOpenerFunc func(url string) error

// Open calls f.
func (f URLOpenerFunc) Open(url string) error { return f(url) }

// DefaultAuthorizeTimeout bounds the wait for consent when
// AuthorizeConfig.Timeout is zero.
const DefaultAuthorizeTimeout = 5 * time.Minute

// AuthorizeConfig is one browser connect flow.
type AuthorizeConfig struct {
	// Profile is the provider; it must connect in the browser. Required.
	Profile *Profile
	// Credentials are the integrator's client id, secret and settings;
	// empty values take the profile's defaults.
	Credentials Credentials
	// Client sends the code exchange; a zero Client when nil.
	Client *Client
	// Opener opens the authorization address in the browser. When nil
	// nothing is opened: OnAuthURL must show the address to the seller.
	Opener URLOpener
	// OnAuthURL receives the authorization address before the browser is
	// opened (to offer "Copy link"). Optional.
	OnAuthURL func(url string)
	// Paste delivers what the seller pastes: the final browser address (or,
	// for paste-mode profiles only, the bare code; see ParsePastedFor).
	// Required for paste-mode profiles; for loopback profiles a fallback,
	// whichever of the two comes first wins.
	Paste <-chan string
	// OnBadPaste, when set, is told of a paste that is not this attempt's
	// address (a KindPaste error) and the wait goes on, so the seller can
	// paste again; when nil such a paste ends the attempt.
	OnBadPaste func(error)
	// Timeout bounds the wait for consent; DefaultAuthorizeTimeout when zero.
	Timeout time.Duration
}

// Authorize runs the authorization code flow: PKCE and state, a loopback
// receiver (any port or the profile's fixed one) or paste mode, the browser,
// the wait for the callback or a pasted address, the state check and the
// code exchange. Every failure is a *Error.
func Authorize(ctx context.Context, cfg AuthorizeConfig) (*Token, error) {
	p := cfg.Profile
	if p == nil {
		return nil, configError("authorize", "no provider profile")
	}
	p = p.clone()
	p.applyDefaults()
	if p.Connect != ConnectBrowser {
		return nil, configError("authorize", "%s connects with a sign-in form, not in the browser", p.Name)
	}
	cred := p.withDefaults(cfg.Credentials)
	if missing := p.MissingSettings(cred); len(missing) > 0 {
		e := configError("authorize", "%s needs settings: %v", p.Name, missing)
		e.Advice = fmt.Sprintf("Enter %s's app settings (%v) in Settings first.", p.Name, missing)
		return nil, e
	}
	client := cfg.Client
	if client == nil {
		client = &Client{}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultAuthorizeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var verifier, challenge string
	if p.PKCE != PKCEUnsupported {
		verifier = NewVerifier()
		challenge = S256Challenge(verifier)
	}
	state := NewState()

	var redirectURI string
	var callback <-chan callbackResult
	switch p.Redirect.Mode {
	case RedirectLoopback, RedirectLoopbackFixed:
		lb, err := ListenLoopback(p)
		if err != nil {
			return nil, err
		}
		defer lb.Close()
		redirectURI = lb.RedirectURI()
		ch := make(chan callbackResult, 1)
		go func() {
			code, err := lb.Wait(ctx, state)
			ch <- callbackResult{code, err}
		}()
		callback = ch
	case RedirectPaste:
		if cfg.Paste == nil {
			return nil, configError("authorize", "%s finishes by pasting the browser's final address, and nothing can receive it", p.Name)
		}
		uri, err := expand(p.Redirect.URI, cred)
		if err != nil {
			return nil, configError("authorize", "redirect.uri: %v", err)
		}
		redirectURI = uri
	default:
		return nil, configError("authorize", "%s has no usable redirect.mode (%q)", p.Name, p.Redirect.Mode)
	}

	authURL, err := AuthCodeURL(p, cred, redirectURI, state, challenge)
	if err != nil {
		return nil, err
	}
	if cfg.OnAuthURL != nil {
		cfg.OnAuthURL(authURL)
	}
	opened := make(chan error, 1)
	if cfg.Opener != nil {
		// Opening can block (a browser launcher, or a test's automatic
		// approver following the redirect), so it runs beside the wait.
		go func() { opened <- cfg.Opener.Open(authURL) }()
	}

	var code string
	var openFailed <-chan time.Time
	var openErr error
	for code == "" {
		select {
		case r := <-callback:
			if r.err != nil {
				return nil, r.err
			}
			code = r.code
		case s, ok := <-cfg.Paste:
			if !ok {
				cfg.Paste = nil // closed: wait for the browser instead
				if callback == nil {
					return nil, newError(KindCancelled, "authorize", errors.New("nothing was pasted"))
				}
				continue
			}
			c, err := ParsePastedFor(p, s, state)
			if err != nil {
				if KindOf(err) == KindPaste && cfg.OnBadPaste != nil {
					cfg.OnBadPaste(err)
					continue
				}
				return nil, err
			}
			code = c
		case err := <-opened:
			if err != nil && cfg.OnAuthURL == nil {
				// Nobody else shows the link. The browser may still have
				// reached the receiver before the opener reported, so give
				// its answer a moment to win.
				openErr = err
				openFailed = time.After(3 * time.Second)
			}
		case <-openFailed:
			e := newError(KindCancelled, "authorize", fmt.Errorf("the browser could not be opened: %v", openErr))
			e.Advice = "Open the authorization link in a browser by hand, or try again."
			return nil, e
		case <-ctx.Done():
			e := newError(KindCancelled, "authorize", ctx.Err())
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				e.Advice = "The approval did not arrive in time. Start connecting again and approve the request in the browser."
			}
			return nil, e
		}
	}
	tok, err := client.Exchange(ctx, p, cred, code, verifier, redirectURI)
	if err != nil {
		return nil, err
	}
	tok.ConsentAt = tok.IssuedAt
	return tok, nil
}
