package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func stAuthURL(em *Emulator, prefix string, set map[string]string) string {
	q := url.Values{"client_id": {TestClientID}, "redirect_uri": {TestRedirectURI}, "response_type": {"code"},
		"scope": {"r:locations:* r:devices:*"}, "state": {"st-state"}}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return em.URL() + prefix + "/authorize?" + q.Encode()
}

func postFormHeaders(t testing.TB, u string, form url.Values, headers map[string]string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func stConnect(t testing.TB, em *Emulator, prefix string) answer {
	t.Helper()
	q := approve(t, stAuthURL(em, prefix, nil))
	a := postForm(t, em.URL()+prefix+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {TestRedirectURI}, "client_id": {TestClientID}}, basicTest)
	if a.status != 200 {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	return a
}

func TestSmartThingsConnectRefresh(t *testing.T) {
	ck := newClock()
	em := start(t, Options{Now: ck.Now})
	for _, prefix := range []string{"/smartthings/oauth", "/smartthings/v1/oauth"} {
		a := stConnect(t, em, prefix)
		if a.str("token_type") != "bearer" || a.json["expires_in"] != 86400.0 || a.str("scope") != "r:locations:* r:devices:*" {
			t.Fatalf("exchange: %s", a.raw)
		}
		loc := get(t, em.URL()+"/smartthings/v1/locations", a.str("access_token"))
		items, _ := loc.json["items"].([]any)
		if loc.status != 200 || len(items) != 1 || items[0].(map[string]any)["name"] != "test-seller" {
			t.Fatalf("locations: %d %s", loc.status, loc.raw)
		}
		// Rotation with a rolling 30-day lifetime.
		rt := a.str("refresh_token")
		var old string
		for range 3 {
			ck.Advance(25 * 24 * time.Hour)
			b := postForm(t, em.URL()+prefix+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {TestClientID}}, basicTest)
			if b.status != 200 || b.str("refresh_token") == rt {
				t.Fatalf("refresh: %d %s", b.status, b.raw)
			}
			old, rt = rt, b.str("refresh_token")
		}
		// A used refresh token is refused, and its replay revokes the grant:
		// the current one stops working too.
		if r := postForm(t, em.URL()+prefix+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}, "client_id": {TestClientID}}, basicTest); r.status != 400 || r.str("error") != "invalid_grant" {
			t.Fatalf("used refresh token: %d %s", r.status, r.raw)
		}
		if r := postForm(t, em.URL()+prefix+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {TestClientID}}, basicTest); r.status != 400 {
			t.Fatalf("refresh after a replay: %d, want the grant revoked", r.status)
		}
	}
	// The test call's error shape.
	if r := get(t, em.URL()+"/smartthings/v1/locations", "nope"); r.status != 401 || !strings.Contains(r.raw, "UnauthorizedError") || r.str("requestId") == "" {
		t.Errorf("bad token: %d %s", r.status, r.raw)
	}
}

func TestSmartThingsRules(t *testing.T) {
	em := start(t, Options{})
	tok := em.URL() + "/smartthings/oauth/token"
	a := stConnect(t, em, "/smartthings/oauth")
	rt := a.str("refresh_token")
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {TestClientID}}

	// JSON gets 401, whatever it carries.
	j := postJSON(t, tok, map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "client_id": TestClientID, "client_secret": TestClientSecret},
		map[string]string{"Authorization": "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ="})
	if j.status != 401 || j.str("error") != "unauthorized" {
		t.Errorf("JSON body: %d %s", j.status, j.raw)
	}
	// Basic only: the secret in the body does not count.
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {TestClientID}, "client_secret": {TestClientSecret}}
	if r := postForm(t, tok, f, ""); r.status != 401 || r.str("error") != "unauthorized" {
		t.Errorf("no Basic: %d %s", r.status, r.raw)
	}
	if r := postForm(t, tok, refresh, TestClientID+":wrong"); r.status != 401 || r.str("error") != "invalid_client" {
		t.Errorf("wrong secret: %d %s", r.status, r.raw)
	}
	// client_id on refresh: required, and the Basic one.
	if r := postForm(t, tok, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, basicTest); r.status != 400 || r.str("error") != "invalid_request" {
		t.Errorf("no client_id: %d %s", r.status, r.raw)
	}
	other := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"other"}}
	if r := postForm(t, tok, other, basicTest); r.status != 401 {
		t.Errorf("other client_id: %d %s", r.status, r.raw)
	}
	// None of that touched the grant; redirect_uri is ignored on refresh.
	refresh.Set("redirect_uri", "https://anything.example/")
	if r := postForm(t, tok, refresh, basicTest); r.status != 200 {
		t.Fatalf("refresh: %d %s", r.status, r.raw)
	}
	// redirect_uri must match on the code grant; PKCE is checked when used.
	q := approve(t, stAuthURL(em, "/smartthings/oauth", nil))
	if r := postForm(t, tok, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {"http://127.0.0.1:1/callback"}}, basicTest); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("redirect mismatch: %d %s", r.status, r.raw)
	}
	q = approve(t, stAuthURL(em, "/smartthings/oauth", map[string]string{"code_challenge": seedChallenge, "code_challenge_method": "S256"}))
	if r := postForm(t, tok, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {TestRedirectURI}, "code_verifier": {seedVerifier}}, basicTest); r.status != 200 {
		t.Errorf("PKCE: %d %s", r.status, r.raw)
	}
	// No scope asked: r:locations:* granted, so the test call works.
	q = approve(t, stAuthURL(em, "/smartthings/oauth", map[string]string{"scope": ""}))
	r := postForm(t, tok, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {TestRedirectURI}}, basicTest)
	if l := get(t, em.URL()+"/smartthings/v1/locations", r.str("access_token")); l.status != 200 {
		t.Errorf("default scope: %d", l.status)
	}
	// Without r:locations:* the test call is 403.
	q = approve(t, stAuthURL(em, "/smartthings/oauth", map[string]string{"scope": "r:devices:*"}))
	r = postForm(t, tok, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {TestRedirectURI}}, basicTest)
	if l := get(t, em.URL()+"/smartthings/v1/locations", r.str("access_token")); l.status != 403 || !strings.Contains(l.raw, "ForbiddenError") {
		t.Errorf("missing scope: %d %s", l.status, l.raw)
	}
	// Redirects other than the registered one: an error page.
	if p := getNoFollow(t, stAuthURL(em, "/smartthings/oauth", map[string]string{"redirect_uri": "https://evil.example/cb"})); p.status != 400 || p.header.Get("Location") != "" {
		t.Errorf("unregistered redirect: %d", p.status)
	}
}
