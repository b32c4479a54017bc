package accounts

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// timelineLimit is how many entries an account's timeline keeps.
const timelineLimit = 50

// account is the live state of one account. mu guards the fields; it is
// never held across a network or keychain call. flight serialises the
// account's token work in this process (the storage lock does it across
// processes).
type account struct {
	id     string
	flight chan struct{}

	mu  sync.Mutex
	rec storage.Record // its Timeline is unused: the store keeps it
	// entries are timeline entries not yet written to the store.
	entries []storage.TimelineEntry
	tok     *oauth.Token // newest token known (nil until read from the keychain)
	// stamp is the store's token stamp (generation and marker) that
	// matched tok when it was read or saved; seenDV is the store's
	// DataVersion when stamp was last checked against it (no other
	// process has written since, while DataVersion still says seenDV).
	stamp  string
	seenDV int64
	// unsaved: tok is newer than the keychain's copy (the keychain refused it).
	unsaved      bool
	saveFailures int
	saveErr      error

	status    Status
	reason    string
	action    string
	nextRetry time.Time
	failures  int
	lastErr   *storage.ErrorInfo
	errKind   oauth.Kind
	// standing is healthy, retrying (temporary failures, next try at
	// nextRetry) or stopped (reconnect or credentials: no automatic retry
	// until the seller acts or another process stores a new token, which
	// changes the store's stamp from stoppedStamp).
	standing     standing
	stoppedStamp string
	// doubt says why the provider may have replaced the token held here
	// without SellerConnect learning the new one.
	doubt   doubt
	removed bool

	// secrets this account has held, for scrubbing text (newest last);
	// known is the process's set of them all (for the log).
	secrets []string
	known   *secretSet
}

func newAccount(r storage.Record, now time.Time) *account {
	a := &account{id: r.ID, flight: make(chan struct{}, 1), rec: r}
	a.status = Status(r.Status)
	a.reason = r.StatusReason
	a.lastErr = r.LastError
	switch a.status {
	case StatusReconnect, StatusCredentials:
		a.standing = standingStopped
		if r.LastError != nil {
			a.errKind = oauth.Kind(r.LastError.Kind)
		}
	case StatusNotSaved:
		// The last run ended with a rotated token only in memory.
		a.doubt = doubtClosedUnsaved
		a.status = StatusConnected
	case StatusRefreshing, StatusOffline, "":
		a.status = StatusConnected
	}
	return a
}

func (a *account) acquire(ctx context.Context) error {
	select {
	case a.flight <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *account) release() { <-a.flight }

// rememberSecrets keeps the token's secrets for scrubbing (bounded).
func (a *account) rememberSecrets(t *oauth.Token) {
	if t == nil {
		return
	}
	for _, v := range []string{t.AccessToken, t.RefreshToken} {
		if v == "" {
			continue
		}
		dup := false
		for _, o := range a.secrets {
			if o == v {
				dup = true
				break
			}
		}
		if !dup {
			a.secrets = append(a.secrets, v)
		}
	}
	if n := len(a.secrets); n > 8 {
		a.known.remove(a.secrets[:n-8]...)
		a.secrets = append(a.secrets[:0:0], a.secrets[n-8:]...)
	}
	a.known.add(t.AccessToken, t.RefreshToken)
}

func (s *Service) scheduleLoaded(a *account, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.standing == standingStopped {
		return
	}
	at := a.rec.NextRefresh
	if at.IsZero() && !a.rec.AccessExpiry.IsZero() {
		at = a.rec.AccessExpiry.Add(-s.t.MinLead)
	}
	if at.IsZero() || a.doubt == doubtClosedUnsaved {
		at = now
	}
	s.sched.Schedule(a.id, a.rec.Provider, at)
}

// view is the display snapshot of a.
func (s *Service) view(a *account, now time.Time, timeline bool) Account {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc := Account{
		ID:          a.id,
		Provider:    a.rec.Provider,
		DisplayName: a.rec.DisplayName,
		RemoteID:    a.rec.RemoteID,
		Scopes:      append([]string(nil), a.rec.Scopes...),
		LastRefresh: a.rec.LastRefresh,
		NextRetry:   a.nextRetry,
	}
	life := oauth.LifetimeUnknown
	s.catMu.RLock()
	if p, ok := s.catalog.Get(a.rec.Provider); ok {
		acc.ProviderName, acc.Environment = p.Name, p.Environment
		life = p.RefreshLifetime
	} else {
		acc.ProviderName = a.rec.Provider
	}
	s.catMu.RUnlock()
	acc.AccessExpiry = a.rec.AccessExpiry
	acc.ReconnectBy = a.rec.RefreshExpiry
	if a.tok != nil {
		acc.AccessExpiry = a.tok.Expiry
		if !a.tok.RefreshExpiry.IsZero() {
			acc.ReconnectBy = a.tok.RefreshExpiry
		}
	}
	if a.standing != standingStopped {
		if at, ok := s.sched.Deadline(a.id); ok {
			acc.NextRefresh = at
		} else {
			acc.NextRefresh = a.rec.NextRefresh
		}
	}
	acc.Status, acc.Reason, acc.Action = s.derive(a, acc, life, now)
	if acc.Status != StatusOffline && acc.Status != StatusNotSaved {
		acc.NextRetry = time.Time{}
	}
	acc.LastError = recordedProblem(a.lastErr, acc.ProviderName)
	if timeline {
		acc.Timeline = entries(a.entries)
	}
	return acc
}

// lastError is a copy of the stored last failure (nil when none).
func (a *account) lastError() *storage.ErrorInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lastErr == nil {
		return nil
	}
	e := *a.lastErr
	return &e
}

