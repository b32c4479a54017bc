package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDepopConnectRefreshRotate(t *testing.T) {
	if challengeOf(seedVerifier) != seedChallenge || s256(seedVerifier) != seedChallenge {
		t.Fatal("the seed's PKCE test vector does not hold")
	}
	em := start(t, Options{})
	a := depopConnect(t, em)
	at, rt := a.str("access_token"), a.str("refresh_token")
	if !strings.HasPrefix(at, "pat_") || !strings.HasPrefix(rt, "prt_") || a.str("token_type") != "Bearer" || a.json["expires_in"] != 3600.0 {
		t.Fatalf("answer %s", a.raw)
	}
	// Both tokens carry the same grant id, as Depop's do.
	if at[4:36] != rt[4:36] {
		t.Errorf("grant ids differ")
	}
	shop := get(t, em.URL()+"/depop/api/v1/shop/", at)
	if shop.status != 200 || shop.str("username") != "test-seller" || shop.str("id") != "1001" || shop.str("country_code") == "" {
		t.Fatalf("shop: %d %s", shop.status, shop.raw)
	}

	b := depopRefresh(t, em, rt)
	if b.status != 200 {
		t.Fatalf("refresh: %d %s", b.status, b.raw)
	}
	at2, rt2 := b.str("access_token"), b.str("refresh_token")
	if at2 == at || rt2 == rt || rt2 == "" {
		t.Fatal("refresh did not rotate")
	}
	// The previous access and refresh tokens die at once.
	if em.AccessValid(Depop, at) || em.RefreshValid(Depop, rt) || !em.AccessValid(Depop, at2) || !em.RefreshValid(Depop, rt2) {
		t.Fatal("rotation did not invalidate the old tokens")
	}
	if s := get(t, em.URL()+"/depop/api/v1/shop/", at); s.status != 401 {
		t.Fatalf("old access token: %d", s.status)
	}
	c := depopRefresh(t, em, rt)
	checkDepopError(t, c, 401, "invalid_refresh_token")
	if c.str("message") != "Invalid refresh token" {
		t.Errorf("message %q", c.str("message"))
	}
	st := em.Stats(Depop)
	if st.Refreshes != 1 || st.CodesExchanged != 1 || st.TokenRequests != 3 || st.TestCalls != 1 || st.TestCallsRejected != 1 {
		t.Errorf("stats %+v", st)
	}
	if st.Refreshes != 1 || st.ReusedRefresh != 1 || st.InvalidGrant != 1 || st.Approvals != 1 || st.ConsentPages != 1 {
		t.Errorf("stats %+v", st)
	}
	// Reuse detection: the replayed refresh token revoked the whole grant,
	// so the token that replaced it is dead too, as on real servers.
	if d := depopRefresh(t, em, rt2); d.status != 401 {
		t.Fatalf("refresh after a replay: %d %s, want the grant revoked", d.status, d.raw)
	}
	if st := em.Stats(Depop); st.ReuseRevocations != 1 {
		t.Errorf("reuse revocations: %d, want 1", st.ReuseRevocations)
	}
	issued := strings.Join(em.Issued(), "\n")
	for _, s := range []string{at, rt, at2, rt2} {
		if !strings.Contains(issued, s) {
			t.Error("Issued misses a token")
		}
	}
}

