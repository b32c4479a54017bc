package accounts

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// Providers lists the built-in and custom providers, and the provider
// files that did not load. The files are read again whenever the folder
// changed, so an edit shows without a restart.
func (s *Service) Providers() ([]Provider, []error) {
	s.reloadIfChanged()
	s.catMu.RLock()
	list := s.catalog.List()
	errs := append([]error(nil), s.catErrs...)
	s.catMu.RUnlock()
	out := make([]Provider, 0, len(list))
	for _, p := range list {
		if base, ok := s.cfg.Endpoints[p.ID]; ok {
			p = p.Rebase(base)
		} else if p.ID == demoProvider && s.cfg.Demo != nil && s.demo.running() {
			p = s.demo.rebase(p)
		}
		c, _ := s.credentials(p)
		v := providerView(p)
		v.MissingSettings = p.MissingSettings(c)
		if orig, ok := s.lookup(p.ID); ok {
			if ec := s.endpointsChanged(orig); ec != nil {
				v.EndpointsChanged = ec.Error()
			}
		}
		out = append(out, v)
	}
	return out, errs
}

// providerView is what the faces see of a profile.
func providerView(p *oauth.Profile) Provider {
	v := Provider{
		ID: p.ID, Name: p.Name, Marketplace: p.Marketplace, Environment: p.Environment,
		Password: p.Connect == oauth.ConnectPassword,
		Paste:    p.Connect != oauth.ConnectPassword && p.Redirect.Mode == oauth.RedirectPaste,
		Rotation: string(p.Rotation),
		TokenURL: p.TokenURL, RevokeURL: p.RevokeURL, RevokeHelp: p.RevokeHelp,
	}
	if p.Source != oauth.BuiltinSource {
		v.Source = p.Source
	}
	if !v.Password {
		v.Redirect = string(p.Redirect.Mode)
	}
	for _, st := range p.Settings {
		v.Settings = append(v.Settings, Setting{Key: st.Key, Label: st.Label, Secret: st.Secret, Optional: st.Optional})
	}
	return v
}

// folderPrint sums up the provider files (names and contents, through
// symbolic links): when it differs from the last load's, they are read
// again. The files are small; reading them is what catches an edit that
// keeps the size and the modification time.
func folderPrint(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // a folder, or unreadable: the load reports what matters
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
	}
	return string(h.Sum(nil))
}

// reloadIfChanged reads the providers folder again when it changed since
// the last load.
func (s *Service) reloadIfChanged() {
	if s.cfg.ProvidersDir == "" {
		return
	}
	print := folderPrint(s.cfg.ProvidersDir)
	s.catMu.RLock()
	same := print == s.catPrint
	s.catMu.RUnlock()
	if same {
		return
	}
	cat, errs := oauth.LoadCatalog(s.cfg.ProvidersDir)
	s.catMu.Lock()
	s.catPrint = print
	if cat != nil {
		s.catalog, s.catErrs = cat, errs
	}
	s.catMu.Unlock()
	if cat == nil {
		return
	}
	s.credMu.Lock()
	s.creds = map[string]oauth.Credentials{}
	s.credMu.Unlock()
	logCatalog(s.log, s.cfg.ProvidersDir, cat, errs)
}
