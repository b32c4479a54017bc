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
	o := &outgoing{op: op, method: http.MethodPost, url: p.TokenURL, header: http.Header{}, sensitive: map[string]bool{}}
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
		o.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.ClientID+":"+c.ClientSecret)))
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
	case AuthNone:
		if e := needID(); e != nil {
			return nil, e
		}
		body = append(body, param{"client_id", c.ClientID})
	case AuthHeaders:
	default:
		return nil, configError(op, "%s states no client authentication (code_auth/refresh_auth)", p.Name)
	}
	o.secrets.add(c.ClientSecret)
	for k, v := range p.Headers {
		v, err := expand(v, c)
		if err != nil {
			return nil, configError(op, "header %s of %s: %v", k, p.Name, err)
		}
		o.header.Set(k, v)
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

func fieldName(custom, standard string) string {
	if custom != "" {
		return custom
	}
	return standard
}
