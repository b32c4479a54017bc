package oauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
)

// The whole connect and refresh of every catalog profile, and every rule
// the providers enforce, against the emulator: real HTTP on 127.0.0.1.

var testCred = map[string]oauth.Credentials{
	emulator.Depop:       {ClientID: emulator.TestClientID, ClientSecret: emulator.TestClientSecret},
	emulator.EBay:        {ClientID: emulator.TestClientID, ClientSecret: emulator.TestClientSecret, Settings: map[string]string{"ruName": emulator.TestRuName}},
	emulator.Vaultist:    {Settings: map[string]string{"partnerId": fmt.Sprint(emulator.TestPartnerID)}},
	emulator.SmartThings: {ClientID: emulator.TestClientID, ClientSecret: emulator.TestClientSecret},
	emulator.Demo:        {},
}

func dialectOf(id string) string {
	for _, d := range emulator.Dialects {
		if id == d || strings.HasPrefix(id, d+"-") {
			return d
		}
	}
	panic("no dialect for " + id)
}

// env is an emulator plus the catalog rebased onto it. Fixed-port profiles
// get a free port, registered with the emulator, so the tests do not depend
// on 53682 being free on the machine.
type env struct {
	em      *emulator.Emulator
	catalog *oauth.Catalog
	port    int
	rec     *recorder
	client  *oauth.Client
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	port := freePort(t)
	if opts.Dialects == nil {
		opts.Dialects = map[string]emulator.Dialect{}
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", port)
	for _, d := range []string{emulator.Depop, emulator.SmartThings} {
		dc := opts.Dialects[d]
		dc.Clients = []emulator.Client{{ID: emulator.TestClientID, Secret: emulator.TestClientSecret, RedirectURIs: []string{redirect}}}
		opts.Dialects[d] = dc
	}
	em := emulator.Started(t, opts)
	cat, errs := oauth.LoadCatalog("")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rec := &recorder{}
	return &env{em: em, catalog: cat, port: port, rec: rec,
		client: &oauth.Client{Recorder: rec, Now: opts.Now, Timeout: 10 * time.Second}}
}

func (e *env) profile(t *testing.T, id string) *oauth.Profile {
	t.Helper()
	p, ok := e.catalog.Get(id)
	if !ok {
		t.Fatalf("no profile %s", id)
	}
	p = p.Rebase(e.em.URL() + "/" + dialectOf(id))
	if p.Redirect.Mode == oauth.RedirectLoopbackFixed {
		p.Redirect.Port = e.port
	}
	return p
}

type recorder struct {
	mu sync.Mutex
	xs []oauth.Exchange
}

func (r *recorder) RecordExchange(x oauth.Exchange) {
	r.mu.Lock()
	r.xs = append(r.xs, x)
	r.mu.Unlock()
}

func (r *recorder) json() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, _ := json.Marshal(r.xs)
	return string(b)
}

// connect runs the profile's whole connect flow: the browser with an
// automatic approver (loopback), the paste path (eBay), or the sign-in form
// (Vault.ist).
func (e *env) connect(t *testing.T, p *oauth.Profile) (*oauth.Token, error) {
	t.Helper()
	cred := testCred[dialectOf(p.ID)]
	ctx := context.Background()
	if p.Connect == oauth.ConnectPassword {
		return e.client.SignIn(ctx, p, cred, emulator.TestEmail, emulator.TestPassword)
	}
	approver := &emulator.AutoApprover{}
	cfg := oauth.AuthorizeConfig{Profile: p, Credentials: cred, Client: e.client, Opener: approver, Timeout: 20 * time.Second}
	if p.Redirect.Mode == oauth.RedirectPaste {
		cfg.Paste = approver.Pasted()
	}
	return oauth.Authorize(ctx, cfg)
}

