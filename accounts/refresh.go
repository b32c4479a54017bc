package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

type mode int

const (
	modeToken     mode = iota // a caller wants a valid access token
	modeScheduled             // the scheduler's planned refresh
	modeForce                 // the user pressed refresh
)

// runScheduled is the scheduler's action for one due account: retry a
// pending save, and refresh if the token is (still) due.
func (s *Service) runScheduled(id string, planned time.Time) {
	if s.runCtx.Err() != nil {
		return
	}
	a, err := s.account(id)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.runCtx, s.t.RequestTimeout)
	defer cancel()
	if _, err := s.obtain(ctx, a, modeScheduled, planned); err != nil {
		s.logf("account %s: %v", id, scrub(err.Error(), a.secretsCopy()))
	}
}

// obtain returns a usable token for a, refreshing when mode says so. All
// token work for one account goes through here: the in-process flight
// token, then the cross-process account lock, then a fresh read of the
// keychain, and only then, if still due, a refresh.
func (s *Service) obtain(ctx context.Context, a *account, m mode, since time.Time) (*oauth.Token, error) {
	a.mu.Lock()
	provider := a.rec.Provider
	a.mu.Unlock()
	if err := s.ProviderOff(provider); err != nil {
		return nil, err
	}
	for {
		tok, err := s.obtainOnce(ctx, a, m, since)
		var w *waitError
		if !errors.As(err, &w) {
			return tok, err
		}
		// A rotation is planned within the guaranteed time: the caller
		// waits for it rather than take a token it would end.
		began := s.clock.Now()
		t := s.clock.NewTimer(max(0, w.until.Sub(began)))
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		if s.onWait != nil {
			s.onWait(s.clock.Now().Sub(began))
		}
	}
}

// ProviderOff says why a provider cannot be used: a provider file that
// concerns it did not load (nil when it can). Its accounts then serve
// nothing, and every other provider's work.
func (s *Service) ProviderOff(provider string) error {
	s.catMu.RLock()
	derr := s.catalog.Disabled(provider)
	s.catMu.RUnlock()
	if derr == nil {
		return nil
	}
	_, err := s.profile(provider)
	return err
}

// waitError says to come back at until (obtainOnce to obtain only).
type waitError struct{ until time.Time }

func (w *waitError) Error() string { return "wait until " + w.until.String() }

func (s *Service) obtainOnce(ctx context.Context, a *account, m mode, since time.Time) (*oauth.Token, error) {
	if m == modeToken {
		if tok, err, ok := s.quick(a); ok {
			return tok, err
		}
	}
	if err := a.acquire(ctx); err != nil {
		return nil, err
	}
	defer a.release()
	if m == modeToken {
		if tok, err, ok := s.quick(a); ok {
			return tok, err
		}
	}
	lctx, cancel := context.WithTimeout(ctx, s.t.RequestTimeout)
	defer cancel()
	unlock, err := storage.LockAccount(lctx, s.cfg.DataDir, a.id)
	if err != nil {
		if m == modeScheduled {
			s.reschedule(a, s.clock.Now().Add(s.t.RetryBase))
		}
		return nil, err
	}
	defer unlock()
	return s.underLock(lctx, a, m, since)
}

// rotates reports whether provider rotates refresh tokens.
func (s *Service) rotates(provider string) bool {
	p, ok := s.lookup(provider)
	return ok && p.Rotation == oauth.RotationRotate
}

