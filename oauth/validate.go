package oauth

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// FieldError names the profile field (by its TOML key path, for example
// "redirect.port") that makes a profile unusable.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	settingPattern = regexp.MustCompile(`\$\{([A-Za-z0-9_.-]+)\}`)
	// settingKeyPattern is what a setting's key may be: what settingPattern can name.
	settingKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// applyDefaults fills what a profile may leave out.
func (p *Profile) applyDefaults() {
	if p.Connect == "" {
		p.Connect = ConnectBrowser
	}
	if p.Redirect.Path == "" && (p.Redirect.Mode == RedirectLoopback || p.Redirect.Mode == RedirectLoopbackFixed) {
		p.Redirect.Path = "/callback"
	}
	if p.PKCE == "" {
		p.PKCE = PKCEOptional
	}
	if p.ScopeSeparator == "" {
		p.ScopeSeparator = " "
	}
	if p.Encoding == "" {
		p.Encoding = EncodingForm
	}
	if p.GrantIn == "" {
		p.GrantIn = GrantInBody
	}
	if p.Rotation == "" {
		p.Rotation = RotationNone
	}
	if p.RefreshLifetime == "" {
		p.RefreshLifetime = LifetimeUnknown
	}
	if p.Name == "" {
		p.Name = p.ID
	}
}

