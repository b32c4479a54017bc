// Package oauth speaks each provider's OAuth 2.0 dialect: provider profiles and
// the built-in catalog, PKCE, authorization URLs, the loopback redirect
// receiver, token requests and error classification. It knows nothing about
// storage or user interfaces.
package oauth

import (
	"net/url"
	"strings"
	"time"
)

// ConnectMethod says how a seller grants access.
type ConnectMethod string

const (
	ConnectBrowser  ConnectMethod = "browser"  // authorization code flow in the system browser
	ConnectPassword ConnectMethod = "password" // a sign-in form in the app (password grant); the password is never stored
)

// ClientAuth says how the app authenticates itself to the token endpoint.
type ClientAuth string

const (
	AuthBasic   ClientAuth = "basic"   // Authorization: Basic base64(client_id:client_secret)
	AuthBody    ClientAuth = "body"    // client_id and client_secret in the request body
	AuthNone    ClientAuth = "none"    // public client: client_id in the body, no secret
	AuthHeaders ClientAuth = "headers" // only the profile's custom headers (for example partnerId)
)

// Encoding is the token request body format.
type Encoding string

const (
	EncodingForm Encoding = "form" // application/x-www-form-urlencoded
	EncodingJSON Encoding = "json" // application/json
)

// RedirectMode says where the browser is sent after consent.
type RedirectMode string

const (
	RedirectLoopback      RedirectMode = "loopback"       // http://127.0.0.1:<any port>/callback (RFC 8252)
	RedirectLoopbackFixed RedirectMode = "loopback-fixed" // http://127.0.0.1:<Port><Path>, registered exactly with the provider
	RedirectPaste         RedirectMode = "paste"          // an https page (or eBay's RuName alias); the user pastes the final address
)

// PKCEMode says whether the provider takes a code challenge.
type PKCEMode string

const (
	PKCERequired    PKCEMode = "required"
	PKCEOptional    PKCEMode = "optional" // sent; harmless where ignored
	PKCEUnsupported PKCEMode = "unsupported"
)

// Rotation says what a refresh does to the refresh token.
type Rotation string

const (
	RotationNone   Rotation = "none"   // the refresh token stays valid; an answer without one keeps the old one
	RotationRotate Rotation = "rotate" // every refresh returns a new one and invalidates the previous tokens at once
)

// RefreshLifetime says how long a refresh token lives and from when.
type RefreshLifetime string

const (
	LifetimeUnknown  RefreshLifetime = "unknown"
	LifetimeAbsolute RefreshLifetime = "absolute" // fixed from the first consent and inherited by rotated tokens (Depop: 1 year)
	LifetimeFixed    RefreshLifetime = "fixed"    // from issue, sent as refresh_token_expires_in (eBay: about 18 months)
	LifetimeRolling  RefreshLifetime = "rolling"  // renewed by every refresh (SmartThings: 30 days)
)

// GrantIn says where the grant type travels.
type GrantIn string

const (
	GrantInBody   GrantIn = "body"   // grant_type=... in the body (RFC 6749)
	GrantInHeader GrantIn = "header" // a header (Vault.ist: grantType: refresh_token)
)

// Profile is everything SellerConnect needs to know about one provider
// environment. Profiles come from the embedded catalog and from user files
// (TOML, the same field names as the toml tags).
type Profile struct {
	ID          string        `toml:"-"`           // catalog key, for example "ebay-sandbox"
	Name        string        `toml:"name"`        // shown to sellers, for example "eBay (sandbox)"
	Marketplace string        `toml:"marketplace"` // groups environments of one marketplace, for example "ebay"
	Environment string        `toml:"environment"` // "production", "sandbox", "staging", "demo"
	Connect     ConnectMethod `toml:"connect"`

	AuthURL string `toml:"auth_url"`
	// AuthParams are extra query parameters of the authorization URL (eBay's
	// optional prompt=login). Values may name a setting as "${key}".
	AuthParams map[string]string `toml:"auth_params"`
	TokenURL   string            `toml:"token_url"`
	RevokeURL  string            `toml:"revoke_url"` // empty when the provider documents none
	// RevokeHelp tells the seller where to revoke access by hand when there is no endpoint.
	RevokeHelp string `toml:"revoke_help"`

	Redirect Redirect `toml:"redirect"`
	PKCE     PKCEMode `toml:"pkce"`

	Scopes         []string `toml:"scopes"`
	ScopeSeparator string   `toml:"scope_separator"`  // " " by default; Depop joins with a literal "+"
	ScopeOnRefresh bool     `toml:"scope_on_refresh"` // send scope on refresh (eBay allows a subset)

	CodeAuth    ClientAuth `toml:"code_auth"`    // client authentication on the code and password grants
	RefreshAuth ClientAuth `toml:"refresh_auth"` // client authentication on the refresh grant
	// BasicClientID also sends client_id in the body when the client
	// authenticates with Basic (SmartThings lists it on refresh).
	BasicClientID bool     `toml:"basic_client_id"`
	Encoding      Encoding `toml:"encoding"`
	GrantIn       GrantIn  `toml:"grant_in"`
	// GrantHeader names the header carrying the grant type when GrantIn is "header".
	GrantHeader string `toml:"grant_header"`
	// Fields renames the body fields for dialects that do not use RFC 6749 names.
	Fields Fields `toml:"fields"`
	// Headers are sent on every token request. Values may name a setting as
	// "${partnerId}", filled from Credentials.Settings.
	Headers map[string]string `toml:"headers"`
	// PasswordGrant is the grant type value of the password sign-in ("password_email").
	PasswordGrant string `toml:"password_grant"`

	Rotation        Rotation        `toml:"rotation"`
	RefreshLifetime RefreshLifetime `toml:"refresh_lifetime"`
	// RefreshTTL is the refresh token's lifetime for the absolute and rolling
	// models, or the fallback for the fixed model when the answer omits it.
	RefreshTTL Duration `toml:"refresh_ttl"`
	// AccessTTL is assumed when an answer has no expires_in.
	AccessTTL Duration `toml:"access_ttl"`

	// TokenTypes normalises token_type values for API calls, for example
	// "User Access Token" = "Bearer". Any casing of "bearer" becomes "Bearer"
	// without an entry; an absent token_type means Bearer.
	TokenTypes map[string]string `toml:"token_types"`

	// Errors maps provider error texts that RFC 6749 does not define.
	Errors ErrorHints `toml:"errors"`

	Test TestCall `toml:"test"`

	// Settings lists what the integrator must supply: always client_id, often
	// client_secret, sometimes more (partnerId). Secrets go to the keychain.
	Settings []Setting `toml:"settings"`

	// Source is the file the profile came from ("built-in" for the catalog).
	Source string `toml:"-"`

	// res is the profile as the catalog validated and resolved it, shared
	// by its copies; a copy that was changed since is resolved again (see
	// resolution).
	res *resolved
}

