package emulator

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	ebayIdentity = "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly"
	ebayBase     = "https://api.ebay.com/oauth/api_scope"
	ebayInv      = "https://api.ebay.com/oauth/api_scope/sell.inventory"
	basicTest    = TestClientID + ":" + TestClientSecret
)

func ebayAuthURL(em *Emulator, set map[string]string) string {
	q := url.Values{
		"client_id": {TestClientID}, "redirect_uri": {TestRuName}, "response_type": {"code"},
		"scope": {ebayBase + " " + ebayIdentity + " " + ebayInv}, "state": {"eb-state"},
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return em.URL() + "/ebay/oauth2/authorize?" + q.Encode()
}

func ebayToken(em *Emulator) string { return em.URL() + "/ebay/identity/v1/oauth2/token" }

func ebayConnect(t testing.TB, em *Emulator) answer {
	t.Helper()
	q := approve(t, ebayAuthURL(em, nil))
	a := postForm(t, ebayToken(em), url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {TestRuName}}, basicTest)
	if a.status != 200 {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	return a
}

func TestEBayConnectPasteAndRefresh(t *testing.T) {
	em := start(t, Options{})
	var op AutoApprover
	if err := op.Open(ebayAuthURL(em, nil)); err != nil {
		t.Fatal(err)
	}
	var final string
	select {
	case final = <-op.Pasted():
	case <-time.After(10 * time.Second):
		t.Fatal("no pasted address")
	}
	// The RuName's https accepted URL, with code, state and expires_in.
	q := query(t, final)
	if !strings.HasPrefix(final, TestAcceptedURL+"?") || q.Get("state") != "eb-state" || q.Get("expires_in") != "299" ||
		!strings.HasPrefix(q.Get("code"), "v^1.1#") {
		t.Fatalf("final address %s", final)
	}
	// redirect_uri on the code grant is the RuName, not the accepted URL.
	a := postForm(t, ebayToken(em), url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {TestRuName}}, basicTest)
	if a.status != 200 || a.str("token_type") != "User Access Token" || a.json["expires_in"] != 7200.0 ||
		a.json["refresh_token_expires_in"] != 47304000.0 || a.str("refresh_token") == "" {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	at, rt := a.str("access_token"), a.str("refresh_token")
	if len(at) < 2500 || !strings.ContainsAny(at, "^#") {
		t.Errorf("access token of %d characters", len(at))
	}
	u := get(t, em.URL()+"/ebay/commerce/identity/v1/user/", at)
	if u.status != 200 || u.str("username") != "test-seller" || u.str("userId") != "1001" {
		t.Fatalf("user: %d %s", u.status, u.raw)
	}
	// No rotation: no refresh_token, and both old tokens keep working.
	b := postForm(t, ebayToken(em), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, basicTest)
	if b.status != 200 || b.str("refresh_token") != "" || b.json["refresh_token_expires_in"] != nil || b.str("token_type") != "User Access Token" {
		t.Fatalf("refresh: %d %s", b.status, b.raw)
	}
	if !em.AccessValid(EBay, at) || !em.AccessValid(EBay, b.str("access_token")) || !em.RefreshValid(EBay, rt) {
		t.Error("a refresh without rotation invalidated a token")
	}
	// Scope: equal or a subset; never more, never empty.
	for scope, want := range map[string]int{
		ebayBase + " " + ebayIdentity + " " + ebayInv: 200,
		ebayIdentity: 200,
		ebayIdentity + " https://api.ebay.com/oauth/api_scope/sell.account": 400,
		" ": 400,
	} {
		c := postForm(t, ebayToken(em), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {scope}}, basicTest)
		if c.status != want || (want == 400 && c.str("error") != "invalid_scope") {
			t.Errorf("scope %q: %d %s", scope, c.status, c.raw)
		}
	}
	// A narrowed token lacks the identity scope: eBay's error list.
	c := postForm(t, ebayToken(em), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {ebayInv}}, basicTest)
	f := get(t, em.URL()+"/ebay/commerce/identity/v1/user/", c.str("access_token"))
	if f.status != 403 || !strings.Contains(f.raw, `"errorId":1100`) {
		t.Errorf("narrowed test call: %d %s", f.status, f.raw)
	}
	if g := get(t, em.URL()+"/ebay/commerce/identity/v1/user/", "v^1.1#nonsense"); g.status != 401 || !strings.Contains(g.raw, `"errorId":1001`) {
		t.Errorf("bad token: %d %s", g.status, g.raw)
	}
	if st := em.Stats(EBay); st.Refreshes != 4 || st.CodesExchanged != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestEBayRules(t *testing.T) {
	ck := newClock()
	em := start(t, Options{Now: ck.Now, Dialects: map[string]Dialect{EBay: {RefreshTTL: 3600}}})
	// An unknown RuName, or a URL instead of one: an error page.
	for _, ru := range []string{"Other-RuName", TestAcceptedURL} {
		if a := getNoFollow(t, ebayAuthURL(em, map[string]string{"redirect_uri": ru})); a.status != 400 || a.header.Get("Location") != "" {
			t.Errorf("%s: %d", ru, a.status)
		}
	}
	// No scope: redirected to the accepted URL with invalid_request.
	a := getNoFollow(t, ebayAuthURL(em, map[string]string{"scope": ""}))
	if loc := a.header.Get("Location"); !strings.HasPrefix(loc, TestAcceptedURL) || query(t, loc).Get("error") != "invalid_request" {
		t.Errorf("no scope: %s", loc)
	}
	code := func(set map[string]string) string { return approve(t, ebayAuthURL(em, set)).Get("code") }
	form := func(c string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {TestRuName}}
	}
	// Basic authentication only.
	for name, basic := range map[string]string{"none": "", "wrong secret": TestClientID + ":nope", "unknown": "x:y"} {
		c := code(nil)
		f := form(c)
		if basic == "" {
			f.Set("client_id", TestClientID)
			f.Set("client_secret", TestClientSecret)
		}
		if r := postForm(t, ebayToken(em), f, basic); r.status != 401 || r.str("error") != "invalid_client" {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	// redirect_uri must be the RuName.
	c := code(nil)
	f := form(c)
	f.Set("redirect_uri", TestAcceptedURL)
	if r := postForm(t, ebayToken(em), f, basicTest); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("accepted URL as redirect_uri: %d %s", r.status, r.raw)
	}
	// PKCE is optional, but checked when used.
	c = code(map[string]string{"code_challenge": seedChallenge, "code_challenge_method": "S256"})
	if r := postForm(t, ebayToken(em), form(c), basicTest); r.status != 400 {
		t.Errorf("challenge without verifier: %d", r.status)
	}
	c = code(map[string]string{"code_challenge": seedChallenge, "code_challenge_method": "S256"})
	f = form(c)
	f.Set("code_verifier", seedVerifier)
	if r := postForm(t, ebayToken(em), f, basicTest); r.status != 200 {
		t.Errorf("challenge with verifier: %d %s", r.status, r.raw)
	}
	// Codes live 299 s.
	c = code(nil)
	ck.Advance(300 * time.Second)
	if r := postForm(t, ebayToken(em), form(c), basicTest); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("old code: %d %s", r.status, r.raw)
	}
	// The refresh token lives RefreshTTL from its issue, refreshes or not.
	tok := ebayConnect(t, em)
	if tok.json["refresh_token_expires_in"] != 3600.0 {
		t.Errorf("refresh_token_expires_in %v", tok.json["refresh_token_expires_in"])
	}
	ck.Advance(3000 * time.Second)
	if r := postForm(t, ebayToken(em), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.str("refresh_token")}}, basicTest); r.status != 200 {
		t.Fatalf("refresh: %d", r.status)
	}
	ck.Advance(601 * time.Second)
	r := postForm(t, ebayToken(em), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.str("refresh_token")}}, basicTest)
	if r.status != 400 || r.str("error") != "invalid_grant" || r.str("error_description") == "" {
		t.Errorf("expired refresh token: %d %s", r.status, r.raw)
	}
}

func TestEBayPasswordChangeRevokes(t *testing.T) {
	em := start(t, Options{})
	a, b := ebayConnect(t, em), ebayConnect(t, em)
	if n := em.RevokeSeller(EBay, "test-seller"); n != 2 {
		t.Fatalf("revoked %d grants", n)
	}
	for _, x := range []answer{a, b} {
		if em.AccessValid(EBay, x.str("access_token")) {
			t.Error("access token survived")
		}
		r := postForm(t, ebayToken(em), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {x.str("refresh_token")}}, basicTest)
		if r.status != 400 || r.str("error") != "invalid_grant" {
			t.Errorf("refresh after password change: %d %s", r.status, r.raw)
		}
	}
	if st := em.Stats(EBay); st.Revocations != 2 || st.ReusedRefresh != 0 {
		t.Errorf("stats %+v", st)
	}
}