func TestE2EEveryProfile(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, listed := range e.catalog.List() {
		t.Run(listed.ID, func(t *testing.T) {
			p := e.profile(t, listed.ID)
			d := dialectOf(p.ID)
			cred := testCred[d]
			tok, err := e.connect(t, p)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			if !e.em.AccessValid(d, tok.AccessToken) || tok.RefreshToken == "" || tok.Expiry.IsZero() || tok.TokenType != "Bearer" || tok.ConsentAt.IsZero() {
				t.Fatalf("token after connect: type %q expiry %v consent %v", tok.TokenType, tok.Expiry, tok.ConsentAt)
			}
			if p.RefreshLifetime != oauth.LifetimeUnknown && tok.RefreshExpiry.IsZero() {
				t.Errorf("no refresh expiry for the %s model", p.RefreshLifetime)
			}
			id, err := e.client.Test(context.Background(), p, tok)
			if err != nil || id.Name == "" || id.ID == "" {
				t.Fatalf("test call: %+v %v", id, err)
			}
			tok2, err := e.client.Refresh(context.Background(), p, cred, tok)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if tok2.AccessToken == tok.AccessToken || !e.em.AccessValid(d, tok2.AccessToken) || tok2.Warning != "" {
				t.Fatalf("refresh did not renew the access token (warning %q)", tok2.Warning)
			}
			if !tok2.ConsentAt.Equal(tok.ConsentAt) {
				t.Errorf("consent time not inherited")
			}
			switch {
			case p.Rotation == oauth.RotationRotate:
				if tok2.RefreshToken == tok.RefreshToken || e.em.RefreshValid(d, tok.RefreshToken) || !e.em.RefreshValid(d, tok2.RefreshToken) {
					t.Error("rotation not followed")
				}
			case d == emulator.EBay:
				if tok2.RefreshToken != tok.RefreshToken || !tok2.RefreshExpiry.Equal(tok.RefreshExpiry) {
					t.Error("eBay's refresh token or its expiry changed")
				}
			}
			if _, err := e.client.Test(context.Background(), p, tok2); err != nil {
				t.Errorf("test call after refresh: %v", err)
			}
		})
	}
	// Nothing the emulator issued is in the exchange log in clear.
	log := e.rec.json()
	for _, s := range e.em.Issued() {
		if len(s) >= 8 && strings.Contains(log, s) {
			t.Errorf("exchange log holds %s in clear", oauth.Redact(s))
		}
	}
	for _, s := range []string{emulator.TestClientSecret, emulator.TestPassword} {
		if strings.Contains(log, s) {
			t.Errorf("exchange log holds a credential in clear")
		}
	}
}

func wantKind(t *testing.T, what string, err error, kind oauth.Kind) *oauth.Error {
	t.Helper()
	e, ok := oauth.AsError(err)
	if !ok || e.Kind != kind {
		t.Fatalf("%s: got %v, want kind %s", what, err, kind)
	}
	if e.Advice == "" {
		t.Errorf("%s: no advice", what)
	}
	return e
}

func TestE2EWrongSecret(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, id := range []string{"depop", "ebay", "smartthings"} {
		t.Run(id, func(t *testing.T) {
			p := e.profile(t, id)
			tok, err := e.connect(t, p)
			if err != nil {
				t.Fatal(err)
			}
			bad := testCred[dialectOf(id)]
			bad.ClientSecret = "not-the-secret"
			_, err = e.client.Refresh(context.Background(), p, bad, tok)
			ee := wantKind(t, "wrong secret", err, oauth.KindCredentials)
			if strings.Contains(ee.Error(), "not-the-secret") {
				t.Error("secret in error text")
			}
			if id == "depop" && (ee.Code != "client secret does not match" || ee.RequestID == "") {
				t.Errorf("depop fields: %#v", ee)
			}
		})
	}
	// SmartThings refuses JSON bodies.
	p := e.profile(t, "smartthings")
	tok, err := e.connect(t, p)
	if err != nil {
		t.Fatal(err)
	}
	p.Encoding = oauth.EncodingJSON
	_, err = e.client.Refresh(context.Background(), p, testCred[emulator.SmartThings], tok)
	wantKind(t, "smartthings json", err, oauth.KindCredentials)
}

