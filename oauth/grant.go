package oauth

import (
	"context"
	"errors"
	"strings"
	"time"
)

// prepare resolves p (see Profile.resolution) and binds c: what every
// token request starts from. A profile that does not validate is a
// settings problem.
func prepare(op string, p *Profile, c Credentials) (*binding, *Error) {
	if p == nil {
		return nil, configError(op, "no provider profile")
	}
	r, err := p.resolution()
	if err != nil {
		return nil, configError(op, "%v", err)
	}
	return r.bind(c), nil
}

// Exchange trades an authorization code for tokens (RFC 6749 §4.1.3) in the
// profile's dialect. redirectURI must be the one the authorization request
// sent; verifier is the PKCE verifier ("" when none was sent).
func (c *Client) Exchange(ctx context.Context, p *Profile, cred Credentials, code, verifier, redirectURI string) (*Token, error) {
	b, e := prepare("exchange", p, cred)
	if e != nil {
		return nil, e
	}
	return c.exchange(ctx, b, code, verifier, redirectURI)
}

func (c *Client) exchange(ctx context.Context, b *binding, code, verifier, redirectURI string) (*Token, error) {
	if code == "" {
		return nil, configError("exchange", "no authorization code")
	}
	if b.PKCE == PKCERequired && verifier == "" {
		return nil, configError("exchange", "%s requires PKCE: the code verifier is missing", b.Name)
	}
	params := []param{{"code", code}, {"redirect_uri", redirectURI}}
	if verifier != "" && b.PKCE != PKCEUnsupported {
		params = append(params, param{"code_verifier", verifier})
	}
	o, e := b.tokenRequest("exchange", "authorization_code", b.CodeAuth, params)
	if e != nil {
		return nil, e
	}
	o.secrets.add(code, verifier)
	o.secrets.field("code", Redact(code))
	o.secrets.field("code_verifier", Redact(verifier))
	return c.grant(ctx, b.resolved, o, nil)
}

// Refresh trades old's refresh token for new tokens (RFC 6749 §6). The
// result keeps old's refresh token when the answer has none, keeps its
// ConsentAt and computes RefreshExpiry from the profile's lifetime model.
// For a rotating profile an answer without a new refresh token is a
// provider fault, but the new access token is still returned (with the old
// refresh token and Token.Warning set).
//
// Refresh is never retried here: for a rotating provider a second attempt
// with the same refresh token can end the grant.
func (c *Client) Refresh(ctx context.Context, p *Profile, cred Credentials, old *Token) (*Token, error) {
	b, e := prepare("refresh", p, cred)
	if e != nil {
		return nil, e
	}
	if old == nil || old.RefreshToken == "" {
		e := newError(KindReconnect, "refresh", errors.New("the account has no refresh token"))
		e.Advice = "This account cannot be refreshed: connect it again."
		return nil, e
	}
	params, e := b.refreshParams(old)
	if e != nil {
		return nil, e
	}
	o, e := b.tokenRequest("refresh", "refresh_token", b.RefreshAuth, params)
	if e != nil {
		return nil, e
	}
	o.secrets.add(old.RefreshToken, old.AccessToken)
	o.secrets.field(b.refreshField, Redact(old.RefreshToken))
	o.rotatingUse = b.Rotation == RotationRotate
	return c.grant(ctx, b.resolved, o, old)
}

// refreshParams are the refresh grant's fields: the refresh token, the
// paste-mode redirect_uri when the profile sends it on refresh (a loopback
// address is not known after the flow), and the scopes when it sends them
// (old's, else the profile's).
func (b *binding) refreshParams(old *Token) ([]param, *Error) {
	params := []param{{b.refreshField, old.RefreshToken}}
	if b.Redirect.OnRefresh && b.Redirect.Mode == RedirectPaste && b.Redirect.URI != "" {
		uri, err := b.pasteRedirectURI()
		if err != nil {
			return nil, configError("refresh", "%v", err)
		}
		params = append(params, param{"redirect_uri", uri})
	}
	if !b.ScopeOnRefresh {
		return params, nil
	}
	if len(old.Scopes) > 0 {
		return append(params, param{"scope", strings.Join(old.Scopes, b.ScopeSeparator)}), nil
	}
	if b.scope != "" {
		params = append(params, param{"scope", b.scope})
	}
	return params, nil
}

// SignIn connects a password provider (Vault.ist's password_email grant):
// the email and password travel once, in the dialect's field names, and are
// kept nowhere.
func (c *Client) SignIn(ctx context.Context, p *Profile, cred Credentials, email, password string) (*Token, error) {
	b, e := prepare("signin", p, cred)
	if e != nil {
		return nil, e
	}
	if b.Connect != ConnectPassword || b.PasswordGrant == "" {
		return nil, configError("signin", "%s does not connect with a sign-in form", b.Name)
	}
	if email == "" || password == "" {
		e := newError(KindReconnect, "signin", errors.New("the email or password is empty"))
		e.Advice = "Enter the account's email and password."
		return nil, e
	}
	params := []param{{b.usernameField, email}, {b.passwordField, password}}
	o, e := b.tokenRequest("signin", b.PasswordGrant, b.CodeAuth, params)
	if e != nil {
		return nil, e
	}
	o.secrets.addSecret(password)
	o.secrets.field(b.passwordField, Fingerprint(password))
	return c.grant(ctx, b.resolved, o, nil)
}

