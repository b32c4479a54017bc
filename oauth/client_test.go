package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is one request as a fake provider received it.
type seen struct {
	Method string
	Path   string
	Header http.Header
	Body   string
}

func (s seen) form(t *testing.T) url.Values {
	t.Helper()
	if ct := s.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", ct)
	}
	v, err := url.ParseQuery(s.Body)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (s seen) json(t *testing.T) map[string]string {
	t.Helper()
	if ct := s.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(s.Body), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (s seen) basic(t *testing.T) (string, string) {
	t.Helper()
	a := s.Header.Get("Authorization")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "Basic "))
	if !strings.HasPrefix(a, "Basic ") || err != nil {
		t.Fatalf("authorization %q", a)
	}
	id, secret, _ := strings.Cut(string(raw), ":")
	return id, secret
}

// fake is a provider answering each request with the next canned answer.
type fake struct {
	*httptest.Server
	mu       sync.Mutex
	requests []seen
	answers  []func(w http.ResponseWriter, r *http.Request)
}

func newFake(t *testing.T, answers ...func(w http.ResponseWriter, r *http.Request)) *fake {
	f := &fake{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, seen{r.Method, r.URL.Path, r.Header.Clone(), string(b)})
		var a func(http.ResponseWriter, *http.Request)
		if len(f.answers) > 0 {
			a = f.answers[0]
			f.answers = f.answers[1:]
		}
		f.mu.Unlock()
		if a == nil {
			http.Error(w, "no answer programmed", http.StatusTeapot)
			return
		}
		a(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) last(t *testing.T) seen {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("no request reached the provider")
	}
	return f.requests[len(f.requests)-1]
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// recorder keeps exchanges for inspection.
type recorder struct {
	mu sync.Mutex
	xs []Exchange
}

func (r *recorder) RecordExchange(x Exchange) {
	r.mu.Lock()
	r.xs = append(r.xs, x)
	r.mu.Unlock()
}

func (r *recorder) all() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.xs...)
}

func testClient(rec *recorder) *Client {
	c := &Client{Now: func() time.Time { return t0 }, Timeout: 10 * time.Second}
	if rec != nil {
		c.Recorder = rec
	}
	return c
}

const (
	depopAT  = "pat_ce7369a3b786440ba2f190029ff11ca3_e3469ba5c2ba0972190d64fd25f61776c834f648"
	depopRT  = "prt_ce7369a3b786440ba2f190029ff11ca3_698be9ee4f095376e933f93ff4910b2a723caac8"
	depopAT2 = "pat_c89529c1f7c74d1ebc9e7a6e786a80d6_5b0b942be922f43d9f0bf7b7f2b38b9ea615cae2"
	depopRT2 = "prt_c89529c1f7c74d1ebc9e7a6e786a80d6_cc08fc9261021661e674dd18da195d2833e10e04"
)

var depopCred = Credentials{ClientID: "depop-client", ClientSecret: "depop-secret-0123456789"}

