package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFaultKinds(t *testing.T) {
	em := start(t, Options{})
	rt := depopConnect(t, em).str("refresh_token")

	cases := []struct {
		f     Fault
		check func(a answer) bool
	}{
		{Fault{Kind: FaultStatus, Count: 1}, func(a answer) bool { return a.status == 503 && a.str("error") == "server_error" }},
		{Fault{Kind: FaultStatus, Count: 1, Status: 502}, func(a answer) bool { return a.status == 502 }},
		{Fault{Kind: FaultRateLimit, Count: 1, RetryAfter: 7}, func(a answer) bool { return a.status == 429 && a.header.Get("Retry-After") == "7" }},
		{Fault{Kind: FaultRateLimit, Count: 1}, func(a answer) bool { return a.status == 429 && a.header.Get("Retry-After") == "30" }},
		{Fault{Kind: FaultGarbage, Count: 1}, func(a answer) bool {
			return a.status == 200 && !json.Valid([]byte(a.raw)) && a.raw != ""
		}},
		{Fault{Kind: FaultHTML, Count: 1}, func(a answer) bool {
			return a.status == 200 && strings.HasPrefix(a.header.Get("Content-Type"), "text/html") && strings.Contains(a.raw, "<html")
		}},
		{Fault{Kind: FaultHTML, Count: 1, Status: 503}, func(a answer) bool { return a.status == 503 && strings.Contains(a.raw, "<html") }},
	}
	for _, c := range cases {
		em.Inject(Depop, c.f)
		if a := depopRefresh(t, em, rt); !c.check(a) {
			t.Errorf("%v: %d %v %q", c.f.Kind, a.status, a.header, a.raw)
		}
		// These faults touch no state: the refresh token still works.
		if !em.RefreshValid(Depop, rt) {
			t.Fatalf("%v changed the grant", c.f.Kind)
		}
	}
	if st := em.Stats(Depop); st.FaultsServed != len(cases) || st.Refreshes != 0 {
		t.Errorf("stats %+v", st)
	}
	// Count ran out: a normal answer.
	if a := depopRefresh(t, em, rt); a.status != 200 {
		t.Fatalf("after faults: %d %s", a.status, a.raw)
	}
}

func TestFaultCountsQueueAndClear(t *testing.T) {
	em := start(t, Options{})
	rt := depopConnect(t, em).str("refresh_token")
	em.Inject(Depop, Fault{Kind: FaultStatus, Count: 2})
	em.Inject(Depop, Fault{Kind: FaultRateLimit, Count: 1})
	for i, want := range []int{503, 503, 429} {
		if a := depopRefresh(t, em, rt); a.status != want {
			t.Fatalf("request %d: %d, want %d", i, a.status, want)
		}
	}
	em.Inject(Depop, Fault{Kind: FaultStatus}) // until Clear
	for range 3 {
		if a := depopRefresh(t, em, rt); a.status != 503 {
			t.Fatalf("until Clear: %d", a.status)
		}
	}
	// Faults belong to one dialect.
	ru := "http://127.0.0.1:5000/cb"
	if a := demoExchange(t, em, approve(t, demoAuthURL(em, ru, nil)).Get("code"), ru); a.status != 200 {
		t.Fatalf("other dialect faulted: %d", a.status)
	}
	em.Clear(Depop)
	if a := depopRefresh(t, em, rt); a.status != 200 {
		t.Fatalf("after Clear: %d %s", a.status, a.raw)
	}
}

func TestFaultLatency(t *testing.T) {
	em := start(t, Options{})
	rt := depopConnect(t, em).str("refresh_token")
	em.Inject(Depop, Fault{Kind: FaultLatency, Count: 1, Latency: 300 * time.Millisecond})
	t0 := time.Now()
	a := depopRefresh(t, em, rt)
	if el := time.Since(t0); el < 300*time.Millisecond {
		t.Errorf("answered after %v", el)
	}
	// Handled normally after the delay.
	if a.status != 200 || em.RefreshValid(Depop, rt) || !em.RefreshValid(Depop, a.str("refresh_token")) {
		t.Fatalf("latency: %d %s", a.status, a.raw)
	}
}

func TestFaultDropAfterRotate(t *testing.T) {
	em := start(t, Options{})
	rt := depopConnect(t, em).str("refresh_token")
	before := len(em.Issued())
	em.Inject(Depop, Fault{Kind: FaultDropAfterRotate, Count: 1})
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {TestClientID}, "client_secret": {TestClientSecret}}
	req, _ := http.NewRequest(http.MethodPost, depopToken(em), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("an answer came: %d", resp.StatusCode)
	}
	// The rotation happened: the token the client holds is dead, and the
	// new one (which it never saw) is live.
	issued := em.Issued()
	if len(issued) != before+2 {
		t.Fatalf("%d new secrets issued", len(issued)-before)
	}
	if em.RefreshValid(Depop, rt) || !em.RefreshValid(Depop, issued[len(issued)-1]) || !em.AccessValid(Depop, issued[len(issued)-2]) {
		t.Fatal("the rotation was not committed")
	}
	a := depopRefresh(t, em, rt)
	checkDepopError(t, a, 401, "invalid_refresh_token")
	if st := em.Stats(Depop); st.Refreshes != 1 || st.ReusedRefresh != 1 || st.FaultsServed != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultDropAfterCodeExchange(t *testing.T) {
	em := start(t, Options{})
	q := approve(t, depopAuthURL(em, nil))
	em.Inject(Depop, Fault{Kind: FaultDropAfterRotate, Count: 1})
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "client_id": {TestClientID},
		"client_secret": {TestClientSecret}, "redirect_uri": {TestRedirectURI}, "code_verifier": {seedVerifier}}
	req, _ := http.NewRequest(http.MethodPost, depopToken(em), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("an answer came")
	}
	// The code is spent and a grant exists that the client never learned of.
	checkDepopError(t, postForm(t, depopToken(em), form, ""), 400, "invalid_grant")
	if em.Grants(Depop) != 1 {
		t.Errorf("%d grants", em.Grants(Depop))
	}
}

func TestFaultsOnOtherDialects(t *testing.T) {
	em := start(t, Options{})
	// Vault.ist sign-in and eBay refresh go through the same fault queue.
	em.Inject(Vaultist, Fault{Kind: FaultRateLimit, Count: 1, RetryAfter: 3})
	a := postJSON(t, vaultistToken(em), map[string]string{"email": TestEmail, "password": TestPassword}, vaultistHeaders("password_email"))
	if a.status != 429 || a.header.Get("Retry-After") != "3" {
		t.Errorf("vaultist: %d", a.status)
	}
	e := ebayConnect(t, em)
	em.Inject(EBay, Fault{Kind: FaultGarbage, Count: 1})
	b := postForm(t, ebayToken(em), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {e.str("refresh_token")}}, basicTest)
	if b.status != 200 || json.Valid([]byte(b.raw)) {
		t.Errorf("ebay garbage: %d %q", b.status, b.raw)
	}
	em.Inject(SmartThings, Fault{Kind: FaultStatus, Count: 1, Status: 500})
	if c := postForm(t, em.URL()+"/smartthings/oauth/token", url.Values{"grant_type": {"refresh_token"}}, basicTest); c.status != 500 {
		t.Errorf("smartthings: %d", c.status)
	}
}
