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
	b, err := authorizing(cfg)
	if err != nil {
		return nil, err
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

	at := &attempt{cfg: cfg, b: b, state: NewState(), paste: cfg.Paste}
	if b.PKCE != PKCEUnsupported {
		at.verifier = NewVerifier()
		at.challenge = S256Challenge(at.verifier)
	}
	stop, err := at.listen(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := at.open(); err != nil {
		return nil, err
	}
	code, err := at.wait(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := client.exchange(ctx, b, code, at.verifier, at.redirectURI)
	if err != nil {
		return nil, err
	}
	tok.ConsentAt = tok.IssuedAt
	return tok, nil
}

// authorizing resolves and binds cfg's profile for a browser connect, with
// every setting it needs.
func authorizing(cfg AuthorizeConfig) (*binding, error) {
	b, e := prepare("authorize", cfg.Profile, cfg.Credentials)
	if e != nil {
		return nil, e
	}
	if b.Connect != ConnectBrowser {
		return nil, configError("authorize", "%s connects with a sign-in form, not in the browser", b.Name)
	}
	if missing := b.missing(); len(missing) > 0 {
		e := configError("authorize", "%s needs settings: %v", b.Name, missing)
		e.Advice = fmt.Sprintf("Enter %s's app settings (%v) in Settings first.", b.Name, missing)
		return nil, e
	}
	return b, nil
}

// attempt is one browser connect under way.
type attempt struct {
	cfg                        AuthorizeConfig
	b                          *binding
	state, verifier, challenge string
	redirectURI                string
	callback                   <-chan callbackResult // the loopback receiver's; nil in paste mode
	paste                      <-chan string         // nil once closed
	opened                     chan error            // the opener's result
	openErr                    error                 // the opener failed ...
	openFailed                 <-chan time.Time      // ... and this ends the wait unless the browser came back
}

// listen sets the redirect up: a loopback receiver waiting for the
// callback, or the paste-mode address. stop ends the receiver.
func (at *attempt) listen(ctx context.Context) (stop func(), err error) {
	if at.b.Redirect.Mode == RedirectPaste {
		if at.paste == nil {
			return nil, configError("authorize", "%s finishes by pasting the browser's final address, and nothing can receive it", at.b.Name)
		}
		uri, err := at.b.pasteRedirectURI()
		if err != nil {
			return nil, configError("authorize", "%v", err)
		}
		at.redirectURI = uri
		return func() {}, nil
	}
	lb, err := listenLoopback(&at.b.Profile)
	if err != nil {
		return nil, err
	}
	at.redirectURI = lb.RedirectURI()
	ch := make(chan callbackResult, 1)
	go func() {
		code, err := lb.Wait(ctx, at.state)
		ch <- callbackResult{code, err}
	}()
	at.callback = ch
	return func() { lb.Close() }, nil
}

// open builds the authorization address, shows it and opens the browser.
func (at *attempt) open() error {
	authURL, err := at.b.authCodeURL(at.redirectURI, at.state, at.challenge)
	if err != nil {
		return err
	}
	if at.cfg.OnAuthURL != nil {
		at.cfg.OnAuthURL(authURL)
	}
	at.opened = make(chan error, 1)
	if at.cfg.Opener != nil {
		// Opening can block (a browser launcher, or a test's automatic
		// approver following the redirect), so it runs beside the wait.
		go func() { at.opened <- at.cfg.Opener.Open(authURL) }()
	}
	return nil
}

// wait returns the code the browser brought back or the seller pasted.
func (at *attempt) wait(ctx context.Context) (string, error) {
	for {
		select {
		case r := <-at.callback:
			return r.code, r.err
		case s, ok := <-at.paste:
			if code, err, done := at.pasted(s, ok); done {
				return code, err
			}
		case err := <-at.opened:
			at.openDone(err)
		case <-at.openFailed:
			e := newError(KindCancelled, "authorize", fmt.Errorf("the browser could not be opened: %v", at.openErr))
			e.Advice = "Open the authorization link in a browser by hand, or try again."
			return "", e
		case <-ctx.Done():
			e := newError(KindCancelled, "authorize", ctx.Err())
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				e.Advice = "The approval did not arrive in time. Start connecting again and approve the request in the browser."
			}
			return "", e
		}
	}
}

// pasted reads one paste; done is false when the wait goes on (a bad
// paste someone is told of, or the paste channel closing while the
// browser can still come back).
func (at *attempt) pasted(s string, ok bool) (code string, err error, done bool) {
	if !ok {
		at.paste = nil // closed: wait for the browser instead
		if at.callback == nil {
			return "", newError(KindCancelled, "authorize", errors.New("nothing was pasted")), true
		}
		return "", nil, false
	}
	code, err = parsePasted(s, at.state, at.b.Redirect.Mode == RedirectPaste)
	if err != nil && KindOf(err) == KindPaste && at.cfg.OnBadPaste != nil {
		at.cfg.OnBadPaste(err)
		return "", nil, false
	}
	return code, err, true
}

// openDone notes the opener's result. When it failed and nobody else shows
// the link, the attempt ends soon: the browser may still have reached the
// receiver before the opener reported, so its answer gets a moment to win.
func (at *attempt) openDone(err error) {
	if err != nil && at.cfg.OnAuthURL == nil {
		at.openErr = err
		at.openFailed = time.After(3 * time.Second)
	}
}
