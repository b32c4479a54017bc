package oauth

import (
	"errors"
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
	_, err := resolve(p)
	return err
}

// validate runs the checks of Validate, in the order their fields are
// reported, on a profile whose defaults are applied.
func (p *Profile) validate() error {
	if !idPattern.MatchString(p.ID) {
		return fieldError("id", fmt.Errorf("%q must be lower-case letters, digits, '.', '_' or '-'", p.ID))
	}
	if err := p.Connect.valid(); err != nil {
		return fieldError("connect", err)
	}
	if err := p.checkEndpoints(); err != nil {
		return err
	}
	if err := p.checkConnect(); err != nil {
		return err
	}
	if err := p.checkDialect(); err != nil {
		return err
	}
	if err := p.checkLifetimes(); err != nil {
		return err
	}
	refs, err := checkSettings(p.Settings)
	if err != nil {
		return err
	}
	if err := p.checkClientSettings(refs.declared); err != nil {
		return err
	}
	if p.GrantIn == GrantInHeader && !validHeaderName(p.GrantHeader) {
		return fieldError("grant_header", fmt.Errorf("%q is not an HTTP header name", p.GrantHeader))
	}
	return p.checkTemplates(refs)
}

// fieldError names the field err is about; nil stays nil.
func fieldError(field string, err error) error {
	if err == nil {
		return nil
	}
	return &FieldError{Field: field, Problem: err.Error()}
}

func (m ConnectMethod) valid() error {
	switch m {
	case ConnectBrowser, ConnectPassword:
		return nil
	}
	return fmt.Errorf("unknown value %q (want browser or password)", m)
}

func (m RedirectMode) valid() error {
	switch m {
	case RedirectLoopback, RedirectLoopbackFixed, RedirectPaste:
		return nil
	}
	return fmt.Errorf("unknown value %q (want loopback, loopback-fixed or paste)", m)
}

func (m PKCEMode) valid() error {
	switch m {
	case PKCERequired, PKCEOptional, PKCEUnsupported:
		return nil
	}
	return fmt.Errorf("unknown value %q (want required, optional or unsupported)", m)
}

// valid refuses an empty value too: client authentication is never guessed.
func (a ClientAuth) valid() error {
	switch a {
	case AuthBasic, AuthBody, AuthNone, AuthHeaders:
		return nil
	case "":
		return errors.New("must be set: basic, body, none or headers")
	}
	return fmt.Errorf("unknown value %q (want basic, body, none or headers)", a)
}

// needsSecret reports whether the client authenticates with its secret.
func (a ClientAuth) needsSecret() bool { return a == AuthBasic || a == AuthBody }

func (e Encoding) valid() error {
	switch e {
	case EncodingForm, EncodingJSON:
		return nil
	}
	return fmt.Errorf("unknown value %q (want form or json)", e)
}

func (g GrantIn) valid() error {
	switch g {
	case GrantInBody, GrantInHeader:
		return nil
	}
	return fmt.Errorf("unknown value %q (want body or header)", g)
}

func (r Rotation) valid() error {
	switch r {
	case RotationNone, RotationRotate:
		return nil
	}
	return fmt.Errorf("unknown value %q (want none or rotate)", r)
}

func (l RefreshLifetime) valid() error {
	switch l {
	case LifetimeUnknown, LifetimeFixed, LifetimeAbsolute, LifetimeRolling:
		return nil
	}
	return fmt.Errorf("unknown value %q (want unknown, absolute, fixed or rolling)", l)
}

// needsTTL reports whether the model cannot work without refresh_ttl: an
// absolute or rolling lifetime is never sent by the provider.
func (l RefreshLifetime) needsTTL() bool { return l == LifetimeAbsolute || l == LifetimeRolling }

// checkEndpoints checks the addresses requests go to: the token endpoint
// always, the revocation endpoint and test call when set, and the
// authorization endpoint of browser profiles.
func (p *Profile) checkEndpoints() error {
	if err := checkEndpoint(p.TokenURL); err != nil {
		return fieldError("token_url", err)
	}
	if p.RevokeURL != "" {
		if err := checkEndpoint(p.RevokeURL); err != nil {
			return fieldError("revoke_url", err)
		}
	}
	if p.Test.URL != "" {
		if err := checkEndpoint(p.Test.URL); err != nil {
			return fieldError("test.url", err)
		}
	}
	if p.Connect == ConnectBrowser {
		if err := checkEndpoint(p.AuthURL); err != nil {
			return fieldError("auth_url", err)
		}
	}
	return nil
}

