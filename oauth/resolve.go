package oauth

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
)

// resolved is a profile validated once, its defaults applied, with what
// every connect and token request reads worked out in advance: the catalog
// makes one when a provider file loads, Rebase moves its endpoints, and the
// profile's clones share it. It never changes; requests read it and derive
// nothing again.
type resolved struct {
	Profile // as validated, defaults applied

	authURL    *url.URL          // AuthURL parsed (browser profiles)
	scope      string            // Scopes joined with the separator; "" when there are none
	headers    []settingTemplate // Headers, by name
	authParams []settingTemplate // AuthParams, by name
	secret     map[string]bool   // settings holding secrets: client_secret and those marked secret
	defaults   Credentials       // the settings' defaults
	sensitive  map[string]bool   // the dialect's body fields holding tokens or passwords

	refreshField, usernameField, passwordField string // body field names of the dialect

	mu      sync.Mutex
	bound   *binding             // the last credentials bound (see bind)
	rebased map[string]*resolved // by Rebase's base
}

// settingTemplate is a value filled from settings ("${partnerId}").
type settingTemplate struct {
	name, value string
	secret      bool // names a secret setting: recorded with the secret masked
}

// resolve validates a copy of p with its defaults applied and works out
// what requests need.
func resolve(p *Profile) (*resolved, error) {
	q := p.clone()
	q.res = nil
	q.applyDefaults()
	if err := q.validate(); err != nil {
		return nil, err
	}
	return newResolved(q), nil
}

// newResolved derives a validated profile's request values from a copy
// of q.
func newResolved(q *Profile) *resolved {
	r := &resolved{Profile: *q.clone()}
	r.res = nil
	if q.Connect == ConnectBrowser {
		r.authURL, _ = url.Parse(q.AuthURL) // checked by validate
	}
	if len(q.Scopes) > 0 {
		r.scope = strings.Join(q.Scopes, q.ScopeSeparator)
	}
	r.secret = map[string]bool{"client_secret": true}
	for _, s := range q.Settings {
		if s.Secret {
			r.secret[s.Key] = true
		}
	}
	r.headers = r.templates(q.Headers)
	r.authParams = r.templates(q.AuthParams)
	r.defaults = settingDefaults(q.Settings)
	r.refreshField = fieldName(q.Fields.RefreshToken, "refresh_token")
	r.usernameField = fieldName(q.Fields.Username, "username")
	r.passwordField = fieldName(q.Fields.Password, "password")
	r.sensitive = map[string]bool{}
	for _, n := range []string{q.Fields.RefreshToken, q.Fields.Password} {
		if n != "" {
			r.sensitive[n] = true
		}
	}
	return r
}

func (r *resolved) templates(m map[string]string) []settingTemplate {
	var out []settingTemplate
	for _, k := range sortedKeys(m) {
		t := settingTemplate{name: k, value: m[k]}
		for _, ref := range settingPattern.FindAllStringSubmatch(t.value, -1) {
			t.secret = t.secret || r.secret[ref[1]]
		}
		out = append(out, t)
	}
	return out
}

// describes reports whether p is still the profile r was made from: a
// caller may change its copy of a catalog profile, which then is resolved
// again rather than sent with what no longer holds.
func (r *resolved) describes(p *Profile) bool {
	q := *p
	q.res = nil
	return reflect.DeepEqual(&q, &r.Profile)
}

// resolution returns p's resolved form: the catalog's when p is unchanged
// since it was resolved, else p validated and resolved now (a profile built
// by hand, or a changed copy). The error is Validate's.
func (p *Profile) resolution() (*resolved, error) {
	if r := p.res; r != nil && r.describes(p) {
		return r, nil
	}
	return resolve(p)
}

// rebase is r with its endpoints moved as q (r's profile rebased to base)
// has them; nil when a moved endpoint is not usable, so q is resolved, and
// refused, when used. One resolution is kept per base.
func (r *resolved) rebase(base string, q *Profile) *resolved {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := r.rebased[base]; n != nil && n.describes(q) {
		return n
	}
	if q.checkEndpoints() != nil {
		return nil
	}
	n := newResolved(q)
	if r.rebased == nil {
		r.rebased = map[string]*resolved{}
	}
	r.rebased[base] = n
	return n
}

// binding is a resolved profile with one set of credentials filled in:
// their empty values taken from the settings' defaults, the templates
// expanded.
type binding struct {
	*resolved
	given Credentials // as the caller passed them
	cred  Credentials // with the defaults

	header    []filled // Headers with the settings filled in
	headerErr error    // the first header naming an empty setting
	secrets   []string // the values of the secret settings, masked wherever they show
}

// filled is a template with its settings filled in.
type filled struct {
	name, value string
	masked      string // the value with each secret as its fingerprint
	hasMask     bool   // it names a secret: recorded as masked
}

// bind fills c into r. The binding is kept until other credentials come
// (the integrator changed a setting), so the token requests of every account
// of a provider share one.
func (r *resolved) bind(c Credentials) *binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := r.bound; b != nil && sameCredentials(b.given, c) {
		return b
	}
	given := c
	given.Settings = maps.Clone(c.Settings)
	b := &binding{resolved: r, given: given, cred: r.withDefaults(c)}
	for _, t := range r.headers {
		v, err := expand(t.value, b.cred)
		if err != nil {
			b.headerErr = fmt.Errorf("header %s of %s: %v", t.name, r.Name, err)
			break
		}
		f := filled{name: t.name, value: v}
		if t.secret {
			f.masked, f.hasMask = expandMasked(t.value, b.cred, r.secret)
		}
		b.header = append(b.header, f)
	}
	for k := range r.secret {
		b.secrets = append(b.secrets, settingValue(b.cred, k))
	}
	r.bound = b
	return b
}

func sameCredentials(a, b Credentials) bool {
	return a.ClientID == b.ClientID && a.ClientSecret == b.ClientSecret && maps.Equal(a.Settings, b.Settings)
}

// withDefaults fills c's empty values from the settings' defaults.
func (r *resolved) withDefaults(c Credentials) Credentials {
	d := r.defaults
	out := Credentials{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Settings: maps.Clone(d.Settings)}
	for k, v := range c.Settings {
		if v != "" {
			out.Settings[k] = v
		}
	}
	if out.ClientID == "" {
		out.ClientID = d.ClientID
	}
	if out.ClientSecret == "" {
		out.ClientSecret = d.ClientSecret
	}
	return out
}

// setHeaders puts the profile's headers on h and records how those built
// from secrets are shown.
func (b *binding) setHeaders(h http.Header, masked map[string]string) {
	for _, f := range b.header {
		h.Set(f.name, f.value)
		if f.hasMask {
			masked[http.CanonicalHeaderKey(f.name)] = f.masked
		}
	}
}

// pasteRedirectURI is the redirect_uri of a paste-mode profile, its
// setting (eBay's RuName) filled in.
func (b *binding) pasteRedirectURI() (string, error) {
	uri, err := expand(b.Redirect.URI, b.cred)
	if err != nil {
		return "", fmt.Errorf("redirect.uri: %v", err)
	}
	return uri, nil
}

// missing lists the required settings the bound credentials leave empty.
func (b *binding) missing() []string { return missingSettings(b.Settings, b.cred) }
