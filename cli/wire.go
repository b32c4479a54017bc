package cli

import "github.com/sellerconnect/sellerconnect/accounts"

// openService opens the accounts service on dataDir the way every face
// does (accounts.Open wires the keychain, records, settings, catalog and
// browser). The provider files that did not load are for the commands
// that list providers to ask (Providers reads every provider's
// credentials, which a token request does not need).
func openService(dataDir string, writes bool) (*accounts.Service, error) {
	return accounts.Open(accounts.Options{DataDir: dataDir, Version: Version, MustWrite: writes})
}
