package accounts

import (
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// timing is the refresh policy. Zero fields take the defaults in
// DefaultTiming; tests shrink them to run on second-scale lifetimes.
type timing struct {
	// MinLead is the least time before expiry a refresh is planned (1 minute).
	MinLead time.Duration
	// LeadFraction of the access token's lifetime is the planned lead (0.1).
	LeadFraction float64
	// Guarantee is how long a token handed out by Token stays valid at
	// least (60 s, capped at a quarter of the token's lifetime): a caller
	// that comes later than that before the expiry, or on a rotating
	// provider before the planned refresh, gets the renewed token instead.
	Guarantee time.Duration
	// WallCheck is the coarse wall-clock check (30 s).
	WallCheck time.Duration
	// RetryBase and RetryMax bound the backoff of temporary failures (10 s, 15 min).
	RetryBase, RetryMax time.Duration
	// SaveRetry is the first retry of a failed keychain save (5 s, then backoff).
	SaveRetry time.Duration
	// SaveDeadline bounds how long Close keeps retrying a renewed token the
	// keychain refused before it gives up and says so (30 s).
	SaveDeadline time.Duration
	// PerProvider bounds concurrent refreshes per provider (4).
	PerProvider int
	// ExpiringWindow: an account whose refresh token ends within it is expiring (14 days).
	ExpiringWindow time.Duration
	// RequestTimeout bounds one refresh attempt, lock wait included (45 s).
	RequestTimeout time.Duration
}

// defaultTiming is the production policy.
var defaultTiming = timing{
	MinLead:        time.Minute,
	LeadFraction:   0.1,
	Guarantee:      time.Minute,
	WallCheck:      30 * time.Second,
	RetryBase:      10 * time.Second,
	RetryMax:       15 * time.Minute,
	SaveRetry:      5 * time.Second,
	SaveDeadline:   30 * time.Second,
	PerProvider:    4,
	ExpiringWindow: 14 * 24 * time.Hour,
	RequestTimeout: 45 * time.Second,
}

func (t timing) withDefaults() timing {
	d := defaultTiming
	if t.MinLead > 0 {
		d.MinLead = t.MinLead
	}
	if t.LeadFraction > 0 {
		d.LeadFraction = t.LeadFraction
	}
	if t.Guarantee > 0 {
		d.Guarantee = t.Guarantee
	}
	if t.WallCheck > 0 {
		d.WallCheck = t.WallCheck
	}
	if t.RetryBase > 0 {
		d.RetryBase = t.RetryBase
	}
	if t.RetryMax > 0 {
		d.RetryMax = t.RetryMax
	}
	if t.SaveRetry > 0 {
		d.SaveRetry = t.SaveRetry
	}
	if t.SaveDeadline > 0 {
		d.SaveDeadline = t.SaveDeadline
	}
	if t.PerProvider > 0 {
		d.PerProvider = t.PerProvider
	}
	if t.ExpiringWindow > 0 {
		d.ExpiringWindow = t.ExpiringWindow
	}
	if t.RequestTimeout > 0 {
		d.RequestTimeout = t.RequestTimeout
	}
	return d
}

func lifetime(tok *oauth.Token) time.Duration {
	if tok == nil || tok.Expiry.IsZero() || tok.IssuedAt.IsZero() {
		return 0
	}
	return tok.Expiry.Sub(tok.IssuedAt)
}

// lead is how long before expiry the refresh is planned: a fraction of the
// lifetime, at least MinLead, but never more than half the lifetime (so a
// short-lived token is not refreshed the moment it arrives).
func (t timing) lead(tok *oauth.Token) time.Duration {
	life := lifetime(tok)
	l := time.Duration(float64(life) * t.LeadFraction)
	if l < t.MinLead {
		l = t.MinLead
	}
	if life > 0 && l > life/2 {
		l = life / 2
	}
	return l
}

// jitterFrac is a stable fraction in [0,1) for one account's token, so
// every process computes the same planned time and accounts connected
// together spread out.
func jitterFrac(id string, tok *oauth.Token) float64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	var b [8]byte
	n := tok.IssuedAt.UnixNano()
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// refreshAt is when the scheduler plans to refresh tok: expiry minus the
// lead minus up to half the lead of jitter. Zero when the expiry is unknown.
func (t timing) refreshAt(id string, tok *oauth.Token) time.Time {
	if tok == nil || tok.Expiry.IsZero() {
		return time.Time{}
	}
	l := t.lead(tok)
	j := time.Duration(jitterFrac(id, tok) * float64(l/2))
	return tok.Expiry.Add(-l - j).Round(0)
}

// target is the un-jittered planned time, used to measure lateness.
func (t timing) target(tok *oauth.Token) time.Time {
	return tok.Expiry.Add(-t.lead(tok))
}

// guarantee is how long a token handed out now must stay valid: the
// setting, at most a quarter of the lifetime, and at most half the time a
// fresh token has before its planned renewal, so that a token just
// received is always served (callers wait only in the last stretch before
// a rotation).
func (t timing) guarantee(id string, tok *oauth.Token) time.Duration {
	g := t.Guarantee
	if life := lifetime(tok); life > 0 && g > life/4 {
		g = life / 4
	}
	if at := t.refreshAt(id, tok); !at.IsZero() && !tok.IssuedAt.IsZero() {
		if w := at.Sub(tok.IssuedAt) / 2; w > 0 && g > w {
			g = w
		}
	}
	return g
}

// backoff is the delay before retry number attempt (0-based): doubling from
// base up to max, with "equal jitter" (between half and all of it) so
// intervals still grow while accounts that failed together spread out. A
// provider's Retry-After is a floor.
func backoff(attempt int, base, max, retryAfter time.Duration) time.Duration {
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	if retryAfter > d {
		d = retryAfter + time.Duration(rand.Int64N(int64(retryAfter/10)+1))
	}
	return d
}