// quick answers Token from memory when that is safe: the token is not due
// and no other process stored a newer one (the sync stamp is unchanged).
func (s *Service) quick(a *account) (*oauth.Token, error, bool) {
	dv, err := s.store.DataVersion()
	if err != nil {
		return nil, nil, false // the slow path reads again and reports
	}
	a.mu.Lock()
	stamp, known := a.stamp, a.seenDV == dv && a.tok != nil
	a.mu.Unlock()
	if !known {
		// Another process wrote something since this account was last
		// checked: read its stamp.
		ts, err := s.store.TokenState(a.id)
		if errors.Is(err, storage.ErrNoAccount) {
			s.forget(a)
			return nil, &notFoundError{ID: a.id}, true
		}
		if err != nil {
			return nil, nil, false
		}
		stamp = ts.Stamp()
	}
	now := s.clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if stamp == a.stamp {
		a.seenDV = dv
	}
	if a.removed {
		return nil, &notFoundError{ID: a.id}, true
	}
	if a.standing == standingStopped {
		if stamp == a.stoppedStamp {
			return nil, s.stoppedError(a), true
		}
		return nil, nil, false
	}
	if a.tok == nil || (!a.unsaved && stamp != a.stamp) {
		return nil, nil, false
	}
	if a.status == StatusRefreshing {
		// A refresh is on its way to the provider, which may already have
		// replaced the token held here: wait for the outcome.
		return nil, nil, false
	}
	d := decide(s.situation(a, a.tok, callerScript, now, time.Time{}))
	switch {
	case d.verdict == verdictServe:
		return a.tok, nil, true
	case d.verdict == verdictWait:
		return nil, &waitError{until: d.next}, true
	case d.verdict == verdictStop && d.stop == stopRetryingLater:
		// Backing off after temporary failures: the failure, rather than
		// hammering a provider that is down.
		return nil, s.lastError(a), true
	}
	return nil, nil, false
}

// situation describes a (whose mu is held) for decide.
func (s *Service) situation(a *account, tok *oauth.Token, c caller, now, since time.Time) situation {
	st := a.standing
	if st != standingStopped && a.doubt != doubtNone {
		st = standingUnsure
	}
	sit := situation{standing: st, tok: tok, rotates: s.rotates(a.rec.Provider), now: now,
		retryAt: a.nextRetry, since: since, caller: c}
	if tok != nil {
		sit.planned, sit.guard = s.t.refreshAt(a.id, tok), s.t.guarantee(a.id, tok)
	}
	return sit
}

// callerOf is the caller a mode stands for.
func callerOf(m mode) caller {
	switch m {
	case modeScheduled:
		return callerScheduler
	case modeForce:
		return callerSeller
	}
	return callerScript
}

func (s *Service) underLock(ctx context.Context, a *account, m mode, since time.Time) (*oauth.Token, error) {
	now := s.clock.Now()
	cur, stamp, err := s.current(a, m, now)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.standing == standingStopped && stamp != a.stoppedStamp {
		// Another process (or window) connected it again.
		a.standing, a.failures, a.doubt = standingHealthy, 0, doubtNone
		a.status, a.reason, a.action = StatusConnected, "", ""
	}
	unsaved := a.unsaved
	d := decide(s.situation(a, cur, callerOf(m), now, since))
	a.mu.Unlock()
	s.log.Debug("decision", "account", a.id, "caller", callerOf(m).String(), "verdict", d.verdict.String(), "rule", d.rule)
	if unsaved {
		s.trySave(a)
	}
	return s.act(ctx, a, cur, d, m)
}

