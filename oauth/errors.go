package oauth

import (
	"fmt"
	"strings"
	"time"
)

// Kind classifies a failure by what the seller or the app must do about it.
type Kind string

const (
	KindReconnect   Kind = "reconnect_needed"  // the grant is gone (invalid_grant): the seller connects again
	KindCredentials Kind = "credentials_wrong" // the app's client id or secret is wrong (invalid_client, Depop's "client secret does not match")
	KindTemporary   Kind = "temporary"         // network, 5xx, 429: retry later (RetryAfter when the provider said)
	KindProvider    Kind = "provider_fault"    // an answer that cannot be understood
	KindDenied      Kind = "denied"            // the seller refused consent (access_denied)
	KindCancelled   Kind = "cancelled"         // the seller or the app gave up (closed dialog, timeout)
	KindConfig      Kind = "config"            // a profile or setting that cannot work (missing client id, https required)
	KindPaste       Kind = "paste"             // what the seller pasted is not this attempt's address: paste again
)

// Error is a classified failure that keeps the provider's own fields for
// support staff. Its text never contains a secret.
type Error struct {
	Kind Kind
	// Op is what was attempted: "authorize", "callback", "exchange", "refresh", "signin", "test", "revoke".
	Op     string
	Status int // HTTP status, 0 when no answer came

	// The provider's fields, as sent.
	Code        string // RFC 6749 "error" (or Depop's error text)
	Description string // "error_description", "message", "error_message"
	RequestID   string // Depop's "id"
	TraceID     string // Vault.ist's "traceId"

	RetryAfter time.Duration // from Retry-After, for temporary failures
	Advice     string        // one plain-language sentence: what to do
	Err        error         // the underlying cause (already free of secrets)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Description != "" && !strings.EqualFold(e.Description, e.Code) {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [id %s]", e.RequestID)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " [traceId %s]", e.TraceID)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
