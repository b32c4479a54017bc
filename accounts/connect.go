package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// Connect runs the provider's connect flow (browser with loopback or paste,
// or the sign-in form) and stores the new account. With req.Reconnect it
// replaces the tokens of that account instead. Connecting an account the
// provider identifies as one already here reconnects that one.
func (s *Service) Connect(ctx context.Context, req ConnectRequest) (Account, error) {
	s.log.Info("connect started", "provider", req.Provider, "reconnect", req.Reconnect)
	acc, err := s.connect(ctx, req)
	if err != nil {
		msg := s.known.scrub(err.Error())
		s.log.Warn("connect failed", "provider", req.Provider, "reconnect", req.Reconnect, "kind", string(oauth.KindOf(err)), "error", msg)
		if rerr := s.store.AddConnectFailure(storage.ConnectFailure{Time: s.clock.Now(), Provider: req.Provider, Kind: string(oauth.KindOf(err)), Message: msg}); rerr != nil {
			s.log.Warn("recording the failed connect", "error", rerr.Error())
		}
		return acc, err
	}
	s.log.Info("connected", "provider", acc.Provider, "account", acc.ID)
	return acc, nil
}

func (s *Service) connect(ctx context.Context, req ConnectRequest) (Account, error) {
	existing, provider, err := s.reconnectTarget(req)
	if err != nil {
		return Account{}, err
	}
	p, creds, err := s.readyToConnect(provider)
	if err != nil {
		return Account{}, err
	}
	// The exchanges are collected and go to the account's timeline once it
	// exists.
	var log []oauth.Exchange
	var logMu = make(chan struct{}, 1)
	client := &oauth.Client{HTTP: s.http, Now: s.clock.Now, Recorder: oauth.ExchangeRecorderFunc(func(x oauth.Exchange) {
		logMu <- struct{}{}
		log = append(log, x)
		<-logMu
	})}
	tok, err := s.consent(ctx, req, p, creds, client)
	if err != nil {
		return Account{}, err
	}
	// The test call names the account (best effort: a provider without one,
	// or a failing one, still connects).
	ident, identErr := identify(ctx, client, p, tok)
	if existing == nil && ident.ID != "" {
		existing = s.findRemote(p.ID, ident.ID)
	}
	now := s.clock.Now()
	var a *account
	added := existing == nil
	if added {
		id, err := s.newID(p)
		if err != nil {
			return Account{}, err
		}
		a = newAccount(storage.Record{ID: id, Provider: p.ID, CreatedAt: now, Status: string(StatusConnected)}, now)
		a.known = s.known
	} else {
		a = existing
	}
	if err := a.acquire(ctx); err != nil {
		return Account{}, err
	}
	defer a.release()
	lctx, cancel := context.WithTimeout(ctx, s.t.RequestTimeout)
	defer cancel()
	unlock, err := storage.LockAccount(lctx, s.cfg.DataDir, a.id)
	if err != nil {
		return Account{}, err
	}
	defer unlock()
	a.granted(tok, ident, now)
	for _, x := range log {
		s.recordExchange(a, x, "Connect")
	}
	verb := "Connected"
	if !added {
		verb = "Reconnected"
	}
	s.addEntry(a, "note", fmt.Sprintf("%s to %s", verb, p.Name), nil)
	if identErr != nil {
		s.addEntry(a, "error", "The test call failed: "+identErr.Error(), errorDetail(identErr, nil))
	}
	ts, err := s.keepConnected(a, added, tok)
	if err != nil {
		return Account{}, err
	}
	a.mu.Lock()
	a.tok, a.stamp, a.unsaved, a.saveErr = tok, ts.Stamp(), false, nil
	a.status, a.reason, a.action = StatusConnected, "", ""
	a.standing, a.doubt, a.failures, a.nextRetry = standingHealthy, doubtNone, 0, time.Time{}
	a.removed = false
	a.mu.Unlock()
	// The tokens of a provider of a file's own are bound to where they
	// were obtained, as secrets are to where they were entered.
	if orig, ok := s.lookup(p.ID); ok && s.cfg.Settings != nil && s.trusted(p.ID) == nil {
		if err := s.bindOrigins(orig); err != nil {
			s.logf("provider %s: recording its addresses: %v", p.ID, err)
		}
	}
	s.planNext(a)
	s.announce(a)
	if err := s.persist.flushNow(); err != nil {
		s.logf("saving account records: %v", err)
	}
	return s.detailed(a, s.clock.Now()), nil
}

