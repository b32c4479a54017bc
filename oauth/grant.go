package oauth

import (
	"context"
	"errors"
	"strings"
	"time"
)

// prepare checks what every token request needs and fills defaults.
func prepare(op string, p *Profile, c Credentials) (*Profile, Credentials, *Error) {
	if p == nil {
		return nil, c, configError(op, "no provider profile")
	}
	q := p.clone()
	q.applyDefaults()
	return q, q.withDefaults(c), nil
}

// Exchange trades an authorization code for tokens (RFC 6749 §4.1.3) in the
// profile's dialect. redirectURI must be the one the authorization request
// sent; verifier is the PKCE verifier ("" when none was sent).
func (c *Client) Exchange(ctx context.Context, p *Profile, cred Credentials, code, verifier, redirectURI string) (*Token, error) {
	p, cred, e := prepare("exchange", p, cred)
	if e != nil {
		return nil, e
	}
	if code == "" {
		return nil, configError("exchange", "no authorization code")
	}
	if p.PKCE == PKCERequired && verifier == "" {
		return nil, configError("exchange", "%s requires PKCE: the code verifier is missing", p.Name)
	}
	params := []param{{"code", code}, {"redirect_uri", redirectURI}}
	if verifier != "" && p.PKCE != PKCEUnsupported {
		params = append(params, param{"code_verifier", verifier})
	}
	o, e := tokenRequest("exchange", p, cred, "authorization_code", p.CodeAuth, params)
	if e != nil {
		return nil, e
	}
	o.secrets.add(code, verifier)
	o.secrets.field("code", Redact(code))
	o.secrets.field("code_verifier", Redact(verifier))
	return c.grant(ctx, p, o, nil)
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
	p, cred, e := prepare("refresh", p, cred)
	if e != nil {
		return nil, e
	}
	if old == nil || old.RefreshToken == "" {
		e := newError(KindReconnect, "refresh", errors.New("the account has no refresh token"))
		e.Advice = "This account cannot be refreshed: connect it again."
		return nil, e
	}
	params := []param{{fieldName(p.Fields.RefreshToken, "refresh_token"), old.RefreshToken}}
	if p.Redirect.OnRefresh {
		uri := p.Redirect.URI
		if p.Redirect.Mode != RedirectPaste {
			uri = "" // a loopback address is not known after the flow; nothing to send
		}
		if uri != "" {
			v, err := expand(uri, cred)
			if err != nil {
				return nil, configError("refresh", "redirect.uri: %v", err)
			}
			params = append(params, param{"redirect_uri", v})
		}
	}
	if p.ScopeOnRefresh {
		scopes := old.Scopes
		if len(scopes) == 0 {
			scopes = p.Scopes
		}
		if len(scopes) > 0 {
			params = append(params, param{"scope", strings.Join(scopes, separator(p))})
		}
	}
	o, e := tokenRequest("refresh", p, cred, "refresh_token", p.RefreshAuth, params)
	if e != nil {
		return nil, e
	}
	o.secrets.add(old.RefreshToken, old.AccessToken)
	o.secrets.field(fieldName(p.Fields.RefreshToken, "refresh_token"), Redact(old.RefreshToken))
	o.rotatingUse = p.Rotation == RotationRotate
	return c.grant(ctx, p, o, old)
}

// SignIn connects a password provider (Vault.ist's password_email grant):
// the email and password travel once, in the dialect's field names, and are
// kept nowhere.
func (c *Client) SignIn(ctx context.Context, p *Profile, cred Credentials, email, password string) (*Token, error) {
	p, cred, e := prepare("signin", p, cred)
	if e != nil {
		return nil, e
	}
	if p.Connect != ConnectPassword || p.PasswordGrant == "" {
		return nil, configError("signin", "%s does not connect with a sign-in form", p.Name)
	}
	if email == "" || password == "" {
		e := newError(KindReconnect, "signin", errors.New("the email or password is empty"))
		e.Advice = "Enter the account's email and password."
		return nil, e
	}
	params := []param{
		{fieldName(p.Fields.Username, "username"), email},
		{fieldName(p.Fields.Password, "password"), password},
	}
	o, e := tokenRequest("signin", p, cred, p.PasswordGrant, p.CodeAuth, params)
	if e != nil {
		return nil, e
	}
	o.secrets.addSecret(password)
	o.secrets.field(fieldName(p.Fields.Password, "password"), Fingerprint(password))
	return c.grant(ctx, p, o, nil)
}