// current is the account's token as it stands: the store's, adopted from
// a process that saved it, or the one held in memory because the keychain
// refused it (a.mu not held; it records what it finds on a).
func (s *Service) current(a *account, m mode, now time.Time) (cur *oauth.Token, stamp string, err error) {
	ts, err := s.store.TokenState(a.id)
	if errors.Is(err, storage.ErrNoAccount) {
		s.forget(a)
		return nil, "", &notFoundError{ID: a.id}
	}
	if err != nil {
		return nil, "", err
	}
	holding, err := s.newerElsewhere(a, ts, m, now)
	if err != nil {
		return nil, "", err
	}
	stored, loaded, rerr := s.decodeToken(a.id, func() (storage.Loaded, error) { return s.store.LoadTokenAt(a.id, ts) })
	if errors.Is(rerr, storage.ErrNoAccount) {
		s.forget(a)
		return nil, "", &notFoundError{ID: a.id}
	}
	stamp = ts.Stamp()
	if rerr == nil {
		stamp = loaded.State.Stamp()
	}
	a.mu.Lock()
	if a.removed {
		a.mu.Unlock()
		return nil, "", &notFoundError{ID: a.id}
	}
	useMemory := holding && (stored == nil || a.tok.IssuedAt.After(stored.IssuedAt))
	if loaded.Interrupted && !useMemory && s.rotates(a.rec.Provider) {
		// Another process was stopped between sending a refresh and saving
		// its answer: only a refresh tells whether the provider rotated.
		a.doubt = doubtStopped
	}
	a.mu.Unlock()
	if loaded.Adopted {
		s.addEntry(a, "note", "Took up a renewed token that a SellerConnect window or command saved in the keychain but was stopped before recording", nil)
	}
	a.mu.Lock()
	if rerr != nil && !useMemory {
		a.mu.Unlock()
		if errors.Is(rerr, storage.ErrNotFound) {
			oe := &oauth.Error{Kind: oauth.KindReconnect, Op: "token",
				Description: "the keychain holds no token for this account",
				Advice:      "Connect the account again."}
			s.failed(a, nil, nil, oe, m)
			return nil, "", oe
		}
		s.keychainTrouble(a, rerr, m)
		return nil, "", rerr
	}
	// cur is the token the decision is about.
	if useMemory {
		cur = a.tok
	} else {
		cur = stored
		if a.tok == nil || a.tok.AccessToken != stored.AccessToken {
			a.rememberSecrets(stored)
		}
		a.tok, a.stamp, a.unsaved = stored, stamp, false
		a.rec.AccessExpiry, a.rec.RefreshExpiry = stored.Expiry, stored.RefreshExpiry
	}
	a.mu.Unlock()
	return cur, stamp, nil
}

// newerElsewhere fails when another process holds a newer token than the
// keychain's; holding says this process holds one itself.
func (s *Service) newerElsewhere(a *account, ts storage.TokenState, m mode, now time.Time) (holding bool, err error) {
	a.mu.Lock()
	holding = a.unsaved && a.tok != nil
	a.mu.Unlock()
	if !holding && s.heldElsewhere(ts.Stamp(), now) {
		// The keychain's token was replaced at the provider: serving it
		// would hand out a dead token, and refreshing with it would present
		// a replaced refresh token (which some providers punish by revoking
		// the grant). Wait for the other process to save.
		if m == modeScheduled {
			s.reschedule(a, now.Add(s.t.RetryBase))
		}
		return holding, &oauth.Error{Kind: oauth.KindTemporary, Op: "token",
			Description: "another SellerConnect window or command holds a newer token for this account, which the keychain refused to save",
			Advice:      "Unlock or fix the keychain; the other window keeps trying to save the token."}
	}
	return holding, nil
}

// act carries out decision d for the current token.
func (s *Service) act(ctx context.Context, a *account, cur *oauth.Token, d decision, m mode) (*oauth.Token, error) {
	switch {
	case d.backingOff && d.verdict != verdictStop:
		s.planNext(a)
		return cur, nil
	case d.verdict == verdictWait && m == modeToken:
		s.planNext(a)
		return nil, &waitError{until: d.next}
	case d.verdict == verdictServe || d.verdict == verdictWait:
		s.settle(a, cur)
		return cur, nil
	case d.verdict == verdictStop:
		switch d.stop {
		case stopSeller:
			return nil, s.stoppedError(a)
		case stopRetryingLater:
			return nil, s.lastError(a)
		}
		oe := &oauth.Error{Kind: oauth.KindReconnect, Op: "refresh",
			Description: "the provider gave no refresh token, so the access token cannot be renewed",
			Advice:      "Connect the account again when the access token expires."}
		s.failed(a, nil, cur, oe, m)
		return nil, oe
	}
	return s.doRefresh(ctx, a, cur, m)
}

