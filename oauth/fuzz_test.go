package oauth

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{
		"code=0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM&state=abc123xyz",
		"error=access_denied&error_description=The+resource+owner+denied+the+request&state=abc123xyz",
		"code=x&state=abc123xyz&state=abc123xyz",
		"code=%00&state=abc123xyz",
		"state=abc123xyz",
		"code=v%5E1.1%23i%5E1&state=abc123xyz&expires_in=299",
		"error=%3Cscript%3E&error_description=%ff%fe&state=abc123xyz",
		";;&&==",
	} {
		f.Add(s, "abc123xyz")
	}
	f.Fuzz(func(t *testing.T, raw, want string) {
		q, _ := url.ParseQuery(raw)
		code, err := parseCallback(q, want)
		if err != nil {
			e, ok := AsError(err)
			if !ok || e.Kind == "" || e.Advice == "" || code != "" {
				t.Fatalf("bad error %#v code %q", err, code)
			}
			if !utf8.ValidString(e.Code) || !utf8.ValidString(e.Description) || len(e.Description) > 310 {
				t.Fatalf("unclipped provider text %q", e.Description)
			}
			return
		}
		if code == "" || want == "" || q.Get("state") != want || len(code) > maxCodeLen {
			t.Fatalf("accepted code %q for state %q (want %q)", code, q.Get("state"), want)
		}
	})
}

func FuzzParsePasted(f *testing.F) {
	for _, s := range []string{
		"https://sellerconnect.example/ebay/accepted?state=st4te&code=v%5E1.1%23i%5E1%23f%5E0&expires_in=299",
		"?code=abc&state=st4te",
		"https://x.example/cb#code=frag&state=st4te",
		"v%5E1.1%23i%5E1%23f%5E0",
		"0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM",
		"<https://x.example/cb?error=access_denied&state=st4te>",
		"code=%zz",
		"",
	} {
		f.Add(s, "st4te")
	}
	f.Fuzz(func(t *testing.T, in, want string) {
		code, err := ParsePasted(in, want)
		if err != nil {
			if _, ok := AsError(err); !ok || code != "" {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if code == "" || len(code) > maxCodeLen || strings.ContainsAny(code, "\x00") {
			t.Fatalf("accepted %q", code)
		}
		// A loopback provider takes only what carries the attempt's state.
		loop := &Profile{Redirect: Redirect{Mode: RedirectLoopback}}
		if c, err := ParsePastedFor(loop, in, want); err == nil && (want == "" || !strings.Contains(in, want) || c == "") {
			t.Fatalf("loopback provider accepted %q from %q without the state %q", c, in, want)
		}
	})
}

func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"pat_x","refresh_token":"prt_y","expires_in":3600,"token_type":"Bearer"}`,
		`{"access_token":"v^1.1#i","expires_in":"7200","refresh_token_expires_in":47304000,"token_type":"User Access Token"}`,
		`{"accessToken":"a","refreshToken":"r","expiresIn":1e3,"scope":["a","b"]}`,
		`{"error":"invalid_grant","error_description":"Refresh token has expired or is invalid."}`,
		`{"status":"UNAUTHORIZED","message":"m","traceId":"t","errors":[]}`,
		"access_token=a&expires_in=10",
		"<html><body>502 Bad Gateway</body></html>",
		`{"access_token":"a","expires_in":-1e309}`,
		"\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseTokenResponse(body)
		if err != nil {
			if a != nil {
				t.Fatal("answer with error")
			}
			return
		}
		if a.AccessToken == "" || a.ExpiresIn < 0 || a.ExpiresIn > maxLifetime || a.RefreshExpiresIn < 0 || a.RefreshExpiresIn > maxLifetime {
			t.Fatalf("accepted %+v", a)
		}
		// The classifier must cope with anything too.
		_, _ = readProviderFields(body)
		_ = redactBody(body, nil, &redactor{})
	})
}

// FuzzProviderFile feeds arbitrary provider files to the catalog loader.
// Whatever loads must validate, build its authorization address and token
// request, and (for loopback providers) start and stop a receiver; nothing
// may panic. A loopback-fixed profile is listened for on any port, so the
// fuzzer never takes a fixed port another program may be using.
func FuzzProviderFile(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds, at a cost
	// that grows with the square of its length.
	const minimal = "[providers.a]\nauth_url=\"https://a/\"\ntoken_url=\"https://a/\"\ncode_auth=\"none\"\nrefresh_auth=\"none\"\n" +
		"redirect.mode=\"loopback\"\nsettings=[{key=\"client_id\"}]\n"
	for _, s := range []string{
		minimal,
		minimal + "redirect.path=\"/cb/{\"\n",
		minimal + "redirect.path=\"/a b\"\n",
		minimal + "headers={X=\"${client_id}\"}\nauth_params={p=\"${client_id}\"}\n",
		strings.Replace(minimal, `"loopback"`, `"loopback-fixed"`+"\nredirect.port=9", 1),
		strings.Replace(minimal, `"loopback"`, `"paste"`+"\nredirect.uri=\"https://a/ok\"", 1),
		"[providers.v]\nconnect=\"password\"\npassword_grant=\"p\"\ntoken_url=\"https://v/\"\ncode_auth=\"headers\"\nrefresh_auth=\"headers\"\n",
		"[providers.depop.redirect]\nport = 8765\npath = \"/x\"\n",
		"[providers.ebay]\nredirect = { mode = \"paste\", uri = \"Acme-RuName\" }\n",
		"[providers.x]\nname = = 3\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "fuzz.toml")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, errs := LoadCatalog(dir)
		for _, err := range errs {
			_ = err.Error()
		}
		for _, id := range c.DisabledIDs() {
			if _, ok := c.Get(id); ok || c.Disabled(id) == nil {
				t.Fatalf("disabled %s is usable", id)
			}
		}
		for _, p := range c.List() {
			if p.Source != file {
				continue
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("%s loaded but does not validate: %v", p.ID, err)
			}
			if err := c.Disabled(p.ID); err != nil {
				t.Fatalf("List offers the disabled %s: %v", p.ID, err)
			}
			cred := Credentials{ClientID: "fuzz-client", ClientSecret: "fuzz-secret", Settings: map[string]string{}}
			for _, s := range p.Settings {
				cred.Settings[s.Key] = "v-" + s.Key
			}
			if _, e := tokenRequest("exchange", p, cred, "authorization_code", p.CodeAuth, []param{{"code", "c"}}); e != nil {
				t.Fatalf("%s: token request: %v", p.ID, e)
			}
			if p.Connect != ConnectBrowser {
				continue
			}
			redirect := ""
			switch p.Redirect.Mode {
			case RedirectLoopback, RedirectLoopbackFixed:
				q := p.clone()
				q.Redirect.Mode = RedirectLoopback
				lb, err := ListenLoopback(q)
				if err != nil {
					t.Fatalf("%s: receiver for path %q: %v", p.ID, p.Redirect.Path, err)
				}
				redirect = lb.RedirectURI()
				if err := lb.Close(); err != nil {
					t.Fatalf("%s: close: %v", p.ID, err)
				}
			case RedirectPaste:
				var err error
				if redirect, err = expand(p.Redirect.URI, cred); err != nil {
					t.Fatalf("%s: redirect.uri: %v", p.ID, err)
				}
			}
			if _, err := AuthCodeURL(p, cred, redirect, "fuzz-state", S256Challenge(NewVerifier())); err != nil {
				t.Fatalf("%s: authorization address: %v", p.ID, err)
			}
		}
	})
}
