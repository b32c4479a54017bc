package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	rt := "prt_c89529c1f7c74d1ebc9e7a6e786a80d6_cc08fc9261021661e674dd18da195d2833e10e04"
	if got := Redact(rt); got != "prt_…0e04" {
		t.Errorf("Redact = %q", got)
	}
	for _, s := range []string{"short", "test-secret", "correct horse", "0123456789abcdefghi"} {
		if got := Redact(s); got != "****" {
			t.Errorf("Redact(%q) = %q", s, got)
		}
	}
	if Redact("") != "" {
		t.Error("empty")
	}
	long := strings.Repeat("x", 20) + "SECRETPART" + strings.Repeat("y", 20)
	if strings.Contains(Redact(long), "SECRET") {
		t.Error("middle leaked")
	}
}

func TestRedactBody(t *testing.T) {
	r := &redactor{}
	r.add("s3cr3t-value-here-long")
	form := "grant_type=refresh_token&refresh_token=prt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&client_id=abc&client_secret=s3cr3t-value-here-long"
	got := redactBody([]byte(form), nil, r)
	if strings.Contains(got, "aaaaaaaaaaaaaaaaaaaaaa") || strings.Contains(got, "s3cr3t-value-here-long") || !strings.Contains(got, "client_id=abc") {
		t.Errorf("form: %s", got)
	}
	js := `{"refreshToken":"dGhpcyBpcyBhIHJlZnJlc2hUb2tlbi4uLg==","nested":{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"},"expires_in":3600}`
	got = redactBody([]byte(js), map[string]bool{"refreshToken": true}, &redactor{})
	if strings.Contains(got, "dGhpcyBpcyBhIHJlZnJl") || strings.Contains(got, "IkpXVCJ9") || !strings.Contains(got, "3600") {
		t.Errorf("json: %s", got)
	}
	html := "<html>token s3cr3t-value-here-long</html>"
	if got := redactBody([]byte(html), nil, r); strings.Contains(got, "s3cr3t-value-here-long") {
		t.Errorf("html: %s", got)
	}
	if got := redactHeader("Authorization", "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ=", &redactor{}); got != "Basic dGVz…XQ=" {
		t.Errorf("header: %s", got)
	}
}

