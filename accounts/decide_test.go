package accounts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// TestDecide is the rule table: every standing × caller × rotation model,
// at the moments that matter (fresh, inside the guaranteed time before the
// planned refresh, past the planned refresh, expired), each row naming the
// rule it checks.
func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tok := &oauth.Token{AccessToken: "at", RefreshToken: "rt", IssuedAt: t0, Expiry: t0.Add(time.Hour)}
	planned := t0.Add(50 * time.Minute)
	const guard = time.Minute
	moments := map[string]time.Time{
		"fresh":           t0.Add(time.Minute),
		"inside G":        planned.Add(-30 * time.Second), // before the planned refresh, within G of it
		"inside G of end": tok.Expiry.Add(-30 * time.Second),
		"past planned":    planned.Add(time.Second),
		"expired":         tok.Expiry.Add(time.Second),
	}
	type want struct {
		v    verdict
		stop stop
		rule string
	}
	// expect says what each combination must give, and why.
	expect := func(st standing, c caller, rotates bool, at string) want {
		now := moments[at]
		switch {
		case st == standingStopped && c == callerSeller:
			return want{verdictRefresh, stopNone, "the seller acting retries a stopped account"}
		case st == standingStopped:
			return want{verdictStop, stopSeller, "a stopped account waits for the seller"}
		case c == callerSeller:
			return want{verdictRefresh, stopNone, "the seller asked: refresh"}
		case c == callerScheduler && st == standingUnsure:
			return want{verdictRefresh, stopNone, "unsure whether the provider replaced the token: only a refresh tells"}
		case c == callerScheduler && st == standingRetrying && now.Before(t0.Add(30*time.Minute)):
			return want{verdictWait, stopNone, "backing off: wait for the next try"}
		case c == callerScheduler && !now.Before(planned):
			return want{verdictRefresh, stopNone, "planned time reached: refresh"}
		case c == callerScheduler:
			return want{verdictWait, stopNone, "not due: wait for the planned time"}
		case st == standingRetrying && now.Before(t0.Add(30*time.Minute)) && now.Before(tok.Expiry):
			return want{verdictServe, stopNone, "backing off: serve what still works"}
		case st == standingRetrying && now.Before(t0.Add(30*time.Minute)):
			return want{verdictStop, stopRetryingLater, "backing off and the token expired: fail until the next try"}
		}
		end := tok.Expiry
		if rotates {
			end = planned // rotation ends the handed-out token
		}
		if now.Add(guard).Before(end) {
			return want{verdictServe, stopNone, "valid for the guaranteed time: serve"}
		}
		if rotates && now.Before(planned) {
			// Refreshing now would end tokens handed out less than G ago.
			return want{verdictWait, stopNone, "inside the guaranteed time before a rotation: wait for it"}
		}
		return want{verdictRefresh, stopNone, "would not stay valid for the guaranteed time: refresh first"}
	}
	rows := 0
	for _, st := range []standing{standingHealthy, standingRetrying, standingUnsure, standingStopped} {
		for _, c := range []caller{callerScript, callerScheduler, callerSeller} {
			for _, rotates := range []bool{false, true} {
				for at, now := range moments {
					s := situation{standing: st, tok: tok, rotates: rotates, now: now, caller: c,
						planned: planned, guard: guard, since: now.Add(-time.Second)}
					if st == standingRetrying {
						// Backing off at "fresh"; the next try has come at the later moments.
						s.retryAt = t0.Add(30 * time.Minute)
					}
					w := expect(st, c, rotates, at)
					d := decide(s)
					name := fmt.Sprintf("%v/%v/rotates=%v/%s", st, c, rotates, at)
					if d.verdict != w.v || d.stop != w.stop || d.rule != w.rule {
						t.Errorf("%s: got %v %v %q, want %v %v %q", name, d.verdict, d.stop, d.rule, w.v, w.stop, w.rule)
					}
					rows++
				}
			}
		}
	}
	t.Logf("%d rows", rows)

	// Rows of their own.
	special := []struct {
		name string
		s    situation
		want verdict
		rule string
	}{
		{"renewed by someone else since the seller asked", situation{tok: tok, now: t0.Add(time.Minute), since: t0.Add(-time.Second), caller: callerSeller, planned: planned, guard: guard},
			verdictServe, "renewed since the seller asked"},
		{"no access token, a refresh token", situation{tok: &oauth.Token{RefreshToken: "rt"}, now: t0, caller: callerScript},
			verdictRefresh, "no access token: refresh"},
		{"no token at all", situation{now: t0, caller: callerScheduler},
			verdictStop, "no token at all"},
		{"no refresh token, still valid: a script gets it", situation{tok: &oauth.Token{AccessToken: "at", Expiry: t0.Add(time.Hour)}, now: t0, caller: callerScript},
			verdictServe, "no refresh token: serve until expiry"},
		{"no refresh token, still valid: the scheduler waits", situation{tok: &oauth.Token{AccessToken: "at", Expiry: t0.Add(time.Hour)}, now: t0, caller: callerScheduler},
			verdictWait, "no refresh token: nothing to do until expiry"},
		{"no refresh token, expired", situation{tok: &oauth.Token{AccessToken: "at", Expiry: t0}, now: t0.Add(time.Second), caller: callerScript},
			verdictStop, "no refresh token: connect again"},
		{"unknown planned time and expiry: the scheduler refreshes", situation{tok: &oauth.Token{AccessToken: "at", RefreshToken: "rt"}, now: t0, caller: callerScheduler},
			verdictRefresh, "planned time reached: refresh"},
		{"no expiry: a script is served", situation{tok: &oauth.Token{AccessToken: "at", RefreshToken: "rt"}, now: t0, caller: callerScript, guard: guard},
			verdictServe, "valid for the guaranteed time: serve"},
	}
	for _, c := range special {
		d := decide(c.s)
		if d.verdict != c.want || d.rule != c.rule {
			t.Errorf("%s: got %v %q, want %v %q", c.name, d.verdict, d.rule, c.want, c.rule)
		}
	}
}