// settle adopts cur (refreshed by someone else, or not yet due) and plans
// the next refresh.
func (s *Service) settle(a *account, cur *oauth.Token) {
	a.mu.Lock()
	changed := false
	if a.status == StatusOffline || a.status == StatusRefreshing {
		a.status, a.reason, a.action, a.nextRetry, a.failures = StatusConnected, "", "", time.Time{}, 0
		a.standing = standingHealthy
		changed = true
	}
	a.mu.Unlock()
	s.planNext(a)
	if changed {
		s.announce(a)
	}
}

// planNext puts a's next deadline in the scheduler: the planned refresh, or
// sooner a pending save retry.
func (s *Service) planNext(a *account) {
	a.mu.Lock()
	if a.standing == standingStopped || a.removed || a.tok == nil {
		a.mu.Unlock()
		return
	}
	at := s.t.refreshAt(a.id, a.tok)
	if a.unsaved && (at.IsZero() || a.nextRetry.Before(at)) {
		at = a.nextRetry
	}
	if a.status == StatusOffline && a.nextRetry.After(at) {
		at = a.nextRetry
	}
	a.rec.NextRefresh = at
	provider := a.rec.Provider
	a.mu.Unlock()
	if !at.IsZero() {
		s.sched.Schedule(a.id, provider, at)
	}
}

func (s *Service) reschedule(a *account, at time.Time) {
	a.mu.Lock()
	provider, ok := a.rec.Provider, !a.removed && a.standing != standingStopped
	a.mu.Unlock()
	if ok {
		s.sched.Schedule(a.id, provider, at)
	}
}

func (s *Service) semaphore(provider string) chan struct{} {
	s.semMu.Lock()
	defer s.semMu.Unlock()
	c := s.sems[provider]
	if c == nil {
		c = make(chan struct{}, s.t.PerProvider)
		s.sems[provider] = c
	}
	return c
}

// client is an oauth client whose exchange log goes to a's timeline,
// each entry saying who caused it (trigger).
func (s *Service) client(a *account, trigger string) *oauth.Client {
	c := &oauth.Client{HTTP: s.http, Now: s.clock.Now}
	if a != nil {
		c.Recorder = oauth.ExchangeRecorderFunc(func(x oauth.Exchange) { s.recordExchange(a, x, trigger) })
	}
	return c
}

// triggerOf names who caused a refresh, for the timeline.
func triggerOf(m mode) string {
	switch m {
	case modeScheduled:
		return "scheduled refresh"
	case modeForce:
		return "Refresh now"
	}
	return "a token request"
}

