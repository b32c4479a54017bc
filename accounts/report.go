package accounts

import (
	"encoding/json"
	"fmt"
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
	Generated  time.Time       `json:"generated"`
	AppVersion string          `json:"app_version"`
	OS         string          `json:"os"`
	Arch       string          `json:"arch"`
	GoVersion  string          `json:"go_version"`
	Accounts   []ReportAccount `json:"accounts"`
	// Missing lists requested ids that are not accounts.
	Missing []string `json:"missing,omitempty"`
}

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
	r := Report{Generated: now, AppVersion: s.cfg.AppVersion, OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version()}
	if r.AppVersion == "" {
		r.AppVersion = "dev"
	}
	var accs []*account
	if len(ids) == 0 {
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
	fmt.Fprintf(&b, "accounts:    %d\n", len(r.Accounts))
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
	return b.String()
}
