package accounts

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/sellerconnect/sellerconnect/storage"
)

// Report is a redacted diagnostic report for support staff: the app and
// system, and per account its provider, status, last error (with the
// provider's request id) and timeline. It holds no secret.
type Report struct {
	Generated  time.Time        `json:"generated"`
	AppVersion string           `json:"app_version"`
	OS         string           `json:"os"`
	Arch       string           `json:"arch"`
	GoVersion  string           `json:"go_version"`
	DataDir    string           `json:"data_dir"`
	Keychain   string           `json:"keychain"` // the backend and the service name entries are kept under
	Providers  []ReportProvider `json:"providers"`
	// FileErrors are the provider files that did not load.
	FileErrors []string `json:"file_errors,omitempty"`
	// ConnectFailures are connect attempts that did not end in an account.
	ConnectFailures []storage.ConnectFailure `json:"connect_failures,omitempty"`
	Accounts        []ReportAccount          `json:"accounts"`
	// LogTail is the end of the log (redacted like everything else).
	LogTail []string `json:"log_tail,omitempty"`
	// Missing lists requested ids that are not accounts.
	Missing []string `json:"missing,omitempty"`
}

// ReportProvider is one provider in a report: where it comes from and
// whether it is ready to connect.
type ReportProvider struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Source           string   `json:"source"`
	Ready            bool     `json:"ready"`
	MissingSettings  []string `json:"missing_settings,omitempty"`
	EndpointsChanged string   `json:"endpoints_changed,omitempty"`
}

// logTailLines is how much of the log a report carries.
const logTailLines = 200

// ReportAccount is one account in a report.
type ReportAccount struct {
	ID              string                  `json:"id"`
	Provider        string                  `json:"provider"`
	ProviderName    string                  `json:"provider_name"`
	Environment     string                  `json:"environment,omitempty"`
	TokenURL        string                  `json:"token_url,omitempty"`
	Rotation        string                  `json:"rotation,omitempty"`
	RefreshLifetime string                  `json:"refresh_lifetime,omitempty"`
	DisplayName     string                  `json:"display_name,omitempty"`
	RemoteID        string                  `json:"remote_id,omitempty"`
	Status          Status                  `json:"status"`
	Reason          string                  `json:"reason,omitempty"`
	Action          string                  `json:"action,omitempty"`
	Scopes          []string                `json:"scopes,omitempty"`
	AccessExpiry    time.Time               `json:"access_expiry,omitzero"`
	ReconnectBy     time.Time               `json:"reconnect_by,omitzero"`
	LastRefresh     time.Time               `json:"last_refresh,omitzero"`
	NextRefresh     time.Time               `json:"next_refresh,omitzero"`
	NextRetry       time.Time               `json:"next_retry,omitzero"`
	LastError       *storage.ErrorInfo      `json:"last_error,omitempty"`
	Timeline        []storage.TimelineEntry `json:"timeline,omitempty"`
}