// grant sends a token request and turns the answer into a Token.
func (c *Client) grant(ctx context.Context, r *resolved, o *outgoing, old *Token) (*Token, error) {
	a, x, e := c.send(ctx, o)
	if e != nil {
		return nil, e
	}
	if a.status < 200 || a.status > 299 {
		e := classify(o.op, &r.Profile, a, c.now(), &o.secrets)
		c.done(o, x, e, "")
		return nil, e
	}
	ans, err := parseTokenResponse(a.body)
	if err != nil {
		// A 200 that carries an error object is classified like any error.
		if errors.Is(err, errAnswerIsError) {
			e := classify(o.op, &r.Profile, a, c.now(), &o.secrets)
			e.Status = a.status
			c.done(o, x, e, "")
			return nil, e
		}
		e := newError(KindProvider, o.op, err)
		e.Status = a.status
		c.done(o, x, e, "")
		return nil, e
	}
	tok := c.token(r, ans, old)
	c.done(o, x, nil, tok.Warning)
	return tok, nil
}

// token builds a Token from an answer, the profile's lifetimes and, on
// refresh, the token it replaces.
func (c *Client) token(r *resolved, a *tokenAnswer, old *Token) *Token {
	now := c.now()
	t := &Token{
		AccessToken:  a.AccessToken,
		TokenType:    normaliseTokenType(&r.Profile, a.TokenType),
		RefreshToken: a.RefreshToken,
		Expiry:       r.accessExpiry(a, now),
		IssuedAt:     now,
		ConsentAt:    now,
		Scopes:       r.grantedScopes(a, old),
	}
	var keep time.Time // what the replaced refresh token had
	if old != nil {
		t.ConsentAt = old.ConsentAt
		keep = old.RefreshExpiry
		if a.RefreshToken == "" {
			t.RefreshToken = old.RefreshToken
			if r.Rotation == RotationRotate {
				t.Warning = "the provider rotates refresh tokens but this answer had none; the previous refresh token is kept and may no longer work"
			}
		}
	}
	if t.RefreshToken != "" {
		t.RefreshExpiry = r.refreshExpiry(a, t.ConsentAt, keep, now)
	}
	return t
}

// accessExpiry is when the answer's access token expires: expires_in, else
// the profile's assumed lifetime, else unknown (zero).
func (r *resolved) accessExpiry(a *tokenAnswer, now time.Time) time.Time {
	switch {
	case a.ExpiresIn > 0:
		return now.Add(time.Duration(a.ExpiresIn) * time.Second)
	case r.AccessTTL.Duration > 0:
		return now.Add(r.AccessTTL.Duration)
	}
	return time.Time{}
}

// grantedScopes are the answer's scopes, else those of the token replaced,
// else those requested.
func (r *resolved) grantedScopes(a *tokenAnswer, old *Token) []string {
	switch {
	case a.Scope != "":
		return splitScopes(a.Scope, r.ScopeSeparator)
	case old != nil && len(old.Scopes) > 0:
		return append([]string(nil), old.Scopes...)
	}
	return append([]string(nil), r.Scopes...)
}

// refreshExpiry is when the refresh token of a token built from answer a
// stops working, by the profile's lifetime model. consent is the token's
// ConsentAt; keep is the replaced token's RefreshExpiry (zero on a new
// grant).
func (r *resolved) refreshExpiry(a *tokenAnswer, consent, keep, now time.Time) time.Time {
	ttl := r.RefreshTTL.Duration
	newRefresh := a.RefreshToken != ""
	sent, hasSent := now.Add(time.Duration(a.RefreshExpiresIn)*time.Second), a.RefreshExpiresIn > 0
	switch r.RefreshLifetime {
	case LifetimeAbsolute: // counted from consent, inherited by rotated tokens
		if !consent.IsZero() && ttl > 0 {
			return consent.Add(ttl)
		}
		return keep
	case LifetimeRolling: // renewed by every refresh
		if ttl > 0 {
			return now.Add(ttl)
		}
		return time.Time{}
	case LifetimeFixed: // from issue, as the answer says, else the profile
		switch {
		case hasSent:
			return sent
		case newRefresh && ttl > 0:
			return now.Add(ttl)
		}
		return keep
	}
	switch { // unknown: only what the answer says
	case hasSent:
		return sent
	case !newRefresh:
		return keep
	}
	return time.Time{}
}

// normaliseTokenType maps the answer's token_type to what API calls use.
func normaliseTokenType(p *Profile, tt string) string {
	tt = strings.TrimSpace(tt)
	for k, v := range p.TokenTypes {
		if strings.EqualFold(k, tt) {
			return v
		}
	}
	if tt == "" || strings.EqualFold(tt, "bearer") {
		return "Bearer"
	}
	return tt
}

// bearer is the Authorization value for API calls with t.
func bearer(t *Token) string {
	tt := t.TokenType
	if tt == "" || strings.EqualFold(tt, "bearer") {
		tt = "Bearer"
	}
	return tt + " " + t.AccessToken
}
