package oauth

import "time"

// Token is what a provider granted for one account.
type Token struct {
	AccessToken string `json:"access_token"`
	// TokenType is normalised for API calls: eBay's "User Access Token" becomes "Bearer".
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is when the access token stops working (zero: unknown).
	Expiry time.Time `json:"expiry"`
	// RefreshExpiry is when the refresh token stops working, from the
	// profile's refresh-lifetime model (zero: unknown). The seller must
	// reconnect by then.
	RefreshExpiry time.Time `json:"refresh_expiry,omitempty"`
	// ConsentAt is when the seller last granted consent; absolute refresh
	// lifetimes count from it and rotated tokens inherit it.
	ConsentAt time.Time `json:"consent_at,omitempty"`
	// IssuedAt is when this access token was received.
	IssuedAt time.Time `json:"issued_at"`
	// Scopes granted, when the answer says; otherwise those requested.
	Scopes []string `json:"scopes,omitempty"`

	// Warning describes something wrong with the answer that did not stop the
	// token being used, for example a rotating provider that sent no new
	// refresh token (the old one is kept). Not stored.
	Warning string `json:"-"`
}

// ExpiresWithin reports whether the access token expires within d of now.
func (t *Token) ExpiresWithin(now time.Time, d time.Duration) bool {
	if t == nil || t.AccessToken == "" {
		return true
	}
	if t.Expiry.IsZero() {
		return false
	}
	return !now.Add(d).Before(t.Expiry)
}