// Report builds the report for ids (every account when none is given).
func (s *Service) Report(ids ...string) Report {
	now := s.clock.Now()
	r := Report{Generated: now, AppVersion: s.cfg.AppVersion, OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(),
		DataDir: s.cfg.DataDir, Keychain: keychainBackend(s.secrets)}
	if r.AppVersion == "" {
		r.AppVersion = "dev"
	}
	for _, p := range s.Providers() {
		r.Providers = append(r.Providers, ReportProvider{ID: p.Profile.ID, Name: p.Profile.Name, Source: p.Profile.Source,
			Ready: len(p.MissingSettings) == 0 && p.EndpointsChanged == "", MissingSettings: p.MissingSettings, EndpointsChanged: p.EndpointsChanged})
	}
	for _, e := range s.CatalogErrors() {
		r.FileErrors = append(r.FileErrors, e.Error())
	}
	r.ConnectFailures, _ = s.store.ConnectFailures()
	r.LogTail = tailLines(filepath.Join(s.cfg.DataDir, filepath.FromSlash(LogFile)), logTailLines)
	var accs []*account
	if len(ids) == 0 {
		if err := s.loadAll(); err != nil {
			s.logf("reading the accounts: %v", err)
		}
		accs = s.snapshotAccounts()
	} else {
		for _, id := range ids {
			a, err := s.account(id)
			if err != nil {
				r.Missing = append(r.Missing, id)
				continue
			}
			accs = append(accs, a)
		}
	}
	// Every secret any account holds is scrubbed from the whole report.
	var secrets []string
	for _, a := range s.snapshotAccounts() {
		secrets = append(secrets, a.secretsCopy()...)
	}
	for _, a := range accs {
		v := s.detailed(a, now)
		ra := ReportAccount{
			ID: v.ID, Provider: v.Provider, ProviderName: v.ProviderName, Environment: v.Environment,
			DisplayName: v.DisplayName, RemoteID: v.RemoteID, Status: v.Status, Reason: v.Reason, Action: v.Action,
			Scopes: v.Scopes, AccessExpiry: v.AccessExpiry, ReconnectBy: v.ReconnectBy, LastRefresh: v.LastRefresh,
			NextRefresh: v.NextRefresh, NextRetry: v.NextRetry, LastError: v.LastError, Timeline: v.Timeline,
		}
		s.catMu.RLock()
		if p, ok := s.catalog.Get(v.Provider); ok {
			ra.TokenURL, ra.Rotation, ra.RefreshLifetime = p.TokenURL, string(p.Rotation), string(p.RefreshLifetime)
		}
		s.catMu.RUnlock()
		r.Accounts = append(r.Accounts, ra)
	}
	sort.Slice(r.Accounts, func(i, j int) bool { return r.Accounts[i].ID < r.Accounts[j].ID })
	// Round-trip through JSON to scrub every string in one place.
	b, err := json.Marshal(r)
	if err == nil {
		var v any
		if json.Unmarshal(b, &v) == nil {
			v = scrubAny(v, secrets)
			v = scrubKnown(v, s.known)
			if b2, err := json.Marshal(v); err == nil {
				var clean Report
				if json.Unmarshal(b2, &clean) == nil {
					return clean
				}
			}
		}
	}
	return r
}