func TestDepopAuthorizeRules(t *testing.T) {
	em := start(t, Options{})
	// Bad client or redirect: an error page, never a redirect.
	for name, set := range map[string]map[string]string{
		"no client":          {"client_id": ""},
		"unknown client":     {"client_id": "nobody"},
		"no redirect":        {"redirect_uri": ""},
		"other port":         {"redirect_uri": "http://127.0.0.1:53683/callback"},
		"trailing slash":     {"redirect_uri": "http://127.0.0.1:53682/callback/"},
		"localhost":          {"redirect_uri": "http://localhost:53682/callback"},
		"https":              {"redirect_uri": "https://127.0.0.1:53682/callback"},
		"extra query":        {"redirect_uri": "http://127.0.0.1:53682/callback?x=1"},
		"escaped in message": {"client_id": "<script>alert(1)</script>"},
	} {
		a := getNoFollow(t, depopAuthURL(em, set))
		if a.status != 400 || a.header.Get("Location") != "" || !strings.Contains(a.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q", name, a.status, a.header.Get("Location"))
		}
		if strings.Contains(a.raw, "<script>") {
			t.Errorf("%s: page echoes unescaped input", name)
		}
	}
	// Anything else: a redirect with error and state.
	for name, tc := range map[string]struct {
		set  map[string]string
		want string
	}{
		"no response_type":    {map[string]string{"response_type": ""}, "invalid_request"},
		"token response_type": {map[string]string{"response_type": "token"}, "unsupported_response_type"},
		"no state":            {map[string]string{"state": ""}, "invalid_request"},
		"no scope":            {map[string]string{"scope": ""}, "invalid_request"},
		"space-joined scope":  {map[string]string{"scope": "products_read shop_read"}, "invalid_scope"},
		"unknown scope":       {map[string]string{"scope": "products_read+admin"}, "invalid_scope"},
		"no challenge":        {map[string]string{"code_challenge": "", "code_challenge_method": ""}, "invalid_request"},
		"plain method":        {map[string]string{"code_challenge_method": "plain"}, "invalid_request"},
		"no method":           {map[string]string{"code_challenge_method": ""}, "invalid_request"},
		"short challenge":     {map[string]string{"code_challenge": "abc"}, "invalid_request"},
	} {
		a := getNoFollow(t, depopAuthURL(em, tc.set))
		loc := a.header.Get("Location")
		if a.status != http.StatusFound || !strings.HasPrefix(loc, TestRedirectURI+"?") {
			t.Errorf("%s: %d %q", name, a.status, loc)
			continue
		}
		q := query(t, loc)
		if q.Get("error") != tc.want || q.Get("error_description") == "" || (name != "no state" && q.Get("state") != "abc123xyz") {
			t.Errorf("%s: %v", name, q)
		}
		if q.Get("code") != "" {
			t.Errorf("%s: a code was issued", name)
		}
	}
	// The raw query the seed shows (%2B-joined scope) is accepted.
	raw := em.URL() + "/depop/settings/oauth/apps/?response_type=code&client_id=test-client&redirect_uri=" +
		url.QueryEscape(TestRedirectURI) + "&state=abc123xyz&scope=products_read%2Bproducts_write&code_challenge=" +
		seedChallenge + "&code_challenge_method=S256"
	page := get(t, raw, "")
	if page.status != 200 || !strings.Contains(page.raw, "see your listings") || !strings.Contains(page.raw, "Approve") || !strings.Contains(page.raw, "Deny") {
		t.Fatalf("consent page: %d", page.status)
	}
	// A literal "+" is a space in a query: not Depop's separator.
	if a := getNoFollow(t, strings.Replace(raw, "%2B", "+", 1)); query(t, a.header.Get("Location")).Get("error") != "invalid_scope" {
		t.Errorf("raw + accepted: %d %s", a.status, a.header.Get("Location"))
	}
}