// checkConnect checks what the connect method needs: a redirect for the
// browser, the grant type value for a sign-in form.
func (p *Profile) checkConnect() error {
	if p.Connect == ConnectBrowser {
		return p.Redirect.check()
	}
	if p.PasswordGrant == "" {
		return fieldError("password_grant", errors.New("password sign-in needs the grant type value (for example password_email)"))
	}
	return nil
}

// check checks a browser profile's redirect; a paste-mode URI is checked
// with the templates, once the settings it may name are known.
func (r Redirect) check() error {
	if r.Port < 0 || r.Port > 65535 {
		return fieldError("redirect.port", fmt.Errorf("%d is not a port (1-65535)", r.Port))
	}
	if err := r.Mode.valid(); err != nil {
		return fieldError("redirect.mode", err)
	}
	if r.Mode == RedirectLoopbackFixed && r.Port < 1 {
		return fieldError("redirect.port", fmt.Errorf("%d is not a port (1-65535); loopback-fixed needs the port registered with the provider", r.Port))
	}
	if r.Mode == RedirectPaste {
		return nil
	}
	return fieldError("redirect.path", checkRedirectPath(r.Path))
}

// checkDialect checks how token requests are shaped: PKCE, client
// authentication per grant, body encoding and where the grant type goes.
func (p *Profile) checkDialect() error {
	if err := p.PKCE.valid(); err != nil {
		return fieldError("pkce", err)
	}
	if err := p.CodeAuth.valid(); err != nil {
		return fieldError("code_auth", err)
	}
	if err := p.RefreshAuth.valid(); err != nil {
		return fieldError("refresh_auth", err)
	}
	if err := p.Encoding.valid(); err != nil {
		return fieldError("encoding", err)
	}
	if err := p.GrantIn.valid(); err != nil {
		return fieldError("grant_in", err)
	}
	if p.GrantIn == GrantInHeader && p.GrantHeader == "" {
		return fieldError("grant_header", errors.New("grant_in = \"header\" needs the header's name"))
	}
	return nil
}

// checkLifetimes checks the rotation and lifetime models and the durations
// they use.
func (p *Profile) checkLifetimes() error {
	if err := p.Rotation.valid(); err != nil {
		return fieldError("rotation", err)
	}
	if err := p.RefreshLifetime.valid(); err != nil {
		return fieldError("refresh_lifetime", err)
	}
	if p.RefreshLifetime.needsTTL() && p.RefreshTTL.Duration <= 0 {
		return fieldError("refresh_ttl", fmt.Errorf("the %s lifetime model needs a duration such as \"720h\"", p.RefreshLifetime))
	}
	if p.RefreshTTL.Duration < 0 {
		return fieldError("refresh_ttl", errors.New("must not be negative"))
	}
	if p.AccessTTL.Duration < 0 {
		return fieldError("access_ttl", errors.New("must not be negative"))
	}
	return nil
}

// settingRefs are the settings templates may name, and which of them hold
// secrets.
type settingRefs struct {
	declared map[string]bool
	secret   map[string]bool // client_secret always
}

// checkSettings checks each setting's key and default, and returns what
// templates may name.
func checkSettings(settings []Setting) (settingRefs, error) {
	refs := settingRefs{declared: map[string]bool{}, secret: map[string]bool{"client_secret": true}}
	for i, s := range settings {
		if err := s.check(refs.declared); err != nil {
			return refs, err.in(i)
		}
		refs.declared[s.Key] = true
		if s.Secret {
			refs.secret[s.Key] = true
		}
	}
	return refs, nil
}

// settingError is a setting's problem before it knows its index.
type settingError struct {
	field   string // "key" or "default"
	problem error
}

func (e *settingError) in(i int) error {
	return fieldError(fmt.Sprintf("settings[%d].%s", i, e.field), e.problem)
}