// JSON is the report as indented JSON.
func (r Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// Text is the report as plain text for a support ticket.
func (r Report) Text() string {
	var b strings.Builder
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(&b, "SellerConnect diagnostic report (secrets redacted)\n")
	fmt.Fprintf(&b, "generated:   %s\n", ts(r.Generated))
	fmt.Fprintf(&b, "app version: %s\n", r.AppVersion)
	fmt.Fprintf(&b, "system:      %s/%s, %s\n", r.OS, r.Arch, r.GoVersion)
	fmt.Fprintf(&b, "data dir:    %s\n", r.DataDir)
	fmt.Fprintf(&b, "keychain:    %s\n", r.Keychain)
	b.WriteString("\nproviders:\n")
	for _, p := range r.Providers {
		state := "ready"
		switch {
		case p.EndpointsChanged != "":
			state = p.EndpointsChanged
		case !p.Ready:
			state = "missing " + strings.Join(p.MissingSettings, ", ")
		}
		fmt.Fprintf(&b, "  %-18s %-26s %s; %s\n", p.ID, p.Name, p.Source, state)
	}
	for _, e := range r.FileErrors {
		fmt.Fprintf(&b, "  provider file did not load: %s\n", e)
	}
	if len(r.ConnectFailures) > 0 {
		b.WriteString("\nfailed connect attempts (newest last):\n")
		for _, f := range r.ConnectFailures {
			fmt.Fprintf(&b, "  %s %s kind=%s: %s\n", ts(f.Time), f.Provider, f.Kind, f.Message)
		}
	}
	fmt.Fprintf(&b, "\naccounts:    %d\n", len(r.Accounts))
	for _, id := range r.Missing {
		fmt.Fprintf(&b, "(no account %q)\n", id)
	}
	for _, a := range r.Accounts {
		fmt.Fprintf(&b, "\n== %s (%s) ==\n", a.ID, a.ProviderName)
		fmt.Fprintf(&b, "provider:      %s [%s] rotation=%s refresh-lifetime=%s\n", a.Provider, a.Environment, a.Rotation, a.RefreshLifetime)
		if a.TokenURL != "" {
			fmt.Fprintf(&b, "token url:     %s\n", a.TokenURL)
		}
		if a.DisplayName != "" || a.RemoteID != "" {
			fmt.Fprintf(&b, "account:       %s (id %s)\n", a.DisplayName, a.RemoteID)
		}
		fmt.Fprintf(&b, "status:        %s\n", a.Status)
		if a.Reason != "" {
			fmt.Fprintf(&b, "reason:        %s\n", a.Reason)
		}
		if a.Action != "" {
			fmt.Fprintf(&b, "action:        %s\n", a.Action)
		}
		fmt.Fprintf(&b, "access expiry: %s\n", ts(a.AccessExpiry))
		fmt.Fprintf(&b, "reconnect by:  %s\n", ts(a.ReconnectBy))
		fmt.Fprintf(&b, "last refresh:  %s\n", ts(a.LastRefresh))
		fmt.Fprintf(&b, "next refresh:  %s\n", ts(a.NextRefresh))
		if !a.NextRetry.IsZero() {
			fmt.Fprintf(&b, "next retry:    %s\n", ts(a.NextRetry))
		}
		if len(a.Scopes) > 0 {
			fmt.Fprintf(&b, "scopes:        %s\n", strings.Join(a.Scopes, " "))
		}
		if e := a.LastError; e != nil {
			fmt.Fprintf(&b, "last error:    %s %s kind=%s", ts(e.Time), e.Op, e.Kind)
			if e.Status != 0 {
				fmt.Fprintf(&b, " HTTP %d", e.Status)
			}
			if e.Code != "" {
				fmt.Fprintf(&b, " error=%q", e.Code)
			}
			if e.Description != "" {
				fmt.Fprintf(&b, " description=%q", e.Description)
			}
			if e.RequestID != "" {
				fmt.Fprintf(&b, " request-id=%s", e.RequestID)
			}
			if e.TraceID != "" {
				fmt.Fprintf(&b, " trace-id=%s", e.TraceID)
			}
			b.WriteString("\n")
			if e.Advice != "" {
				fmt.Fprintf(&b, "               advice: %s\n", e.Advice)
			}
		}
		if len(a.Timeline) > 0 {
			b.WriteString("timeline (oldest first):\n")
			for _, t := range a.Timeline {
				fmt.Fprintf(&b, "  %s %-8s %s\n", t.Time.UTC().Format("2006-01-02 15:04:05.000"), t.Kind, t.Summary)
				if t.Kind == "exchange" || t.Kind == "error" {
					keys := make([]string, 0, len(t.Detail))
					for k := range t.Detail {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					for _, k := range keys {
						switch k {
						case "op", "method", "url", "latency_ms", "status":
							continue
						}
						v, _ := json.Marshal(t.Detail[k])
						fmt.Fprintf(&b, "      %s: %s\n", k, v)
					}
				}
			}
		}
	}
	if len(r.LogTail) > 0 {
		fmt.Fprintf(&b, "\n== the last %d lines of the log ==\n", len(r.LogTail))
		for _, l := range r.LogTail {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// scrubKnown scrubs every string of a JSON-like value with the process's
// known secrets and the credential patterns.
func scrubKnown(v any, known *secretSet) any {
	switch t := v.(type) {
	case string:
		return known.scrub(t)
	case map[string]any:
		for k, x := range t {
			t[k] = scrubKnown(x, known)
		}
	case []any:
		for i, x := range t {
			t[i] = scrubKnown(x, known)
		}
	}
	return v
}

// tailLines returns the last n lines of a file (nil when it cannot be read).
func tailLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const window = 256 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		if _, err := f.Seek(fi.Size()-window, io.SeekStart); err != nil {
			return nil
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// keychainBackend names where secrets are kept on this system.
func keychainBackend(st SecretStore) string {
	name := map[string]string{"darwin": "macOS Keychain", "windows": "Windows Credential Manager"}[runtime.GOOS]
	if name == "" {
		name = "Secret Service (GNOME Keyring or KWallet) over D-Bus"
	}
	if k, ok := st.(interface{ Service() string }); ok {
		name += ", service " + k.Service()
	}
	return name
}
