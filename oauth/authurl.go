package oauth

import "strings"

// AuthCodeURL builds the address that asks the seller for consent:
// response_type=code, client_id, redirect_uri, state, the scopes joined with
// the profile's separator (Depop's literal "+" is sent as %2B), the S256
// challenge when one is given, and the profile's extra parameters.
func AuthCodeURL(p *Profile, c Credentials, redirectURI, state, challenge string) (string, error) {
	b, e := prepare("authorize", p, c)
	if e != nil {
		return "", e
	}
	return b.authCodeURL(redirectURI, state, challenge)
}

func (b *binding) authCodeURL(redirectURI, state, challenge string) (string, error) {
	if b.Connect == ConnectPassword {
		return "", configError("authorize", "%s connects with a sign-in form, not in the browser", b.Name)
	}
	if b.cred.ClientID == "" {
		return "", configError("authorize", "the client_id setting of %s is empty", b.Name)
	}
	if state == "" {
		return "", configError("authorize", "an authorization request needs a state value")
	}
	if b.PKCE == PKCERequired && challenge == "" {
		return "", configError("authorize", "%s requires PKCE: a code challenge is needed", b.Name)
	}
	u := *b.authURL
	q := u.Query()
	for _, t := range b.authParams {
		v, err := expand(t.value, b.cred)
		if err != nil {
			return "", configError("authorize", "auth_params.%s: %v", t.name, err)
		}
		q.Set(t.name, v)
	}
	q.Set("response_type", "code")
	q.Set("client_id", b.cred.ClientID)
	q.Set("redirect_uri", redirectURI)
	q.Set("state", state)
	if b.scope != "" {
		q.Set("scope", b.scope)
	}
	if challenge != "" && b.PKCE != PKCEUnsupported {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// splitScopes reads a scope answer: space- or comma-separated, and
// '+'-separated too where the profile joins with '+'.
func splitScopes(s, sep string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || (sep == "+" && r == '+') })
	if len(f) == 0 {
		return nil
	}
	return f
}
