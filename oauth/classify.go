package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// providerFields are the parts of an error answer support staff need, in
// whichever shape the provider uses: RFC 6749 (error, error_description),
// Depop (code, error, message, id, detail, error_message) or Vault.ist
// (status, message, traceId, errors).
type providerFields struct {
	Code, Description, RequestID, TraceID string
	texts                                 []string // every text field, for hint matching
}

func readProviderFields(body []byte) (providerFields, bool) {
	var f providerFields
	m, ok := jsonObject(body)
	if !ok {
		return f, false
	}
	f.Code, f.Description = errorCode(m)
	f.RequestID = textField(m, "id", "request_id", "requestId")
	f.TraceID = textField(m, "traceId", "trace_id")
	for _, k := range []string{"error", "code", "status", "message", "error_description", "error_message", "detail"} {
		if s, ok := m[k].(string); ok && s != "" {
			f.texts = append(f.texts, s)
		}
	}
	return f, f.Code != "" || f.Description != "" || f.RequestID != "" || f.TraceID != ""
}

// jsonObject decodes a body that is one JSON object, numbers kept as text.
func jsonObject(body []byte) (map[string]any, bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	m := map[string]any{}
	d := json.NewDecoder(bytes.NewReader(trimmed))
	d.UseNumber()
	if d.Decode(&m) != nil {
		return nil, false
	}
	return m, true
}

// textField is the first non-empty string among the named fields; a
// request "id" may be a number too.
func textField(m map[string]any, names ...string) string {
	for _, n := range names {
		switch v := m[n].(type) {
		case string:
			if v != "" {
				return v
			}
		case json.Number:
			if n == "id" {
				return v.String()
			}
		}
	}
	return ""
}

// errorCode finds the error's code and description in each shape: RFC 6749
// and Depop at the top, {"error": {"code", "message"}} nested, Vault.ist's
// status, eBay's errors list.
func errorCode(m map[string]any) (code, desc string) {
	code = textField(m, "error", "error_code")
	if nested, ok := m["error"].(map[string]any); ok {
		if s, ok := nested["code"].(string); ok {
			code = s
		}
		if s, ok := nested["message"].(string); ok {
			desc = s
		}
	}
	if code == "" {
		if code = textField(m, "code"); code == "" {
			code = textField(m, "status") // Vault.ist: "UNAUTHORIZED"
		}
	}
	if desc == "" {
		desc = textField(m, "error_description", "message", "error_message", "detail", "errorMessage")
	}
	if code == "" {
		code, desc = ebayError(m, desc)
	}
	return code, desc
}

// ebayError reads {"errors": [{"errorId": 1001, "message": "Invalid access
// token", ...}]}: the first entry's id, and its message when desc is empty.
func ebayError(m map[string]any, desc string) (string, string) {
	list, ok := m["errors"].([]any)
	if !ok || len(list) == 0 {
		return "", desc
	}
	first, ok := list[0].(map[string]any)
	if !ok {
		return "", desc
	}
	code := ""
	if n, ok := first["errorId"].(json.Number); ok {
		code = n.String()
	}
	if s, ok := first["message"].(string); ok && desc == "" {
		desc = s
	}
	return code, desc
}

// classify turns an unsuccessful answer into a *Error: first the profile's
// hints, then RFC 6749's codes, then the HTTP status.
func classify(op string, p *Profile, a *answer, now time.Time, secrets *redactor) *Error {
	f, parsed := readProviderFields(a.body)
	kind := Kind("")
	if a.status == http.StatusTooManyRequests || a.status >= 500 {
		kind = KindTemporary
	}
	if kind == "" && parsed {
		kind = kindFromHints(p, f.texts)
	}
	if kind == "" && parsed {
		kind = kindFromCode(f.Code)
		if op == "test" && strings.EqualFold(f.Code, "insufficient_scope") {
			kind = KindReconnect // the seller must grant the missing scope
		}
	}
	if kind == "" {
		switch {
		case a.status == http.StatusUnauthorized && op == "test":
			kind = KindReconnect
		case a.status == http.StatusForbidden && op == "test":
			kind = KindReconnect
		case a.status == http.StatusUnauthorized:
			kind = KindCredentials
		case a.status == http.StatusNotFound || a.status == http.StatusMethodNotAllowed:
			kind = KindConfig
		case a.status == http.StatusRequestTimeout:
			kind = KindTemporary
		default:
			kind = KindProvider
		}
	}
	e := newError(kind, op, nil)
	e.Status = a.status
	e.Code = secrets.scrub(clip(f.Code, 100))
	e.Description = secrets.scrub(clip(f.Description, 300))
	e.RequestID = clip(f.RequestID, 100)
	e.TraceID = clip(f.TraceID, 100)
	if !parsed {
		e.Err = fmt.Errorf("unexpected answer: %s", describeBody(a))
	}
	if kind == KindTemporary {
		e.RetryAfter = retryAfter(a.header.Get("Retry-After"), now)
	}
	e.Advice = advise(e, p, op)
	return e
}