func TestE2EReusedRotatedRefreshToken(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, id := range []string{"depop", "smartthings", "demo", "vaultist"} {
		t.Run(id, func(t *testing.T) {
			p := e.profile(t, id)
			cred := testCred[dialectOf(id)]
			tok, err := e.connect(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.client.Refresh(context.Background(), p, cred, tok); err != nil {
				t.Fatal(err)
			}
			_, err = e.client.Refresh(context.Background(), p, cred, tok)
			ee := wantKind(t, "reused refresh token", err, oauth.KindReconnect)
			if id == "depop" && (ee.Code != "invalid_refresh_token" || ee.RequestID == "") {
				t.Errorf("depop fields %#v", ee)
			}
			if e.em.Stats(dialectOf(id)).ReusedRefresh == 0 {
				t.Error("the emulator did not see the reuse")
			}
		})
	}
}

// approvedCode plays the seller and returns the code from the redirect.
func approvedCode(t *testing.T, authURL string) (code, state string) {
	t.Helper()
	loc, err := emulator.Approve(context.Background(), nil, authURL)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("code"), u.Query().Get("state")
}

func TestE2EExchangeRules(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	p := e.profile(t, "depop")
	cred := testCred[emulator.Depop]
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", e.port)
	start := func() (verifier, code string) {
		verifier = oauth.NewVerifier()
		u, err := oauth.AuthCodeURL(p, cred, redirect, oauth.NewState(), oauth.S256Challenge(verifier))
		if err != nil {
			t.Fatal(err)
		}
		code, _ = approvedCode(t, u)
		return verifier, code
	}
	ctx := context.Background()

	v, code := start()
	_, err := e.client.Exchange(ctx, p, cred, code, v, redirect+"x")
	wantKind(t, "wrong redirect_uri", err, oauth.KindReconnect)

	_, code = start()
	_, err = e.client.Exchange(ctx, p, cred, code, oauth.NewVerifier(), redirect)
	wantKind(t, "wrong verifier", err, oauth.KindReconnect)

	_, code = start()
	noPKCE := p.Rebase(e.em.URL() + "/depop")
	noPKCE.PKCE = oauth.PKCEOptional
	_, err = e.client.Exchange(ctx, noPKCE, cred, code, "", redirect)
	wantKind(t, "missing verifier", err, oauth.KindReconnect)

	v, code = start()
	if _, err := e.client.Exchange(ctx, p, cred, code, v, redirect); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Exchange(ctx, p, cred, code, v, redirect)
	wantKind(t, "code used twice", err, oauth.KindReconnect)
}

func TestE2EAuthorizeRules(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	ctx := context.Background()

	p := e.profile(t, "demo")
	_, err := oauth.Authorize(ctx, oauth.AuthorizeConfig{Profile: p, Client: e.client, Opener: &emulator.AutoDenier{}, Timeout: 20 * time.Second})
	wantKind(t, "denied", err, oauth.KindDenied)

	// A callback whose state is not this flow's is refused and the flow
	// keeps waiting for the real one.
	forgedStatus := make(chan int, 1)
	forged := oauth.URLOpenerFunc(func(authURL string) error {
		loc, err := emulator.Approve(ctx, nil, authURL)
		if err != nil {
			return err
		}
		u, _ := url.Parse(loc)
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		u.RawQuery = q.Encode()
		resp, err := http.Get(u.String())
		if err != nil {
			return err
		}
		resp.Body.Close()
		forgedStatus <- resp.StatusCode
		resp, err = http.Get(loc)
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	if _, err = oauth.Authorize(ctx, oauth.AuthorizeConfig{Profile: p, Client: e.client, Opener: forged, Timeout: 20 * time.Second}); err != nil {
		t.Errorf("real callback after a forged one: %v", err)
	}
	if st := <-forgedStatus; st != http.StatusBadRequest {
		t.Errorf("forged callback: status %d", st)
	}

	// The same through the paste path.
	eb := e.profile(t, "ebay")
	paste := make(chan string, 1)
	pasteForged := oauth.URLOpenerFunc(func(authURL string) error {
		loc, err := emulator.Approve(ctx, nil, authURL)
		if err != nil {
			return err
		}
		paste <- strings.Replace(loc, "state=", "state=x", 1)
		return nil
	})
	_, err = oauth.Authorize(ctx, oauth.AuthorizeConfig{Profile: eb, Credentials: testCred[emulator.EBay], Client: e.client, Opener: pasteForged, Paste: paste, Timeout: 20 * time.Second})
	wantKind(t, "pasted wrong state", err, oauth.KindPaste)

	// With OnBadPaste the same forged paste is reported, the attempt goes
	// on, and the real address pasted next connects.
	var bad []error
	paste2 := make(chan string, 3)
	pasteBoth := oauth.URLOpenerFunc(func(u string) error {
		loc, err := emulator.Approve(ctx, nil, u)
		if err != nil {
			return err
		}
		paste2 <- strings.Replace(loc, "state=", "state=x", 1)
		paste2 <- "not an address at all"
		paste2 <- loc
		return nil
	})
	first, err := oauth.Authorize(ctx, oauth.AuthorizeConfig{Profile: eb, Credentials: testCred[emulator.EBay], Client: e.client, Opener: pasteBoth, Paste: paste2,
		OnBadPaste: func(err error) { bad = append(bad, err) }, Timeout: 20 * time.Second})
	if err != nil || first == nil || len(bad) != 2 || oauth.KindOf(bad[0]) != oauth.KindPaste || !strings.Contains(bad[0].Error(), "another connection attempt") {
		t.Fatalf("a forgiving paste: %v, bad pastes %v", err, bad)
	}

	// The provider refuses an authorization request without PKCE: the
	// callback carries its error.
	dp := e.profile(t, "depop")
	dp.PKCE = oauth.PKCEUnsupported
	_, err = oauth.Authorize(ctx, oauth.AuthorizeConfig{Profile: dp, Credentials: testCred[emulator.Depop], Client: e.client, Opener: &emulator.AutoApprover{}, Timeout: 20 * time.Second})
	wantKind(t, "no PKCE", err, oauth.KindConfig)

	// An unregistered redirect gets the provider's error page, never a
	// redirect: the browser cannot come back and the flow ends.
	unreg := e.profile(t, "smartthings")
	unreg.Redirect.Port = freePort(t)
	_, err = oauth.Authorize(ctx, oauth.AuthorizeConfig{Profile: unreg, Credentials: testCred[emulator.SmartThings], Client: e.client, Opener: &emulator.AutoApprover{}, Timeout: 20 * time.Second})
	wantKind(t, "unregistered redirect", err, oauth.KindCancelled)

	// eBay: a refresh asking for more scope than consented.
	tok, err := e.connect(t, eb)
	if err != nil {
		t.Fatal(err)
	}
	tok.Scopes = append(tok.Scopes, "https://api.ebay.com/oauth/api_scope/sell.marketing")
	_, err = e.client.Refresh(ctx, eb, testCred[emulator.EBay], tok)
	wantKind(t, "scope superset", err, oauth.KindConfig)

	// Vault.ist: a wrong password.
	vp := e.profile(t, "vaultist")
	_, err = e.client.SignIn(ctx, vp, testCred[emulator.Vaultist], emulator.TestEmail, "wrong horse")
	if ee := wantKind(t, "wrong password", err, oauth.KindReconnect); ee.TraceID == "" || strings.Contains(ee.Error(), "wrong horse") {
		t.Errorf("vault.ist fields %#v", ee)
	}
}

func TestE2EFaults(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	ctx := context.Background()
	p := e.profile(t, "depop")
	cred := testCred[emulator.Depop]
	tok, err := e.connect(t, p)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		fault emulator.Fault
		kind  oauth.Kind
		retry time.Duration
	}{
		{emulator.Fault{Kind: emulator.FaultStatus, Status: 503, Count: 1}, oauth.KindTemporary, 0},
		{emulator.Fault{Kind: emulator.FaultStatus, Status: 500, Count: 1}, oauth.KindTemporary, 0},
		{emulator.Fault{Kind: emulator.FaultRateLimit, RetryAfter: 42, Count: 1}, oauth.KindTemporary, 42 * time.Second},
		{emulator.Fault{Kind: emulator.FaultGarbage, Count: 1}, oauth.KindProvider, 0},
		{emulator.Fault{Kind: emulator.FaultHTML, Count: 1}, oauth.KindProvider, 0},
	}
	for _, tc := range cases {
		e.em.Inject(emulator.Depop, tc.fault)
		_, err := e.client.Refresh(ctx, p, cred, tok)
		ee := wantKind(t, tc.fault.Kind.String(), err, tc.kind)
		if ee.RetryAfter != tc.retry {
			t.Errorf("%s: retry after %v", tc.fault.Kind, ee.RetryAfter)
		}
	}
	// Those faults touched nothing: the same refresh token still works.
	tok2, err := e.client.Refresh(ctx, p, cred, tok)
	if err != nil {
		t.Fatalf("refresh after faults: %v", err)
	}
	// The provider rotates, then the answer is lost: temporary, and the
	// token the app still holds is gone for good.
	e.em.Inject(emulator.Depop, emulator.Fault{Kind: emulator.FaultDropAfterRotate, Count: 1})
	_, err = e.client.Refresh(ctx, p, cred, tok2)
	if ee := wantKind(t, "drop after rotate", err, oauth.KindTemporary); !strings.Contains(ee.Advice, "may have reached") {
		t.Errorf("advice %q", ee.Advice)
	}
	_, err = e.client.Refresh(ctx, p, cred, tok2)
	wantKind(t, "refresh after the lost rotation", err, oauth.KindReconnect)
	// Latency beyond the client's timeout.
	tok3, err := e.connect(t, p)
	if err != nil {
		t.Fatal(err)
	}
	e.em.Inject(emulator.Depop, emulator.Fault{Kind: emulator.FaultLatency, Latency: 3 * time.Second, Count: 1})
	slow := &oauth.Client{Timeout: 300 * time.Millisecond}
	_, err = slow.Refresh(ctx, p, cred, tok3)
	wantKind(t, "timeout", err, oauth.KindTemporary)
	if n := e.em.Stats(emulator.Depop).FaultsServed; n != 7 {
		t.Errorf("faults served %d, want 7 (no retries)", n)
	}
}

func TestE2ELifetimes(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e := newEnv(t, emulator.Options{Now: clock})
	ctx := context.Background()

	// Depop: a rotated token keeps the expiry of the first consent.
	p := e.profile(t, "depop")
	cred := testCred[emulator.Depop]
	tok, err := e.connect(t, p)
	if err != nil {
		t.Fatal(err)
	}
	consent := tok.ConsentAt
	advance(200 * 24 * time.Hour)
	tok, err = e.client.Refresh(ctx, p, cred, tok)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.RefreshExpiry.Equal(consent.Add(365 * 24 * time.Hour)) {
		t.Errorf("reconnect by %v, want a year after %v", tok.RefreshExpiry, consent)
	}
	advance(170 * 24 * time.Hour)
	_, err = e.client.Refresh(ctx, p, cred, tok)
	wantKind(t, "depop after a year", err, oauth.KindReconnect)

	// eBay: the refresh token's lifetime comes from refresh_token_expires_in.
	eb := e.profile(t, "ebay")
	etok, err := e.connect(t, eb)
	if err != nil {
		t.Fatal(err)
	}
	if want := clock().Add(47304000 * time.Second); !etok.RefreshExpiry.Equal(want) {
		t.Errorf("ebay refresh expiry %v, want %v", etok.RefreshExpiry, want)
	}
	// An expired access token is refused by the test call: reconnect or refresh.
	advance(3 * time.Hour)
	_, err = e.client.Test(ctx, eb, etok)
	wantKind(t, "expired access token", err, oauth.KindReconnect)

	// Demo: revocation ends the grant.
	dp := e.profile(t, "demo")
	dtok, err := e.connect(t, dp)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.Revoke(ctx, dp, oauth.Credentials{}, dtok); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Refresh(ctx, dp, oauth.Credentials{}, dtok)
	wantKind(t, "refresh after revoke", err, oauth.KindReconnect)
}
