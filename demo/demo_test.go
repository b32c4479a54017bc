package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/demo"
	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage"
)

// The Demo marketplace over real HTTP on 127.0.0.1, its grants in a real
// database in a temporary directory.

func openDB(t *testing.T, dir string) *storage.DB {
	t.Helper()
	db, err := storage.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func startServer(t *testing.T, db *storage.DB, o demo.Options) *demo.Server {
	t.Helper()
	s := demo.New(db, o)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newServer(t *testing.T) *demo.Server {
	return startServer(t, openDB(t, t.TempDir()), demo.Options{})
}

// clock is a fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The redirect the hand-driven flows send; nothing listens on it (the
// approver returns the redirect without following it).
const redirect = "http://127.0.0.1:50123/callback"

var (
	verifier  = oauth.NewVerifier()
	challenge = oauth.S256Challenge(verifier)
)

func authURL(s *demo.Server, set map[string]string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {demo.ClientID}, "redirect_uri": {redirect},
		"state": {"st-1"}, "scope": {"shop_read listings_write"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return s.URL() + "/demo/oauth/authorize?" + q.Encode()
}

// approve consents as seller ("" the default shop) and returns the
// redirect's query.
func approve(t *testing.T, s *demo.Server, seller string, set map[string]string) url.Values {
	t.Helper()
	loc, err := emulator.ApproveAs(context.Background(), nil, authURL(s, set), seller)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc, redirect+"?") && set["redirect_uri"] == "" {
		t.Fatalf("redirected to %s", loc)
	}
	return u.Query()
}

func codeFor(t *testing.T, s *demo.Server, seller string) string {
	t.Helper()
	q := approve(t, s, seller, nil)
	if q.Get("code") == "" || q.Get("state") != "st-1" {
		t.Fatalf("approval redirect: %v", q)
	}
	return q.Get("code")
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(b) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &a.body); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	return a
}

func postForm(t *testing.T, u string, f url.Values) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func exchange(t *testing.T, s *demo.Server, code, v, ru string) answer {
	t.Helper()
	return postForm(t, s.URL()+"/demo/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {demo.ClientID},
		"redirect_uri": {ru}, "code_verifier": {v},
	})
}

func refresh(t *testing.T, s *demo.Server, rt string) answer {
	t.Helper()
	return postForm(t, s.URL()+"/demo/oauth/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {demo.ClientID},
	})
}

func revoke(t *testing.T, s *demo.Server, tok string) answer {
	t.Helper()
	return postForm(t, s.URL()+"/demo/oauth/revoke", url.Values{"token": {tok}, "client_id": {demo.ClientID}})
}

func me(t *testing.T, s *demo.Server, at string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/demo/api/v1/me", nil)
	if at != "" {
		req.Header.Set("Authorization", "Bearer "+at)
	}
	return do(t, req)
}

