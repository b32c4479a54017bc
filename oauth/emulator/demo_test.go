package emulator

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// receiver is a loopback redirect receiver like the app's: it records the
// callback's query.
type receiver struct {
	url  string
	got  chan url.Values
	stop func()
}

func newReceiver(t testing.TB) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/callback", got: make(chan url.Values, 4)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.got <- req.URL.Query()
		_, _ = w.Write([]byte("<p>You can close this window.</p>"))
	})}
	go func() { _ = srv.Serve(ln) }()
	r.stop = func() { _ = srv.Close() }
	t.Cleanup(r.stop)
	return r
}

func (r *receiver) wait(t testing.TB) url.Values {
	t.Helper()
	select {
	case q := <-r.got:
		return q
	case <-time.After(20 * time.Second):
		t.Fatal("no callback arrived")
		return nil
	}
}

func demoAuthURL(em *Emulator, redirect string, set map[string]string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {DemoClientID}, "redirect_uri": {redirect},
		"state": {"st-1"}, "scope": {"shop_read listings_write"},
		"code_challenge": {seedChallenge}, "code_challenge_method": {"S256"},
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return em.URL() + "/demo/oauth/authorize?" + q.Encode()
}

func demoExchange(t testing.TB, em *Emulator, code, redirect string) answer {
	t.Helper()
	return postForm(t, em.URL()+"/demo/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {DemoClientID},
		"redirect_uri": {redirect}, "code_verifier": {seedVerifier},
	}, "")
}

func demoRefresh(t testing.TB, em *Emulator, rt string) answer {
	t.Helper()
	return postForm(t, em.URL()+"/demo/oauth/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {DemoClientID},
	}, "")
}

