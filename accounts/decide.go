package accounts

import (
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// caller is who asks about an account's token.
type caller int

const (
	callerScript    caller = iota // Token: a script, the copy button, any API
	callerScheduler               // the background scheduler's planned refresh
	callerSeller                  // the seller pressed Refresh (or ran refresh)
)

func (c caller) String() string {
	return [...]string{"a token request", "the scheduler", "the seller"}[c]
}

// standing is where an account stands between refreshes.
type standing int

const (
	standingHealthy  standing = iota
	standingRetrying          // temporary failures: the next try is at retryAt
	standingUnsure            // the provider may have replaced the token unseen (an answer lost, a refresh cut short)
	standingStopped           // waits for the seller: reconnect, or fix the app credentials
)

// doubt is why the provider may have replaced an account's token without
// SellerConnect learning the new one. Only a refresh tells; if the
// provider then refuses, the reason names the doubt.
type doubt int

const (
	doubtNone          doubt = iota
	doubtAnswerLost          // a refresh of a rotating provider got no answer
	doubtStopped             // a process was stopped between sending a refresh and saving its answer
	doubtClosedUnsaved       // the previous run closed holding a rotated token the keychain refused
)

// situation is everything the decision looks at.
type situation struct {
	standing standing
	tok      *oauth.Token // the newest token known
	rotates  bool         // the provider replaces the refresh token, and ends the access token, at each refresh
	now      time.Time
	retryAt  time.Time // with standingRetrying
	since    time.Time // callerSeller: a refresh completed after this answers the call
	caller   caller
	planned  time.Time     // when the scheduler renews tok (Timing.refreshAt); zero when unknown
	guard    time.Duration // how long a handed-out token must stay valid (Timing.guarantee)
}

// verdict is what to do.
type verdict int

const (
	verdictServe   verdict = iota // hand out (or keep) the token
	verdictRefresh                // refresh now
	verdictWait                   // nothing now: look again at decision.next
	verdictStop                   // no token can be had: see decision.stop
)

func (v verdict) String() string  { return [...]string{"serve", "refresh", "wait", "stop"}[v] }
func (s standing) String() string { return [...]string{"healthy", "retrying", "unsure", "stopped"}[s] }

// stop says why no token can be had.
type stop int

const (
	stopNone          stop = iota
	stopSeller             // the account waits for the seller
	stopNoRefresh          // no refresh token, and the access token is spent
	stopRetryingLater      // the provider is failing and the token has expired
)

// decision is decide's answer: the verdict, when to look again and the
// rule that decided (for tests and the log).
type decision struct {
	verdict verdict
	next    time.Time
	stop    stop
	rule    string
	// backingOff: the account is between tries after temporary failures
	// (its status stays "offline" meanwhile).
	backingOff bool
}

// decide is the one place that says whether to serve a token, refresh,
// wait or stop. It is pure: the same situation always gives the same
// decision.
func decide(s situation) decision {
	if s.standing == standingStopped {
		if s.caller == callerSeller {
			return decision{verdict: verdictRefresh, rule: "the seller acting retries a stopped account"}
		}
		return decision{verdict: verdictStop, stop: stopSeller, rule: "a stopped account waits for the seller"}
	}
	tok := s.tok
	if tok == nil || tok.AccessToken == "" {
		if tok != nil && tok.RefreshToken != "" {
			return decision{verdict: verdictRefresh, rule: "no access token: refresh"}
		}
		return decision{verdict: verdictStop, stop: stopNoRefresh, rule: "no token at all"}
	}
	if tok.RefreshToken == "" {
		return decideWithoutRefresh(s)
	}
	switch s.caller {
	case callerSeller:
		if tok.IssuedAt.After(s.since) {
			return decision{verdict: verdictServe, next: s.planned, rule: "renewed since the seller asked"}
		}
		return decision{verdict: verdictRefresh, rule: "the seller asked: refresh"}
	case callerScheduler:
		return decideScheduled(s)
	}
	return decideScript(s)
}

// decideWithoutRefresh: a token without a refresh token lasts until its
// expiry, and then only connecting again helps.
func decideWithoutRefresh(s situation) decision {
	tok := s.tok
	if s.caller == callerScript && s.now.Before(tok.Expiry) {
		return decision{verdict: verdictServe, next: tok.Expiry, rule: "no refresh token: serve until expiry"}
	}
	if s.caller == callerScheduler && s.now.Before(tok.Expiry) {
		return decision{verdict: verdictWait, next: tok.Expiry, rule: "no refresh token: nothing to do until expiry"}
	}
	return decision{verdict: verdictStop, stop: stopNoRefresh, rule: "no refresh token: connect again"}
}

// decideScheduled is the background scheduler's turn.
func decideScheduled(s situation) decision {
	if s.standing == standingUnsure {
		return decision{verdict: verdictRefresh, rule: "unsure whether the provider replaced the token: only a refresh tells"}
	}
	if s.standing == standingRetrying && s.now.Before(s.retryAt) {
		return decision{verdict: verdictWait, next: s.retryAt, backingOff: true, rule: "backing off: wait for the next try"}
	}
	if s.planned.IsZero() || !s.now.Before(s.planned) {
		return decision{verdict: verdictRefresh, rule: "planned time reached: refresh"}
	}
	return decision{verdict: verdictWait, next: s.planned, rule: "not due: wait for the planned time"}
}

// decideScript is a program asking for a token: the token handed out must
// stay valid for guard.
func decideScript(s situation) decision {
	tok := s.tok
	if s.standing == standingRetrying && s.now.Before(s.retryAt) {
		if s.now.Before(tok.Expiry) {
			return decision{verdict: verdictServe, next: s.retryAt, backingOff: true, rule: "backing off: serve what still works"}
		}
		return decision{verdict: verdictStop, stop: stopRetryingLater, backingOff: true, rule: "backing off and the token expired: fail until the next try"}
	}
	usable := usableUntil(tok, s.rotates, s.planned)
	if s.now.Add(s.guard).Before(usable) {
		return decision{verdict: verdictServe, next: usable.Add(-s.guard), rule: "valid for the guaranteed time: serve"}
	}
	if s.rotates && !s.planned.IsZero() && s.now.Before(s.planned) && s.now.Before(tok.Expiry) {
		// Tokens handed out until now have their guaranteed time only if
		// nobody rotates before the planned time: wait for it.
		return decision{verdict: verdictWait, next: s.planned, rule: "inside the guaranteed time before a rotation: wait for it"}
	}
	return decision{verdict: verdictRefresh, rule: "would not stay valid for the guaranteed time: refresh first"}
}

// usableUntil is when a token handed out now stops working: its expiry,
// or for a rotating provider the planned refresh, which ends it.
func usableUntil(tok *oauth.Token, rotates bool, planned time.Time) time.Time {
	end := tok.Expiry
	if end.IsZero() {
		end = time.Unix(1<<40, 0) // no expiry given: as good as forever
	}
	if rotates && !planned.IsZero() && planned.Before(end) {
		end = planned
	}
	return end
}