// grant sends a token request and turns the answer into a Token.
func (c *Client) grant(ctx context.Context, p *Profile, o *outgoing, old *Token) (*Token, error) {
	a, x, e := c.send(ctx, o)
	if e != nil {
		return nil, e
	}
	if a.status < 200 || a.status > 299 {
		e := classify(o.op, p, a, c.now(), &o.secrets)
		c.done(o, x, e, "")
		return nil, e
	}
	ans, err := parseTokenResponse(a.body)
	if err != nil {
		// A 200 that carries an error object is classified like any error.
		if errors.Is(err, errAnswerIsError) {
			e := classify(o.op, p, a, c.now(), &o.secrets)
			e.Status = a.status
			c.done(o, x, e, "")
			return nil, e
		}
		e := newError(KindProvider, o.op, err)
		e.Status = a.status
		c.done(o, x, e, "")
		return nil, e
	}
	tok := c.token(p, ans, old)
	c.done(o, x, nil, tok.Warning)
	return tok, nil
}

// token builds a Token from an answer, the profile's lifetimes and, on
// refresh, the token it replaces.
func (c *Client) token(p *Profile, a *tokenAnswer, old *Token) *Token {
	now := c.now()
	t := &Token{
		AccessToken:  a.AccessToken,
		TokenType:    normaliseTokenType(p, a.TokenType),
		RefreshToken: a.RefreshToken,
		IssuedAt:     now,
		ConsentAt:    now,
	}
	switch {
	case a.ExpiresIn > 0:
		t.Expiry = now.Add(time.Duration(a.ExpiresIn) * time.Second)
	case p.AccessTTL.Duration > 0:
		t.Expiry = now.Add(p.AccessTTL.Duration)
	}
	if a.Scope != "" {
		t.Scopes = splitScopes(a.Scope, separator(p))
	} else if old != nil && len(old.Scopes) > 0 {
		t.Scopes = append([]string(nil), old.Scopes...)
	} else {
		t.Scopes = append([]string(nil), p.Scopes...)
	}
	newRefresh := a.RefreshToken != ""
	if old != nil {
		t.ConsentAt = old.ConsentAt
		if !newRefresh {
			t.RefreshToken = old.RefreshToken
			if p.Rotation == RotationRotate {
				t.Warning = "the provider rotates refresh tokens but this answer had none; the previous refresh token is kept and may no longer work"
			}
		}
	}
	if t.RefreshToken == "" {
		return t
	}
	keep := time.Time{}
	if old != nil {
		keep = old.RefreshExpiry
	}
	switch p.RefreshLifetime {
	case LifetimeAbsolute:
		if !t.ConsentAt.IsZero() && p.RefreshTTL.Duration > 0 {
			t.RefreshExpiry = t.ConsentAt.Add(p.RefreshTTL.Duration)
		} else {
			t.RefreshExpiry = keep
		}
	case LifetimeRolling:
		if p.RefreshTTL.Duration > 0 {
			t.RefreshExpiry = now.Add(p.RefreshTTL.Duration)
		}
	case LifetimeFixed:
		switch {
		case a.RefreshExpiresIn > 0:
			t.RefreshExpiry = now.Add(time.Duration(a.RefreshExpiresIn) * time.Second)
		case newRefresh && p.RefreshTTL.Duration > 0:
			t.RefreshExpiry = now.Add(p.RefreshTTL.Duration)
		default:
			t.RefreshExpiry = keep
		}
	default:
		switch {
		case a.RefreshExpiresIn > 0:
			t.RefreshExpiry = now.Add(time.Duration(a.RefreshExpiresIn) * time.Second)
		case !newRefresh:
			t.RefreshExpiry = keep
		}
	}
	return t
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

func splitScopes(s, sep string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || (sep == "+" && r == '+') })
	if len(f) == 0 {
		return nil
	}
	return f
}

// bearer is the Authorization value for API calls with t.
func bearer(t *Token) string {
	tt := t.TokenType
	if tt == "" || strings.EqualFold(tt, "bearer") {
		tt = "Bearer"
	}
	return tt + " " + t.AccessToken
}