func TestDemoAutoApproverLoopback(t *testing.T) {
	em := start(t, Options{})
	rcv := newReceiver(t)
	var op AutoApprover
	if err := op.Open(demoAuthURL(em, rcv.url, nil)); err != nil {
		t.Fatal(err)
	}
	q := rcv.wait(t)
	if err := <-op.Followed(); err != nil {
		t.Fatal(err)
	}
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	a := demoExchange(t, em, q.Get("code"), rcv.url)
	if a.status != 200 || a.json["expires_in"] != 120.0 || a.str("token_type") != "Bearer" || a.str("scope") != "shop_read listings_write" {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	me := get(t, em.URL()+"/demo/api/v1/me", a.str("access_token"))
	if me.status != 200 || me.str("username") != "Harbour Street Vintage" || me.str("shop_name") == "" || me.str("id") == "" {
		t.Fatalf("me: %d %s", me.status, me.raw)
	}
	b := demoRefresh(t, em, a.str("refresh_token"))
	if b.status != 200 || b.str("refresh_token") == a.str("refresh_token") || b.str("refresh_token") == "" {
		t.Fatalf("refresh: %d %s", b.status, b.raw)
	}
	if em.AccessValid(Demo, a.str("access_token")) {
		t.Error("rotation left the old access token valid")
	}
	if c := demoRefresh(t, em, a.str("refresh_token")); c.status != 400 || c.str("error") != "invalid_grant" {
		t.Fatalf("reuse: %d %s", c.status, c.raw)
	}
	if st := em.Stats(Demo); st.ReusedRefresh != 1 || st.Refreshes != 1 || st.CodesExchanged != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDemoAutoDenier(t *testing.T) {
	em := start(t, Options{})
	rcv := newReceiver(t)
	var op AutoDenier
	if err := op.Open(demoAuthURL(em, rcv.url, nil)); err != nil {
		t.Fatal(err)
	}
	q := rcv.wait(t)
	if q.Get("error") != "access_denied" || q.Get("state") != "st-1" || q.Has("code") {
		t.Fatalf("callback %v", q)
	}
}

func TestDemoConsentPage(t *testing.T) {
	em := start(t, Options{})
	page := get(t, demoAuthURL(em, "http://127.0.0.1:40000/callback", map[string]string{"state": `"><script>x</script>`}), "")
	if page.status != 200 {
		t.Fatalf("page %d", page.status)
	}
	for _, want := range []string{"Demo marketplace", "SellerConnect wants to:", "read your shop", ">Approve<", ">Deny<", `method="post"`} {
		if !strings.Contains(page.raw, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page.raw, "<script>") {
		t.Error("page echoes unescaped state")
	}
	// The escaped state survives the round trip through the form.
	loc, err := Approve(t.Context(), nil, demoAuthURL(em, "http://127.0.0.1:40000/callback", map[string]string{"state": `"><script>x</script>`}))
	if err != nil {
		t.Fatal(err)
	}
	if query(t, loc).Get("state") != `"><script>x</script>` {
		t.Errorf("state came back as %q", query(t, loc).Get("state"))
	}
}

func TestDemoRules(t *testing.T) {
	em := start(t, Options{})
	// Any port and any path on 127.0.0.1; nothing else.
	for _, ru := range []string{"http://127.0.0.1:1/callback", "http://127.0.0.1:65000/cb"} {
		if a := getNoFollow(t, demoAuthURL(em, ru, nil)); a.status != 200 {
			t.Errorf("%s: %d", ru, a.status)
		}
	}
	for _, ru := range []string{"http://localhost:5000/callback", "http://127.0.0.1/callback", "https://example.com/cb", "http://127.0.0.1:5000/cb#frag", "http://10.0.0.1:5000/cb"} {
		if a := getNoFollow(t, demoAuthURL(em, ru, nil)); a.status != 400 || a.header.Get("Location") != "" {
			t.Errorf("%s: %d %s", ru, a.status, a.header.Get("Location"))
		}
	}
	// PKCE is required.
	a := getNoFollow(t, demoAuthURL(em, "http://127.0.0.1:5000/cb", map[string]string{"code_challenge": "", "code_challenge_method": ""}))
	if q := query(t, a.header.Get("Location")); q.Get("error") != "invalid_request" || q.Get("state") != "st-1" {
		t.Errorf("no PKCE: %v", q)
	}
	// A wrong verifier fails and burns the code.
	ru := "http://127.0.0.1:5000/cb"
	code := approve(t, demoAuthURL(em, ru, nil)).Get("code")
	bad := postForm(t, em.URL()+"/demo/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"client_id": {DemoClientID}, "redirect_uri": {ru}, "code_verifier": {strings.Repeat("x", 50)}}, "")
	if bad.status != 400 || bad.str("error") != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %s", bad.status, bad.raw)
	}
	if a := demoExchange(t, em, code, ru); a.status != 400 {
		t.Fatalf("code reused after failure: %d", a.status)
	}
	// Unknown client.
	if a := postForm(t, em.URL()+"/demo/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"nobody"}}, ""); a.status != 401 || a.str("error") != "invalid_client" {
		t.Errorf("unknown client: %d %s", a.status, a.raw)
	}
	// Basic with an empty password is a public client too.
	code = approve(t, demoAuthURL(em, ru, nil)).Get("code")
	a = postForm(t, em.URL()+"/demo/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {ru}, "code_verifier": {seedVerifier}}, DemoClientID+":")
	if a.status != 200 {
		t.Fatalf("basic public client: %d %s", a.status, a.raw)
	}
	// The scope may narrow on refresh, not widen.
	if b := postForm(t, em.URL()+"/demo/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.str("refresh_token")},
		"client_id": {DemoClientID}, "scope": {"orders_read"}}, ""); b.status != 400 || b.str("error") != "invalid_scope" {
		t.Fatalf("widened scope: %d %s", b.status, b.raw)
	}
}

func TestDemoRevoke(t *testing.T) {
	em := start(t, Options{})
	ru := "http://127.0.0.1:5000/cb"
	a := demoExchange(t, em, approve(t, demoAuthURL(em, ru, nil)).Get("code"), ru)
	r := postForm(t, em.URL()+"/demo/oauth/revoke", url.Values{"token": {a.str("refresh_token")}, "client_id": {DemoClientID}}, "")
	if r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	if em.AccessValid(Demo, a.str("access_token")) || get(t, em.URL()+"/demo/api/v1/me", a.str("access_token")).status != 401 {
		t.Error("access token survived revocation")
	}
	if b := demoRefresh(t, em, a.str("refresh_token")); b.status != 400 || b.str("error") != "invalid_grant" {
		t.Errorf("refresh after revocation: %d %s", b.status, b.raw)
	}
	// Unknown tokens are not an error (RFC 7009).
	if r := postForm(t, em.URL()+"/demo/oauth/revoke", url.Values{"token": {"nonsense"}, "client_id": {DemoClientID}}, ""); r.status != 200 {
		t.Errorf("unknown token: %d", r.status)
	}
	if st := em.Stats(Demo); st.Revocations != 1 || em.Grants(Demo) != 0 {
		t.Errorf("stats %+v grants %d", st, em.Grants(Demo))
	}
}

func TestDemoAccessTTL(t *testing.T) {
	ck := newClock()
	em := start(t, Options{Now: ck.Now})
	ru := "http://127.0.0.1:5000/cb"
	a := demoExchange(t, em, approve(t, demoAuthURL(em, ru, nil)).Get("code"), ru)
	ck.Advance(119 * time.Second)
	if !em.AccessValid(Demo, a.str("access_token")) {
		t.Fatal("expired early")
	}
	ck.Advance(time.Second)
	if get(t, em.URL()+"/demo/api/v1/me", a.str("access_token")).status != 401 {
		t.Fatal("access token outlived 120 s")
	}
	// Rolling refresh lifetime: each rotated token lives 30 days from its issue.
	rt := a.str("refresh_token")
	for range 3 {
		ck.Advance(20 * 24 * time.Hour)
		b := demoRefresh(t, em, rt)
		if b.status != 200 {
			t.Fatalf("rolling refresh: %d %s", b.status, b.raw)
		}
		rt = b.str("refresh_token")
	}
	ck.Advance(31 * 24 * time.Hour)
	if b := demoRefresh(t, em, rt); b.status != 400 {
		t.Fatalf("expired refresh token: %d", b.status)
	}
}