// Validate reports the first field that makes the profile unusable. Client
// authentication must be stated explicitly: guessing it means retrying token
// requests, which can burn a single-use code or a rotating refresh token.
func (p *Profile) Validate() error {
	q := p.clone()
	q.applyDefaults()
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if !idPattern.MatchString(q.ID) {
		return bad("id", "%q must be lower-case letters, digits, '.', '_' or '-'", q.ID)
	}
	switch q.Connect {
	case ConnectBrowser, ConnectPassword:
	default:
		return bad("connect", "unknown value %q (want browser or password)", q.Connect)
	}
	if err := checkEndpoint(q.TokenURL); err != nil {
		return bad("token_url", "%v", err)
	}
	if q.RevokeURL != "" {
		if err := checkEndpoint(q.RevokeURL); err != nil {
			return bad("revoke_url", "%v", err)
		}
	}
	if q.Test.URL != "" {
		if err := checkEndpoint(q.Test.URL); err != nil {
			return bad("test.url", "%v", err)
		}
	}
	if q.Connect == ConnectBrowser {
		if err := checkEndpoint(q.AuthURL); err != nil {
			return bad("auth_url", "%v", err)
		}
		if q.Redirect.Port < 0 || q.Redirect.Port > 65535 {
			return bad("redirect.port", "%d is not a port (1-65535)", q.Redirect.Port)
		}
		switch q.Redirect.Mode {
		case RedirectLoopback:
		case RedirectLoopbackFixed:
			if q.Redirect.Port < 1 || q.Redirect.Port > 65535 {
				return bad("redirect.port", "%d is not a port (1-65535); loopback-fixed needs the port registered with the provider", q.Redirect.Port)
			}
		case RedirectPaste: // redirect.uri is checked with the settings below
		default:
			return bad("redirect.mode", "unknown value %q (want loopback, loopback-fixed or paste)", q.Redirect.Mode)
		}
		if q.Redirect.Mode != RedirectPaste {
			if err := checkRedirectPath(q.Redirect.Path); err != nil {
				return bad("redirect.path", "%v", err)
			}
		}
	} else if q.PasswordGrant == "" {
		return bad("password_grant", "password sign-in needs the grant type value (for example password_email)")
	}
	switch q.PKCE {
	case PKCERequired, PKCEOptional, PKCEUnsupported:
	default:
		return bad("pkce", "unknown value %q (want required, optional or unsupported)", q.PKCE)
	}
	for _, fa := range []struct {
		field string
		auth  ClientAuth
	}{{"code_auth", q.CodeAuth}, {"refresh_auth", q.RefreshAuth}} {
		field, a := fa.field, fa.auth
		switch a {
		case AuthBasic, AuthBody, AuthNone, AuthHeaders:
		case "":
			return bad(field, "must be set: basic, body, none or headers")
		default:
			return bad(field, "unknown value %q (want basic, body, none or headers)", a)
		}
	}
	switch q.Encoding {
	case EncodingForm, EncodingJSON:
	default:
		return bad("encoding", "unknown value %q (want form or json)", q.Encoding)
	}
	switch q.GrantIn {
	case GrantInBody:
	case GrantInHeader:
		if q.GrantHeader == "" {
			return bad("grant_header", "grant_in = \"header\" needs the header's name")
		}
	default:
		return bad("grant_in", "unknown value %q (want body or header)", q.GrantIn)
	}
	switch q.Rotation {
	case RotationNone, RotationRotate:
	default:
		return bad("rotation", "unknown value %q (want none or rotate)", q.Rotation)
	}
	switch q.RefreshLifetime {
	case LifetimeUnknown, LifetimeFixed:
	case LifetimeAbsolute, LifetimeRolling:
		if q.RefreshTTL.Duration <= 0 {
			return bad("refresh_ttl", "the %s lifetime model needs a duration such as \"720h\"", q.RefreshLifetime)
		}
	default:
		return bad("refresh_lifetime", "unknown value %q (want unknown, absolute, fixed or rolling)", q.RefreshLifetime)
	}
	if q.RefreshTTL.Duration < 0 {
		return bad("refresh_ttl", "must not be negative")
	}
	if q.AccessTTL.Duration < 0 {
		return bad("access_ttl", "must not be negative")
	}
	declared := map[string]bool{}
	for i, s := range q.Settings {
		if s.Key == "" {
			return bad(fmt.Sprintf("settings[%d].key", i), "must not be empty")
		}
		if !settingKeyPattern.MatchString(s.Key) {
			return bad(fmt.Sprintf("settings[%d].key", i), "%q must be letters, digits, '_', '.' or '-' (it is referenced as ${key})", s.Key)
		}
		if declared[s.Key] {
			return bad(fmt.Sprintf("settings[%d].key", i), "%q is listed twice", s.Key)
		}
		if s.Secret && s.Default != "" {
			// A default lives in the file in clear; secrets belong in the keychain.
			return bad(fmt.Sprintf("settings[%d].default", i),
				"%q is a secret and cannot have a default in a file; enter it in Settings or with \"sellerconnect credentials\"", s.Key)
		}
		declared[s.Key] = true
	}
	if q.CodeAuth != AuthHeaders || q.RefreshAuth != AuthHeaders {
		if !declared["client_id"] {
			return bad("settings", "client authentication %q/%q needs a client_id setting", q.CodeAuth, q.RefreshAuth)
		}
	}
	for _, a := range []ClientAuth{q.CodeAuth, q.RefreshAuth} {
		if (a == AuthBasic || a == AuthBody) && !declared["client_secret"] {
			return bad("settings", "client authentication %q needs a client_secret setting", a)
		}
	}
	if q.GrantIn == GrantInHeader && !validHeaderName(q.GrantHeader) {
		return bad("grant_header", "%q is not an HTTP header name", q.GrantHeader)
	}
	secret := map[string]bool{"client_secret": true}
	for _, s := range q.Settings {
		if s.Secret {
			secret[s.Key] = true
		}
	}
	// Templates are filled from settings; each must name a declared one.
	// What goes into the authorization address passes through the browser
	// and its history, so it never names a secret.
	checkRefs := func(field, v string, secretOK bool) error {
		if rest := settingPattern.ReplaceAllString(v, ""); strings.Contains(rest, "${") {
			return bad(field, "%q holds a \"${\" that is not a setting reference such as ${client_id}", v)
		}
		for _, m := range settingPattern.FindAllStringSubmatch(v, -1) {
			if !declared[m[1]] {
				return bad(field, "names setting %q, which the profile's settings do not list", m[1])
			}
			if secret[m[1]] && !secretOK {
				return bad(field, "names the secret setting %q; the authorization address is not a place for secrets", m[1])
			}
		}
		return nil
	}
	for _, k := range sortedKeys(q.Headers) {
		field := "headers." + k
		if k == "" {
			return bad("headers", "a header needs a name")
		}
		if !validHeaderName(k) {
			return bad(field, "%q is not an HTTP header name", k)
		}
		v := q.Headers[k]
		if !validHeaderValue(v) {
			return bad(field, "the value holds a line break or control character")
		}
		if err := checkRefs(field, v, true); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(q.AuthParams) {
		if k == "" {
			return bad("auth_params", "a parameter needs a name")
		}
		if err := checkRefs("auth_params."+k, q.AuthParams[k], false); err != nil {
			return err
		}
	}
	if q.Connect == ConnectBrowser && q.Redirect.Mode == RedirectPaste {
		if err := checkRefs("redirect.uri", q.Redirect.URI, false); err != nil {
			return err
		}
		if err := checkPasteURI(q.Redirect.URI); err != nil {
			return bad("redirect.uri", "%v", err)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue refuses line breaks and other control characters (tab
// aside), which would split or corrupt the request.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

var ruNamePattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// checkPasteURI accepts an https address (or http on a loopback host) or
// an eBay-style RuName, an opaque name without spaces; setting references
// stand for such a name or address.
func checkPasteURI(v string) error {
	if v == "" {
		return fmt.Errorf("paste mode needs the redirect URI registered with the provider")
	}
	plain := settingPattern.ReplaceAllString(v, "x")
	if strings.Contains(plain, "://") {
		return checkEndpoint(plain)
	}
	if !ruNamePattern.MatchString(plain) {
		return fmt.Errorf("%q is neither an https address nor a redirect name (letters, digits, '.', '_', '~', '-')", v)
	}
	return nil
}

// maxRedirectPath bounds redirect.path; registered paths are short.
const maxRedirectPath = 256

// checkRedirectPath accepts a clean absolute URL path made of unreserved
// characters and the sub-delimiters that mean nothing to net/http's
// patterns: no space, braces, '$', '%', query, fragment, "..", "." or
// empty segments. The loopback receiver compares paths exactly, so any such
// path works there.
func checkRedirectPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("missing")
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q must start with /", p)
	case len(p) > maxRedirectPath:
		return fmt.Errorf("longer than %d characters", maxRedirectPath)
	case strings.Contains(p, ".."):
		return fmt.Errorf("%q must not contain \"..\"", p)
	}
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("/-._~!&'()*+,;=:@", r):
		case r == '?' || r == '#':
			return fmt.Errorf("%q must be a path only, without a query or fragment", p)
		default:
			return fmt.Errorf("%q holds %q; use letters, digits and - . _ ~ / only", p, r)
		}
	}
	if c := path.Clean(p); c != p && c+"/" != p {
		return fmt.Errorf("%q is not a clean path (write %q)", p, c)
	}
	return nil
}

// checkEndpoint insists on an absolute https URL with a host, or http on a
// loopback host (the emulator and the Demo): no spaces or control
// characters, user information, fragment, out-of-range port or unfilled
// "${setting}" (endpoints are not templates).
func checkEndpoint(raw string) error {
	if raw == "" {
		return fmt.Errorf("missing")
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%q holds a space or control character", raw)
		}
	}
	if strings.Contains(raw, "${") {
		return fmt.Errorf("%q: settings are not filled into endpoint addresses", raw)
	}
	if strings.Contains(raw, "#") {
		return fmt.Errorf("%q must not have a fragment (#...)", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		if u.Scheme == "" {
			return fmt.Errorf("%q is not an absolute URL", raw)
		}
		return fmt.Errorf("%q: unsupported scheme %q", raw, u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return fmt.Errorf("%q is not an absolute URL", raw)
	case u.Hostname() == "":
		return fmt.Errorf("%q has no host", raw)
	case u.User != nil:
		return fmt.Errorf("%q must not hold a user name or password", raw)
	case strings.HasSuffix(u.Host, ":"):
		return fmt.Errorf("%q has an empty port", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %s is not a port (1-65535)", raw, port)
		}
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%q must use https (plain http only for 127.0.0.1, ::1 or localhost)", raw)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}

// settingValue looks a setting up in c.
func settingValue(c Credentials, key string) string {
	switch key {
	case "client_id":
		return c.ClientID
	case "client_secret":
		return c.ClientSecret
	}
	return c.Settings[key]
}

// MissingSettings lists the keys of required settings that c leaves empty
// and that have no default.
func (p *Profile) MissingSettings(c Credentials) []string {
	var missing []string
	for _, s := range p.Settings {
		if s.Optional || s.Default != "" {
			continue
		}
		if strings.TrimSpace(settingValue(c, s.Key)) == "" {
			missing = append(missing, s.Key)
		}
	}
	return missing
}

// SettingDefaults returns the settings' defaults as Credentials (the Demo's
// public client id, for example).
func (p *Profile) SettingDefaults() Credentials {
	c := Credentials{Settings: map[string]string{}}
	for _, s := range p.Settings {
		if s.Default == "" {
			continue
		}
		switch s.Key {
		case "client_id":
			c.ClientID = s.Default
		case "client_secret":
			c.ClientSecret = s.Default
		default:
			c.Settings[s.Key] = s.Default
		}
	}
	return c
}

// withDefaults fills c's empty values from the settings' defaults.
func (p *Profile) withDefaults(c Credentials) Credentials {
	d := p.SettingDefaults()
	out := Credentials{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Settings: map[string]string{}}
	for k, v := range d.Settings {
		out.Settings[k] = v
	}
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

// expand fills "${key}" references from c. A reference to an empty setting
// is an error naming the setting.
func expand(s string, c Credentials) (string, error) {
	var missing string
	out := settingPattern.ReplaceAllStringFunc(s, func(m string) string {
		key := m[2 : len(m)-1]
		v := settingValue(c, key)
		if v == "" && missing == "" {
			missing = key
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("setting %q is empty", missing)
	}
	return out, nil
}

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
func (p *Profile) Rebase(base string) *Profile {
	q := p.clone()
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
	return q
}
