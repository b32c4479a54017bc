package accounts

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// A provider's client secret and its accounts' tokens go only to the
// origins they were entered for. The trusted origins are those the seller
// confirmed (kept in the settings), else the built-in profile's. A provider
// file that moves a provider's token, revoke or test address elsewhere
// stops every request carrying a secret until the seller confirms.

// endpointRoles are the addresses that receive secrets.
var endpointRoles = []string{"token", "revoke", "test"}

// origins are a profile's scheme://host[:port] per role (roles without an
// address are absent).
func origins(p *oauth.Profile) map[string]string {
	out := map[string]string{}
	for role, raw := range map[string]string{"token": p.TokenURL, "revoke": p.RevokeURL, "test": p.Test.URL} {
		if o := originOf(raw); o != "" {
			out[role] = o
		}
	}
	return out
}

func originOf(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw // unparseable: compared as it is
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// endpointsChangedError says a provider file moved where a provider's
// secrets go; nothing is sent there until the seller confirms.
type endpointsChangedError struct {
	Provider string
	File     string            // the provider file the profile comes from
	Changed  map[string]string // role → "old → new"
}

func (e *endpointsChangedError) Error() string {
	roles := make([]string, 0, len(e.Changed))
	for r := range e.Changed {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = r + " " + e.Changed[r]
	}
	return fmt.Sprintf("endpoints changed by %s — confirm: %s now sends its credentials and tokens elsewhere (%s)",
		e.File, e.Provider, strings.Join(parts, "; "))
}

// Advice says how to confirm.
func (e *endpointsChangedError) Advice() string {
	return fmt.Sprintf("If you made that change, confirm the new addresses in Settings or with \"sellerconnect credentials %s --confirm-endpoints\"; if not, remove the file.", e.Provider)
}

// builtinCatalog is the embedded catalog alone, read once, to know where
// built-in providers send secrets.
var builtinCatalog = sync.OnceValue(func() *oauth.Catalog {
	c, _ := oauth.LoadCatalog("")
	return c
})

// trusted returns the origins the provider's secrets may go to: those the
// seller confirmed, else the built-in profile's; nil when neither exists
// (a provider of a file's own, before its credentials are entered).
func (s *Service) trusted(provider string) map[string]string {
	if s.cfg.Settings != nil {
		if o := s.cfg.Settings.Get().Endpoints[provider]; len(o) > 0 {
			return o
		}
	}
	if b, ok := builtinCatalog().Get(provider); ok {
		return origins(b)
	}
	return nil
}

// endpointsChanged compares the profile's origins with the trusted ones.
func (s *Service) endpointsChanged(p *oauth.Profile) *endpointsChangedError {
	if p.Source == oauth.BuiltinSource {
		return nil
	}
	want := s.trusted(p.ID)
	if want == nil {
		return nil
	}
	have := origins(p)
	changed := map[string]string{}
	for _, r := range endpointRoles {
		if have[r] != "" && have[r] != want[r] {
			old := want[r]
			if old == "" {
				old = "none"
			}
			changed[r] = old + " → " + have[r]
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return &endpointsChangedError{Provider: p.ID, File: p.Source, Changed: changed}
}

// endpointsError is endpointsChanged as the oauth error every flow reports
// (a settings problem: exit code 4).
func (s *Service) endpointsError(p *oauth.Profile) error {
	ec := s.endpointsChanged(p)
	if ec == nil {
		return nil
	}
	return &oauth.Error{Kind: oauth.KindConfig, Op: "endpoints", Description: ec.Error(), Advice: ec.Advice(), Err: ec}
}

// ConfirmEndpoints trusts the provider's current token, revoke and test
// addresses, as the seller says the provider file that set them is theirs.
// Accounts stopped for it are tried again.
func (s *Service) ConfirmEndpoints(provider string) error {
	p, ok := s.lookup(provider)
	if !ok {
		return fmt.Errorf("unknown provider %q", provider)
	}
	if s.cfg.Settings == nil {
		return errors.New("accounts: no settings to keep the confirmation in")
	}
	if err := s.bindOrigins(p); err != nil {
		return err
	}
	s.retryStopped(provider)
	return nil
}

// bindOrigins records the profile's origins as trusted.
func (s *Service) bindOrigins(p *oauth.Profile) error {
	o := origins(p)
	return s.cfg.Settings.Update(func(d *storage.SettingsData) {
		if d.Endpoints == nil {
			d.Endpoints = map[string]map[string]string{}
		}
		d.Endpoints[p.ID] = o
	})
}