func TestDepopDialect(t *testing.T) {
	f := newFake(t,
		jsonAnswer(200, `{"access_token":"`+depopAT+`","refresh_token":"`+depopRT+`","expires_in":3600,"token_type":"Bearer"}`),
		jsonAnswer(200, `{"access_token":"`+depopAT2+`","refresh_token":"`+depopRT2+`","expires_in":3600,"token_type":"Bearer"}`),
	)
	p := builtin(t, "depop").Rebase(f.URL)
	rec := &recorder{}
	c := testClient(rec)
	tok, err := c.Exchange(context.Background(), p, depopCred, "0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM", "vvkdljkejllufrvbhgeiegrnvufrhvrffnkvcknjvfid", "http://127.0.0.1:53682/callback")
	if err != nil {
		t.Fatal(err)
	}
	r := f.last(t)
	if r.Method != "POST" || r.Path != "/api/v1/oauth2/access-token/" || r.Header.Get("Authorization") != "" {
		t.Errorf("request %+v", r)
	}
	form := r.form(t)
	want := map[string]string{"grant_type": "authorization_code", "code": "0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM",
		"client_id": "depop-client", "client_secret": "depop-secret-0123456789", "redirect_uri": "http://127.0.0.1:53682/callback",
		"code_verifier": "vvkdljkejllufrvbhgeiegrnvufrhvrffnkvcknjvfid"}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, form.Get(k), v)
		}
	}
	if len(form) != len(want) {
		t.Errorf("extra fields: %v", form)
	}
	if tok.AccessToken != depopAT || tok.RefreshToken != depopRT || tok.TokenType != "Bearer" ||
		!tok.Expiry.Equal(t0.Add(time.Hour)) || !tok.ConsentAt.Equal(t0) || !tok.RefreshExpiry.Equal(t0.Add(8760*time.Hour)) {
		t.Errorf("token %+v", tok)
	}

	// A month later the refresh rotates and inherits the consent's expiry.
	later := t0.Add(30 * 24 * time.Hour)
	c.Now = func() time.Time { return later }
	tok2, err := c.Refresh(context.Background(), p, depopCred, tok)
	if err != nil {
		t.Fatal(err)
	}
	form = f.last(t).form(t)
	if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != depopRT || form.Get("client_secret") != "depop-secret-0123456789" ||
		form.Has("redirect_uri") || form.Has("scope") {
		t.Errorf("refresh form %v", form)
	}
	if tok2.RefreshToken != depopRT2 || !tok2.ConsentAt.Equal(t0) || !tok2.RefreshExpiry.Equal(t0.Add(8760*time.Hour)) ||
		!tok2.Expiry.Equal(later.Add(time.Hour)) || tok2.Warning != "" {
		t.Errorf("refreshed %+v", tok2)
	}
	assertNoSecrets(t, rec.all(), depopAT, depopRT, depopAT2, depopRT2, depopCred.ClientSecret,
		"0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM", "vvkdljkejllufrvbhgeiegrnvufrhvrffnkvcknjvfid")
	if xs := rec.all(); len(xs) != 2 || xs[0].Op != "exchange" || xs[1].Op != "refresh" || xs[1].Status != 200 ||
		!strings.Contains(xs[1].RequestBody, "refresh_token="+Redact(depopRT)) {
		t.Errorf("exchanges %+v", xs)
	}
}

// assertNoSecrets checks that no recorded exchange contains a secret in clear.
func assertNoSecrets(t *testing.T, xs []Exchange, secrets ...string) {
	t.Helper()
	b, _ := json.Marshal(xs)
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Errorf("exchange log holds a secret in clear (%s)", Redact(s))
		}
	}
}

func TestDepopErrors(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   Kind
		code   string
	}{
		{401, `{"code":401,"error":"client secret does not match","message":"client secret does not match","id":"4bf13c3d-2db8-4b25-a99f-75b019c92b98"}`, KindCredentials, "client secret does not match"},
		{401, `{"code":401,"error":"invalid_refresh_token","message":"Invalid refresh token","id":"4bf13c3d-2db8-4b25-a99f-75b019c92b98","detail":"Invalid refresh token","error_message":"Invalid refresh token","error_description":"Invalid refresh token"}`, KindReconnect, "invalid_refresh_token"},
		{400, `{"code":400,"error":"invalid_grant","message":"Authorization code is invalid, expired, or has already been used","id":"4bf13c3d-2db8-4b25-a99f-75b019c92b98"}`, KindReconnect, "invalid_grant"},
	}
	for _, tc := range cases {
		f := newFake(t, jsonAnswer(tc.status, tc.body))
		p := builtin(t, "depop").Rebase(f.URL)
		_, err := testClient(nil).Refresh(context.Background(), p, depopCred, &Token{RefreshToken: depopRT})
		e, ok := AsError(err)
		if !ok || e.Kind != tc.kind || e.Code != tc.code || e.RequestID != "4bf13c3d-2db8-4b25-a99f-75b019c92b98" || e.Status != tc.status || e.Advice == "" {
			t.Errorf("%s: %#v", tc.code, err)
			continue
		}
		if strings.Contains(e.Error(), depopRT) || strings.Contains(e.Error(), depopCred.ClientSecret) {
			t.Errorf("secret in error text: %v", e)
		}
		if !strings.Contains(e.Error(), "4bf13c3d") {
			t.Errorf("request id missing from %v", e)
		}
	}
}