func (s *Service) doRefresh(ctx context.Context, a *account, cur *oauth.Token, m mode) (*oauth.Token, error) {
	a.mu.Lock()
	provider := a.rec.Provider
	a.mu.Unlock()
	p, err := s.profile(provider)
	if err != nil {
		s.failed(a, nil, cur, err, m)
		return nil, err
	}
	creds, err := s.credentials(p)
	if err != nil {
		s.keychainTrouble(a, err, m)
		return nil, err
	}
	sem := s.semaphore(provider)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		s.reschedule(a, s.clock.Now())
		return nil, ctx.Err()
	}
	s.setRefreshing(a)
	s.markRefreshing(a)
	for n := s.inHTTP.Add(1); ; {
		p := s.peakHTTP.Load()
		if n <= p || s.peakHTTP.CompareAndSwap(p, n) {
			break
		}
	}
	// Once sent, the request is not abandoned when the caller gives up or
	// the scheduler stops: a rotating provider replaces the tokens whether
	// or not the answer is awaited, and dropping the answer would lose the
	// account. RequestTimeout bounds it, and Close ends it after a grace
	// period.
	hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), s.t.RequestTimeout)
	stopHard := context.AfterFunc(s.hardCtx, hcancel)
	nt, err := s.client(a, triggerOf(m)).Refresh(hctx, p, creds, cur)
	stopHard()
	hcancel()
	s.inHTTP.Add(-1)
	<-sem
	now := s.clock.Now()
	if err != nil {
		s.log.Warn("refresh failed", "account", a.id, "provider", provider, "trigger", triggerOf(m),
			"kind", string(oauth.KindOf(err)), "error", scrub(err.Error(), a.secretsCopy()))
		if eerr := s.store.EndRefresh(a.id); eerr != nil {
			s.logf("account %s: clearing the refresh mark: %v", a.id, eerr)
		}
		s.failed(a, p, cur, err, m)
		if m == modeToken && oauth.KindOf(err) != oauth.KindReconnect && now.Before(cur.Expiry) {
			// The current token still works: serve it, retry later.
			return cur, nil
		}
		return nil, err
	}
	s.refreshes.Add(1)
	if s.onRefresh != nil {
		s.onRefresh(a.id, cur, nt, now)
	}
	// Saved before anything uses or announces it.
	ts, saveErr := s.saveToken(a.id, nt)
	if errors.Is(saveErr, storage.ErrNoAccount) {
		// Disconnected elsewhere while the refresh was out: the store
		// removed the new secret again, as the seller asked.
		s.forget(a)
		return nil, &notFoundError{ID: a.id}
	}
	stamp := ts.Stamp()
	if saveErr != nil {
		s.log.Error("the keychain refused the renewed token; it is kept in memory and saving is retried", "account", a.id, "error", saveErr.Error())
		s.markUnsaved(a.id, "u")
	} else {
		s.log.Info("refreshed", "account", a.id, "provider", provider, "trigger", triggerOf(m), "generation", ts.Generation,
			"answer_to_saved", s.clock.Now().Sub(now).String())
	}
	a.mu.Lock()
	a.tok = nt
	a.rememberSecrets(nt)
	a.rec.AccessExpiry, a.rec.RefreshExpiry, a.rec.LastRefresh = nt.Expiry, nt.RefreshExpiry, now
	if !nt.ConsentAt.IsZero() {
		a.rec.ConsentAt = nt.ConsentAt
	}
	if len(nt.Scopes) > 0 {
		a.rec.Scopes = append([]string(nil), nt.Scopes...)
	}
	a.failures, a.doubt, a.standing = 0, doubtNone, standingHealthy
	a.status, a.reason, a.action, a.nextRetry = StatusConnected, "", "", time.Time{}
	if saveErr != nil {
		a.unsaved, a.saveErr = true, saveErr
		a.saveFailures++
		a.nextRetry = now.Add(backoff(a.saveFailures-1, s.t.SaveRetry, s.t.RetryMax, 0))
	} else {
		a.unsaved, a.saveErr, a.saveFailures, a.stamp = false, nil, 0, stamp
	}
	a.mu.Unlock()
	if saveErr != nil {
		s.addEntry(a, "error", "The renewed token could not be saved in the keychain; it is kept in memory and saving is retried", errorDetail(saveErr, nil))
	}
	s.planNext(a)
	s.announce(a)
	return nt, nil
}

