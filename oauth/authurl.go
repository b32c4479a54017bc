package oauth

import (
	"net/url"
	"strings"
)

// AuthCodeURL builds the address that asks the seller for consent:
// response_type=code, client_id, redirect_uri, state, the scopes joined with
// the profile's separator (Depop's literal "+" is sent as %2B), the S256
// challenge when one is given, and the profile's extra parameters.
func AuthCodeURL(p *Profile, c Credentials, redirectURI, state, challenge string) (string, error) {
	c = p.withDefaults(c)
	if p.Connect == ConnectPassword {
		return "", configError("authorize", "%s connects with a sign-in form, not in the browser", p.Name)
	}
	if err := checkEndpoint(p.AuthURL); err != nil {
		return "", configError("authorize", "auth_url: %v", err)
	}
	if c.ClientID == "" {
		return "", configError("authorize", "the client_id setting of %s is empty", p.Name)
	}
	if state == "" {
		return "", configError("authorize", "an authorization request needs a state value")
	}
	if p.PKCE == PKCERequired && challenge == "" {
		return "", configError("authorize", "%s requires PKCE: a code challenge is needed", p.Name)
	}
	u, err := url.Parse(p.AuthURL)
	if err != nil {
		return "", configError("authorize", "auth_url: %v", err)
	}
	q := u.Query()
	for k, v := range p.AuthParams {
		v, err := expand(v, c)
		if err != nil {
			return "", configError("authorize", "auth_params.%s: %v", k, err)
		}
		q.Set(k, v)
	}
	q.Set("response_type", "code")
	q.Set("client_id", c.ClientID)
	q.Set("redirect_uri", redirectURI)
	q.Set("state", state)
	if len(p.Scopes) > 0 {
		q.Set("scope", strings.Join(p.Scopes, separator(p)))
	}
	if challenge != "" && p.PKCE != PKCEUnsupported {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func separator(p *Profile) string {
	if p.ScopeSeparator == "" {
		return " "
	}
	return p.ScopeSeparator
}