const ebayRT = "v^1.1#i^1#p^3#r^1#I^3#f^0#t^Ul4xMF8yOjNEMjlBMTNGMjQ3NkVCNEI3RjQ3QkZGNkI1RDVBNTlEXzFfMSNFXjI2MA=="

func TestEbayDialect(t *testing.T) {
	longAT := "v^1.1#i^1#f^0#p^3#r^0#I^3#t^H4sIAAAAAAAAAOVY" + strings.Repeat("b", 2400)
	f := newFake(t,
		jsonAnswer(200, `{"access_token":"`+longAT+`","expires_in":"7200","refresh_token":"`+ebayRT+`","refresh_token_expires_in":47304000,"token_type":"User Access Token"}`),
		jsonAnswer(200, `{"access_token":"`+longAT+`X","expires_in":7200,"token_type":"User Access Token"}`),
	)
	p := builtin(t, "ebay").Rebase(f.URL)
	cred := Credentials{ClientID: "Seller-App-PRD-1234", ClientSecret: "PRD-0123456789abcdef", Settings: map[string]string{"ruName": "Seller-App-RuName"}}
	c := testClient(nil)
	tok, err := c.Exchange(context.Background(), p, cred, "v^1.1#i^1#code", "", "Seller-App-RuName")
	if err != nil {
		t.Fatal(err)
	}
	r := f.last(t)
	if id, secret := r.basic(t); id != cred.ClientID || secret != cred.ClientSecret {
		t.Errorf("basic %s:%s", id, secret)
	}
	form := r.form(t)
	if form.Get("redirect_uri") != "Seller-App-RuName" || form.Has("client_secret") || form.Has("client_id") || form.Get("code") != "v^1.1#i^1#code" {
		t.Errorf("exchange form %v", form)
	}
	if tok.TokenType != "Bearer" || !tok.Expiry.Equal(t0.Add(2*time.Hour)) || !tok.RefreshExpiry.Equal(t0.Add(47304000*time.Second)) || tok.RefreshToken != ebayRT {
		t.Errorf("token %+v", tok)
	}
	later := t0.Add(3 * time.Hour)
	c.Now = func() time.Time { return later }
	tok.Scopes = []string{"https://api.ebay.com/oauth/api_scope", "https://api.ebay.com/oauth/api_scope/sell.inventory"}
	tok2, err := c.Refresh(context.Background(), p, cred, tok)
	if err != nil {
		t.Fatal(err)
	}
	form = f.last(t).form(t)
	if form.Get("scope") != "https://api.ebay.com/oauth/api_scope https://api.ebay.com/oauth/api_scope/sell.inventory" || form.Has("redirect_uri") || form.Get("refresh_token") != ebayRT {
		t.Errorf("refresh form %v", form)
	}
	// No rotation: the old refresh token and its expiry stay, without a warning.
	if tok2.RefreshToken != ebayRT || !tok2.RefreshExpiry.Equal(tok.RefreshExpiry) || tok2.Warning != "" || tok2.TokenType != "Bearer" ||
		!tok2.Expiry.Equal(later.Add(2*time.Hour)) || len(tok2.Scopes) != 2 {
		t.Errorf("refreshed %+v", tok2)
	}
}

const vaultRT = "dGhpcyBpcyBhIHJlZnJlc2hUb2tlbi4uLmFuZCBtb3Jl"

