package oauth

import (
	"context"
	"fmt"
)

// Revoke asks the provider to end tok's grant (RFC 7009): the refresh token
// when there is one (which ends its access tokens too), else the access
// token. A profile without a revocation endpoint gives a KindConfig *Error
// whose Advice says where the seller revokes by hand.
func (c *Client) Revoke(ctx context.Context, p *Profile, cred Credentials, tok *Token) error {
	b, e := prepare("revoke", p, cred)
	if e != nil {
		return e
	}
	if b.RevokeURL == "" {
		e := newError(KindConfig, "revoke", errNoRevoke)
		e.Advice = b.RevokeHelp
		if e.Advice == "" {
			e.Advice = fmt.Sprintf("%s has no revocation endpoint: remove SellerConnect from the account's connected apps on the provider's site.", b.Name)
		}
		return e
	}
	if tok == nil || (tok.RefreshToken == "" && tok.AccessToken == "") {
		return nil
	}
	params := []param{{"token", tok.RefreshToken}, {"token_type_hint", "refresh_token"}}
	if tok.RefreshToken == "" {
		params = []param{{"token", tok.AccessToken}, {"token_type_hint", "access_token"}}
	}
	o, e := b.tokenRequest("revoke", "", b.RefreshAuth, params)
	if e != nil {
		return e
	}
	o.url = b.RevokeURL
	o.secrets.add(tok.RefreshToken, tok.AccessToken)
	o.secrets.field("token", Redact(params[0].value))
	a, x, e := c.send(ctx, o)
	if e != nil {
		return e
	}
	if a.status < 200 || a.status > 299 {
		e := classify("revoke", &b.Profile, a, c.now(), &o.secrets)
		c.done(o, x, e, "")
		return e
	}
	c.done(o, x, nil, "")
	return nil
}
