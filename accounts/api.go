// Package accounts is the service both faces (the desktop app and the command
// line) use: connecting accounts, keeping their tokens valid with one
// background scheduler, serving tokens, diagnostics and reports. It never
// imports Fyne.
package accounts

import (
	"time"
)

// Status is what a seller sees on an account's badge.
type Status string

const (
	StatusConnected   Status = "connected"
	StatusRefreshing  Status = "refreshing"
	StatusExpiring    Status = "expiring"          // the refresh token ends within 14 days: reconnect by ReconnectBy
	StatusReconnect   Status = "reconnect_needed"  // the grant is gone
	StatusCredentials Status = "credentials_wrong" // the app's client id or secret is wrong
	StatusOffline     Status = "offline"           // temporary failures; retrying at NextRetry
	StatusNotSaved    Status = "not_saved"         // a new token is held in memory because the keychain refused it
)

// Account is a snapshot of one account for display. It holds no secret.
type Account struct {
	ID           string
	Provider     string // profile id
	ProviderName string
	Environment  string
	DisplayName  string
	RemoteID     string

	Status Status
	Reason string // why, in one sentence
	Action string // what to do, in one sentence ("" when nothing)

	Scopes       []string
	AccessExpiry time.Time
	ReconnectBy  time.Time // refresh-token expiry, zero when unknown
	LastRefresh  time.Time
	NextRefresh  time.Time
	NextRetry    time.Time // for StatusOffline and StatusNotSaved

	LastError *Problem // the last failure recorded, nil when none
	Timeline  []Entry  // oldest first; only Get fills it
}

// Entry is one line of an account's timeline: an exchange with the
// provider, a status change or an error. Redacted.
type Entry struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"` // "exchange", "status", "error", "note"
	Summary string    `json:"summary"`
	// Detail is the redacted exchange (method, url, request and response
	// headers and bodies, status, latency) or the error's fields.
	Detail map[string]any `json:"detail,omitempty"`
}

// Provider is a provider as the connect screens list it, with what a face
// needs to run its flow. It holds no secret.
type Provider struct {
	ID, Name    string
	Marketplace string
	Environment string // "production", "sandbox", ...
	// Source is "" for a built-in provider, else the provider file's path.
	Source string
	// Password: the seller signs in with email and password in a form
	// here (no browser). Otherwise the flow runs in the system browser.
	Password bool
	// Paste: the browser ends on the provider's own page, and the seller
	// pastes its address back (ConnectRequest.Paste).
	Paste bool
	// Redirect is how the browser comes back: "loopback", "loopback-fixed"
	// or "paste" ("" for password sign-in). Rotation is "rotate" when the
	// provider replaces the refresh token on every refresh, else "none".
	Redirect, Rotation string
	// Settings are the app settings the provider takes, in order.
	Settings []Setting
	// MissingSettings are the keys of required settings not yet supplied
	// (client_id, client_secret, partnerId, ...). Empty means ready.
	MissingSettings []string
	// EndpointsChanged, when not empty, says a provider file moved where
	// this provider's secrets go ("endpoints changed by FILE — confirm …"):
	// nothing is sent until the seller confirms (Service.ConfirmEndpoints).
	EndpointsChanged string
	// TokenURL is where tokens are asked for (doctor probes it).
	TokenURL string
	// RevokeURL is set when the provider can revoke SellerConnect's access
	// itself; RevokeHelp says where the seller does it otherwise.
	RevokeURL, RevokeHelp string
}

// Setting is an app setting a provider takes (client id, client secret,
// RuName, ...).
type Setting struct {
	Key, Label string
	Secret     bool // kept in the keychain, never shown
	Optional   bool
}

// ConnectRequest says how to run a connect flow. The service picks the flow
// from the profile: browser (loopback or paste) or password sign-in.
type ConnectRequest struct {
	Provider string
	// Reconnect, when set, replaces the tokens of this existing account.
	Reconnect string
	// OnAuthURL receives the address to open, before the browser is opened,
	// so a face can offer "Copy link". Optional.
	OnAuthURL func(url string)
	// NoBrowser skips opening the system browser (the CLI's --no-browser).
	NoBrowser bool
	// Paste, for paste-mode providers, waits for the final browser address
	// (or the bare code) the seller pastes. Also usable as a fallback for
	// loopback providers: whichever comes first wins.
	Paste func() <-chan string
	// OnBadPaste, when set, is told of a paste that is not this attempt's
	// address (an oauth.KindPaste error: not an address, another attempt's,
	// no state); the attempt goes on and the seller can paste again. When
	// nil a bad paste ends the attempt.
	OnBadPaste func(error)
	// Email and Password for password sign-in providers. The password is sent
	// once and never stored.
	Email, Password string
	// Timeout bounds the wait for consent; 5 minutes by default.
	Timeout time.Duration
}

// Event tells subscribers that an account was added or changed (status,
// expiry, name or timeline), or, with Removed, that it is gone.
type Event struct {
	Account Account
	Removed bool
}