// entries are stored timeline entries as the faces see them.
func entries(stored []storage.TimelineEntry) []Entry {
	out := make([]Entry, len(stored))
	for i, e := range stored {
		out[i] = Entry{Time: e.Time, Kind: e.Kind, Summary: e.Summary, Detail: e.Detail}
	}
	return out
}

// detailed is the view with the whole timeline: what the store holds
// (written by any process), then what this process has not written yet.
func (s *Service) detailed(a *account, now time.Time) Account {
	stored, err := s.store.Timeline(a.id)
	if err != nil {
		s.logf("account %s: reading its timeline: %v", a.id, err)
	}
	v := s.view(a, now, true)
	v.Timeline = append(entries(stored), v.Timeline...)
	return v
}

const dateLayout = "2 Jan 2006"

// approvalEnd says whether the end of the provider's approval (the
// refresh token's expiry, rb) shows on the badge, by the lifetime model:
// an absolute or fixed lifetime ends whatever SellerConnect does, so the
// seller is warned within window of it; a rolling one moves forward with
// every refresh, so it warns only when refreshing has not happened in time.
// "" means nothing to show.
func approvalEnd(life oauth.RefreshLifetime, rb, lastRefresh, now time.Time, window time.Duration) (Status, string, string) {
	if rb.IsZero() {
		return "", "", ""
	}
	day := rb.Local().Format(dateLayout)
	if !now.Before(rb) {
		return StatusReconnect, fmt.Sprintf("The provider's approval ended on %s; only connecting again renews it.", day),
			"Connect the account again."
	}
	if rb.Sub(now) >= window {
		return "", "", ""
	}
	if life == oauth.LifetimeRolling {
		since := "for a while"
		if !lastRefresh.IsZero() {
			since = "since " + lastRefresh.Local().Format(dateLayout)
		}
		return StatusExpiring, fmt.Sprintf("SellerConnect has not been able to renew this account %s; the provider ends the approval on %s unless it is renewed before then.", since, day),
			"Keep SellerConnect running with a working internet connection so it can renew the account, or connect it again."
	}
	return StatusExpiring, fmt.Sprintf("The provider ends this connection on %s; refreshing cannot extend it.", day),
		fmt.Sprintf("Reconnect the account before %s.", day)
}

// derive turns the account's state into the badge: status, reason, action.
// Connected becomes expiring when the refresh token ends within the window,
// and reconnect needed once it has ended.
func (s *Service) derive(a *account, acc Account, life oauth.RefreshLifetime, now time.Time) (Status, string, string) {
	st, reason, action := a.status, a.reason, a.action
	if a.unsaved && st != StatusRefreshing {
		st = StatusNotSaved
	}
	switch st {
	case StatusConnected, StatusRefreshing:
		if st == StatusConnected {
			if est, r, act := approvalEnd(life, acc.ReconnectBy, acc.LastRefresh, now, s.t.ExpiringWindow); est != "" {
				return est, r, act
			}
		}
		if st == StatusRefreshing {
			return st, "Renewing the access token.", ""
		}
		if reason == "" {
			reason = "The access token is valid and renews automatically."
		}
		return st, reason, ""
	case StatusNotSaved:
		r := "A new token is held in memory because the keychain refused to save it"
		if a.saveErr != nil {
			r += ": " + scrub(a.saveErr.Error(), a.secrets)
		}
		return st, r + ".", "Unlock or fix the keychain and keep SellerConnect open: it retries saving and the account keeps working meanwhile."
	}
	if action == "" {
		switch st {
		case StatusReconnect:
			action = "Connect the account again."
		case StatusCredentials:
			action = "Check the app's client ID and secret for this provider in Settings."
		case StatusOffline:
			action = "Nothing to do if it passes; check the internet connection if it lasts."
		}
	}
	return st, reason, action
}