func TestVaultistDialect(t *testing.T) {
	f := newFake(t,
		jsonAnswer(200, `{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.first","refresh_token":"`+vaultRT+`","expires_in":3600,"token_type":"Bearer"}`),
		jsonAnswer(200, `{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.second","expires_in":3600,"token_type":"Bearer"}`),
		jsonAnswer(400, `{"error":"invalid_grant","error_description":"Refresh token has expired or is invalid."}`),
		jsonAnswer(401, `{"status":"UNAUTHORIZED","message":"Bad credentials","traceId":"6f1c2d7e8a9b","errors":[]}`),
		jsonAnswer(400, `{"error":"invalid_request","error_description":"Missing refresh token."}`),
	)
	p := builtin(t, "vaultist").Rebase(f.URL)
	cred := Credentials{Settings: map[string]string{"partnerId": "1234"}}
	c := testClient(nil)
	tok, err := c.SignIn(context.Background(), p, cred, "seller@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	r := f.last(t)
	body := r.json(t)
	if r.Path != "/v1/auth/token" || r.Header.Get("partnerId") != "1234" || r.Header.Get("grantType") != "password_email" ||
		body["email"] != "seller@example.com" || body["password"] != "correct horse battery" || len(body) != 2 || r.Header.Get("Authorization") != "" {
		t.Errorf("signin %+v %v", r, body)
	}
	tok2, err := c.Refresh(context.Background(), p, cred, tok)
	if err != nil {
		t.Fatal(err)
	}
	r = f.last(t)
	body = r.json(t)
	if r.Header.Get("grantType") != "refresh_token" || r.Header.Get("partnerId") != "1234" || body["refreshToken"] != vaultRT || len(body) != 1 {
		t.Errorf("refresh %+v %v", r.Header, body)
	}
	if tok2.RefreshToken != vaultRT || tok2.Warning != "" {
		t.Errorf("refreshed %+v", tok2)
	}
	_, err = c.Refresh(context.Background(), p, cred, tok2)
	if e, _ := AsError(err); e == nil || e.Kind != KindReconnect || e.Description != "Refresh token has expired or is invalid." {
		t.Errorf("invalid_grant: %v", err)
	}
	_, err = c.SignIn(context.Background(), p, cred, "seller@example.com", "wrong")
	if e, _ := AsError(err); e == nil || e.Kind != KindReconnect || e.TraceID != "6f1c2d7e8a9b" || e.Code != "UNAUTHORIZED" || !strings.Contains(e.Advice, "password") {
		t.Errorf("bad sign-in: %#v", err)
	}
	_, err = c.Refresh(context.Background(), p, cred, tok2)
	if KindOf(err) != KindConfig {
		t.Errorf("invalid_request: %v", err)
	}
	if _, err := c.Refresh(context.Background(), p, Credentials{}, tok2); KindOf(err) != KindConfig || !strings.Contains(err.Error(), "partnerId") {
		t.Errorf("missing partnerId: %v", err)
	}
	if n := f.count(); n != 5 {
		t.Errorf("%d requests reached the provider", n)
	}
}

func TestSmartThingsDialect(t *testing.T) {
	f := newFake(t,
		jsonAnswer(200, `{"access_token":"st-access-1-0123456789abcdef","refresh_token":"st-refresh-1-0123456789abcdef","expires_in":86399,"token_type":"bearer","scope":"r:locations:* r:devices:*"}`),
		jsonAnswer(200, `{"access_token":"st-access-2-0123456789abcdef","refresh_token":"st-refresh-2-0123456789abcdef","expires_in":86399,"token_type":"bearer"}`),
		jsonAnswer(200, `{"access_token":"st-access-3-0123456789abcdef","expires_in":86399,"token_type":"bearer"}`),
	)
	p := builtin(t, "smartthings").Rebase(f.URL)
	cred := Credentials{ClientID: "st-client", ClientSecret: "st-secret-0123456789"}
	rec := &recorder{}
	c := testClient(rec)
	tok, err := c.Exchange(context.Background(), p, cred, "code1", NewVerifier(), "http://127.0.0.1:53682/callback")
	if err != nil {
		t.Fatal(err)
	}
	r := f.last(t)
	if id, _ := r.basic(t); id != "st-client" {
		t.Errorf("basic id %s", id)
	}
	if form := r.form(t); form.Get("client_id") != "st-client" || form.Has("client_secret") || form.Get("redirect_uri") == "" {
		t.Errorf("exchange form %v", form)
	}
	if tok.TokenType != "Bearer" || len(tok.Scopes) != 2 || !tok.RefreshExpiry.Equal(t0.Add(720*time.Hour)) {
		t.Errorf("token %+v", tok)
	}
	later := t0.Add(10 * 24 * time.Hour)
	c.Now = func() time.Time { return later }
	tok2, err := c.Refresh(context.Background(), p, cred, tok)
	if err != nil {
		t.Fatal(err)
	}
	if form := f.last(t).form(t); form.Get("refresh_token") != "st-refresh-1-0123456789abcdef" || form.Has("redirect_uri") || form.Get("client_id") != "st-client" {
		t.Errorf("refresh form %v", form)
	}
	// Rolling: the refresh token's 30 days start again.
	if tok2.RefreshToken != "st-refresh-2-0123456789abcdef" || !tok2.RefreshExpiry.Equal(later.Add(720*time.Hour)) || tok2.Scopes[0] != "r:locations:*" {
		t.Errorf("refreshed %+v", tok2)
	}
	// A rotating provider that sends no new refresh token: keep the old one, and say so.
	tok3, err := c.Refresh(context.Background(), p, cred, tok2)
	if err != nil {
		t.Fatal(err)
	}
	if tok3.RefreshToken != tok2.RefreshToken || tok3.AccessToken != "st-access-3-0123456789abcdef" || tok3.Warning == "" {
		t.Errorf("no-rotation answer %+v", tok3)
	}
	if xs := rec.all(); xs[len(xs)-1].Warning == "" {
		t.Error("the warning is not in the exchange log")
	}
}

func TestFaults(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	huge := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"`+strings.Repeat("a", maxAnswer)+`"}`)
	}
	retryDate := t0.Add(90 * time.Second).Format(http.TimeFormat)
	cases := []struct {
		name   string
		answer func(http.ResponseWriter, *http.Request)
		kind   Kind
		retry  time.Duration
	}{
		{"500", jsonAnswer(500, `{"error":"server_error"}`), KindTemporary, 0},
		{"503 html", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(503)
			_, _ = io.WriteString(w, "<html>down</html>")
		}, KindTemporary, 7 * time.Second},
		{"429 seconds", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(429)
		}, KindTemporary, 120 * time.Second},
		{"429 date", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", retryDate)
			w.WriteHeader(429)
		}, KindTemporary, 90 * time.Second},
		{"200 html", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>Maintenance</body></html>")
		}, KindProvider, 0},
		{"200 garbage", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte{0xff, 0x00, 0x13, 'x'}) }, KindProvider, 0},
		{"200 truncated json", jsonAnswer(200, `{"access_token":"abc`), KindProvider, 0},
		{"200 without token", jsonAnswer(200, `{"token_type":"Bearer"}`), KindProvider, 0},
		{"200 error object", jsonAnswer(200, `{"error":"invalid_grant"}`), KindReconnect, 0},
		{"400 html", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, "<html>bad</html>")
		}, KindProvider, 0},
		{"401 empty", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(401) }, KindCredentials, 0},
		{"404", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }, KindConfig, 0},
		{"huge", huge, KindProvider, 0},
		{"timeout", slow, KindTemporary, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.answer)
			p := builtin(t, "depop").Rebase(f.URL)
			c := testClient(nil)
			c.Timeout = 300 * time.Millisecond
			_, err := c.Refresh(context.Background(), p, depopCred, &Token{RefreshToken: depopRT})
			e, ok := AsError(err)
			if !ok || e.Kind != tc.kind || e.RetryAfter != tc.retry || e.Advice == "" {
				t.Fatalf("got %#v", err)
			}
			// Never retried: a second request could spend a rotated token.
			if n := f.count(); n != 1 {
				t.Errorf("%d requests", n)
			}
		})
	}
}

