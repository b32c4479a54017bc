package oauth

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// Redact shortens a secret to a recognisable prefix and suffix, such as
// "prt_c895…0e04", so support staff can tell tokens apart without seeing
// them. Short secrets are masked completely.
func Redact(secret string) string {
	r := []rune(secret)
	n := len(r)
	switch {
	case n == 0:
		return ""
	case n < 20:
		return "****"
	}
	// At most a fifth shows at the front and a tenth at the back.
	pre, suf := min(8, n/5), min(4, n/10)
	return string(r[:pre]) + "…" + string(r[n-suf:])
}

// sensitiveFields are body and answer fields whose values are secrets.
var sensitiveFields = map[string]bool{
	"client_secret": true, "clientsecret": true,
	"code": true, "code_verifier": true, "codeverifier": true,
	"refresh_token": true, "refreshtoken": true,
	"access_token": true, "accesstoken": true,
	"id_token": true, "idtoken": true,
	"password": true, "token": true,
}

func isSensitive(field string) bool { return sensitiveFields[strings.ToLower(field)] }

// redactor replaces every secret it was told about wherever it appears, as
// a last line of defence behind the field-aware redaction.
type redactor struct{ secrets []string }

func (r *redactor) add(s ...string) {
	for _, v := range s {
		if len(v) >= 4 {
			r.secrets = append(r.secrets, v)
		}
	}
}

func (r *redactor) scrub(s string) string {
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	for _, v := range r.secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redact(v))
		}
	}
	return s
}

// redactHeader redacts the credential part of an Authorization header and
// any header named like a secret.
func redactHeader(name, value string) string {
	switch {
	case strings.EqualFold(name, "Authorization"):
		scheme, cred, ok := strings.Cut(value, " ")
		if !ok {
			return Redact(value)
		}
		return scheme + " " + Redact(cred)
	case isSensitive(name):
		return Redact(value)
	}
	return value
}

// maxLogBody bounds what a recorded body keeps.
const maxLogBody = 16 << 10

// redactBody redacts a form or JSON body (a request or an answer) for the
// exchange log. Anything else is kept, scrubbed of known secrets and cut.
func redactBody(body []byte, extra map[string]bool, r *redactor) string {
	sensitive := func(k string) bool { return isSensitive(k) || extra[k] }
	trimmed := strings.TrimSpace(string(body))
	var out string
	if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
		var v any
		if err := json.Unmarshal(body, &v); err == nil {
			redactJSON(v, sensitive)
			b, _ := json.Marshal(v)
			out = string(b)
		}
	}
	if out == "" && trimmed != "" && !strings.ContainsAny(trimmed, " <\n") {
		if q, err := url.ParseQuery(trimmed); err == nil && len(q) > 0 {
			for k, vs := range q {
				if sensitive(k) {
					for i := range vs {
						vs[i] = Redact(vs[i])
					}
				}
			}
			out = q.Encode()
		}
	}
	if out == "" {
		out = string(body)
	}
	out = r.scrub(out)
	if len(out) > maxLogBody {
		out = out[:maxLogBody] + "…(cut)"
	}
	return out
}

func redactJSON(v any, sensitive func(string) bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && sensitive(k) {
				t[k] = Redact(s)
				continue
			}
			redactJSON(x, sensitive)
		}
	case []any:
		for _, x := range t {
			redactJSON(x, sensitive)
		}
	}
}
