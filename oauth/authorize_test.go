package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// browser plays the provider's consent page and the browser: it reads the
// authorization request and sends the browser to redirect_uri with extra.
func browser(t *testing.T, extra func(q url.Values) url.Values, seenURL chan<- string) URLOpener {
	return URLOpenerFunc(func(raw string) error {
		if seenURL != nil {
			seenURL <- raw
		}
		u, err := url.Parse(raw)
		if err != nil {
			return err
		}
		q := u.Query()
		back := extra(q)
		resp, err := http.Get(q.Get("redirect_uri") + "?" + back.Encode())
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

func TestAuthorizeLoopback(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		jsonAnswer(200, `{"access_token":"demo-access-0123456789","refresh_token":"demo-refresh-0123456789","expires_in":120}`)(w, r)
	})
	p := builtin(t, "demo").Rebase(f.URL + "/demo")
	var challenge string
	opener := browser(t, func(q url.Values) url.Values {
		challenge = q.Get("code_challenge")
		return url.Values{"code": {"the-code"}, "state": {q.Get("state")}}
	}, nil)
	var shown string
	tok, err := Authorize(context.Background(), AuthorizeConfig{
		Profile: p, Client: testClient(nil), Opener: opener, Timeout: 10 * time.Second,
		OnAuthURL: func(u string) { shown = u },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(shown, "client_id=sellerconnect-demo") {
		t.Errorf("auth url %s", shown)
	}
	form := f.last(t).form(t)
	if form.Get("code") != "the-code" || S256Challenge(form.Get("code_verifier")) != challenge || !strings.HasPrefix(form.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Errorf("exchange form %v (challenge %s)", form, challenge)
	}
	if tok.AccessToken != "demo-access-0123456789" || tok.ConsentAt.IsZero() {
		t.Errorf("token %+v", tok)
	}
}

func TestAuthorizeDenied(t *testing.T) {
	p := builtin(t, "demo").Rebase("http://127.0.0.1:9/demo")
	opener := browser(t, func(q url.Values) url.Values {
		return url.Values{"error": {"access_denied"}, "state": {q.Get("state")}}
	}, nil)
	_, err := Authorize(context.Background(), AuthorizeConfig{Profile: p, Opener: opener, Timeout: 10 * time.Second})
	if KindOf(err) != KindDenied {
		t.Fatalf("got %v", err)
	}
}

func TestAuthorizePaste(t *testing.T) {
	f := newFake(t, jsonAnswer(200, `{"access_token":"ebay-access-0123456789","refresh_token":"`+ebayRT+`","expires_in":7200,"refresh_token_expires_in":47304000,"token_type":"User Access Token"}`))
	p := builtin(t, "ebay").Rebase(f.URL)
	cred := Credentials{ClientID: "App", ClientSecret: "Cert-0123456789", Settings: map[string]string{"ruName": "App-RuName"}}
	paste := make(chan string, 1)
	tok, err := Authorize(context.Background(), AuthorizeConfig{
		Profile: p, Credentials: cred, Client: testClient(nil), Paste: paste, Timeout: 10 * time.Second,
		OnAuthURL: func(raw string) {
			q := mustQuery(t, raw)
			if q.Get("redirect_uri") != "App-RuName" {
				t.Errorf("redirect_uri %q", q.Get("redirect_uri"))
			}
			paste <- "https://sellerconnect.example/ebay/accepted?state=" + q.Get("state") + "&code=v%5E1.1%23code&expires_in=299"
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if form := f.last(t).form(t); form.Get("code") != "v^1.1#code" || form.Get("redirect_uri") != "App-RuName" {
		t.Errorf("form %v", form)
	}
	if tok.TokenType != "Bearer" {
		t.Errorf("token %+v", tok)
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	ctx := context.Background()
	if _, err := Authorize(ctx, AuthorizeConfig{Profile: builtin(t, "vaultist")}); KindOf(err) != KindConfig {
		t.Errorf("password provider: %v", err)
	}
	if _, err := Authorize(ctx, AuthorizeConfig{Profile: builtin(t, "depop")}); KindOf(err) != KindConfig || !strings.Contains(err.Error(), "client_id") {
		t.Errorf("missing settings: %v", err)
	}
	ebayCred := Credentials{ClientID: "a", ClientSecret: "b", Settings: map[string]string{"ruName": "r"}}
	if _, err := Authorize(ctx, AuthorizeConfig{Profile: builtin(t, "ebay"), Credentials: ebayCred}); KindOf(err) != KindConfig {
		t.Errorf("paste without channel: %v", err)
	}
	// Nothing comes back: the wait times out.
	demo := builtin(t, "demo").Rebase("http://127.0.0.1:9/demo")
	_, err := Authorize(ctx, AuthorizeConfig{Profile: demo, Timeout: 200 * time.Millisecond})
	if e, _ := AsError(err); e == nil || e.Kind != KindCancelled || !strings.Contains(e.Advice, "in time") {
		t.Errorf("timeout: %v", err)
	}
	// A browser that cannot be opened, with nobody to show the link.
	failing := URLOpenerFunc(func(string) error { return errors.New("no browser") })
	_, err = Authorize(ctx, AuthorizeConfig{Profile: demo, Opener: failing, Timeout: 20 * time.Second})
	if KindOf(err) != KindCancelled || !strings.Contains(err.Error(), "no browser") {
		t.Errorf("opener failure: %v", err)
	}
	// A wrong state pasted ends the flow.
	paste := make(chan string, 1)
	paste <- "https://x.example/cb?code=c&state=forged"
	_, err = Authorize(ctx, AuthorizeConfig{Profile: builtin(t, "ebay"), Credentials: ebayCred, Paste: paste, Timeout: 10 * time.Second})
	if e, _ := AsError(err); e == nil || e.Code != CodeStateMismatch {
		t.Errorf("forged state: %v", err)
	}
}

// TestAuthorizeLoopbackRefusesBareCode: the paste fallback of a loopback
// provider does not take a bare code, whose state cannot be checked.
func TestAuthorizeLoopbackRefusesBareCode(t *testing.T) {
	f := newFake(t, jsonAnswer(200, `{"access_token":"demo-access-0123456789","expires_in":120}`))
	p := builtin(t, "demo").Rebase(f.URL + "/demo")
	paste := make(chan string, 1)
	paste <- "the-code-from-somewhere"
	_, err := Authorize(context.Background(), AuthorizeConfig{Profile: p, Client: testClient(nil), Paste: paste,
		OnAuthURL: func(string) {}, Timeout: 10 * time.Second})
	if e, ok := AsError(err); !ok || e.Kind != KindPaste || !strings.Contains(e.Advice, "whole address") {
		t.Fatalf("got %v", err)
	}
	if f.count() != 0 {
		t.Error("a token request was sent")
	}
}
