// Package accounts is the service both faces (the desktop app and the command
// line) use: connecting accounts, keeping their tokens valid with one
// background scheduler, serving tokens, diagnostics and reports. It never
// imports Fyne.
package accounts

import (
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// Status is what a seller sees on an account's badge.
type Status string

const (
	StatusConnected    Status = "connected"
	StatusRefreshing   Status = "refreshing"
	StatusExpiring     Status = "expiring"          // the refresh token ends within 14 days: reconnect by ReconnectBy
	StatusReconnect    Status = "reconnect_needed"  // the grant is gone
	StatusCredentials  Status = "credentials_wrong" // the app's client id or secret is wrong
	StatusOffline      Status = "offline"           // temporary failures; retrying at NextRetry
	StatusNotSaved     Status = "not_saved"         // a new token is held in memory because the keychain refused it
	StatusDisconnected Status = "disconnected"
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

	LastError *storage.ErrorInfo
	Timeline  []storage.TimelineEntry
}

// ProviderInfo is a provider as the connect screens list it.
type ProviderInfo struct {
	Profile oauth.Profile
	// MissingSettings are the keys of required settings not yet supplied
	// (client_id, client_secret, partnerId, ...). Empty means ready.
	MissingSettings []string
	// EndpointsChanged, when not empty, says a provider file moved where
	// this provider's secrets go ("endpoints changed by FILE — confirm …"):
	// nothing is sent until the seller confirms (Service.ConfirmEndpoints).
	EndpointsChanged string
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

// EventKind says what changed.
type EventKind string

const (
	EventAdded   EventKind = "added"
	EventUpdated EventKind = "updated" // status, expiry, name or timeline changed
	EventRemoved EventKind = "removed"
)

// Event tells subscribers that an account changed.
type Event struct {
	Kind    EventKind
	Account Account
}

// DisconnectResult says what happened at the provider.
type DisconnectResult struct {
	Revoked bool   // the provider revoked the tokens
	Help    string // where the seller revokes by hand when the provider has no endpoint
}
