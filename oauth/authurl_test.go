package oauth

import (
	"net/url"
	"strings"
	"testing"
)

func TestAuthCodeURLDepop(t *testing.T) {
	p := builtin(t, "depop")
	p.Scopes = []string{"products_read", "products_write"}
	u, err := AuthCodeURL(p, Credentials{ClientID: "cid"}, "http://127.0.0.1:53682/callback", "abc123xyz", "DSWlW2Abh-cf8CeLL8-g3hQ2WQyYdKyiu83u_s7nRhI")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "https://www.depop.com/settings/oauth/apps/?") {
		t.Errorf("url %s", u)
	}
	// The seed's example: a literal "+" joining scopes, sent as %2B.
	if !strings.Contains(u, "scope=products_read%2Bproducts_write") {
		t.Errorf("scope not joined with a literal +: %s", u)
	}
	q := mustQuery(t, u)
	want := map[string]string{
		"response_type": "code", "client_id": "cid", "redirect_uri": "http://127.0.0.1:53682/callback",
		"state": "abc123xyz", "code_challenge": "DSWlW2Abh-cf8CeLL8-g3hQ2WQyYdKyiu83u_s7nRhI", "code_challenge_method": "S256",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
}

func TestAuthCodeURLEbay(t *testing.T) {
	p := builtin(t, "ebay")
	p.AuthParams = map[string]string{"prompt": "login"}
	c := Credentials{ClientID: "App-ID", ClientSecret: "x", Settings: map[string]string{"ruName": "My-RuName"}}
	u, err := AuthCodeURL(p, c, "My-RuName", "st", "")
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, u)
	if q.Get("redirect_uri") != "My-RuName" || q.Get("prompt") != "login" || q.Get("code_challenge") != "" {
		t.Errorf("query %v", q)
	}
	if got := q.Get("scope"); !strings.HasPrefix(got, "https://api.ebay.com/oauth/api_scope https://api.ebay.com/oauth/api_scope/commerce.identity.readonly ") {
		t.Errorf("scope %q not space-joined", got)
	}
}

func TestAuthCodeURLRefusals(t *testing.T) {
	p := builtin(t, "depop")
	if _, err := AuthCodeURL(p, Credentials{ClientID: "c"}, "r", "s", ""); KindOf(err) != KindConfig {
		t.Errorf("PKCE required without challenge: %v", err)
	}
	if _, err := AuthCodeURL(p, Credentials{}, "r", "s", "ch"); KindOf(err) != KindConfig {
		t.Errorf("no client id: %v", err)
	}
	p.AuthURL = "http://www.depop.com/settings/oauth/apps/"
	if _, err := AuthCodeURL(p, Credentials{ClientID: "c"}, "r", "s", "ch"); KindOf(err) != KindConfig {
		t.Errorf("plain http: %v", err)
	}
	if _, err := AuthCodeURL(builtin(t, "vaultist"), Credentials{}, "r", "s", ""); KindOf(err) != KindConfig {
		t.Errorf("password provider: %v", err)
	}
	// The demo's public client id comes from the setting's default.
	u, err := AuthCodeURL(builtin(t, "demo").Rebase("http://127.0.0.1:9/demo"), Credentials{}, "http://127.0.0.1:1/callback", "s", "ch")
	if err != nil || mustQuery(t, u).Get("client_id") != "sellerconnect-demo" {
		t.Errorf("demo: %s %v", u, err)
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}