func TestNoRedirectFollowed(t *testing.T) {
	elsewhere := newFake(t, jsonAnswer(200, `{"access_token":"stolen"}`))
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/token", http.StatusTemporaryRedirect)
	})
	p := builtin(t, "ebay").Rebase(f.URL)
	cred := Credentials{ClientID: "id", ClientSecret: "secret-0123456789", Settings: map[string]string{"ruName": "r"}}
	_, err := testClient(nil).Refresh(context.Background(), p, cred, &Token{RefreshToken: ebayRT})
	if e, ok := AsError(err); !ok || e.Kind != KindConfig || e.Status != 307 {
		t.Fatalf("got %v", err)
	}
	if elsewhere.count() != 0 {
		t.Fatal("credentials followed the redirect")
	}
}

// TestMovedEndpointIsASettingsProblem: a token URL that answers 301 (an
// address without its trailing slash) is a settings problem that names
// where the endpoint moved, and its credentials do not follow.
func TestMovedEndpointIsASettingsProblem(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/api/v1/oauth2/access-token/?x=1", http.StatusMovedPermanently)
	})
	p := builtin(t, "depop").Rebase(f.URL)
	p.TokenURL = f.URL + "/api/v1/oauth2/access-token"
	_, err := testClient(nil).Refresh(context.Background(), p, depopCred, &Token{RefreshToken: depopRT})
	e, ok := AsError(err)
	if !ok || e.Kind != KindConfig || e.Status != 301 {
		t.Fatalf("got %v", err)
	}
	want := f.URL + "/api/v1/oauth2/access-token/"
	if !strings.Contains(err.Error(), want) || !strings.Contains(e.Advice, want) || strings.Contains(err.Error(), "x=1") {
		t.Fatalf("the error does not name where the endpoint moved (%s): %v / %s", want, err, e.Advice)
	}
	if f.count() != 1 {
		t.Fatalf("%d requests, want 1", f.count())
	}
}

