package oauth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func builtin(t testing.TB, id string) *Profile {
	t.Helper()
	c, errs := LoadCatalog("")
	if len(errs) > 0 {
		t.Fatalf("built-in catalog: %v", errs)
	}
	p, ok := c.Get(id)
	if !ok {
		t.Fatalf("no built-in profile %q", id)
	}
	return p
}

func TestBuiltinCatalog(t *testing.T) {
	c, errs := LoadCatalog("")
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var ids []string
	for _, p := range c.List() {
		ids = append(ids, p.ID)
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.ID, err)
		}
		if p.Source != BuiltinSource {
			t.Errorf("%s: source %q", p.ID, p.Source)
		}
	}
	want := "depop depop-staging ebay ebay-sandbox vaultist vaultist-sandbox smartthings demo"
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("ids = %s, want %s", got, want)
	}

	d := builtin(t, "depop")
	if d.ScopeSeparator != "+" || d.Redirect.Mode != RedirectLoopbackFixed || d.Redirect.Port != 53682 ||
		d.PKCE != PKCERequired || d.CodeAuth != AuthBody || d.RefreshAuth != AuthBody ||
		d.Rotation != RotationRotate || d.RefreshLifetime != LifetimeAbsolute || d.RefreshTTL.Duration != 8760*time.Hour ||
		d.RevokeURL != "" || d.RevokeHelp == "" || d.Test.URL != "https://partnerapi.depop.com/api/v1/shop/" {
		t.Errorf("depop profile: %+v", d)
	}
	if s := builtin(t, "depop-staging"); !strings.Contains(s.TokenURL, "partnerapi-staging.depop.com") {
		t.Errorf("depop-staging token url %s", s.TokenURL)
	}
	e := builtin(t, "ebay")
	if e.Redirect.Mode != RedirectPaste || e.Redirect.URI != "${ruName}" || e.CodeAuth != AuthBasic || !e.ScopeOnRefresh ||
		e.TokenTypes["User Access Token"] != "Bearer" || e.RefreshLifetime != LifetimeFixed || e.Rotation != RotationNone ||
		!strings.HasPrefix(e.Test.URL, "https://apiz.ebay.com/") {
		t.Errorf("ebay profile: %+v", e)
	}
	if s := builtin(t, "ebay-sandbox"); !strings.Contains(s.TokenURL, "api.sandbox.ebay.com") || !strings.Contains(s.AuthURL, "auth.sandbox.ebay.com") {
		t.Errorf("ebay-sandbox: %s %s", s.AuthURL, s.TokenURL)
	}
	v := builtin(t, "vaultist")
	if v.Connect != ConnectPassword || v.Encoding != EncodingJSON || v.GrantIn != GrantInHeader || v.GrantHeader != "grantType" ||
		v.Headers["partnerId"] != "${partnerId}" || v.Fields.RefreshToken != "refreshToken" || v.Fields.Username != "email" ||
		v.PasswordGrant != "password_email" || v.CodeAuth != AuthHeaders {
		t.Errorf("vaultist profile: %+v", v)
	}
	s := builtin(t, "smartthings")
	if s.CodeAuth != AuthBasic || s.Encoding != EncodingForm || s.Rotation != RotationRotate || s.RefreshLifetime != LifetimeRolling ||
		s.RefreshTTL.Duration != 720*time.Hour {
		t.Errorf("smartthings profile: %+v", s)
	}
	demo := builtin(t, "demo")
	if demo.CodeAuth != AuthNone || demo.PKCE != PKCERequired || demo.Redirect.Mode != RedirectLoopback ||
		demo.SettingDefaults().ClientID != "sellerconnect-demo" || len(demo.MissingSettings(Credentials{})) != 0 ||
		demo.Rotation != RotationRotate || demo.Test.URL == "" || demo.RevokeURL == "" {
		t.Errorf("demo profile: %+v", demo)
	}
}

