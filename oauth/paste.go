package oauth

import (
	"errors"
	"net/url"
	"strings"
)

// ParsePasted reads what the seller pasted after approving in the browser,
// for redirect URIs the app cannot listen on (eBay's https RuName page): the
// final address with code and state, its query string, or the bare code.
// The state is checked whenever the input carries one; a bare code has none
// to check, so ParsePasted suits paste-mode providers only: use
// ParsePastedFor when the provider may be a loopback one.
func ParsePasted(input, wantState string) (string, error) {
	return parsePasted(input, wantState, true)
}

// ParsePastedFor is ParsePasted for provider p: a bare code is accepted
// only when p finishes by pasting (redirect mode "paste"). A loopback
// provider's browser ends on an address that carries the state, so there a
// bare code is refused and the seller is asked for the whole address.
func ParsePastedFor(p *Profile, input, wantState string) (string, error) {
	if p == nil {
		return "", configError("paste", "no provider profile")
	}
	return parsePasted(input, wantState, p.Redirect.Mode == RedirectPaste)
}

func parsePasted(input, wantState string, bareOK bool) (string, error) {
	s := strings.TrimSpace(input)
	s = strings.Trim(s, "\"'<>`")
	s = strings.TrimSpace(s)
	if s == "" {
		return "", pasteError("nothing was pasted")
	}
	if len(s) > 64<<10 {
		return "", pasteError("the pasted text is too long to be an address or a code")
	}
	if strings.Contains(s, "://") || strings.HasPrefix(s, "?") || strings.HasPrefix(s, "#") ||
		strings.Contains(s, "code=") || strings.Contains(s, "error=") || strings.Contains(s, "state=") {
		return pastedAddress(s, wantState)
	}
	// A bare code: copied out of the address bar it may still be
	// percent-encoded (eBay's codes contain ^ and #).
	if strings.ContainsAny(s, " \t\r\n\x00") {
		return "", pasteError("that is neither the address from the browser nor a code")
	}
	if !bareOK {
		e := pasteError("a code on its own cannot be checked against this connection attempt")
		e.Code = "bare_code"
		e.Advice = "Paste the whole address from the browser's address bar after approving, not just the code."
		return "", e
	}
	if strings.Contains(s, "%") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
		// What the escapes hid is held to the same rule ("%00" is no code).
		if strings.ContainsAny(s, "\t\r\n\x00") {
			return "", pasteError("that is neither the address from the browser nor a code")
		}
	}
	if len(s) > maxCodeLen {
		return "", pasteError("that is too long to be an authorization code")
	}
	return s, nil
}

func pastedAddress(s, wantState string) (string, error) {
	raw := s
	if i := strings.Index(s, "?"); i >= 0 {
		raw = s[i+1:]
	} else if i := strings.Index(s, "#"); i >= 0 {
		raw = s[i+1:]
	}
	query, frag, _ := strings.Cut(raw, "#")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", pasteError("the address could not be read: " + err.Error())
	}
	if q.Get("code") == "" && q.Get("error") == "" && frag != "" {
		// Some providers answer in the fragment.
		if fq, err := url.ParseQuery(frag); err == nil {
			q = fq
		}
	}
	if q.Get("code") == "" && q.Get("error") == "" {
		return "", pasteError("the address holds no authorization code: copy it from the browser after approving")
	}
	code, err := parseCallback(q, wantState)
	if e, ok := AsError(err); ok {
		e.Op = "paste"
		if e.Code == CodeStateMismatch {
			// The seller's paste, not the provider: an address from another
			// attempt (or without its state).
			pe := pasteError("that address belongs to another connection attempt (its state does not match this one's)")
			pe.Code = CodeStateMismatch
			pe.Advice = "Paste the address the browser ended on after approving in the tab this attempt opened."
			if q.Get("state") == "" {
				pe = pasteError("that address carries no state, so it cannot be checked against this connection attempt")
				pe.Code = CodeStateMismatch
			}
			return "", pe
		}
	}
	return code, err
}

func pasteError(msg string) *Error {
	e := newError(KindPaste, "paste", errors.New(msg))
	e.Code = "bad_paste"
	e.Advice = "Paste the whole address shown in the browser after approving (or just the code)."
	return e
}