func TestHTTPSRequired(t *testing.T) {
	p := builtin(t, "depop")
	p.TokenURL = "http://partnerapi.depop.com/api/v1/oauth2/access-token/"
	_, err := testClient(nil).Refresh(context.Background(), p, depopCred, &Token{RefreshToken: depopRT})
	if KindOf(err) != KindConfig || !strings.Contains(err.Error(), "https") {
		t.Fatalf("got %v", err)
	}
	for _, host := range []string{"127.0.0.1:1", "[::1]:1", "localhost:1"} {
		if err := checkEndpoint("http://" + host + "/token"); err != nil {
			t.Errorf("%s refused: %v", host, err)
		}
	}
}

func TestNetworkErrors(t *testing.T) {
	f := newFake(t)
	p := builtin(t, "depop").Rebase(f.URL)
	f.Close()
	_, err := testClient(nil).Refresh(context.Background(), p, depopCred, &Token{RefreshToken: depopRT})
	if e, _ := AsError(err); e == nil || e.Kind != KindTemporary || !strings.Contains(e.Advice, "may have reached") {
		t.Errorf("closed server: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := testClient(nil).Refresh(ctx, p, depopCred, &Token{RefreshToken: depopRT}); KindOf(err) != KindCancelled {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := testClient(nil).Refresh(context.Background(), p, depopCred, &Token{}); KindOf(err) != KindReconnect {
		t.Errorf("no refresh token: %v", err)
	}
	if _, err := testClient(nil).Refresh(context.Background(), p, Credentials{ClientID: "x"}, &Token{RefreshToken: "r"}); KindOf(err) != KindConfig {
		t.Errorf("no secret: %v", err)
	}
}

func TestProviderEchoingSecretIsScrubbed(t *testing.T) {
	f := newFake(t, jsonAnswer(400, `{"error":"invalid_grant","error_description":"refresh token `+depopRT+` is unknown"}`))
	p := builtin(t, "depop").Rebase(f.URL)
	rec := &recorder{}
	_, err := testClient(rec).Refresh(context.Background(), p, depopCred, &Token{RefreshToken: depopRT})
	if err == nil || strings.Contains(err.Error(), depopRT) || !strings.Contains(err.Error(), Redact(depopRT)) {
		t.Errorf("error text: %v", err)
	}
	assertNoSecrets(t, rec.all(), depopRT, depopCred.ClientSecret)
}

func TestTestCall(t *testing.T) {
	f := newFake(t,
		jsonAnswer(200, `{"id":12345,"username":"vintage_seller","country_code":"GB"}`),
		jsonAnswer(401, `{"error":"invalid_token"}`),
		jsonAnswer(403, `{"error":"insufficient_scope","message":"shop_read required"}`),
		jsonAnswer(200, `not json`),
	)
	p := builtin(t, "depop").Rebase(f.URL)
	rec := &recorder{}
	c := testClient(rec)
	tok := &Token{AccessToken: depopAT, TokenType: "Bearer"}
	id, err := c.Test(context.Background(), p, tok)
	if err != nil || id.ID != "12345" || id.Name != "vintage_seller" {
		t.Fatalf("identity %+v %v", id, err)
	}
	if r := f.last(t); r.Method != "GET" || r.Path != "/api/v1/shop/" || r.Header.Get("Authorization") != "Bearer "+depopAT {
		t.Errorf("request %+v", r)
	}
	if _, err := c.Test(context.Background(), p, tok); KindOf(err) != KindReconnect {
		t.Errorf("401: %v", err)
	}
	_, err = c.Test(context.Background(), p, tok)
	if e, _ := AsError(err); e == nil || e.Kind != KindReconnect || !strings.Contains(e.Advice, "shop_read") {
		t.Errorf("403: %v", err)
	}
	if _, err := c.Test(context.Background(), p, tok); KindOf(err) != KindProvider {
		t.Errorf("not json: %v", err)
	}
	noTest := builtin(t, "vaultist")
	noTest.Test = TestCall{}
	if _, err := c.Test(context.Background(), noTest, tok); KindOf(err) != KindConfig {
		t.Errorf("no test call: %v", err)
	}
	assertNoSecrets(t, rec.all(), depopAT)

	// eBay's "User Access Token" is used as Bearer; nested paths work.
	f2 := newFake(t, jsonAnswer(200, `{"items":[{"locationId":"loc-1","name":"Home"}]}`))
	st := builtin(t, "smartthings").Rebase(f2.URL)
	id, err = c.Test(context.Background(), st, &Token{AccessToken: "abc", TokenType: "bearer"})
	if err != nil || id.ID != "loc-1" || id.Name != "Home" || f2.last(t).Header.Get("Authorization") != "Bearer abc" {
		t.Errorf("smartthings identity %+v %v", id, err)
	}
}

func TestRevoke(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) }, jsonAnswer(400, `{"error":"invalid_client"}`))
	p := builtin(t, "demo").Rebase(f.URL + "/demo")
	c := testClient(nil)
	tok := &Token{AccessToken: "demo-access-0123456789", RefreshToken: "demo-refresh-0123456789"}
	if err := c.Revoke(context.Background(), p, Credentials{}, tok); err != nil {
		t.Fatal(err)
	}
	r := f.last(t)
	form := r.form(t)
	if r.Path != "/demo/oauth/revoke" || form.Get("token") != tok.RefreshToken || form.Get("token_type_hint") != "refresh_token" ||
		form.Get("client_id") != "sellerconnect-demo" || form.Has("grant_type") {
		t.Errorf("revoke %+v %v", r, form)
	}
	if err := c.Revoke(context.Background(), p, Credentials{}, tok); KindOf(err) != KindCredentials {
		t.Errorf("invalid_client: %v", err)
	}
	err := c.Revoke(context.Background(), builtin(t, "depop"), depopCred, tok)
	if e, _ := AsError(err); e == nil || e.Kind != KindConfig || !strings.Contains(e.Advice, "Connected apps") {
		t.Errorf("depop: %v", err)
	}
}