// TestNoSecretInRecordedExchanges uses a provider with a secret API key
// header, the client secret in the form body, a password sign-in and long
// tokens, lets the provider echo all of them back in every shape, and
// searches every recorded exchange and error text for each secret.
func TestNoSecretInRecordedExchanges(t *testing.T) {
	const (
		clientSecret = "CSqq7Zt+Wm/9vKe2Lr=Hx"
		apiKey       = "AKpp3Yw/Qn+8uJd5Ms=Gy"
		password     = "PWzz correct horse+battery/staple"
		code         = "CDv^1.1#i^1#p^3#r^1#f^0#I^3#t^H4sIAAAAAAAAAOVYa2wUVRSenW1pCwJNy9mwx9g"
		verifier     = "VRkdljkejllufrvbhgeiegrnvufrhvrffnkvcknjvfidQ"
	)
	at := "ATxx_" + strings.Repeat("a1B2c3D4", 250) + "_end1"
	rt := "RTyy_" + strings.Repeat("e5F6g7H8", 250) + "_end2"
	at2 := "AT2x_" + strings.Repeat("Z9y8X7w6", 30) + "+/=="
	esc := url.QueryEscape
	// Each answer quotes what its request carried (and the app's secret
	// settings, which every token request knows).
	echo := strings.Join([]string{clientSecret, apiKey, code, verifier}, " | ")
	f := newFake(t,
		// sign-in
		jsonAnswer(200, `{"access_token":"`+at+`","refresh_token":"`+rt+`","expires_in":3600,"debug":"`+apiKey+` `+password+`"}`),
		// code exchange: an error that quotes what it got
		jsonAnswer(400, `{"error":"invalid_grant","error_description":"`+echo+`","message":"`+esc(echo)+`"}`),
		// refresh
		jsonAnswer(200, `{"access_token":"`+at2+`","expires_in":3600}`),
		// test call: an HTML page with the secrets percent-encoded
		func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, "<html>bad "+esc(at2)+" "+url.PathEscape(rt)+"</html>")
		},
		// revocation: a form answer echoing them
		func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			w.WriteHeader(400)
			_, _ = io.WriteString(w, "error=unsupported&seen="+esc(rt)+"&key="+esc(apiKey)+"&s="+esc(clientSecret))
		},
	)
	p := &Profile{ID: "sec", Name: "Secretive", Connect: ConnectPassword, PasswordGrant: "password",
		TokenURL: f.URL + "/token", RevokeURL: f.URL + "/revoke", Test: TestCall{URL: f.URL + "/me"},
		CodeAuth: AuthBody, RefreshAuth: AuthBasic, Rotation: RotationRotate,
		Headers:  map[string]string{"X-Api-Key": "${api_key}", "X-Signature": "v1 ${api_key}", "X-Partner": "${partner}"},
		Settings: []Setting{{Key: "client_id"}, {Key: "client_secret", Secret: true}, {Key: "api_key", Secret: true}, {Key: "partner"}}}
	p.ID = "sec"
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	cred := Credentials{ClientID: "client-1", ClientSecret: clientSecret, Settings: map[string]string{"api_key": apiKey, "partner": "4711"}}
	rec := &recorder{}
	c := testClient(rec)
	ctx := context.Background()
	var errTexts []string
	tok, err := c.SignIn(ctx, p, cred, "seller@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exchange(ctx, p, cred, code, verifier, "http://127.0.0.1:1/cb"); err == nil {
		t.Error("exchange succeeded")
	} else {
		errTexts = append(errTexts, err.Error())
	}
	tok2, err := c.Refresh(ctx, p, cred, tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Test(ctx, p, tok2); err != nil {
		errTexts = append(errTexts, err.Error())
	}
	if err := c.Revoke(ctx, p, cred, tok2); err != nil {
		errTexts = append(errTexts, err.Error())
	}
	if f.count() != 5 {
		t.Fatalf("%d requests", f.count())
	}
	xs := rec.all()
	if len(xs) != 5 {
		t.Fatalf("%d exchanges", len(xs))
	}
	var hay []string
	for _, x := range xs {
		hay = append(hay, x.URL, x.RequestBody, x.ResponseBody, x.Error, x.Warning)
		for k, v := range x.RequestHeaders {
			hay = append(hay, k+": "+v)
		}
	}
	hay = append(hay, errTexts...)
	b, _ := json.Marshal(xs)
	hay = append(hay, string(b))
	all := strings.Join(hay, "\n")
	shapes := func(s string) []string {
		j, _ := json.Marshal(s)
		return []string{s, esc(s), url.PathEscape(s), string(j[1 : len(j)-1]), base64.StdEncoding.EncodeToString([]byte(s))}
	}
	found := 0
	for _, s := range []string{clientSecret, apiKey, password, at, rt, at2, code, verifier} {
		for _, v := range shapes(s) {
			if strings.Contains(all, v) {
				found++
				t.Errorf("recorded in clear: %s (as %.12s…)", Redact(s), Redact(v))
			}
		}
	}
	// What people typed shows no characters at all, only a fingerprint.
	for _, s := range []string{clientSecret, apiKey, password} {
		for _, part := range []string{s[:5], s[len(s)-5:]} {
			if strings.Contains(all, part) {
				found++
				t.Errorf("a piece of a typed secret is recorded: %q", part)
			}
		}
	}
	if found != 0 {
		t.Logf("%d found; recorded:\n%s", found, all[:min(len(all), 6000)])
	}
	// Tokens show at most 4 + 4 characters.
	for _, s := range []string{at, rt, at2, code, verifier} {
		if m := Redact(s); len([]rune(m)) > 9 {
			t.Errorf("Redact shows %q", m)
		}
	}
	if !strings.Contains(all, "secret…#") || !strings.Contains(all, "4711") {
		t.Errorf("the API key's fingerprint or the plain partner id is missing from the record")
	}
}

func TestFingerprint(t *testing.T) {
	a, b := Fingerprint("correct horse"), Fingerprint("correct horsf")
	if !strings.HasPrefix(a, "secret…#") || len(a) != len("secret…#")+6 || a == b || strings.Contains(a, "corr") {
		t.Errorf("fingerprints %q %q", a, b)
	}
	if Fingerprint("") != "" {
		t.Error("empty")
	}
}