// check checks one setting against those declared before it.
func (s Setting) check(declared map[string]bool) *settingError {
	switch {
	case s.Key == "":
		return &settingError{"key", errors.New("must not be empty")}
	case !settingKeyPattern.MatchString(s.Key):
		return &settingError{"key", fmt.Errorf("%q must be letters, digits, '_', '.' or '-' (it is referenced as ${key})", s.Key)}
	case declared[s.Key]:
		return &settingError{"key", fmt.Errorf("%q is listed twice", s.Key)}
	case s.Secret && s.Default != "":
		// A default lives in the file in clear; secrets belong in the keychain.
		return &settingError{"default", fmt.Errorf("%q is a secret and cannot have a default in a file; enter it in Settings or with \"sellerconnect credentials\"", s.Key)}
	}
	return nil
}

// checkClientSettings checks that the settings client authentication
// sends are declared: client_id unless only custom headers authenticate,
// client_secret for basic and body.
func (p *Profile) checkClientSettings(declared map[string]bool) error {
	if (p.CodeAuth != AuthHeaders || p.RefreshAuth != AuthHeaders) && !declared["client_id"] {
		return fieldError("settings", fmt.Errorf("client authentication %q/%q needs a client_id setting", p.CodeAuth, p.RefreshAuth))
	}
	for _, a := range []ClientAuth{p.CodeAuth, p.RefreshAuth} {
		if a.needsSecret() && !declared["client_secret"] {
			return fieldError("settings", fmt.Errorf("client authentication %q needs a client_secret setting", a))
		}
	}
	return nil
}

// checkTemplates checks the values filled from settings: headers, extra
// authorization parameters and a paste-mode redirect URI.
func (p *Profile) checkTemplates(refs settingRefs) error {
	if err := checkHeaders(p.Headers, refs); err != nil {
		return err
	}
	for _, k := range sortedKeys(p.AuthParams) {
		if k == "" {
			return fieldError("auth_params", errors.New("a parameter needs a name"))
		}
		if err := refs.check("auth_params."+k, p.AuthParams[k], false); err != nil {
			return err
		}
	}
	if p.Connect != ConnectBrowser || p.Redirect.Mode != RedirectPaste {
		return nil
	}
	if err := refs.check("redirect.uri", p.Redirect.URI, false); err != nil {
		return err
	}
	return fieldError("redirect.uri", checkPasteURI(p.Redirect.URI))
}

// checkHeaders checks the token requests' extra headers: HTTP names,
// values without line breaks, references to declared settings.
func checkHeaders(headers map[string]string, refs settingRefs) error {
	for _, k := range sortedKeys(headers) {
		field := "headers." + k
		switch v := headers[k]; {
		case k == "":
			return fieldError("headers", errors.New("a header needs a name"))
		case !validHeaderName(k):
			return fieldError(field, fmt.Errorf("%q is not an HTTP header name", k))
		case !validHeaderValue(v):
			return fieldError(field, errors.New("the value holds a line break or control character"))
		default:
			if err := refs.check(field, v, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// check checks the "${key}" references of a template: each must name a
// declared setting. What goes into the authorization address passes
// through the browser and its history, so there (secretOK false) it never
// names a secret.
func (refs settingRefs) check(field, v string, secretOK bool) error {
	if rest := settingPattern.ReplaceAllString(v, ""); strings.Contains(rest, "${") {
		return fieldError(field, fmt.Errorf("%q holds a \"${\" that is not a setting reference such as ${client_id}", v))
	}
	for _, m := range settingPattern.FindAllStringSubmatch(v, -1) {
		if !refs.declared[m[1]] {
			return fieldError(field, fmt.Errorf("names setting %q, which the profile's settings do not list", m[1]))
		}
		if refs.secret[m[1]] && !secretOK {
			return fieldError(field, fmt.Errorf("names the secret setting %q; the authorization address is not a place for secrets", m[1]))
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
	if err := checkEndpointText(raw); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if err := checkEndpointParts(raw, u); err != nil {
		return err
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%q must use https (plain http only for 127.0.0.1, ::1 or localhost)", raw)
	}
	return nil
}

// checkEndpointText refuses, before parsing, what an endpoint's text must
// not hold.
func checkEndpointText(raw string) error {
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
	return nil
}

// checkEndpointParts checks a parsed endpoint: an http(s) scheme, a host,
// no user information and a port, when there is one, in range.
func checkEndpointParts(raw string, u *url.URL) error {
	switch {
	case u.Scheme == "":
		return fmt.Errorf("%q is not an absolute URL", raw)
	case u.Scheme != "https" && u.Scheme != "http":
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
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}
