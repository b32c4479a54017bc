package cli

import (
	"time"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// The JSON formats below are a documented, stable interface (README,
// "JSON output"): fields are only ever added, never renamed or removed.
// They are explicit structs so internal types can change freely.

// schemaVersion is written as "schema" in every JSON document; it changes
// only if a field's meaning ever has to change.
const schemaVersion = 1

type providersJSON struct {
	Schema    int            `json:"schema"`
	Providers []providerJSON `json:"providers"`
	// FileErrors are provider files that did not load (file, line, field).
	FileErrors []string `json:"file_errors,omitempty"`
}

type providerJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Marketplace string `json:"marketplace"`
	Environment string `json:"environment"`
	Connect     string `json:"connect"`            // "browser" or "password"
	Redirect    string `json:"redirect,omitempty"` // browser only: "loopback", "loopback-fixed" or "paste"
	Rotation    string `json:"rotation"`           // "none" or "rotate"
	Source      string `json:"source"`             // "built-in" or the provider file's path
	// Ready is true when every required app setting is supplied.
	Ready           bool     `json:"ready"`
	MissingSettings []string `json:"missing_settings"` // never null
	// EndpointsChanged says a provider file moved where this provider's
	// secrets go; nothing is sent there until confirmed.
	EndpointsChanged string `json:"endpoints_changed,omitempty"`
}

func providersOutput(list []accounts.Provider, fileErrs []error) providersJSON {
	out := providersJSON{Schema: schemaVersion, Providers: make([]providerJSON, 0, len(list))}
	for _, p := range list {
		missing := append([]string{}, p.MissingSettings...)
		j := providerJSON{
			ID:               p.ID,
			Name:             p.Name,
			Marketplace:      p.Marketplace,
			Environment:      p.Environment,
			Connect:          "browser",
			Redirect:         p.Redirect,
			Rotation:         p.Rotation,
			Source:           p.Source,
			Ready:            len(missing) == 0 && p.EndpointsChanged == "",
			MissingSettings:  missing,
			EndpointsChanged: p.EndpointsChanged,
		}
		if p.Password {
			j.Connect = "password"
		}
		if j.Source == "" {
			j.Source = "built-in"
		}
		out.Providers = append(out.Providers, j)
	}
	for _, e := range fileErrs {
		out.FileErrors = append(out.FileErrors, e.Error())
	}
	return out
}

type accountsJSON struct {
	Schema   int           `json:"schema"`
	Accounts []accountJSON `json:"accounts"`
}

type accountJSON struct {
	ID           string   `json:"id"`
	Provider     string   `json:"provider"`
	ProviderName string   `json:"provider_name"`
	Environment  string   `json:"environment,omitempty"`
	Name         string   `json:"name,omitempty"`      // display name from the provider's test call
	RemoteID     string   `json:"remote_id,omitempty"` // the provider's id of the account
	Status       string   `json:"status"`              // connected, refreshing, expiring, reconnect_needed, credentials_wrong, offline, not_saved, disconnected
	Reason       string   `json:"reason,omitempty"`
	Action       string   `json:"action,omitempty"`
	Scopes       []string `json:"scopes"` // never null
	// Times are RFC 3339; absent when unknown.
	AccessExpiry *time.Time `json:"access_expiry,omitempty"`
	ReconnectBy  *time.Time `json:"reconnect_by,omitempty"`
	LastRefresh  *time.Time `json:"last_refresh,omitempty"`
	NextRefresh  *time.Time `json:"next_refresh,omitempty"`
	NextRetry    *time.Time `json:"next_retry,omitempty"`
	LastError    *errorJSON `json:"last_error,omitempty"`
}

type errorJSON struct {
	Time        *time.Time `json:"time,omitempty"`
	Kind        string     `json:"kind"` // reconnect_needed, credentials_wrong, temporary, provider_fault, denied, cancelled, config
	Op          string     `json:"op,omitempty"`
	HTTPStatus  int        `json:"http_status,omitempty"`
	Code        string     `json:"code,omitempty"`
	Description string     `json:"description,omitempty"`
	RequestID   string     `json:"request_id,omitempty"`
	TraceID     string     `json:"trace_id,omitempty"`
	Advice      string     `json:"advice,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func accountOutput(a accounts.Account) accountJSON {
	j := accountJSON{
		ID:           a.ID,
		Provider:     a.Provider,
		ProviderName: a.ProviderName,
		Environment:  a.Environment,
		Name:         a.DisplayName,
		RemoteID:     a.RemoteID,
		Status:       string(a.Status),
		Reason:       a.Reason,
		Action:       a.Action,
		Scopes:       append([]string{}, a.Scopes...),
		AccessExpiry: optTime(a.AccessExpiry),
		ReconnectBy:  optTime(a.ReconnectBy),
		LastRefresh:  optTime(a.LastRefresh),
		NextRefresh:  optTime(a.NextRefresh),
		NextRetry:    optTime(a.NextRetry),
		LastError:    errorOutput(a.LastError),
	}
	return j
}

func errorOutput(e *accounts.Problem) *errorJSON {
	if e == nil {
		return nil
	}
	return &errorJSON{
		Time:        optTime(e.Time),
		Kind:        e.Kind,
		Op:          e.Op,
		HTTPStatus:  e.Status,
		Code:        e.Code,
		Description: e.Description,
		RequestID:   e.RequestID,
		TraceID:     e.TraceID,
		Advice:      e.Do,
	}
}