// identify asks the provider's test call who the account is.
func identify(ctx context.Context, client *oauth.Client, p *oauth.Profile, tok *oauth.Token) (oauth.Identity, error) {
	if p.Test.URL == "" {
		return oauth.Identity{}, nil
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return client.Test(tctx, p, tok)
}

// granted records on a what a consent gave: the token's times and scopes
// and the account's name at the provider.
func (a *account) granted(tok *oauth.Token, ident oauth.Identity, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rec.AccessExpiry, a.rec.RefreshExpiry, a.rec.ConsentAt, a.rec.LastRefresh = tok.Expiry, tok.RefreshExpiry, tok.ConsentAt, now
	if a.rec.ConsentAt.IsZero() {
		a.rec.ConsentAt = now
	}
	a.rec.Scopes = append([]string(nil), tok.Scopes...)
	if ident.Name != "" {
		a.rec.DisplayName = ident.Name
	}
	if ident.ID != "" {
		a.rec.RemoteID = ident.ID
	}
	a.rememberSecrets(tok)
}

// reconnectTarget is the account a reconnect replaces the tokens of (nil
// for a new connection) and the provider the connection is for.
func (s *Service) reconnectTarget(req ConnectRequest) (*account, string, error) {
	provider := req.Provider
	if req.Reconnect == "" {
		return nil, provider, nil
	}
	a, err := s.account(req.Reconnect)
	if err != nil {
		return nil, "", err
	}
	a.mu.Lock()
	if provider == "" {
		provider = a.rec.Provider
	}
	same := provider == a.rec.Provider
	a.mu.Unlock()
	if !same {
		return nil, "", fmt.Errorf("account %s belongs to another provider than %q", req.Reconnect, provider)
	}
	return a, provider, nil
}

// readyToConnect is the provider's profile and app credentials, once
// nothing is missing and the keychain can take the token.
func (s *Service) readyToConnect(provider string) (*oauth.Profile, oauth.Credentials, error) {
	p, err := s.profile(provider)
	if err != nil {
		return nil, oauth.Credentials{}, err
	}
	creds, err := s.credentials(p)
	if err != nil {
		return nil, oauth.Credentials{}, err
	}
	if missing := p.MissingSettings(creds); len(missing) > 0 {
		return nil, oauth.Credentials{}, &oauth.Error{Kind: oauth.KindConfig, Op: "connect",
			Description: "missing settings: " + strings.Join(missing, ", "),
			Advice:      fmt.Sprintf("Enter %s for %s in Settings first.", strings.Join(missing, ", "), p.Name)}
	}
	// Refuse early when the keychain cannot take the token: connecting and
	// then losing the grant would waste the seller's consent.
	if err := s.CheckKeychain(); err != nil {
		return nil, oauth.Credentials{}, err
	}
	return p, creds, nil
}

// consent runs the provider's flow: the password sign-in, or the browser
// with its loopback or pasted answer.
func (s *Service) consent(ctx context.Context, req ConnectRequest, p *oauth.Profile, creds oauth.Credentials, client *oauth.Client) (*oauth.Token, error) {
	timeout := req.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	if p.Connect == oauth.ConnectPassword {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return client.SignIn(cctx, p, creds, req.Email, req.Password)
	}
	cfg := oauth.AuthorizeConfig{Profile: p, Credentials: creds, Client: client, OnAuthURL: req.OnAuthURL, Timeout: timeout}
	if !req.NoBrowser && s.cfg.Opener != nil {
		cfg.Opener = s.cfg.Opener
	}
	if req.Paste != nil {
		cfg.Paste = req.Paste()
	}
	if req.OnBadPaste != nil {
		cfg.OnBadPaste = func(err error) {
			s.log.Info("bad paste", "provider", p.ID, "error", s.known.scrub(err.Error()))
			req.OnBadPaste(err)
		}
	}
	return oauth.Authorize(ctx, cfg)
}

// keepConnected stores the account's token, all or nothing: a new account
// exists once its secret and its row are both stored; a reconnect replaces
// the token two-phase.
func (s *Service) keepConnected(a *account, added bool, tok *oauth.Token) (storage.TokenState, error) {
	if !added {
		return s.saveToken(a.id, tok)
	}
	b, err := json.Marshal(tok)
	if err != nil {
		return storage.TokenState{}, err
	}
	a.mu.Lock()
	rec, entries := a.rec, a.entries
	a.mu.Unlock()
	if err := s.store.CreateAccount(rec, b, entries, timelineKeep); err != nil {
		return storage.TokenState{}, fmt.Errorf("the account could not be stored, so it was not added (%w); connect it again once that is fixed", err)
	}
	a.mu.Lock()
	a.entries = a.entries[len(entries):]
	a.mu.Unlock()
	ts, err := s.store.TokenState(a.id)
	if err != nil {
		return storage.TokenState{}, err
	}
	s.mu.Lock()
	s.accts[a.id] = a
	s.mu.Unlock()
	return ts, nil
}

// CheckKeychain checks the secret store answers (the keychain may be
// missing or locked): a write, read and delete where the store can probe,
// else a read of a key that need not exist. Faces call it before asking
// the seller for anything that would be wasted without it.
func (s *Service) CheckKeychain() error {
	if p, ok := s.secrets.(interface{ Probe() error }); ok {
		return p.Probe()
	}
	_, err := s.secrets.Get("probe:accounts")
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

func (s *Service) findRemote(provider, remote string) *account {
	if err := s.loadAll(); err != nil {
		s.logf("reading the accounts: %v", err)
	}
	for _, a := range s.snapshotAccounts() {
		a.mu.Lock()
		match := a.rec.Provider == provider && a.rec.RemoteID == remote && !a.removed
		a.mu.Unlock()
		if match {
			return a
		}
	}
	return nil
}

func (s *Service) newID(p *oauth.Profile) (string, error) {
	prefix := p.Marketplace
	if prefix == "" {
		prefix = p.ID
	}
	for range 10 {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		id := prefix + "-" + hex.EncodeToString(b[:])
		s.mu.RLock()
		_, taken := s.accts[id]
		s.mu.RUnlock()
		if !taken {
			_, taken, err := s.store.Account(id)
			if err != nil {
				return "", err
			}
			if !taken {
				return id, nil
			}
		}
	}
	return "", errors.New("could not pick a free account id")
}

// Test runs the provider's test call and records the display name and id.
func (s *Service) Test(ctx context.Context, id string) (Account, error) {
	a, err := s.account(id)
	if err != nil {
		return Account{}, err
	}
	a.mu.Lock()
	provider := a.rec.Provider
	a.mu.Unlock()
	p, err := s.profile(provider)
	if err != nil {
		return Account{}, err
	}
	if p.Test.URL == "" {
		return Account{}, &oauth.Error{Kind: oauth.KindConfig, Op: "test", Description: "this provider has no test call",
			Advice: "Nothing to test: the provider documents no test call."}
	}
	tok, err := s.obtain(ctx, a, modeToken, time.Time{})
	if err != nil {
		return s.detailed(a, s.clock.Now()), err
	}
	ident, err := s.client(a, "Test connection").Test(ctx, p, tok)
	if err != nil {
		s.addEntry(a, "error", "The test call failed: "+err.Error(), errorDetail(err, nil))
		s.announce(a)
		return s.detailed(a, s.clock.Now()), err
	}
	a.mu.Lock()
	if ident.Name != "" {
		a.rec.DisplayName = ident.Name
	}
	if ident.ID != "" {
		a.rec.RemoteID = ident.ID
	}
	a.mu.Unlock()
	s.addEntry(a, "note", fmt.Sprintf("Test call succeeded: %s (%s)", ident.Name, ident.ID), nil)
	s.announce(a)
	return s.detailed(a, s.clock.Now()), nil
}

// Disconnect revokes where the provider can, then forgets the account: its
// secret, record and timeline. A failed revocation does not keep the
// account. revoked says the provider revoked the tokens; otherwise help,
// when the provider says, tells where the seller revokes by hand.
func (s *Service) Disconnect(ctx context.Context, id string) (revoked bool, help string, err error) {
	res, err := s.disconnect(ctx, id)
	return res.revoked, res.help, err
}

// disconnected is what Disconnect did at the provider.
type disconnected struct {
	revoked bool
	help    string
}

func (s *Service) disconnect(ctx context.Context, id string) (disconnected, error) {
	a, err := s.account(id)
	if err != nil {
		return disconnected{}, err
	}
	if err := a.acquire(ctx); err != nil {
		return disconnected{}, err
	}
	defer a.release()
	lctx, cancel := context.WithTimeout(ctx, s.t.RequestTimeout)
	defer cancel()
	unlock, err := storage.LockAccount(lctx, s.cfg.DataDir, a.id)
	if err != nil {
		return disconnected{}, err
	}
	defer unlock()
	a.mu.Lock()
	provider := a.rec.Provider
	a.mu.Unlock()
	var res disconnected
	p, perr := s.profile(provider)
	if perr == nil {
		res.help = p.RevokeHelp
		tok, _, _ := s.readToken(id)
		a.mu.Lock()
		if a.unsaved || tok == nil {
			tok = a.tok
		}
		a.mu.Unlock()
		if p.RevokeURL != "" && tok != nil {
			creds, _ := s.credentials(p)
			rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := s.client(a, "Disconnect").Revoke(rctx, p, creds, tok)
			cancel()
			if err == nil {
				res.revoked = true
			} else if res.help == "" {
				res.help = "Revoking at the provider failed (" + scrub(err.Error(), a.secretsCopy()) + "); remove SellerConnect's access in the marketplace's account settings."
			}
		}
	}
	// The row goes first: no process can then bring the account back, and
	// the secrets follow.
	if err := s.store.RemoveAccount(id); err != nil {
		return res, err
	}
	s.forget(a)
	return res, nil
}
