package accounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProviderFilesAreReadAgainWhenTheyChange: a provider file added,
// broken or removed while the service runs shows in Providers without a
// restart.
func TestProviderFilesAreReadAgainWhenTheyChange(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	e.svc.cfg.ProvidersDir = filepath.Join(e.dir, "providers")
	if err := os.MkdirAll(e.svc.cfg.ProvidersDir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(e.svc.cfg.ProvidersDir, "acme.toml")
	has := func() (bool, []error) {
		list, errs := e.svc.Providers()
		for _, p := range list {
			if p.ID == "acme" {
				return true, errs
			}
		}
		return false, errs
	}
	if ok, _ := has(); ok {
		t.Fatal("acme listed before its file exists")
	}
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		// A later modification time, even on a coarse file system clock.
		later := time.Now().Add(time.Duration(len(text)) * time.Second)
		if err := os.Chtimes(file, later, later); err != nil {
			t.Fatal(err)
		}
	}
	write(`[providers.acme]
name = "Acme Market"
marketplace = "acme"
environment = "production"
connect = "browser"
auth_url = "https://auth.acme.example/oauth2/authorize"
token_url = "https://api.acme.example/oauth2/token"
pkce = "required"
code_auth = "none"
refresh_auth = "none"
rotation = "none"
refresh_lifetime = "unknown"
  [providers.acme.redirect]
  mode = "loopback"
  path = "/callback"
  [[providers.acme.settings]]
  key = "client_id"
  label = "Client ID"
`)
	if ok, errs := has(); !ok || len(errs) > 0 {
		t.Fatalf("acme not listed after its file was written (errors %v)", errs)
	}
	write("[providers.acme]\nname = 1\n")
	if _, errs := has(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "acme.toml") {
		t.Errorf("a broken file is not reported: %v", errs)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if ok, errs := has(); ok || len(errs) > 0 {
		t.Errorf("acme still listed (or errors %v) after its file was removed", errs)
	}
}

// TestCredentialsSetElsewhereAreSeen: app credentials entered by another
// process (the command line while the window runs) are used here without
// a restart.
func TestCredentialsSetElsewhereAreSeen(t *testing.T) {
	e := newEnv(t, envOpts{})
	missing := func(s *Service) []string {
		list, _ := s.Providers()
		for _, p := range list {
			if p.ID == "smartthings" {
				return p.MissingSettings
			}
		}
		t.Fatal("no smartthings provider")
		return nil
	}
	if len(missing(e.svc)) == 0 {
		t.Fatal("smartthings is ready before its credentials are entered")
	}
	other := e.second()
	if err := other.SetProviderSettings("smartthings", map[string]string{"client_id": "st-id", "client_secret": "st-secret-elsewhere"}); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the credentials entered elsewhere", 2*time.Second, func() bool { return len(missing(e.svc)) == 0 })
	t.Cleanup(func() { _ = other.SetProviderSettings("smartthings", map[string]string{"client_secret": ""}) })
}
