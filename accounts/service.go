package accounts

import (
	"context"
	"errors"
)

// errUnbuilt marks the service's methods not yet implemented.
var errUnbuilt = errors.New("accounts: not implemented yet")

// Service keeps every account's tokens valid and answers both faces.
type Service struct{}

// Start runs the background refresh scheduler until ctx ends.
func (s *Service) Start(ctx context.Context) {}

// Providers lists the built-in and custom providers.
func (s *Service) Providers() []ProviderInfo { return nil }

// List returns every account, sorted by provider then name.
func (s *Service) List() []Account { return nil }

// Get returns one account.
func (s *Service) Get(id string) (Account, error) { return Account{}, errUnbuilt }

// Connect runs the provider's connect flow and stores the new account.
func (s *Service) Connect(ctx context.Context, req ConnectRequest) (Account, error) {
	return Account{}, errUnbuilt
}

// Token returns a valid access token, refreshing first when it is due.
func (s *Service) Token(ctx context.Context, id string) (string, error) { return "", errUnbuilt }

// Refresh refreshes one account now (unless another refresh just did).
func (s *Service) Refresh(ctx context.Context, id string) error { return errUnbuilt }

// RefreshAll refreshes every account that can be refreshed.
func (s *Service) RefreshAll(ctx context.Context) error { return errUnbuilt }

// Test runs the provider's test call and records the display name and id.
func (s *Service) Test(ctx context.Context, id string) (Account, error) {
	return Account{}, errUnbuilt
}

// Disconnect revokes where the provider can, then forgets the account.
func (s *Service) Disconnect(ctx context.Context, id string) (DisconnectResult, error) {
	return DisconnectResult{}, errUnbuilt
}

// Subscribe delivers events until cancel is called.
func (s *Service) Subscribe() (events <-chan Event, cancel func()) {
	ch := make(chan Event)
	return ch, func() {}
}