// trySave retries saving an unsaved token (called with the flight token and
// the account lock held).
func (s *Service) trySave(a *account) {
	a.mu.Lock()
	tok := a.tok
	if !a.unsaved || tok == nil {
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	ts, err := s.saveToken(a.id, tok)
	if errors.Is(err, storage.ErrNoAccount) {
		s.forget(a)
		return
	}
	stamp := ts.Stamp()
	if err != nil {
		s.markUnsaved(a.id, "u")
	}
	now := s.clock.Now()
	a.mu.Lock()
	if a.tok != tok {
		a.mu.Unlock()
		return
	}
	if err != nil {
		a.saveErr = err
		a.saveFailures++
		a.nextRetry = now.Add(backoff(a.saveFailures-1, s.t.SaveRetry, s.t.RetryMax, 0))
	} else {
		a.unsaved, a.saveErr, a.saveFailures, a.stamp, a.nextRetry = false, nil, 0, stamp, time.Time{}
	}
	a.mu.Unlock()
	if err == nil {
		s.addEntry(a, "note", "The renewed token is now saved in the keychain", nil)
	}
	s.planNext(a)
	s.announce(a)
}

// retrySave is trySave for Close: it takes the locks itself, briefly, and
// returns the keychain's refusal while the token is still unsaved.
func (s *Service) retrySave(a *account) error {
	a.mu.Lock()
	unsaved := a.unsaved
	a.mu.Unlock()
	if !unsaved {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.acquire(ctx); err != nil {
		return err
	}
	defer a.release()
	unlock, err := storage.LockAccount(ctx, s.cfg.DataDir, a.id)
	if err != nil {
		return err
	}
	defer unlock()
	s.trySave(a)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.unsaved {
		return a.saveErr
	}
	return nil
}

// giveUpUnsaved marks that the renewed token goes with this process:
// other processes stop waiting for it and find out from the provider.
func (s *Service) giveUpUnsaved(a *account) {
	s.markUnsaved(a.id, "x")
	s.addEntry(a, "error", "SellerConnect closed while the keychain still refused the renewed token; the provider had already replaced the stored one", nil)
}

// markUnsaved writes a sync stamp saying that this process holds a token
// newer than the keychain's, which the keychain refused ("u", rewritten at
// every failed save), or that it gave it up ("x"). Other processes then
// know the keychain's copy was replaced at the provider.
func (s *Service) markUnsaved(id, kind string) {
	if err := s.store.SetSync(id, kind+strconv.FormatInt(s.clock.Now().UnixNano(), 36)+"."+strconv.FormatUint(rand.Uint64(), 36)); err != nil {
		s.logf("account %s: marking the unsaved token: %v", id, err)
	}
}

// heldElsewhere reports whether stamp says another process holds a newer
// token it could not save, and still retries (it rewrites the stamp at
// every attempt, at most RetryMax apart).
func (s *Service) heldElsewhere(stamp string, now time.Time) bool {
	_, marker, _ := strings.Cut(stamp, "/")
	rest, ok := strings.CutPrefix(marker, "u")
	if !ok {
		return false
	}
	ts, _, _ := strings.Cut(rest, ".")
	n, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return false
	}
	return now.Sub(time.Unix(0, n)) < s.t.RetryMax+s.t.RequestTimeout
}

// markRefreshing tells other processes, before the request leaves, that
// the token they hold may stop working at any moment: a rotating provider
// ends the previous access token as it answers. The sync stamp changes, so
// their Token no longer answers from memory; it waits for the account lock
// and reads what this refresh stores. The stamp is adopted here, so a failed
// refresh leaves every process agreeing on it (and a stopped account stays
// stopped until someone stores a new token).
//
// A process holding an unsaved token leaves its "u" stamp in place: other
// processes already keep off the keychain's copy, and must go on doing so
// if this refresh fails.
func (s *Service) markRefreshing(a *account) {
	a.mu.Lock()
	unsaved := a.unsaved
	a.mu.Unlock()
	if unsaved {
		return
	}
	marker := "r" + strconv.FormatInt(s.clock.Now().UnixNano(), 36) + "." + strconv.FormatUint(rand.Uint64(), 36)
	ts, err := s.store.BeginRefresh(a.id, marker)
	if err != nil {
		s.logf("account %s: marking the refresh: %v", a.id, err)
		return
	}
	a.mu.Lock()
	a.stamp = ts.Stamp()
	a.mu.Unlock()
}

func (s *Service) setRefreshing(a *account) {
	a.mu.Lock()
	a.status = StatusRefreshing
	a.mu.Unlock()
	s.announce(a)
}

// failed classifies a refresh failure into the account's status.
func (s *Service) failed(a *account, p *oauth.Profile, cur *oauth.Token, err error, m mode) {
	now := s.clock.Now()
	oe, _ := oauth.AsError(err)
	kind := oauth.KindOf(err)
	a.mu.Lock()
	a.lastErr = errorInfo(err, now, a.secrets)
	provName := a.rec.Provider
	if p != nil {
		provName = p.Name
	}
	rotating := p != nil && p.Rotation == oauth.RotationRotate
	reschedule := time.Time{}
	switch kind {
	case oauth.KindReconnect, oauth.KindDenied:
		a.status, a.errKind = StatusReconnect, oauth.KindReconnect
		a.reason = grantGoneReason(a, oe, provName, rotating)
		a.action = "Connect the account again."
		a.standing, a.stoppedStamp = standingStopped, a.stamp
	case oauth.KindCredentials, oauth.KindConfig:
		a.status, a.errKind = StatusCredentials, kind
		a.reason = fmt.Sprintf("%s rejected the app's credentials or settings.", provName)
		if kind == oauth.KindConfig && oe != nil {
			a.reason = scrub(oe.Error(), a.secrets)
		}
		a.action = "Check the app's client ID, secret and settings for this provider in Settings."
		if oe != nil && oe.Advice != "" {
			a.action = oe.Advice
		}
		a.standing, a.stoppedStamp = standingStopped, a.stamp
	default:
		if rotating && oe != nil && oe.Status == 0 && (kind == oauth.KindTemporary || kind == oauth.KindCancelled) && !neverSent(err) {
			// No answer: the provider may have rotated already. The next
			// try tells; if it is refused, the reason says why.
			a.doubt = doubtAnswerLost
		}
		a.standing = standingRetrying
		var ra time.Duration
		if oe != nil {
			ra = oe.RetryAfter
		}
		a.failures++
		a.nextRetry = now.Add(backoff(a.failures-1, s.t.RetryBase, s.t.RetryMax, ra))
		a.status, a.errKind = StatusOffline, kind
		a.reason = fmt.Sprintf("Could not renew the token with %s (%s, %d in a row); next try at %s.", provName, shortFailure(oe, kind), a.failures, a.nextRetry.Local().Format("15:04:05"))
		a.action = ""
		reschedule = a.nextRetry
	}
	a.mu.Unlock()
	s.addEntry(a, "error", scrub(err.Error(), a.secretsCopy()), errorDetail(err, a.secretsCopy()))
	if reschedule.IsZero() {
		s.sched.Cancel(a.id)
	} else {
		s.reschedule(a, reschedule)
	}
	s.announce(a)
}

// grantGoneReason says why the provider no longer accepts the account: in
// words that name a refresh cut short when that is what happened (a.mu
// held).
func grantGoneReason(a *account, oe *oauth.Error, provName string, rotating bool) string {
	switch {
	case a.doubt == doubtStopped && rotating:
		return fmt.Sprintf("SellerConnect was stopped while renewing this account; %s had already replaced the token, so the one SellerConnect holds is no longer valid.", provName)
	case a.doubt == doubtAnswerLost && rotating:
		return fmt.Sprintf("A refresh reached %s but the connection dropped before its answer arrived; %s had already replaced the token, so the one SellerConnect holds is no longer valid.", provName, provName)
	case a.doubt == doubtClosedUnsaved:
		return "SellerConnect closed while a renewed token could not be saved in the keychain, so the token it still holds was already replaced at the provider."
	}
	detail := ""
	if oe != nil && oe.Code != "" {
		detail = " (" + oe.Code
		if oe.Description != "" && !strings.EqualFold(oe.Description, oe.Code) {
			detail += ": " + oe.Description
		}
		detail = scrub(detail+")", a.secrets)
	}
	return fmt.Sprintf("%s no longer accepts this account's approval%s: it was revoked or expired, or the seller changed their password.", provName, detail)
}

// shortFailure names a temporary failure in a few words.
func shortFailure(oe *oauth.Error, kind oauth.Kind) string {
	switch {
	case oe == nil:
		return "no answer"
	case oe.Status == 429:
		return "too many requests"
	case oe.Status >= 500:
		return fmt.Sprintf("server error %d", oe.Status)
	case kind == oauth.KindProvider:
		return "an answer it could not understand"
	case oe.Status != 0:
		return fmt.Sprintf("HTTP %d", oe.Status)
	}
	return "no answer"
}

// keychainTrouble records a keychain failure while reading; the scheduler
// tries again after a backoff.
func (s *Service) keychainTrouble(a *account, err error, m mode) {
	if m != modeScheduled {
		// A caller asked and gets the error; the account itself is fine,
		// so nothing about it is written (no record churn from a CLI run
		// on a machine whose keychain is away).
		return
	}
	now := s.clock.Now()
	a.mu.Lock()
	a.lastErr = errorInfo(err, now, a.secrets)
	a.failures++
	a.nextRetry = now.Add(backoff(a.failures-1, s.t.RetryBase, s.t.RetryMax, 0))
	retry := a.nextRetry
	a.status, a.standing = StatusOffline, standingRetrying
	a.reason = "The keychain could not be read: " + err.Error()
	a.action = ""
	var ke *storage.KeychainError
	if errors.As(err, &ke) {
		a.action = ke.Advice
	}
	a.mu.Unlock()
	s.log.Warn("keychain", "account", a.id, "error", err.Error())
	s.addEntry(a, "error", err.Error(), errorDetail(err, nil))
	s.reschedule(a, retry)
	s.announce(a)
}

// neverSent reports whether err shows the request never reached the
// provider (no connection, no address): then nothing can have rotated.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

func (s *Service) stoppedError(a *account) error {
	oe := &oauth.Error{Kind: a.errKind, Op: "token", Advice: a.action}
	if oe.Kind == "" {
		oe.Kind = oauth.KindReconnect
	}
	if a.lastErr != nil {
		oe.Status, oe.Code, oe.Description = a.lastErr.Status, a.lastErr.Code, a.lastErr.Description
		oe.RequestID, oe.TraceID = a.lastErr.RequestID, a.lastErr.TraceID
	}
	return fmt.Errorf("account %s: %s %w", a.id, a.reason, oe)
}

func (s *Service) lastError(a *account) error {
	oe := &oauth.Error{Kind: a.errKind, Op: "token", Advice: "SellerConnect retries automatically; try again later."}
	if oe.Kind == "" {
		oe.Kind = oauth.KindTemporary
	}
	if a.lastErr != nil {
		oe.Status, oe.Code, oe.Description = a.lastErr.Status, a.lastErr.Code, a.lastErr.Description
		oe.RequestID, oe.TraceID = a.lastErr.RequestID, a.lastErr.TraceID
	}
	return fmt.Errorf("account %s: the access token expired and renewing it failed; next try at %s: %w", a.id, a.nextRetry.Local().Format("15:04:05"), oe)
}

func (a *account) secretsCopy() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.secrets...)
}

// readToken reads the stored token; the store first takes up what a crash
// left (see storage.Tokens.Load).
func (s *Service) readToken(id string) (*oauth.Token, storage.Loaded, error) {
	return s.decodeToken(id, func() (storage.Loaded, error) { return s.store.LoadToken(id) })
}

// decodeToken decodes what load read from the keychain.
func (s *Service) decodeToken(id string, load func() (storage.Loaded, error)) (*oauth.Token, storage.Loaded, error) {
	l, err := load()
	if err != nil {
		return nil, l, err
	}
	var t oauth.Token
	if err := json.Unmarshal(l.Value, &t); err != nil {
		return nil, l, &storage.KeychainError{Kind: storage.KindDamaged, Op: "get", Key: storage.TokenKey(id, l.State.Generation),
			Advice: "Reconnect the account to store a fresh copy.", Err: errors.New("the stored token is not valid JSON")}
	}
	return &t, l, nil
}

// saveToken stores a renewed token two-phase (see storage.Tokens.Save).
func (s *Service) saveToken(id string, t *oauth.Token) (storage.TokenState, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return storage.TokenState{}, err
	}
	return s.store.SaveToken(id, b)
}