// connect runs the whole flow by hand and returns the token answer.
func connect(t *testing.T, s *demo.Server, seller string) answer {
	t.Helper()
	a := exchange(t, s, codeFor(t, s, seller), verifier, redirect)
	if a.status != http.StatusOK || a.str("access_token") == "" || a.str("refresh_token") == "" {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	return a
}

func wantError(t *testing.T, what string, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.str("error") != code {
		t.Fatalf("%s: got %d %s, want %d %s", what, a.status, a.raw, status, code)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Cache-Control %q", what, a.header.Get("Cache-Control"))
	}
}

func wantMe(t *testing.T, what string, s *demo.Server, at string, status int) answer {
	t.Helper()
	a := me(t, s, at)
	if a.status != status {
		t.Fatalf("%s: /me answered %d %s, want %d", what, a.status, a.raw, status)
	}
	return a
}

func demoProfile(t *testing.T, s *demo.Server) *oauth.Profile {
	t.Helper()
	cat, errs := oauth.LoadCatalog("")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	p, ok := cat.Get("demo")
	if !ok {
		t.Fatal("no demo profile in the catalog")
	}
	return p.Rebase(s.URL())
}

// The app's own OAuth client, connecting in a (pretend) browser, refreshing,
// testing and revoking, with the catalog's Demo profile rebased onto the
// server.
func TestAppConnectsRefreshesAndRevokes(t *testing.T) {
	s := newServer(t)
	p := demoProfile(t, s)
	ctx := context.Background()
	client := &oauth.Client{Timeout: 10 * time.Second}
	tok, err := oauth.Authorize(ctx, oauth.AuthorizeConfig{Profile: p, Client: client, Opener: &emulator.AutoApprover{}, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || time.Until(tok.Expiry) > 2*time.Minute || time.Until(tok.Expiry) < time.Minute {
		t.Fatalf("token: %+v", tok)
	}
	id, err := client.Test(ctx, p, tok)
	if err != nil || id.ID != "demo-1001" || id.Name != "Harbour Street Vintage" {
		t.Fatalf("test call: %+v %v", id, err)
	}
	next, err := client.Refresh(ctx, p, oauth.Credentials{}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
		t.Fatal("the refresh did not rotate")
	}
	if _, err := client.Test(ctx, p, tok); err == nil {
		t.Fatal("the replaced access token still works")
	}
	if _, err := client.Test(ctx, p, next); err != nil {
		t.Fatal(err)
	}
	if err := client.Revoke(ctx, p, oauth.Credentials{}, next); err != nil {
		t.Fatal(err)
	}
	_, err = client.Refresh(ctx, p, oauth.Credentials{}, next)
	if e, ok := oauth.AsError(err); !ok || e.Kind != oauth.KindReconnect {
		t.Fatalf("refresh after revocation: %v", err)
	}
}

func TestCodeFlowByHand(t *testing.T) {
	s := newServer(t)
	a := connect(t, s, "")
	if a.str("token_type") != "Bearer" || a.body["expires_in"] != float64(120) ||
		a.str("scope") != "shop_read listings_write" || a.body["refresh_token_expires_in"] != float64(30*24*3600) {
		t.Fatalf("token answer: %s", a.raw)
	}
	if a.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("headers: %v", a.header)
	}
	m := wantMe(t, "new token", s, a.str("access_token"), http.StatusOK)
	for k, v := range map[string]any{"id": "demo-1001", "username": "Harbour Street Vintage", "shop_name": "Harbour Street Vintage",
		"name": "Harbour Street Vintage", "listings": float64(42), "country_code": "GB"} {
		if m.body[k] != v {
			t.Errorf("/me %s = %v, want %v", k, m.body[k], v)
		}
	}
}

func TestDenyRedirectsWithAccessDenied(t *testing.T) {
	s := newServer(t)
	loc, err := emulator.Deny(context.Background(), nil, authURL(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if q := u.Query(); q.Get("error") != "access_denied" || q.Get("state") != "st-1" || q.Get("code") != "" || !strings.HasPrefix(loc, redirect+"?") {
		t.Fatalf("deny: %s", loc)
	}
}

func TestRefreshRotates(t *testing.T) {
	s := newServer(t)
	a := connect(t, s, "")
	b := refresh(t, s, a.str("refresh_token"))
	if b.status != http.StatusOK || b.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("refresh: %d %s", b.status, b.raw)
	}
	if b.str("refresh_token") == "" || b.str("refresh_token") == a.str("refresh_token") || b.str("access_token") == a.str("access_token") {
		t.Fatalf("no rotation: %s", b.raw)
	}
	wantMe(t, "replaced access token", s, a.str("access_token"), http.StatusUnauthorized)
	wantMe(t, "new access token", s, b.str("access_token"), http.StatusOK)
	c := refresh(t, s, b.str("refresh_token"))
	if c.status != http.StatusOK {
		t.Fatalf("second refresh: %s", c.raw)
	}
	// A narrower scope for the new access token; a wider one is refused.
	narrow := postForm(t, s.URL()+"/demo/oauth/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {c.str("refresh_token")}, "client_id": {demo.ClientID}, "scope": {"listings_write"}})
	if narrow.status != http.StatusOK || narrow.str("scope") != "listings_write" {
		t.Fatalf("narrowed refresh: %s", narrow.raw)
	}
	wantMe(t, "token without shop_read", s, narrow.str("access_token"), http.StatusForbidden)
	wide := postForm(t, s.URL()+"/demo/oauth/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {narrow.str("refresh_token")}, "client_id": {demo.ClientID}, "scope": {"shop_read orders_read"}})
	wantError(t, "widened refresh", wide, http.StatusBadRequest, "invalid_scope")
	// The refused refresh changed nothing.
	if again := refresh(t, s, narrow.str("refresh_token")); again.status != http.StatusOK {
		t.Fatalf("refresh after a refused one: %s", again.raw)
	}
}

func TestRefreshReplayRevokesTheGrant(t *testing.T) {
	s := newServer(t)
	a := connect(t, s, "")
	b := refresh(t, s, a.str("refresh_token"))
	if b.status != http.StatusOK {
		t.Fatal(b.raw)
	}
	wantError(t, "replayed refresh token", refresh(t, s, a.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	wantError(t, "current refresh token after the replay", refresh(t, s, b.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	wantMe(t, "access token after the replay", s, b.str("access_token"), http.StatusUnauthorized)
	// Another seller's grant is untouched.
	other := connect(t, s, "Meadow & Loom")
	wantError(t, "replay again", refresh(t, s, a.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	wantMe(t, "another grant", s, other.str("access_token"), http.StatusOK)
}

func TestCodeReuseRevokesItsTokens(t *testing.T) {
	s := newServer(t)
	code := codeFor(t, s, "")
	a := exchange(t, s, code, verifier, redirect)
	if a.status != http.StatusOK {
		t.Fatal(a.raw)
	}
	wantError(t, "second use", exchange(t, s, code, verifier, redirect), http.StatusBadRequest, "invalid_grant")
	wantMe(t, "access token of a reused code", s, a.str("access_token"), http.StatusUnauthorized)
	wantError(t, "refresh token of a reused code", refresh(t, s, a.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	wantError(t, "unknown code", exchange(t, s, "dc_nonsense", verifier, redirect), http.StatusBadRequest, "invalid_grant")
}

func TestWrongVerifierUsesTheCodeUp(t *testing.T) {
	s := newServer(t)
	code := codeFor(t, s, "")
	wantError(t, "wrong verifier", exchange(t, s, code, oauth.NewVerifier(), redirect), http.StatusBadRequest, "invalid_grant")
	wantError(t, "right verifier afterwards", exchange(t, s, code, verifier, redirect), http.StatusBadRequest, "invalid_grant")
	wantError(t, "malformed verifier", exchange(t, s, codeFor(t, s, ""), "short", redirect), http.StatusBadRequest, "invalid_grant")
	wantError(t, "no verifier", exchange(t, s, codeFor(t, s, ""), "", redirect), http.StatusBadRequest, "invalid_request")
}

func TestWrongRedirect(t *testing.T) {
	s := newServer(t)
	// At the token endpoint: another redirect_uri than the request's.
	wantError(t, "other port", exchange(t, s, codeFor(t, s, ""), verifier, "http://127.0.0.1:50124/callback"), http.StatusBadRequest, "invalid_grant")
	wantError(t, "no redirect_uri", exchange(t, s, codeFor(t, s, ""), verifier, ""), http.StatusBadRequest, "invalid_request")

	// At the authorization endpoint: an error page, never a redirect.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for name, set := range map[string]map[string]string{
		"localhost":        {"redirect_uri": "http://localhost:5000/callback"},
		"https":            {"redirect_uri": "https://127.0.0.1:5000/callback"},
		"other host":       {"redirect_uri": "http://evil.example:5000/callback"},
		"no port":          {"redirect_uri": "http://127.0.0.1/callback"},
		"port zero":        {"redirect_uri": "http://127.0.0.1:0/callback"},
		"no path":          {"redirect_uri": "http://127.0.0.1:5000"},
		"query":            {"redirect_uri": "http://127.0.0.1:5000/callback?x=1"},
		"fragment":         {"redirect_uri": "http://127.0.0.1:5000/callback#x"},
		"user":             {"redirect_uri": "http://me@127.0.0.1:5000/callback"},
		"ipv6":             {"redirect_uri": "http://[::1]:5000/callback"},
		"missing redirect": {"redirect_uri": ""},
		"unknown client":   {"client_id": "someone-else"},
		"missing client":   {"client_id": ""},
	} {
		resp, err := noFollow.Get(authURL(s, set))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(string(b), "cannot be completed") {
			t.Errorf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// Also when the form is posted.
	if _, err := emulator.Approve(context.Background(), nil, authURL(s, map[string]string{"redirect_uri": "http://localhost:5000/cb"})); err == nil {
		t.Error("approved a localhost redirect")
	}
}

func TestAuthorizeRequestErrorsRedirect(t *testing.T) {
	s := newServer(t)
	for name, c := range map[string]struct {
		set  map[string]string
		code string
	}{
		"no PKCE":        {map[string]string{"code_challenge": "", "code_challenge_method": ""}, "invalid_request"},
		"plain PKCE":     {map[string]string{"code_challenge_method": "plain"}, "invalid_request"},
		"bad challenge":  {map[string]string{"code_challenge": "abc"}, "invalid_request"},
		"unknown scope":  {map[string]string{"scope": "shop_read orders_read"}, "invalid_scope"},
		"token response": {map[string]string{"response_type": "token"}, "unsupported_response_type"},
		"no response":    {map[string]string{"response_type": ""}, "invalid_request"},
	} {
		q := approve(t, s, "", c.set)
		if q.Get("error") != c.code || q.Get("state") != "st-1" || q.Get("code") != "" {
			t.Errorf("%s: %v", name, q)
		}
	}
	// No scope: shop_read.
	q := approve(t, s, "", map[string]string{"scope": ""})
	a := exchange(t, s, q.Get("code"), verifier, redirect)
	if a.status != http.StatusOK || a.str("scope") != "shop_read" {
		t.Fatalf("default scope: %s", a.raw)
	}
}

// A form posted straight to the endpoint, without the consent page, is
// refused: consent cannot be given behind the seller's back.
func TestApprovalNeedsTheConsentPage(t *testing.T) {
	s := newServer(t)
	u, _ := url.Parse(authURL(s, nil))
	f := u.Query()
	f.Set("decision", "approve")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, consent := range []string{"", "1700000000.forged"} {
		if consent != "" {
			f.Set("consent", consent)
		}
		resp, err := noFollow.PostForm(s.URL()+"/demo/oauth/authorize", f)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Fatalf("posted without the page (%q): %d %s", consent, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// Nor can a page's token approve another request.
	page := consentPage(t, s, authURL(s, nil))
	f.Set("consent", hiddenValue(t, page, "consent"))
	f.Set("scope", "shop_read")
	f.Set("state", "other")
	resp, err := noFollow.PostForm(s.URL()+"/demo/oauth/authorize", f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("another request's consent: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func consentPage(t *testing.T, s *demo.Server, u string) *http.Response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func hiddenValue(t *testing.T, resp *http.Response, name string) string {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	marker := `<input type="hidden" name="` + name + `" value="`
	i := strings.Index(string(b), marker)
	if i < 0 {
		t.Fatalf("no hidden %s", name)
	}
	rest := string(b)[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestConsentPage(t *testing.T) {
	s := newServer(t)
	resp := consentPage(t, s, authURL(s, map[string]string{"state": `"><script>alert(1)</script>`}))
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page: %d", resp.StatusCode)
	}
	h := resp.Header
	if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: %v", h)
	}
	for _, want := range []string{
		`<form method="post" action="/demo/oauth/authorize">`,
		`<input type="hidden" name="seller" value="Harbour Street Vintage">`,
		`<input type="radio" name="seller" value="Harbour Street Vintage" checked>`,
		`<input type="radio" name="seller" value="Meadow &amp; Loom">`,
		`<input type="radio" name="seller" value="Copper Kettle Books">`,
		`<input type="radio" name="seller" value="Northlight Ceramics">`,
		"pretend marketplace inside SellerConnect", "nothing real is shared",
		"Create and edit your listings", "127.0.0.1:50123",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("the state was echoed unescaped")
	}
}

func TestChoosingAShop(t *testing.T) {
	s := newServer(t)
	ids := map[string]string{}
	for _, seller := range []string{"", "Copper Kettle Books", "demo-1004", "My Own Shop", "Another <Shop>"} {
		a := connect(t, s, seller)
		m := wantMe(t, seller, s, a.str("access_token"), http.StatusOK)
		ids[seller] = m.str("id")
		switch seller {
		case "":
			if m.str("username") != "Harbour Street Vintage" {
				t.Errorf("default: %s", m.raw)
			}
		case "Copper Kettle Books":
			if m.str("id") != "demo-1003" || m.body["listings"] != float64(128) {
				t.Errorf("%s: %s", seller, m.raw)
			}
		case "demo-1004":
			if m.str("username") != "Northlight Ceramics" || m.str("country_code") != "NL" {
				t.Errorf("%s: %s", seller, m.raw)
			}
		default:
			if m.str("username") != seller || m.str("shop_name") != seller || !strings.HasPrefix(m.str("id"), "demo-") {
				t.Errorf("%s: %s", seller, m.raw)
			}
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("two sellers share an id: %v", ids)
		}
		seen[id] = true
	}
	// A seller's id is stable: derived from the name.
	again := connect(t, s, "My Own Shop")
	if m := wantMe(t, "again", s, again.str("access_token"), http.StatusOK); m.str("id") != ids["My Own Shop"] {
		t.Fatalf("id changed: %s vs %s", m.str("id"), ids["My Own Shop"])
	}
	// A browser posts the hidden default and then the chosen radio button.
	page := consentPage(t, s, authURL(s, nil))
	f := url.Values{}
	u, _ := url.Parse(authURL(s, nil))
	for k, v := range u.Query() {
		f[k] = v
	}
	f.Set("consent", hiddenValue(t, page, "consent"))
	f.Set("decision", "approve")
	f["seller"] = []string{"Harbour Street Vintage", "Meadow & Loom"}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(s.URL()+"/demo/oauth/authorize", f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	a := exchange(t, s, loc.Query().Get("code"), verifier, redirect)
	if m := wantMe(t, "radio choice", s, a.str("access_token"), http.StatusOK); m.str("id") != "demo-1002" {
		t.Fatalf("radio choice: %s", m.raw)
	}
}

func TestMe(t *testing.T) {
	s := newServer(t)
	for name, at := range map[string]string{"no token": "", "unknown token": "demo_at_nonsense"} {
		a := wantMe(t, name, s, at, http.StatusUnauthorized)
		if !strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: WWW-Authenticate %q", name, a.header.Get("WWW-Authenticate"))
		}
	}
	// A refresh token is not an access token.
	a := connect(t, s, "")
	wantMe(t, "refresh token as bearer", s, a.str("refresh_token"), http.StatusUnauthorized)
	// The shop address answers the same.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/demo/api/v1/shop", nil)
	req.Header.Set("Authorization", "Bearer "+a.str("access_token"))
	if sh := do(t, req); sh.status != http.StatusOK || sh.str("id") != "demo-1001" {
		t.Fatalf("/shop: %s", sh.raw)
	}
	// Without shop_read: 403 insufficient_scope.
	q := approve(t, s, "", map[string]string{"scope": "listings_write"})
	w := exchange(t, s, q.Get("code"), verifier, redirect)
	m := wantMe(t, "listings_write only", s, w.str("access_token"), http.StatusForbidden)
	if m.str("error") != "insufficient_scope" || !strings.Contains(m.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Fatalf("403: %s %v", m.raw, m.header)
	}
}

func TestRevoke(t *testing.T) {
	s := newServer(t)
	a := connect(t, s, "")
	if r := revoke(t, s, a.str("access_token")); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	wantMe(t, "revoked access token", s, a.str("access_token"), http.StatusUnauthorized)
	wantError(t, "refresh of a revoked grant", refresh(t, s, a.str("refresh_token")), http.StatusBadRequest, "invalid_grant")

	b := connect(t, s, "")
	if r := revoke(t, s, b.str("refresh_token")); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	wantMe(t, "access token of a revoked refresh token", s, b.str("access_token"), http.StatusUnauthorized)

	if r := revoke(t, s, "unknown"); r.status != http.StatusOK {
		t.Fatalf("unknown token: %d", r.status)
	}
	wantError(t, "no token", postForm(t, s.URL()+"/demo/oauth/revoke", url.Values{"client_id": {demo.ClientID}}), http.StatusBadRequest, "invalid_request")
	wantError(t, "unknown client", postForm(t, s.URL()+"/demo/oauth/revoke", url.Values{"client_id": {"x"}, "token": {"t"}}), http.StatusUnauthorized, "invalid_client")
}

func TestTokenEndpointIsStrict(t *testing.T) {
	s := newServer(t)
	tokenURL := s.URL() + "/demo/oauth/token"
	a := connect(t, s, "")
	rt := a.str("refresh_token")
	good := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {demo.ClientID}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	wantError(t, "unknown client", postForm(t, tokenURL, with("client_id", "x")), http.StatusUnauthorized, "invalid_client")
	wantError(t, "no client", postForm(t, tokenURL, with("client_id", "")), http.StatusUnauthorized, "invalid_client")
	wantError(t, "a secret", postForm(t, tokenURL, with("client_secret", "s")), http.StatusUnauthorized, "invalid_client")
	wantError(t, "no grant type", postForm(t, tokenURL, with("grant_type", "")), http.StatusBadRequest, "invalid_request")
	wantError(t, "password grant", postForm(t, tokenURL, with("grant_type", "password")), http.StatusBadRequest, "unsupported_grant_type")
	wantError(t, "no refresh token", postForm(t, tokenURL, with("refresh_token", "")), http.StatusBadRequest, "invalid_request")
	wantError(t, "unknown refresh token", postForm(t, tokenURL, with("refresh_token", "demo_rt_x")), http.StatusBadRequest, "invalid_grant")
	dup := with("client_id", demo.ClientID)
	dup.Add("grant_type", "refresh_token")
	wantError(t, "a parameter twice", postForm(t, tokenURL, dup), http.StatusBadRequest, "invalid_request")

	js, _ := json.Marshal(map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "client_id": demo.ClientID})
	req, _ := http.NewRequest(http.MethodPost, tokenURL, bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	wantError(t, "JSON body", do(t, req), http.StatusBadRequest, "invalid_request")

	req, _ = http.NewRequest(http.MethodPost, tokenURL+"?"+good.Encode(), strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantError(t, "parameters in the query", do(t, req), http.StatusBadRequest, "invalid_request")

	// Basic with an empty password is the public client too.
	f := with("client_id", "")
	req, _ = http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(demo.ClientID, "")
	if b := do(t, req); b.status != http.StatusOK {
		t.Fatalf("Basic client: %s", b.raw)
	}
	req, _ = http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("x", "")
	b := do(t, req)
	wantError(t, "Basic unknown client", b, http.StatusUnauthorized, "invalid_client")
	if !strings.HasPrefix(b.header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("WWW-Authenticate %q", b.header.Get("WWW-Authenticate"))
	}

	if resp, err := http.Get(tokenURL); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET token endpoint: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// Two processes are two database handles on one directory, each with its
// own server: they serve one marketplace.
func TestTwoProcessesServeOneMarketplace(t *testing.T) {
	dir := t.TempDir()
	a := startServer(t, openDB(t, dir), demo.Options{})
	b := startServer(t, openDB(t, dir), demo.Options{})

	// Consent at A, exchange at B, test call at A.
	tok := exchange(t, b, codeFor(t, a, "Copper Kettle Books"), verifier, redirect)
	if tok.status != http.StatusOK {
		t.Fatal(tok.raw)
	}
	if m := wantMe(t, "B's token at A", a, tok.str("access_token"), http.StatusOK); m.str("id") != "demo-1003" {
		t.Fatal(m.raw)
	}
	// A rotation at A ends the old tokens at B.
	next := refresh(t, a, tok.str("refresh_token"))
	if next.status != http.StatusOK {
		t.Fatal(next.raw)
	}
	wantMe(t, "old access token at B", b, tok.str("access_token"), http.StatusUnauthorized)
	wantMe(t, "new access token at B", b, next.str("access_token"), http.StatusOK)
	// Replaying the old refresh token at B revokes the grant at A.
	wantError(t, "replay at B", refresh(t, b, tok.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	wantMe(t, "at A after the replay at B", a, next.str("access_token"), http.StatusUnauthorized)
	wantError(t, "refresh at A after the replay at B", refresh(t, a, next.str("refresh_token")), http.StatusBadRequest, "invalid_grant")

	// Revocation at B is seen at A.
	c := connect(t, a, "")
	revoke(t, b, c.str("refresh_token"))
	wantMe(t, "revoked at B, used at A", a, c.str("access_token"), http.StatusUnauthorized)

	// Racing refreshes of one grant at both: one wins, the other is a
	// replay that ends the grant (strict reuse detection).
	d := connect(t, a, "")
	var wg sync.WaitGroup
	answers := make([]answer, 2)
	for i, s := range []*demo.Server{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = refresh(t, s, d.str("refresh_token"))
		}()
	}
	wg.Wait()
	if ok := (answers[0].status == http.StatusOK) != (answers[1].status == http.StatusOK); !ok {
		t.Fatalf("racing refreshes: %d %d", answers[0].status, answers[1].status)
	}
}

// A Demo account survives a restart: the grant is in the database.
func TestGrantSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	s := startServer(t, db, demo.Options{})
	tok := connect(t, s, "")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t, openDB(t, dir), demo.Options{})
	if s2.URL() == "" {
		t.Fatal("no URL")
	}
	next := refresh(t, s2, tok.str("refresh_token"))
	if next.status != http.StatusOK {
		t.Fatalf("refresh after restart: %s", next.raw)
	}
	wantMe(t, "after restart", s2, next.str("access_token"), http.StatusOK)

	// No code or token is in the database's files in clear.
	files, _ := filepath.Glob(filepath.Join(dir, storage.DBFile+"*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, secret := range []string{tok.str("access_token"), tok.str("refresh_token"), next.str("access_token"), next.str("refresh_token")} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds a token in clear", filepath.Base(f))
			}
		}
	}
}

func TestExpiryWithAFakeClock(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	s := startServer(t, openDB(t, dir), demo.Options{Now: c.Now})

	// Access tokens live two minutes.
	a := connect(t, s, "")
	c.Advance(119 * time.Second)
	wantMe(t, "at 1m59s", s, a.str("access_token"), http.StatusOK)
	c.Advance(time.Second)
	wantMe(t, "at 2m", s, a.str("access_token"), http.StatusUnauthorized)

	// Codes live ten minutes.
	code := codeFor(t, s, "")
	c.Advance(10 * time.Minute)
	wantError(t, "expired code", exchange(t, s, code, verifier, redirect), http.StatusBadRequest, "invalid_grant")

	// The refresh lifetime rolls: 30 days from the last use.
	rt := a.str("refresh_token")
	for i := 0; i < 3; i++ {
		c.Advance(29 * 24 * time.Hour)
		n := refresh(t, s, rt)
		if n.status != http.StatusOK {
			t.Fatalf("refresh %d after 29 days: %s", i, n.raw)
		}
		rt = n.str("refresh_token")
	}
	c.Advance(30 * 24 * time.Hour)
	wantError(t, "refresh after 30 idle days", refresh(t, s, rt), http.StatusBadRequest, "invalid_grant")

	// AccessTTL is an option.
	short := startServer(t, openDB(t, dir), demo.Options{Now: c.Now, AccessTTL: 10 * time.Second})
	b := connect(t, short, "")
	if b.body["expires_in"] != float64(10) {
		t.Fatalf("expires_in: %s", b.raw)
	}
	c.Advance(10 * time.Second)
	wantMe(t, "short access token", short, b.str("access_token"), http.StatusUnauthorized)
}

// A page that rebinds its own DNS name to 127.0.0.1 reaches the server with
// its name as Host: refused.
func TestRefusesOtherHostNames(t *testing.T) {
	s := newServer(t)
	req, _ := http.NewRequest(http.MethodGet, authURL(s, nil), nil)
	req.Host = "rebound.example"
	if a := do(t, req); a.status != http.StatusMisdirectedRequest {
		t.Fatalf("another Host: %d", a.status)
	}
	req, _ = http.NewRequest(http.MethodGet, authURL(s, nil), nil)
	if a := do(t, req); a.status != http.StatusOK {
		t.Fatalf("127.0.0.1: %d", a.status)
	}
}
