package cli

import "github.com/sellerconnect/sellerconnect/accounts"

// openService opens the accounts service on dataDir the way every face
// does (accounts.Open wires the keychain, records, settings, catalog and
// browser). catalogErrs are provider files that did not load.
func openService(dataDir string, writes bool) (svc *accounts.Service, catalogErrs []error, err error) {
	svc, err = accounts.Open(accounts.Options{DataDir: dataDir, Version: Version, MustWrite: writes})
	if err != nil {
		return nil, nil, err
	}
	_, catalogErrs = svc.Providers()
	return svc, catalogErrs, nil
}