func kindFromHints(p *Profile, texts []string) Kind {
	if p == nil {
		return ""
	}
	match := func(hints []string) bool {
		for _, h := range hints {
			for _, t := range texts {
				if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(t)) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case match(p.Errors.Credentials):
		return KindCredentials
	case match(p.Errors.Reconnect):
		return KindReconnect
	case match(p.Errors.Temporary):
		return KindTemporary
	}
	return ""
}

func kindFromCode(code string) Kind {
	switch strings.ToLower(code) {
	case "invalid_grant", "invalid_refresh_token", "invalid_token", "expired_token", "token_expired":
		return KindReconnect
	case "invalid_client", "unauthorized_client", "client secret does not match":
		return KindCredentials
	case "access_denied":
		return KindDenied
	case "invalid_request", "invalid_scope", "unsupported_grant_type", "insufficient_scope":
		return KindConfig
	case "temporarily_unavailable", "server_error", "slow_down":
		return KindTemporary
	}
	return ""
}

// describeBody says what an unreadable answer looked like, without
// repeating it (it may hold anything).
func describeBody(a *answer) string {
	t := bytes.TrimSpace(a.body)
	switch {
	case len(t) == 0:
		return "an empty body"
	case t[0] == '<':
		return "an HTML page"
	case t[0] == '{' || t[0] == '[':
		return fmt.Sprintf("JSON without the expected fields (%d bytes)", len(a.body))
	}
	ct := a.header.Get("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("%d bytes of %s", len(a.body), clip(ct, 60))
}

// retryAfter reads Retry-After as seconds or an HTTP date; at most a day.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

// advise writes the one sentence the seller or integrator reads.
func advise(e *Error, p *Profile, op string) string {
	name := "the provider"
	if p != nil && p.Name != "" {
		name = p.Name
	}
	switch e.Kind {
	case KindReconnect:
		switch op {
		case "exchange":
			return "The provider refused the authorization code (already used, expired, or the redirect address or PKCE did not match): start connecting again."
		case "signin":
			return fmt.Sprintf("%s refused the sign-in: check the email and password (and the partner ID in Settings) and sign in again.", name)
		case "test":
			if e.Status == http.StatusForbidden && p != nil && p.Test.Scope != "" {
				return fmt.Sprintf("The account did not grant the %q permission: connect it again and approve every permission.", p.Test.Scope)
			}
			return "The provider refused the access token: refresh it, and connect the account again if that fails."
		}
		return fmt.Sprintf("%s no longer accepts this account's authorization (revoked, expired or replaced): connect the account again.", name)
	case KindCredentials:
		return fmt.Sprintf("%s refused the app's credentials: check the client ID and client secret for %s in Settings.", name, name)
	case KindTemporary:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("%s is busy and asked to wait %s; SellerConnect will try again then.", name, e.RetryAfter.Round(time.Second))
		}
		return fmt.Sprintf("%s is unavailable right now; SellerConnect will try again later.", name)
	case KindConfig:
		if e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed {
			return fmt.Sprintf("%s does not know the address SellerConnect used: check the provider's endpoints.", name)
		}
		return fmt.Sprintf("%s refused the request as malformed: check the provider's settings and profile.", name)
	}
	return defaultAdvice[e.Kind]
}

// errNoTest and errNoRevoke mark profiles without those endpoints.
var (
	errNoTest   = errors.New("the profile has no test call")
	errNoRevoke = errors.New("the provider has no revocation endpoint")
)