func TestMissingSettings(t *testing.T) {
	e := builtin(t, "ebay")
	if got := strings.Join(e.MissingSettings(Credentials{}), ","); got != "client_id,client_secret,ruName" {
		t.Errorf("missing = %s", got)
	}
	full := Credentials{ClientID: "id", ClientSecret: "s", Settings: map[string]string{"ruName": "r"}}
	if got := e.MissingSettings(full); len(got) != 0 {
		t.Errorf("missing = %v", got)
	}
	if got := builtin(t, "vaultist").MissingSettings(Credentials{}); strings.Join(got, ",") != "partnerId" {
		t.Errorf("vaultist missing = %v", got)
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUserProviderFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a-override.toml", `
[providers.depop.redirect]
port = 8765
`)
	writeFile(t, dir, "b-new.toml", `
[providers.acme]
name = "Acme Market"
auth_url = "https://auth.acme.example/authorize"
token_url = "https://api.acme.example/token"
code_auth = "basic"
refresh_auth = "basic"
scopes = ["read"]
  [providers.acme.redirect]
  mode = "loopback"
  [[providers.acme.settings]]
  key = "client_id"
  [[providers.acme.settings]]
  key = "client_secret"
  secret = true

[providers.aardvark]
name = "Aardvark"
auth_url = "https://a.example/authorize"
token_url = "https://a.example/token"
code_auth = "none"
refresh_auth = "none"
redirect = { mode = "loopback" }
settings = [{ key = "client_id" }]
`)
	bad := writeFile(t, dir, "c-bad-value.toml", `
[providers.broken]
name = "Broken"
auth_url = "https://b.example/authorize"
token_url = "https://b.example/token"
code_auth = "basic"
refresh_auth = "basic"
  [providers.broken.redirect]
  mode = "loopbak"

[providers.fine]
name = "Fine"
auth_url = "https://f.example/authorize"
token_url = "https://f.example/token"
code_auth = "none"
refresh_auth = "none"
redirect.mode = "loopback"
settings = [{ key = "client_id" }]
`)
	syntax := writeFile(t, dir, "d-syntax.toml", "[providers.x]\nname = \"X\"\ntoken_url = = 3\n")
	typed := writeFile(t, dir, "e-type.toml", "[providers.ebay.redirect]\nport = \"eighty\"\n")
	typo := writeFile(t, dir, "f-typo.toml", "[providers.smartthings]\nrefesh_auth = \"body\"\n")
	insecure := writeFile(t, dir, "g-http.toml", "[providers.ebay]\n\ntoken_url = \"http://api.ebay.com/identity/v1/oauth2/token\"\n")
	writeFile(t, dir, "ignored.txt", "not toml")

	c, errs := LoadCatalog(dir)
	byFile := map[string]*CatalogError{}
	for _, err := range errs {
		var ce *CatalogError
		if !errors.As(err, &ce) {
			t.Fatalf("not a CatalogError: %v", err)
		}
		byFile[ce.File] = ce
		t.Log(err)
	}
	check := func(file string, line int, provider, field string) {
		t.Helper()
		ce := byFile[file]
		if ce == nil {
			t.Errorf("%s: no error", filepath.Base(file))
			return
		}
		if ce.Line != line || ce.Provider != provider || ce.Field != field {
			t.Errorf("%s: got line %d provider %q field %q (%v)", filepath.Base(file), ce.Line, ce.Provider, ce.Field, ce)
		}
		if !strings.Contains(ce.Error(), filepath.Base(file)) {
			t.Errorf("message does not name the file: %v", ce)
		}
	}
	check(bad, 9, "broken", "redirect.mode")
	check(syntax, 3, "x", "token_url")
	check(typed, 2, "ebay", "redirect.port")
	check(typo, 2, "smartthings", "refesh_auth")
	check(insecure, 3, "ebay", "token_url")
	if len(errs) != 5 {
		t.Errorf("%d errors, want 5", len(errs))
	}

	d, _ := c.Get("depop")
	if d.Redirect.Port != 8765 || d.Redirect.Mode != RedirectLoopbackFixed || d.ScopeSeparator != "+" || d.TokenURL == "" {
		t.Errorf("override lost fields: %+v", d)
	}
	if !strings.HasSuffix(d.Source, "a-override.toml") {
		t.Errorf("source %q", d.Source)
	}
	if _, ok := c.Get("broken"); ok {
		t.Error("the broken provider loaded")
	}
	// A failed override disables the provider rather than leave the
	// built-in profile in its place.
	if e, ok := c.Get("ebay"); ok {
		t.Errorf("ebay usable despite its failed overrides: %s", e.TokenURL)
	}
	if err := c.Disabled("ebay"); err == nil || !strings.Contains(err.Error(), "e-type.toml") || !strings.Contains(err.Error(), "g-http.toml") {
		t.Errorf("Disabled(ebay) = %v", err)
	}
	var ids []string
	for _, p := range c.List() {
		ids = append(ids, p.ID)
	}
	want := "depop depop-staging ebay-sandbox vaultist vaultist-sandbox demo aardvark acme fine"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("list = %s\nwant   %s", got, want)
	}
	// The catalog hands out copies.
	d.Scopes[0] = "changed"
	if d2, _ := c.Get("depop"); d2.Scopes[0] == "changed" {
		t.Error("Get returned shared state")
	}
}

func TestLoadCatalogMissingDir(t *testing.T) {
	if _, errs := LoadCatalog(filepath.Join(t.TempDir(), "nope")); len(errs) != 0 {
		t.Errorf("errs = %v", errs)
	}
}

func TestValidateNamesField(t *testing.T) {
	base := func() *Profile {
		p := builtin(t, "smartthings")
		return p
	}
	cases := []struct {
		field string
		edit  func(*Profile)
	}{
		{"code_auth", func(p *Profile) { p.CodeAuth = "" }},
		{"refresh_auth", func(p *Profile) { p.RefreshAuth = "magic" }},
		{"redirect.port", func(p *Profile) { p.Redirect.Port = 70000 }},
		{"auth_url", func(p *Profile) { p.AuthURL = "http://example.com/authorize" }},
		{"token_url", func(p *Profile) { p.TokenURL = "" }},
		{"refresh_ttl", func(p *Profile) { p.RefreshTTL.Duration = 0 }},
		{"grant_header", func(p *Profile) { p.GrantIn = GrantInHeader }},
		{"headers.x", func(p *Profile) { p.Headers = map[string]string{"x": "${nope}"} }},
		{"id", func(p *Profile) { p.ID = "Bad ID" }},
		// A secret's default would sit in a provider file in clear.
		{"settings[1].default", func(p *Profile) {
			p.Settings = append([]Setting(nil), p.Settings...)
			p.Settings[1].Default = "s3cret"
		}},
	}
	for _, tc := range cases {
		p := base()
		tc.edit(p)
		var fe *FieldError
		if err := p.Validate(); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	ok := base()
	ok.TokenURL = "http://localhost:8080/token"
	if err := ok.Validate(); err != nil {
		t.Errorf("loopback http refused: %v", err)
	}
}

func TestRebase(t *testing.T) {
	d := builtin(t, "depop").Rebase("http://127.0.0.1:4567/depop")
	if d.TokenURL != "http://127.0.0.1:4567/depop/api/v1/oauth2/access-token/" {
		t.Errorf("token url %s", d.TokenURL)
	}
	if d.AuthURL != "http://127.0.0.1:4567/depop/settings/oauth/apps/" || d.Test.URL != "http://127.0.0.1:4567/depop/api/v1/shop/" {
		t.Errorf("urls %s %s", d.AuthURL, d.Test.URL)
	}
	if builtin(t, "depop").TokenURL != "https://partnerapi.depop.com/api/v1/oauth2/access-token/" {
		t.Error("Rebase changed the original")
	}
	demo := builtin(t, "demo").Rebase("http://127.0.0.1:4567/demo/")
	if demo.TokenURL != "http://127.0.0.1:4567/demo/oauth/token" || demo.RevokeURL != "http://127.0.0.1:4567/demo/oauth/revoke" {
		t.Errorf("demo %s %s", demo.TokenURL, demo.RevokeURL)
	}
	q := (&Profile{AuthURL: "https://x.example/a?b=c"}).Rebase("http://127.0.0.1:1")
	if q.AuthURL != "http://127.0.0.1:1/a?b=c" {
		t.Errorf("query lost: %s", q.AuthURL)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("rebased profile invalid: %v", err)
	}
}

// providerFile writes one [providers.t] table: the base keys with the case's
// changes (a value of "" drops the key).
func providerFile(change map[string]string) string {
	keys := []string{"name", "auth_url", "token_url", "code_auth", "refresh_auth", "redirect.mode", "redirect.path",
		"redirect.port", "redirect.uri", "settings", "headers", "auth_params", "grant_in", "grant_header", "revoke_url", "test.url"}
	base := map[string]string{
		"name":          `"T"`,
		"auth_url":      `"https://t.example/authorize"`,
		"token_url":     `"https://t.example/token"`,
		"code_auth":     `"basic"`,
		"refresh_auth":  `"basic"`,
		"redirect.mode": `"loopback"`,
		"settings":      `[{ key = "client_id" }, { key = "client_secret", secret = true }, { key = "api_key", secret = true }]`,
	}
	for k, v := range change {
		base[k] = v
	}
	var b strings.Builder
	b.WriteString("[providers.t]\n")
	for _, k := range keys {
		if v := base[k]; v != "" {
			b.WriteString(k + " = " + v + "\n")
		}
	}
	return b.String()
}

// TestProviderFileValidatedAtLoad: whatever a provider file says is checked
// when it loads, so nothing it holds can fail (or panic) at connect time.
func TestProviderFileValidatedAtLoad(t *testing.T) {
	cases := []struct {
		field  string
		change map[string]string
	}{
		{"redirect.path", map[string]string{"redirect.path": `"/cb/{"`}},
		{"redirect.path", map[string]string{"redirect.path": `"/a b"`}},
		{"redirect.path", map[string]string{"redirect.path": `"/cb/{id}"`}},
		{"redirect.path", map[string]string{"redirect.path": `"/cb/{$}"`}},
		{"redirect.path", map[string]string{"redirect.path": `"/a/../b"`}},
		{"redirect.path", map[string]string{"redirect.path": `"/cb?x=1"`}},
		{"redirect.path", map[string]string{"redirect.path": `"/cb#top"`}},
		{"redirect.path", map[string]string{"redirect.path": `"//cb"`}},
		{"redirect.path", map[string]string{"redirect.path": `"/cb%20x"`}},
		{"redirect.path", map[string]string{"redirect.path": `"GET /cb"`}},
		{"redirect.path", map[string]string{"redirect.mode": `"loopback-fixed"`, "redirect.port": "8080", "redirect.path": `"cb"`}},
		{"redirect.port", map[string]string{"redirect.port": "-1"}},
		{"redirect.port", map[string]string{"redirect.port": "70000"}},
		{"redirect.port", map[string]string{"redirect.mode": `"loopback-fixed"`, "redirect.port": "0"}},
		{"auth_url", map[string]string{"auth_url": `"https:///authorize"`}},
		{"auth_url", map[string]string{"auth_url": `"https://:443/authorize"`}},
		{"auth_url", map[string]string{"auth_url": `"http://t.example/authorize"`}},
		{"token_url", map[string]string{"token_url": `"https://user:pw@t.example/token"`}},
		{"token_url", map[string]string{"token_url": `"https://t.example:99999/token"`}},
		{"token_url", map[string]string{"token_url": `"https://t.example/token?id=${client_id}"`}},
		{"token_url", map[string]string{"token_url": `"https://t.example/to ken"`}},
		{"token_url", map[string]string{"token_url": `"https://t.example/token#frag"`}},
		{"token_url", map[string]string{"token_url": `"t.example/token"`}},
		{"revoke_url", map[string]string{"revoke_url": `"ftp://t.example/revoke"`}},
		{"test.url", map[string]string{"test.url": `"http://t.example/me"`}},
		{"headers.X-Key", map[string]string{"headers": `{ X-Key = "${nope}" }`}},
		{"headers.X-Key", map[string]string{"headers": `{ X-Key = "${api_key" }`}},
		{"headers.X-Key", map[string]string{"headers": `{ X-Key = "a\r\nInjected: 1" }`}},
		{"headers.Bad Name", map[string]string{"headers": `{ "Bad Name" = "v" }`}},
		{"headers", map[string]string{"headers": `{ "" = "v" }`}},
		{"auth_params.p", map[string]string{"auth_params": `{ p = "${}" }`}},
		{"auth_params.p", map[string]string{"auth_params": `{ p = "${other}" }`}},
		{"grant_header", map[string]string{"grant_in": `"header"`, "grant_header": `"grant type"`}},
		{"redirect.uri", map[string]string{"redirect.mode": `"paste"`, "redirect.uri": `"http://t.example/accepted"`}},
		{"redirect.uri", map[string]string{"redirect.mode": `"paste"`, "redirect.uri": `"${ruName}"`}},
		{"redirect.uri", map[string]string{"redirect.mode": `"paste"`, "redirect.uri": `"Some RuName"`}},
		// The authorization address travels through the browser: no secret in it.
		{"redirect.uri", map[string]string{"redirect.mode": `"paste"`, "redirect.uri": `"${api_key}"`}},
		{"auth_params.k", map[string]string{"auth_params": `{ k = "${client_secret}" }`}},
		{"settings[3].key", map[string]string{"settings": `[{ key = "client_id" }, { key = "client_secret", secret = true }, { key = "api_key" }, { key = "a b" }]`}},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		file := writeFile(t, dir, "t.toml", providerFile(tc.change))
		c, errs := LoadCatalog(dir)
		var ce *CatalogError
		if len(errs) != 1 || !errors.As(errs[0], &ce) || ce.File != file || ce.Provider != "t" || ce.Field != tc.field {
			t.Errorf("%v: errors %v, want one on %s", tc.change, errs, tc.field)
		}
		if p, ok := c.Get("t"); ok {
			t.Errorf("%v: loaded", tc.change)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%v: ListenLoopback panicked: %v", tc.change, r)
					}
				}()
				if lb, err := ListenLoopback(p); err == nil {
					lb.Close()
				}
			}()
		}
	}
	// What is allowed stays allowed.
	for _, change := range []map[string]string{
		{},
		{"redirect.path": `"/oauth/v2/cb_1-x.y~z/"`},
		{"redirect.mode": `"loopback-fixed"`, "redirect.port": "53682"},
		{"token_url": `"http://localhost:8080/token"`, "revoke_url": `"http://127.0.0.1:9/revoke"`, "test.url": `"https://t.example/me?fields=name"`},
		{"headers": `{ X-Api-Key = "${api_key}", X-Partner = "p-${client_id}" }`, "auth_params": `{ prompt = "login" }`},
		{"redirect.mode": `"paste"`, "redirect.uri": `"https://t.example/accepted"`},
		{"redirect.mode": `"paste"`, "redirect.uri": `"Acme-Acme-Prod-abcd"`},
		{"grant_in": `"header"`, "grant_header": `"grantType"`},
	} {
		dir := t.TempDir()
		writeFile(t, dir, "t.toml", providerFile(change))
		c, errs := LoadCatalog(dir)
		if len(errs) != 0 {
			t.Errorf("%v: %v", change, errs)
		}
		if _, ok := c.Get("t"); !ok {
			t.Errorf("%v: not loaded", change)
		}
	}
}

// TestBrokenFileDisablesOnlyItsProviders: a provider file that fails
// disables the providers it defines or changes, and only those; the
// built-in profile does not stand in for a failed override.
func TestBrokenFileDisablesOnlyItsProviders(t *testing.T) {
	dir := t.TempDir()
	syntax := writeFile(t, dir, "a-syntax.toml", `
[providers.depop.redirect]
port = 8765
[providers."brand-new"]
name = = "New"
`)
	invalid := writeFile(t, dir, "b-invalid.toml", `
[providers.ebay]
token_url = "http://api.ebay.com/identity/v1/oauth2/token"

[providers.fine2]
auth_url = "https://f.example/authorize"
token_url = "https://f.example/token"
code_auth = "none"
refresh_auth = "none"
redirect.mode = "loopback"
settings = [{ key = "client_id" }]
`)
	garbage := writeFile(t, dir, "c-garbage.toml", "this is = = not toml\n")
	// A later good file does not revive what an earlier one broke.
	writeFile(t, dir, "d-later.toml", "[providers.ebay]\nname = \"eBay (mine)\"\n")

	c, errs := LoadCatalog(dir)
	files := map[string]bool{}
	for _, err := range errs {
		var ce *CatalogError
		if !errors.As(err, &ce) {
			t.Fatalf("not a CatalogError: %v", err)
		}
		files[ce.File] = true
	}
	if !files[syntax] || !files[invalid] || !files[garbage] || len(errs) != 3 {
		t.Errorf("errors %v", errs)
	}
	for id, file := range map[string]string{"depop": syntax, "brand-new": syntax, "ebay": invalid} {
		if p, ok := c.Get(id); ok {
			t.Errorf("%s is usable (%s) though %s failed", id, p.Source, filepath.Base(file))
		}
		err := c.Disabled(id)
		var ce *CatalogError
		if !errors.As(err, &ce) || ce.File != file || !strings.Contains(err.Error(), filepath.Base(file)) {
			t.Errorf("Disabled(%s) = %v, want an error from %s", id, err, filepath.Base(file))
		}
	}
	for _, id := range []string{"depop-staging", "ebay-sandbox", "vaultist", "smartthings", "demo", "fine2"} {
		if _, ok := c.Get(id); !ok {
			t.Errorf("%s is not usable", id)
		}
		if err := c.Disabled(id); err != nil {
			t.Errorf("Disabled(%s) = %v", id, err)
		}
	}
	if got := strings.Join(c.DisabledIDs(), " "); got != "brand-new depop ebay" {
		t.Errorf("DisabledIDs = %s", got)
	}
	for _, p := range c.List() {
		if c.Disabled(p.ID) != nil {
			t.Errorf("List holds the disabled %s", p.ID)
		}
	}
	if err := c.Disabled("nope"); err != nil {
		t.Errorf("unknown id: %v", err)
	}
}
