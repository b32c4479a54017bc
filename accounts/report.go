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

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// report is a redacted diagnostic report for support staff: the app and
// system, and per account its provider, status, last error (with the
// provider's request id) and timeline. It holds no secret.
type report struct {
	Generated  time.Time        `json:"generated"`
	AppVersion string           `json:"app_version"`
	OS         string           `json:"os"`
	Arch       string           `json:"arch"`
	GoVersion  string           `json:"go_version"`
	DataDir    string           `json:"data_dir"`
	Keychain   string           `json:"keychain"` // the backend and the service name entries are kept under
	Providers  []reportProvider `json:"providers"`
	// FileErrors are the provider files that did not load.
	FileErrors []string `json:"file_errors,omitempty"`
	// ConnectFailures are connect attempts that did not end in an account.
	ConnectFailures []storage.ConnectFailure `json:"connect_failures,omitempty"`
	Accounts        []reportAccount          `json:"accounts"`
	// LogTail is the end of the log (redacted like everything else).
	LogTail []string `json:"log_tail,omitempty"`
	// Missing lists requested ids that are not accounts.
	Missing []string `json:"missing,omitempty"`
}

// reportProvider is one provider in a report: where it comes from and
// whether it is ready to connect.
type reportProvider struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Source           string   `json:"source"`
	Ready            bool     `json:"ready"`
	MissingSettings  []string `json:"missing_settings,omitempty"`
	EndpointsChanged string   `json:"endpoints_changed,omitempty"`
}

// logTailLines is how much of the log a report carries.
const logTailLines = 200

// reportAccount is one account in a report.
type reportAccount struct {
	ID              string             `json:"id"`
	Provider        string             `json:"provider"`
	ProviderName    string             `json:"provider_name"`
	Environment     string             `json:"environment,omitempty"`
	TokenURL        string             `json:"token_url,omitempty"`
	Rotation        string             `json:"rotation,omitempty"`
	RefreshLifetime string             `json:"refresh_lifetime,omitempty"`
	DisplayName     string             `json:"display_name,omitempty"`
	RemoteID        string             `json:"remote_id,omitempty"`
	Status          Status             `json:"status"`
	Reason          string             `json:"reason,omitempty"`
	Action          string             `json:"action,omitempty"`
	Scopes          []string           `json:"scopes,omitempty"`
	AccessExpiry    time.Time          `json:"access_expiry,omitzero"`
	ReconnectBy     time.Time          `json:"reconnect_by,omitzero"`
	LastRefresh     time.Time          `json:"last_refresh,omitzero"`
	NextRefresh     time.Time          `json:"next_refresh,omitzero"`
	NextRetry       time.Time          `json:"next_retry,omitzero"`
	LastError       *storage.ErrorInfo `json:"last_error,omitempty"`
	Timeline        []Entry            `json:"timeline,omitempty"`
}

// Report is the redacted diagnostic report, as plain text for a support
// ticket, for ids (every account when none is given).
func (s *Service) Report(ids ...string) string { return s.report(ids...).text() }

// report builds the report for ids (every account when none is given).
func (s *Service) report(ids ...string) report {
	now := s.clock.Now()
	r := report{Generated: now, AppVersion: s.cfg.AppVersion, OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(),
		DataDir: s.cfg.DataDir, Keychain: keychainBackend(s.secrets)}
	if r.AppVersion == "" {
		r.AppVersion = "dev"
	}
	list, fileErrs := s.Providers()
	for _, p := range list {
		source := p.Source
		if source == "" {
			source = oauth.BuiltinSource
		}
		r.Providers = append(r.Providers, reportProvider{ID: p.ID, Name: p.Name, Source: source,
			Ready: len(p.MissingSettings) == 0 && p.EndpointsChanged == "", MissingSettings: p.MissingSettings, EndpointsChanged: p.EndpointsChanged})
	}
	for _, e := range fileErrs {
		r.FileErrors = append(r.FileErrors, e.Error())
	}
	r.ConnectFailures, _ = s.store.ConnectFailures()
	r.LogTail = tailLines(filepath.Join(s.cfg.DataDir, filepath.FromSlash(logFile)), logTailLines)
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
		ra := reportAccount{
			ID: v.ID, Provider: v.Provider, ProviderName: v.ProviderName, Environment: v.Environment,
			DisplayName: v.DisplayName, RemoteID: v.RemoteID, Status: v.Status, Reason: v.Reason, Action: v.Action,
			Scopes: v.Scopes, AccessExpiry: v.AccessExpiry, ReconnectBy: v.ReconnectBy, LastRefresh: v.LastRefresh,
			NextRefresh: v.NextRefresh, NextRetry: v.NextRetry, LastError: a.lastError(), Timeline: v.Timeline,
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
				var clean report
				if json.Unmarshal(b2, &clean) == nil {
					return clean
				}
			}
		}
	}
	return r
}