// Redirect describes the redirect URI.
type Redirect struct {
	Mode RedirectMode `toml:"mode"`
	Port int          `toml:"port"` // for loopback-fixed
	Path string       `toml:"path"` // for loopback modes; "/callback" by default
	// URI is sent as redirect_uri in paste mode: an https page or eBay's RuName.
	// A value "${ruName}" is filled from Credentials.Settings.
	URI string `toml:"uri"`
	// OnRefresh sends redirect_uri on the refresh grant too.
	OnRefresh bool `toml:"on_refresh"`
}

// Fields are the body field names of a dialect. Empty means the RFC 6749 name.
type Fields struct {
	RefreshToken string `toml:"refresh_token"` // "refreshToken" for Vault.ist
	Username     string `toml:"username"`      // "email" for Vault.ist
	Password     string `toml:"password"`
}

// ErrorHints lists provider-specific error texts by what they mean. Each entry
// is compared, case-insensitively, with the answer's error, code and message fields.
type ErrorHints struct {
	Reconnect   []string `toml:"reconnect"`   // the grant is gone: the seller must connect again
	Credentials []string `toml:"credentials"` // the app's client id or secret is wrong
	Temporary   []string `toml:"temporary"`
}

// TestCall is a cheap authenticated request that proves a token works and
// names the account.
type TestCall struct {
	URL      string `toml:"url"`
	Scope    string `toml:"scope"`     // the scope it needs, for advice on 403
	NamePath string `toml:"name_path"` // dot path of the display name in the JSON answer, for example "username"
	IDPath   string `toml:"id_path"`
}

// Setting is a value the integrator supplies for a provider.
type Setting struct {
	Key    string `toml:"key"`    // "client_id", "client_secret", "partnerId", "ruName"
	Label  string `toml:"label"`  // shown in Settings
	Secret bool   `toml:"secret"` // kept in the keychain, never shown
	// Default is used when the integrator has supplied nothing (the demo's client).
	Default string `toml:"default"`
	// Optional settings may stay empty.
	Optional bool `toml:"optional"`
}

// Credentials are the integrator's app credentials and settings for one
// provider, looked up by the caller (settings file and keychain).
type Credentials struct {
	ClientID     string
	ClientSecret string
	Settings     map[string]string // other keys of Profile.Settings, for example partnerId
}

// Duration is a time.Duration written as "720h" or "8760h" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// clone copies a profile deeply enough that changing the copy's maps and
// slices leaves the original alone.
func (p *Profile) clone() *Profile {
	q := *p
	q.Scopes = append([]string(nil), p.Scopes...)
	q.Settings = append([]Setting(nil), p.Settings...)
	q.Headers = cloneMap(p.Headers)
	q.AuthParams = cloneMap(p.AuthParams)
	q.TokenTypes = cloneMap(p.TokenTypes)
	q.Errors.Reconnect = append([]string(nil), p.Errors.Reconnect...)
	q.Errors.Credentials = append([]string(nil), p.Errors.Credentials...)
	q.Errors.Temporary = append([]string(nil), p.Errors.Temporary...)
	return &q
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Rebase returns a copy whose endpoints (AuthURL, TokenURL, RevokeURL and
// Test.URL) keep their path and query but take the scheme, host and path
// prefix of base: Rebase("http://127.0.0.1:4567/depop") sends Depop's token
// request to http://127.0.0.1:4567/depop/api/v1/oauth2/access-token/. A path
// that already starts with base's prefix (the Demo's /demo/...) keeps it once.
//
// A resolved profile (one from the catalog) stays resolved: only its
// endpoints are checked and moved.
func (p *Profile) Rebase(base string) *Profile {
	q := p.clone()
	q.res = nil
	b, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return q
	}
	prefix := strings.TrimRight(b.Path, "/")
	move := func(raw string) string {
		if raw == "" {
			return ""
		}
		u, err := url.Parse(raw)
		if err != nil {
			return raw
		}
		u.Scheme, u.Host, u.User = b.Scheme, b.Host, nil
		if prefix != "" && u.Path != prefix && !strings.HasPrefix(u.Path, prefix+"/") {
			u.Path = prefix + u.Path
			if u.RawPath != "" {
				u.RawPath = prefix + u.RawPath
			}
		}
		return u.String()
	}
	q.AuthURL = move(q.AuthURL)
	q.TokenURL = move(q.TokenURL)
	q.RevokeURL = move(q.RevokeURL)
	q.Test.URL = move(q.Test.URL)
	if r := p.res; r != nil && r.describes(p) {
		q.res = r.rebase(base, q)
	}
	return q
}
