package oauth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
)

// param is one body field; order is kept for forms.
type param struct{ name, value string }

// tokenRequest shapes a token endpoint request for profile p, resolving it
// (see Profile.resolution) and binding c first.
func tokenRequest(op string, p *Profile, c Credentials, grant string, auth ClientAuth, params []param) (*outgoing, *Error) {
	b, e := prepare(op, p, c)
	if e != nil {
		return nil, e
	}
	return b.tokenRequest(op, grant, auth, params)
}

// tokenRequest shapes a token endpoint request in the profile's dialect:
// where the grant type goes, how the client authenticates, which headers the
// profile adds and how the body is encoded.
func (b *binding) tokenRequest(op, grant string, auth ClientAuth, params []param) (*outgoing, *Error) {
	o := &outgoing{op: op, method: http.MethodPost, url: b.TokenURL, header: http.Header{}, sensitive: b.sensitive, masked: map[string]string{}}
	body := b.placeGrant(o, grant)
	body, e := b.authenticate(op, o, auth, body)
	if e != nil {
		return nil, e
	}
	// Every secret setting's value is masked wherever it shows, whether or
	// not this request uses it; a header built from one is recorded with
	// the secret replaced by its fingerprint.
	o.secrets.addSecret(b.secrets...)
	if b.headerErr != nil {
		return nil, configError(op, "%v", b.headerErr)
	}
	b.setHeaders(o.header, o.masked)
	o.header.Set("Accept", "application/json")
	o.body = b.encode(o.header, append(body, params...))
	return o, nil
}

// placeGrant puts the grant type where the dialect wants it: a header, or
// the body's first field (returned). Revocation (RFC 7009) has none.
func (b *binding) placeGrant(o *outgoing, grant string) []param {
	switch {
	case grant == "":
		return nil
	case b.GrantIn == GrantInHeader:
		o.header.Set(b.GrantHeader, grant)
		return nil
	}
	return []param{{"grant_type", grant}}
}

// authenticate adds the client authentication auth to o and its body.
func (b *binding) authenticate(op string, o *outgoing, auth ClientAuth, body []param) ([]param, *Error) {
	c := b.cred
	switch auth {
	case AuthBasic:
		if e := b.needClient(op, true); e != nil {
			return nil, e
		}
		basic := base64.StdEncoding.EncodeToString([]byte(c.ClientID + ":" + c.ClientSecret))
		o.header.Set("Authorization", "Basic "+basic)
		// Derived from the client secret: recorded as a fingerprint only.
		o.masked["Authorization"] = "Basic " + Fingerprint(basic)
		o.secrets.addSecret(basic)
		if b.BasicClientID {
			body = append(body, param{"client_id", c.ClientID})
		}
	case AuthBody:
		if e := b.needClient(op, true); e != nil {
			return nil, e
		}
		body = append(body, param{"client_id", c.ClientID}, param{"client_secret", c.ClientSecret})
		o.secrets.field("client_secret", Fingerprint(c.ClientSecret))
	case AuthNone:
		if e := b.needClient(op, false); e != nil {
			return nil, e
		}
		body = append(body, param{"client_id", c.ClientID})
	case AuthHeaders:
	default:
		return nil, configError(op, "%s states no client authentication (code_auth/refresh_auth)", b.Name)
	}
	return body, nil
}

// needClient refuses empty client credentials: the client id, and the
// secret when the client authenticates with it.
func (b *binding) needClient(op string, secret bool) *Error {
	if b.cred.ClientID == "" {
		return configError(op, "the client_id setting of %s is empty", b.Name)
	}
	if secret && b.cred.ClientSecret == "" {
		return configError(op, "the client_secret setting of %s is empty", b.Name)
	}
	return nil
}

// encode writes the body in the profile's encoding and sets its
// Content-Type; a form keeps the fields' order.
func (b *binding) encode(h http.Header, body []param) []byte {
	if b.Encoding == EncodingJSON {
		m := make(map[string]string, len(body))
		for _, f := range body {
			m[f.name] = f.value
		}
		out, _ := json.Marshal(m)
		h.Set("Content-Type", "application/json")
		return out
	}
	var out []byte
	for i, f := range body {
		if i > 0 {
			out = append(out, '&')
		}
		out = append(out, url.QueryEscape(f.name)...)
		out = append(out, '=')
		out = append(out, url.QueryEscape(f.value)...)
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return out
}

// expandMasked fills a template as expand does but with each secret
// setting replaced by its fingerprint; ok is false when the template names
// no secret.
func expandMasked(tmpl string, c Credentials, secret map[string]bool) (string, bool) {
	named := false
	out := settingPattern.ReplaceAllStringFunc(tmpl, func(m string) string {
		key := m[2 : len(m)-1]
		if secret[key] {
			named = true
			return Fingerprint(settingValue(c, key))
		}
		return settingValue(c, key)
	})
	return out, named
}

func fieldName(custom, standard string) string {
	if custom != "" {
		return custom
	}
	return standard
}
