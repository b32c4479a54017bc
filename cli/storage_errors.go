package cli

import (
	"errors"
	"strings"

	"github.com/sellerconnect/sellerconnect/storage"
)

// storageExit maps keychain failures: a locked keychain or one that did not
// answer in time is worth a retry once the seller unlocks it.
func storageExit(err error) (int, bool) {
	var ke *storage.KeychainError
	if errors.As(err, &ke) {
		switch ke.Kind {
		case storage.KindLocked, storage.KindTimeout:
			return ExitTemporary, true
		}
		return ExitOther, true
	}
	return 0, false
}

// describeStorage splits a keychain failure into its sentence and advice.
func describeStorage(err error) (msg, advice string, ok bool) {
	var ke *storage.KeychainError
	if !errors.As(err, &ke) {
		return "", "", false
	}
	msg = ke.Error()
	if ke.Advice != "" {
		msg = strings.TrimSuffix(msg, ". "+ke.Advice)
	}
	return msg, ke.Advice, true
}