func TestDepopDeny(t *testing.T) {
	em := start(t, Options{})
	loc, err := Deny(t.Context(), nil, depopAuthURL(em, nil))
	if err != nil {
		t.Fatal(err)
	}
	q := query(t, loc)
	if !strings.HasPrefix(loc, TestRedirectURI+"?") || q.Get("error") != "access_denied" || q.Get("error_description") == "" || q.Get("state") != "abc123xyz" || q.Has("code") {
		t.Fatalf("deny: %s", loc)
	}
	if st := em.Stats(Depop); st.Denials != 1 || st.Approvals != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestDepopCodeRules(t *testing.T) {
	ck := newClock()
	em := start(t, Options{Now: ck.Now, Dialects: map[string]Dialect{Depop: {
		Clients: []Client{
			{ID: TestClientID, Secret: TestClientSecret, RedirectURIs: []string{TestRedirectURI}},
			{ID: "other", Secret: "other-secret", RedirectURIs: []string{TestRedirectURI}},
		},
	}}})
	code := func() string { return approve(t, depopAuthURL(em, nil)).Get("code") }
	form := func(c string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "client_id": {TestClientID},
			"client_secret": {TestClientSecret}, "redirect_uri": {TestRedirectURI}, "code_verifier": {seedVerifier}}
	}
	with := func(f url.Values, k, v string) url.Values {
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}

	// Single use.
	c := code()
	if a := postForm(t, depopToken(em), form(c), ""); a.status != 200 {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	a := postForm(t, depopToken(em), form(c), "")
	checkDepopError(t, a, 400, "invalid_grant")
	if !strings.Contains(a.str("message"), "already been used") {
		t.Errorf("message %q", a.str("message"))
	}

	// Ten minutes.
	c = code()
	ck.Advance(10*time.Minute + time.Second)
	checkDepopError(t, postForm(t, depopToken(em), form(c), ""), 400, "invalid_grant")
	c = code()
	ck.Advance(9 * time.Minute)
	if a := postForm(t, depopToken(em), form(c), ""); a.status != 200 {
		t.Fatalf("code inside ten minutes: %d", a.status)
	}

	// PKCE and redirect_uri; a failed attempt burns the code.
	for name, f := range map[string]func(string) url.Values{
		"wrong verifier":     func(c string) url.Values { return with(form(c), "code_verifier", strings.Repeat("a", 43)) },
		"no verifier":        func(c string) url.Values { return with(form(c), "code_verifier", "") },
		"short verifier":     func(c string) url.Values { return with(form(c), "code_verifier", "abc") },
		"no redirect_uri":    func(c string) url.Values { return with(form(c), "redirect_uri", "") },
		"other redirect_uri": func(c string) url.Values { return with(form(c), "redirect_uri", TestRedirectURI+"/") },
		"other client": func(c string) url.Values {
			return with(with(form(c), "client_id", "other"), "client_secret", "other-secret")
		},
	} {
		c := code()
		checkDepopError(t, postForm(t, depopToken(em), f(c), ""), 400, "invalid_grant")
		checkDepopError(t, postForm(t, depopToken(em), form(c), ""), 400, "invalid_grant")
		_ = name
	}

	// Client authentication: the secret in the body, and Depop's own text.
	c = code()
	a = postForm(t, depopToken(em), with(form(c), "client_secret", "wrong"), "")
	checkDepopError(t, a, 401, "client secret does not match")
	a = postForm(t, depopToken(em), with(form(c), "client_secret", ""), TestClientID+":"+TestClientSecret)
	checkDepopError(t, a, 400, "invalid_request")
	a = postForm(t, depopToken(em), with(form(c), "client_id", "nobody"), "")
	checkDepopError(t, a, 401, "invalid_client")
	// A JSON body is refused.
	a = postJSON(t, depopToken(em), map[string]string{"grant_type": "authorization_code", "code": c}, nil)
	checkDepopError(t, a, 400, "invalid_request")
	// Client failures did not burn the code.
	if a := postForm(t, depopToken(em), form(c), ""); a.status != 200 {
		t.Fatalf("code after client failures: %d %s", a.status, a.raw)
	}
	checkDepopError(t, postForm(t, depopToken(em), with(form(c), "grant_type", "password"), ""), 400, "unsupported_grant_type")
	if st := em.Stats(Depop); st.ClientAuthFailures != 3 {
		t.Errorf("client auth failures %d", st.ClientAuthFailures)
	}
}

func TestDepopCodeTTLConfigurable(t *testing.T) {
	ck := newClock()
	em := start(t, Options{Now: ck.Now, Dialects: map[string]Dialect{Depop: {CodeTTL: 5}}})
	c := approve(t, depopAuthURL(em, nil)).Get("code")
	ck.Advance(6 * time.Second)
	a := postForm(t, depopToken(em), url.Values{"grant_type": {"authorization_code"}, "code": {c}, "client_id": {TestClientID},
		"client_secret": {TestClientSecret}, "redirect_uri": {TestRedirectURI}, "code_verifier": {seedVerifier}}, "")
	checkDepopError(t, a, 400, "invalid_grant")
}

func TestDepopAbsoluteRefreshExpiry(t *testing.T) {
	ck := newClock()
	em := start(t, Options{Now: ck.Now, Dialects: map[string]Dialect{Depop: {AccessTTL: 60, RefreshTTL: 1000}}})
	a := depopConnect(t, em)
	if a.json["expires_in"] != 60.0 {
		t.Errorf("expires_in %v", a.json["expires_in"])
	}
	at := a.str("access_token")
	ck.Advance(61 * time.Second)
	if em.AccessValid(Depop, at) || get(t, em.URL()+"/depop/api/v1/shop/", at).status != 401 {
		t.Error("expired access token still valid")
	}
	rt := a.str("refresh_token")
	for range 9 {
		ck.Advance(100 * time.Second)
		b := depopRefresh(t, em, rt)
		if b.status != 200 {
			t.Fatalf("refresh: %d %s", b.status, b.raw)
		}
		rt = b.str("refresh_token")
	}
	// 961 s after consent: a fresh token, but the grant's year (here 1000 s) is over at 1000 s.
	ck.Advance(40 * time.Second)
	checkDepopError(t, depopRefresh(t, em, rt), 401, "invalid_refresh_token")
}

func TestDepopTestCallScope(t *testing.T) {
	em := start(t, Options{})
	q := approve(t, depopAuthURL(em, map[string]string{"scope": "products_read"}))
	a := postForm(t, depopToken(em), url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "client_id": {TestClientID},
		"client_secret": {TestClientSecret}, "redirect_uri": {TestRedirectURI}, "code_verifier": {seedVerifier}}, "")
	s := get(t, em.URL()+"/depop/api/v1/shop/", a.str("access_token"))
	checkDepopError(t, s, 403, "insufficient_scope")
	checkDepopError(t, get(t, em.URL()+"/depop/api/v1/shop/", ""), 401, "invalid_token")
	checkDepopError(t, get(t, em.URL()+"/depop/api/v1/shop/", "pat_nonsense"), 401, "invalid_token")
}
