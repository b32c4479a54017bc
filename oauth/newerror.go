package oauth

import (
	"errors"
	"fmt"
)

// Advice for each kind, used when nothing more specific is known.
var defaultAdvice = map[Kind]string{
	KindReconnect:   "Connect this account again: the provider no longer accepts its authorization.",
	KindCredentials: "Check the app's client ID and client secret for this provider in Settings.",
	KindTemporary:   "The provider could not be reached or is busy; SellerConnect will try again later.",
	KindProvider:    "The provider sent an answer SellerConnect cannot understand; try again later, and send the diagnostics report to support if it persists.",
	KindDenied:      "Access was not granted. Connect again and approve the request to use this account.",
	KindCancelled:   "Connecting was cancelled; start again when ready.",
	KindConfig:      "This provider's settings cannot work as they are; check them in Settings.",
}

func newError(kind Kind, op string, cause error) *Error {
	return &Error{Kind: kind, Op: op, Advice: defaultAdvice[kind], Err: cause}
}

func configError(op, format string, args ...any) *Error {
	return newError(KindConfig, op, fmt.Errorf(format, args...))
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the Kind of the *Error in err's chain, or "" when there is none.
func KindOf(err error) Kind {
	if e, ok := AsError(err); ok {
		return e.Kind
	}
	return ""
}
