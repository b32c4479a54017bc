package ui

import (
	"context"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// Backend is the part of the accounts service the desktop face uses.
// *accounts.Service satisfies it through serviceBackend; tests and the
// screenshot fixture supply their own.
type Backend interface {
	Providers() []accounts.ProviderInfo
	List() []accounts.Account
	Get(id string) (accounts.Account, error)
	Connect(ctx context.Context, req accounts.ConnectRequest) (accounts.Account, error)
	Refresh(ctx context.Context, id string) error
	RefreshAll(ctx context.Context) error
	Test(ctx context.Context, id string) (accounts.Account, error)
	// Token is a valid access token, refreshed first when due (what
	// "sellerconnect token" prints).
	Token(ctx context.Context, id string) (string, error)
	Disconnect(ctx context.Context, id string) (accounts.DisconnectResult, error)
	Subscribe() (events <-chan accounts.Event, cancel func())

	// SetProviderSettings stores a provider's app credentials (secrets go to
	// the keychain).
	SetProviderSettings(provider string, values map[string]string) error
	// ConfirmEndpoints trusts the addresses a provider file gave a
	// provider (ProviderInfo.EndpointsChanged says which).
	ConfirmEndpoints(provider string) error
	// ReportText is the redacted diagnostic report of the given accounts
	// (every account when none is given).
	ReportText(ids ...string) (string, error)
	// ReloadProviders re-reads the custom providers folder.
	ReloadProviders() []error
}