func TestParseTokenResponseTolerance(t *testing.T) {
	cases := map[string]*tokenAnswer{
		`{"access_token":"a","expires_in":"3600"}`:                          {AccessToken: "a", ExpiresIn: 3600},
		`{"access_token":"a","expires_in":3600.0,"scope":["x","y"]}`:        {AccessToken: "a", ExpiresIn: 3600, Scope: "x y"},
		`{"accessToken":"a","refreshToken":"r","expiresIn":60}`:             {AccessToken: "a", RefreshToken: "r", ExpiresIn: 60},
		`{"access_token":"a","expires_in":-5}`:                              {AccessToken: "a"},
		`{"access_token":"a","expires_in":1e300}`:                           {AccessToken: "a"},
		"access_token=a&token_type=bearer&expires_in=10":                    {AccessToken: "a", TokenType: "bearer", ExpiresIn: 10},
		`{"access_token":"a","refresh_token_expires_in":47304000}`:          {AccessToken: "a", RefreshExpiresIn: 47304000},
		"  \n{\"access_token\":\"a\",\"token_type\":\"User Access Token\"}": {AccessToken: "a", TokenType: "User Access Token"},
	}
	for in, want := range cases {
		got, err := parseTokenResponse([]byte(in))
		if err != nil || *got != *want {
			t.Errorf("%s: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "<html>", `{"access_token":""}`, `{"access_token":"a"} {}`, `{"error":"x"}`, "garbage", `{"access_token":"a\nb"}`} {
		if _, err := parseTokenResponse([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