// TestDecideServesUntilTheGuarantee: a served token's next look comes
// exactly G before it stops working, so no caller is handed a token with
// less than G left.
func TestDecideServesUntilTheGuarantee(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tok := &oauth.Token{AccessToken: "at", RefreshToken: "rt", IssuedAt: t0, Expiry: t0.Add(5 * time.Second)}
	tm := defaultTiming
	g := tm.guarantee("a", tok)
	planned := tm.refreshAt("a", tok)
	if want := min(1250*time.Millisecond, planned.Sub(tok.IssuedAt)/2); g != want || g <= 0 {
		t.Fatalf("guarantee of a 5 s token: %v, want %v (a quarter of its life, at most half its time before renewal)", g, want)
	}
	// A token just received is always served.
	for _, rotates := range []bool{false, true} {
		if d := decide(situation{tok: tok, rotates: rotates, now: t0, caller: callerScript, planned: planned, guard: g}); d.verdict != verdictServe {
			t.Fatalf("rotates=%v: a fresh token is not served: %v %q", rotates, d.verdict, d.rule)
		}
	}
	for _, rotates := range []bool{false, true} {
		end := usableUntil(tok, rotates, planned)
		for now := t0; now.Before(tok.Expiry); now = now.Add(10 * time.Millisecond) {
			d := decide(situation{tok: tok, rotates: rotates, now: now, caller: callerScript, planned: planned, guard: g})
			if d.verdict == verdictServe && end.Sub(now) <= g {
				t.Fatalf("rotates=%v: served at %v with %v left, under the guaranteed %v", rotates, now.Sub(t0), end.Sub(now), g)
			}
			if d.verdict != verdictServe && end.Sub(now) > g {
				t.Fatalf("rotates=%v: refused to serve at %v with %v left", rotates, now.Sub(t0), end.Sub(now))
			}
			// A rotating provider is refreshed no sooner than planned, when
			// every token served before has had its guaranteed time.
			if rotates && d.verdict == verdictRefresh && now.Before(planned) {
				t.Fatalf("refresh at %v, before the planned %v", now.Sub(t0), planned.Sub(t0))
			}
			if rotates && d.verdict == verdictWait && !d.next.Equal(planned) {
				t.Fatalf("waits until %v, not the planned time", d.next.Sub(t0))
			}
		}
	}
}

