package oauth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
)

// param is one body field; order is kept for forms.
type param struct{ name, value string }

// tokenRequest shapes a token endpoint request in the profile's dialect:
// where the grant type goes, how the client authenticates, which headers the
// profile adds and how the body is encoded.
func tokenRequest(op string, p *Profile, c Credentials, grant string, auth ClientAuth, params []param) (*outgoing, *Error) {
	o := &outgoing{op: op, method: http.MethodPost, url: p.TokenURL, header: http.Header{}, sensitive: map[string]bool{}, masked: map[string]string{}}
	for _, n := range []string{p.Fields.RefreshToken, p.Fields.Password} {
		if n != "" {
			o.sensitive[n] = true
		}
	}
	var body []param
	switch {
	case grant == "": // revocation (RFC 7009) has no grant type
	case p.GrantIn == GrantInHeader:
		o.header.Set(p.GrantHeader, grant)
	default:
		body = append(body, param{"grant_type", grant})
	}
	needID := func() *Error {
		if c.ClientID == "" {
			return configError(op, "the client_id setting of %s is empty", p.Name)
		}
		return nil
	}
	needSecret := func() *Error {
		if c.ClientSecret == "" {
			return configError(op, "the client_secret setting of %s is empty", p.Name)
		}
		return nil
	}
	switch auth {
	case AuthBasic:
		if e := needID(); e != nil {
			return nil, e
		}
		if e := needSecret(); e != nil {
			return nil, e
		}
		basic := base64.StdEncoding.EncodeToString([]byte(c.ClientID + ":" + c.ClientSecret))
		o.header.Set("Authorization", "Basic "+basic)
		// Derived from the client secret: recorded as a fingerprint only.
		o.masked["Authorization"] = "Basic " + Fingerprint(basic)
		o.secrets.addSecret(basic)
		if p.BasicClientID {
			body = append(body, param{"client_id", c.ClientID})
		}
	case AuthBody:
		if e := needID(); e != nil {
			return nil, e
		}
		if e := needSecret(); e != nil {
			return nil, e
		}
		body = append(body, param{"client_id", c.ClientID}, param{"client_secret", c.ClientSecret})
		o.secrets.field("client_secret", Fingerprint(c.ClientSecret))
	case AuthNone:
		if e := needID(); e != nil {
			return nil, e
		}
		body = append(body, param{"client_id", c.ClientID})
	case AuthHeaders:
	default:
		return nil, configError(op, "%s states no client authentication (code_auth/refresh_auth)", p.Name)
	}
	// Every secret setting's value is masked wherever it shows, whether or
	// not this request uses it; a header built from one is recorded with
	// the secret replaced by its fingerprint.
	secret := p.secretSettings()
	for k := range secret {
		o.secrets.addSecret(settingValue(c, k))
	}
	for k, tmpl := range p.Headers {
		v, err := expand(tmpl, c)
		if err != nil {
			return nil, configError(op, "header %s of %s: %v", k, p.Name, err)
		}
		o.header.Set(k, v)
		if m, ok := expandMasked(tmpl, c, secret); ok {
			o.masked[http.CanonicalHeaderKey(k)] = m
		}
	}
	body = append(body, params...)
	o.header.Set("Accept", "application/json")
	if p.Encoding == EncodingJSON {
		m := make(map[string]string, len(body))
		for _, f := range body {
			m[f.name] = f.value
		}
		o.body, _ = json.Marshal(m)
		o.header.Set("Content-Type", "application/json")
	} else {
		var b []byte
		for i, f := range body {
			if i > 0 {
				b = append(b, '&')
			}
			b = append(b, url.QueryEscape(f.name)...)
			b = append(b, '=')
			b = append(b, url.QueryEscape(f.value)...)
		}
		o.body = b
		o.header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return o, nil
}

// secretSettings are the keys of p's settings that hold secrets: those
// marked secret, and client_secret always.
func (p *Profile) secretSettings() map[string]bool {
	out := map[string]bool{"client_secret": true}
	for _, s := range p.Settings {
		if s.Secret {
			out[s.Key] = true
		}
	}
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
