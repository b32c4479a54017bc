package oauth

import (
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxCodeLen bounds an authorization code; real ones are a few hundred bytes.
const maxCodeLen = 8 << 10

// CodeStateMismatch is Error.Code when the browser came back with a state
// other than the one this flow sent.
const CodeStateMismatch = "state_mismatch"

// parseCallback reads the parameters the provider sent back to the redirect
// URI (a query string or fragment) and returns the code when the state
// matches wantState. An error callback (access_denied and the others of
// RFC 6749 §4.1.2.1) becomes a classified *Error.
func parseCallback(q url.Values, wantState string) (string, error) {
	for _, k := range []string{"code", "state", "error"} {
		if len(q[k]) > 1 {
			return "", callbackError(KindProvider, "", "the callback repeats the "+k+" parameter")
		}
	}
	state, hasState := q["state"]
	if hasState && !stateEqual(state[0], wantState) {
		return "", stateMismatch()
	}
	if e := q.Get("error"); e != "" {
		return "", callbackErrorFrom(e, q.Get("error_description"))
	}
	if !hasState {
		return "", stateMismatch()
	}
	code := q.Get("code")
	switch {
	case code == "":
		return "", callbackError(KindProvider, "", "the provider came back without an authorization code")
	case len(code) > maxCodeLen:
		return "", callbackError(KindProvider, "", "the authorization code is implausibly long")
	case strings.ContainsAny(code, "\x00\r\n"):
		return "", callbackError(KindProvider, "", "the authorization code holds control characters")
	}
	return code, nil
}

// stateEqual compares in constant time so the state cannot be guessed byte
// by byte from response timings.
func stateEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func stateMismatch() *Error {
	e := newError(KindCancelled, "callback", errors.New("the state does not match the request this flow sent"))
	e.Code = CodeStateMismatch
	e.Advice = "The browser came back from a different connection attempt, so it was not accepted. Start connecting again from SellerConnect."
	return e
}

func callbackError(kind Kind, code, msg string) *Error {
	e := newError(kind, "callback", errors.New(msg))
	e.Code = code
	return e
}

// callbackErrorFrom classifies an error callback by its RFC 6749 code.
func callbackErrorFrom(code, desc string) *Error {
	code, desc = clip(code, 100), clip(desc, 300)
	var e *Error
	switch code {
	case "access_denied":
		e = newError(KindDenied, "callback", nil)
	case "temporarily_unavailable", "server_error":
		e = newError(KindTemporary, "callback", nil)
	case "invalid_request", "unauthorized_client", "unsupported_response_type", "invalid_scope", "invalid_client":
		e = newError(KindConfig, "callback", nil)
		e.Advice = "The provider refused the authorization request; check the client ID, redirect address and scopes registered for this app."
	default:
		e = newError(KindProvider, "callback", nil)
	}
	e.Code, e.Description = code, desc
	return e
}

// clip keeps provider text to a sensible length and valid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "�")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