// TestApprovalEnd: the badge follows the provider's lifetime model.
func TestApprovalEnd(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	window := 14 * 24 * time.Hour
	for _, c := range []struct {
		name      string
		life      oauth.RefreshLifetime
		rb        time.Time
		want      Status
		reasonHas string
	}{
		{"unknown end", oauth.LifetimeAbsolute, time.Time{}, "", ""},
		{"absolute, far", oauth.LifetimeAbsolute, now.Add(200 * 24 * time.Hour), "", ""},
		{"absolute, within the window", oauth.LifetimeAbsolute, now.Add(5 * 24 * time.Hour), StatusExpiring, "refreshing cannot extend it"},
		{"fixed, within the window", oauth.LifetimeFixed, now.Add(5 * 24 * time.Hour), StatusExpiring, "refreshing cannot extend it"},
		{"unknown model, within the window", oauth.LifetimeUnknown, now.Add(5 * 24 * time.Hour), StatusExpiring, "refreshing cannot extend it"},
		{"rolling, renewed in time", oauth.LifetimeRolling, now.Add(29 * 24 * time.Hour), "", ""},
		{"rolling, not renewed in time", oauth.LifetimeRolling, now.Add(5 * 24 * time.Hour), StatusExpiring, "has not been able to renew"},
		{"absolute, ended", oauth.LifetimeAbsolute, now.Add(-time.Hour), StatusReconnect, "ended"},
		{"rolling, ended", oauth.LifetimeRolling, now.Add(-time.Hour), StatusReconnect, "ended"},
	} {
		st, reason, action := approvalEnd(c.life, c.rb, now.Add(-20*24*time.Hour), now, window)
		if st != c.want || !strings.Contains(reason, c.reasonHas) || (st != "" && action == "") {
			t.Errorf("%s: %q %q %q", c.name, st, reason, action)
		}
		if c.life == oauth.LifetimeRolling && strings.Contains(reason, "cannot extend") {
			t.Errorf("%s: a rolling lifetime said refreshing cannot extend it", c.name)
		}
	}
}

// TestDemoCadenceMatchesItsText: the Demo's two-minute tokens renew 30 to
// 60 seconds after they are issued, as the empty account list and the
// README say.
func TestDemoCadenceMatchesItsText(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	lo, hi := time.Hour, time.Duration(0)
	for i := 0; i < 2000; i++ {
		tok := &oauth.Token{AccessToken: "at", RefreshToken: "rt", IssuedAt: t0.Add(time.Duration(i) * time.Millisecond)}
		tok.Expiry = tok.IssuedAt.Add(2 * time.Minute)
		id := fmt.Sprint("demo-", i)
		planned := defaultTiming.refreshAt(id, tok)
		d := planned.Sub(tok.IssuedAt)
		lo, hi = min(lo, d), max(hi, d)
		// A token just received is served at once, whatever its jitter.
		sit := situation{tok: tok, rotates: true, now: tok.IssuedAt.Add(time.Second), caller: callerScript,
			planned: planned, guard: defaultTiming.guarantee(id, tok)}
		if v := decide(sit); v.verdict != verdictServe {
			t.Fatalf("%s: a fresh Demo token is not served: %v %q", id, v.verdict, v.rule)
		}
	}
	if lo < 30*time.Second || hi > 60*time.Second || hi-lo < 20*time.Second {
		t.Fatalf("a two-minute token renews %v to %v after issue; the texts say 30 to 60 seconds", lo, hi)
	}
}