// json is the report as indented JSON.
func (r report) json() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// stamp is a report's time: RFC 3339 in UTC, "-" when zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// text is the report as plain text for a support ticket.
func (r report) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "SellerConnect diagnostic report (secrets redacted)\n")
	fmt.Fprintf(&b, "generated:   %s\n", stamp(r.Generated))
	fmt.Fprintf(&b, "app version: %s\n", r.AppVersion)
	fmt.Fprintf(&b, "system:      %s/%s, %s\n", r.OS, r.Arch, r.GoVersion)
	fmt.Fprintf(&b, "data dir:    %s\n", r.DataDir)
	fmt.Fprintf(&b, "keychain:    %s\n", r.Keychain)
	r.writeProviders(&b)
	fmt.Fprintf(&b, "\naccounts:    %d\n", len(r.Accounts))
	for _, id := range r.Missing {
		fmt.Fprintf(&b, "(no account %q)\n", id)
	}
	for _, a := range r.Accounts {
		a.write(&b)
	}
	if len(r.LogTail) > 0 {
		fmt.Fprintf(&b, "\n== the last %d lines of the log ==\n", len(r.LogTail))
		for _, l := range r.LogTail {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func (r report) writeProviders(b *strings.Builder) {
	b.WriteString("\nproviders:\n")
	for _, p := range r.Providers {
		state := "ready"
		switch {
		case p.EndpointsChanged != "":
			state = p.EndpointsChanged
		case !p.Ready:
			state = "missing " + strings.Join(p.MissingSettings, ", ")
		}
		fmt.Fprintf(b, "  %-18s %-26s %s; %s\n", p.ID, p.Name, p.Source, state)
	}
	for _, e := range r.FileErrors {
		fmt.Fprintf(b, "  provider file did not load: %s\n", e)
	}
	if len(r.ConnectFailures) > 0 {
		b.WriteString("\nfailed connect attempts (newest last):\n")
		for _, f := range r.ConnectFailures {
			fmt.Fprintf(b, "  %s %s kind=%s: %s\n", stamp(f.Time), f.Provider, f.Kind, f.Message)
		}
	}
}

func (a reportAccount) write(b *strings.Builder) {
	fmt.Fprintf(b, "\n== %s (%s) ==\n", a.ID, a.ProviderName)
	fmt.Fprintf(b, "provider:      %s [%s] rotation=%s refresh-lifetime=%s\n", a.Provider, a.Environment, a.Rotation, a.RefreshLifetime)
	line := func(ok bool, label, format string, v ...any) {
		if ok {
			fmt.Fprintf(b, "%-15s"+format+"\n", append([]any{label}, v...)...)
		}
	}
	line(a.TokenURL != "", "token url:", "%s", a.TokenURL)
	line(a.DisplayName != "" || a.RemoteID != "", "account:", "%s (id %s)", a.DisplayName, a.RemoteID)
	line(true, "status:", "%s", a.Status)
	line(a.Reason != "", "reason:", "%s", a.Reason)
	line(a.Action != "", "action:", "%s", a.Action)
	line(true, "access expiry:", "%s", stamp(a.AccessExpiry))
	line(true, "reconnect by:", "%s", stamp(a.ReconnectBy))
	line(true, "last refresh:", "%s", stamp(a.LastRefresh))
	line(true, "next refresh:", "%s", stamp(a.NextRefresh))
	line(!a.NextRetry.IsZero(), "next retry:", "%s", stamp(a.NextRetry))
	line(len(a.Scopes) > 0, "scopes:", "%s", strings.Join(a.Scopes, " "))
	writeLastError(b, a.LastError)
	if len(a.Timeline) > 0 {
		b.WriteString("timeline (oldest first):\n")
		for _, t := range a.Timeline {
			writeEntry(b, t)
		}
	}
}

func writeLastError(b *strings.Builder, e *storage.ErrorInfo) {
	if e == nil {
		return
	}
	fmt.Fprintf(b, "last error:    %s %s kind=%s", stamp(e.Time), e.Op, e.Kind)
	part := func(ok bool, format string, v any) {
		if ok {
			fmt.Fprintf(b, format, v)
		}
	}
	part(e.Status != 0, " HTTP %d", e.Status)
	part(e.Code != "", " error=%q", e.Code)
	part(e.Description != "", " description=%q", e.Description)
	part(e.RequestID != "", " request-id=%s", e.RequestID)
	part(e.TraceID != "", " trace-id=%s", e.TraceID)
	b.WriteString("\n")
	part(e.Advice != "", "               advice: %s\n", e.Advice)
}

// writeEntry writes a timeline line, and for an exchange or an error the
// fields its summary leaves out.
func writeEntry(b *strings.Builder, t Entry) {
	fmt.Fprintf(b, "  %s %-8s %s\n", t.Time.UTC().Format("2006-01-02 15:04:05.000"), t.Kind, t.Summary)
	if t.Kind != "exchange" && t.Kind != "error" {
		return
	}
	keys := make([]string, 0, len(t.Detail))
	for k := range t.Detail {
		switch k {
		case "op", "method", "url", "latency_ms", "status":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := json.Marshal(t.Detail[k])
		fmt.Fprintf(b, "      %s: %s\n", k, v)
	}
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
func keychainBackend(st secretStore) string {
	name := map[string]string{"darwin": "macOS Keychain", "windows": "Windows Credential Manager"}[runtime.GOOS]
	if name == "" {
		name = "Secret Service (GNOME Keyring or KWallet) over D-Bus"
	}
	if k, ok := st.(interface{ Service() string }); ok {
		name += ", service " + k.Service()
	}
	return name
}
