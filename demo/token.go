package demo

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sellerconnect/sellerconnect/storage"
)

// newSecret is a code or token: prefix and n random bytes in base64url.
func newSecret(prefix string, n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// oauthError is an RFC 6749 5.2 error answer.
type oauthError struct {
	status int
	code   string
	desc   string
	basic  bool // the client authenticated with Basic: say how to retry
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func badRequest(code, desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, desc: desc}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, e *oauthError) {
	if e.basic && e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+marketplace+`"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}

var errServer = &oauthError{status: http.StatusInternalServerError, code: "server_error",
	desc: "the Demo marketplace could not reach its database; try again"}

// readForm reads a form-encoded body, and only a body: parameters in the
// query, or any parameter sent twice, are refused (RFC 6749 3.2, 3.1).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(mt, "application/x-www-form-urlencoded") {
		return nil, badRequest("invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	if r.URL.RawQuery != "" {
		return nil, badRequest("invalid_request", "parameters belong in the body, not the address")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, badRequest("invalid_request", "the body cannot be read as a form")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, badRequest("invalid_request", k+" appears more than once")
		}
	}
	return r.PostForm, nil
}

// authClient authenticates the public client: client_id in the body, or
// Basic with an empty password; never both ways, never with a secret.
func authClient(r *http.Request, f url.Values) *oauthError {
	id, secret, basic := r.BasicAuth()
	if r.Header.Get("Authorization") != "" && !basic {
		return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: "only Basic client authentication (with an empty password) is accepted", basic: true}
	}
	if basic {
		if f.Has("client_secret") {
			return badRequest("invalid_request", "use one client authentication method, not two")
		}
		// RFC 6749 2.3.1: the Basic credentials are form-encoded.
		var err error
		if id, err = url.QueryUnescape(id); err != nil {
			return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: "the client id cannot be read", basic: true}
		}
		if f.Has("client_id") && f.Get("client_id") != id {
			return badRequest("invalid_request", "client_id differs from the authenticated client")
		}
	} else {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	switch {
	case id == "":
		return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: "client_id is required", basic: basic}
	case id != ClientID:
		return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: "unknown client", basic: basic}
	case secret != "":
		return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: "this client is public: it has no secret", basic: basic}
	}
	return nil
}

// tokenBody is the RFC 6749 5.1 answer.
type tokenBody struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	Scope                 string `json:"scope"`
}

// errCheck* are the refusals the token endpoint's checks give.
var (
	errCodeClient = badRequest("invalid_grant", "the authorization code was issued to another client")
	errRedirect   = badRequest("invalid_grant", "redirect_uri does not match the authorization request")
	errVerifier   = badRequest("invalid_grant", "code_verifier does not match the code challenge")
	errClient     = badRequest("invalid_grant", "the refresh token was issued to another client")
	errScope      = badRequest("invalid_scope", "the requested scope exceeds the scope the seller granted")
)

// validVerifier: RFC 7636 4.1, 43–128 characters of [A-Za-z0-9._~-].
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return false
		}
	}
	return true
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// serveToken is the token endpoint: the authorization_code and
// refresh_token grants.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	f, e := readForm(w, r)
	if e == nil {
		e = authClient(r, f)
	}
	if e != nil {
		writeError(w, e)
		return
	}
	now := s.now()
	t := storage.DemoTokens{
		Access: newSecret("demo_at_", 32), AccessExpires: now.Add(s.accessTTL),
		Refresh: newSecret("demo_rt_", 32), RefreshExpires: now.Add(RefreshTTL),
	}
	var g storage.DemoGrant
	var err error
	switch gt := f.Get("grant_type"); gt {
	case "authorization_code":
		g, err = s.codeGrant(f, now, t)
	case "refresh_token":
		if f.Get("scope") != "" {
			t.AccessScopes = strings.Fields(f.Get("scope"))
		}
		g, err = s.refreshGrant(f, now, t)
	case "":
		err = badRequest("invalid_request", "grant_type is required")
	default:
		err = badRequest("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
	if err != nil {
		var oe *oauthError
		if !errors.As(err, &oe) {
			oe = errServer
		}
		writeError(w, oe)
		return
	}
	granted := g.Scopes
	if t.AccessScopes != nil {
		granted = t.AccessScopes
	}
	writeJSON(w, http.StatusOK, tokenBody{
		AccessToken: t.Access, TokenType: "Bearer", ExpiresIn: int64(s.accessTTL.Seconds()),
		RefreshToken: t.Refresh, RefreshTokenExpiresIn: int64(RefreshTTL.Seconds()),
		Scope: strings.Join(granted, " "),
	})
}

// codeGrant redeems an authorization code for t: once, by the client it
// was issued to, with the authorization request's redirect_uri and the
// verifier of its challenge.
func (s *Server) codeGrant(f url.Values, now time.Time, t storage.DemoTokens) (storage.DemoGrant, error) {
	for _, k := range []string{"code", "redirect_uri", "code_verifier"} {
		if f.Get(k) == "" {
			return storage.DemoGrant{}, badRequest("invalid_request", k+" is required")
		}
	}
	verifier, redirectURI := f.Get("code_verifier"), f.Get("redirect_uri")
	g, err := s.db.RedeemDemoCode(f.Get("code"), now, func(c storage.DemoCode) error {
		switch {
		case c.Grant.ClientID != ClientID:
			return errCodeClient
		case c.RedirectURI != redirectURI:
			return errRedirect
		case !validVerifier(verifier) || subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(c.Challenge)) != 1:
			return errVerifier
		}
		return nil
	}, t)
	switch {
	case errors.Is(err, storage.ErrDemoInvalid):
		err = badRequest("invalid_grant", "the authorization code is invalid, expired or already used")
	case errors.Is(err, storage.ErrDemoReplay):
		err = badRequest("invalid_grant", "the authorization code was already used; the tokens issued for it are revoked")
	}
	return g, err
}

// refreshGrant rotates a refresh token into t, whose access scopes, when
// set, must be among those the seller granted.
func (s *Server) refreshGrant(f url.Values, now time.Time, t storage.DemoTokens) (storage.DemoGrant, error) {
	old := f.Get("refresh_token")
	if old == "" {
		return storage.DemoGrant{}, badRequest("invalid_request", "refresh_token is required")
	}
	g, err := s.db.RotateDemoRefresh(old, now, func(g storage.DemoGrant) error {
		if g.ClientID != ClientID {
			return errClient
		}
		for _, sc := range t.AccessScopes {
			if !slices.Contains(g.Scopes, sc) {
				return errScope
			}
		}
		return nil
	}, t)
	switch {
	case errors.Is(err, storage.ErrDemoInvalid):
		err = badRequest("invalid_grant", "the refresh token is invalid, expired or revoked")
	case errors.Is(err, storage.ErrDemoReplay):
		err = badRequest("invalid_grant", "the refresh token was already used; the grant is revoked")
	}
	return g, err
}

// serveRevoke is RFC 7009 revocation: either token ends its grant; an
// unknown token is not an error.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	f, e := readForm(w, r)
	if e == nil {
		e = authClient(r, f)
	}
	if e == nil && f.Get("token") == "" {
		e = badRequest("invalid_request", "token is required")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	if _, err := s.db.RevokeDemoToken(f.Get("token"), ClientID); err != nil {
		writeError(w, errServer)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// bearerToken is the access token of an Authorization: Bearer header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

// serveMe is the test call: the seller's shop, for an access token with
// shop_read.
func (s *Server) serveMe(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearerToken(r)
	var g storage.DemoGrant
	err := storage.ErrDemoInvalid
	if ok {
		g, err = s.db.DemoAccess(tok, s.now())
	}
	switch {
	case errors.Is(err, storage.ErrDemoInvalid):
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+marketplace+`", error="invalid_token", error_description="the access token is missing, invalid, expired or revoked"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "the access token is missing, invalid, expired or revoked"})
	case err != nil:
		writeError(w, errServer)
	case !slices.Contains(g.Scopes, "shop_read"):
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+marketplace+`", error="insufficient_scope", scope="shop_read"`)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "insufficient_scope", "error_description": "the access token lacks the shop_read scope"})
	default:
		sh := shopOf(g)
		writeJSON(w, http.StatusOK, map[string]any{
			"id": sh.ID, "username": sh.Name, "shop_name": sh.Name, "name": sh.Name,
			"listings": sh.Listings, "country_code": sh.Country,
		})
	}
}
