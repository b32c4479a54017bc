package ui

import (
	"context"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// Backend is the part of the accounts service the desktop face uses.
// *accounts.Service satisfies it through serviceBackend; tests and the
// screenshot fixture supply their own.
type Backend interface {
	Providers() []accounts.Provider
	List() []accounts.Account
	Get(id string) (accounts.Account, error)
	Connect(ctx context.Context, req accounts.ConnectRequest) (accounts.Account, error)
	Refresh(ctx context.Context, id string) error
	RefreshAll(ctx context.Context) error
	Test(ctx context.Context, id string) (accounts.Account, error)
	// Token is a valid access token, refreshed first when due (what
	// "sellerconnect token" prints).
	Token(ctx context.Context, id string) (string, error)
	// Disconnect forgets an account; revoked says the provider revoked its
	// tokens, help where to revoke by hand otherwise.
	Disconnect(ctx context.Context, id string) (revoked bool, help string, err error)
	Subscribe() (events <-chan accounts.Event, cancel func())

	// SetProviderSettings stores a provider's app credentials (secrets go to
	// the keychain).
	SetProviderSettings(provider string, values map[string]string) error
	// ConfirmEndpoints trusts the addresses a provider file gave a
	// provider (Provider.EndpointsChanged says which).
	ConfirmEndpoints(provider string) error
	// ReportText is the redacted diagnostic report of the given accounts
	// (every account when none is given).
	ReportText(ids ...string) (string, error)
	// ReloadProviders reads the custom providers folder again and says
	// which files did not load.
	ReloadProviders() []error
}
