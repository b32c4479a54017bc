package oauth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Redact shortens a token (an access or refresh token, a code, a PKCE
// verifier) to at most 4 characters at the front and 4 at the back, such
// as "prt_…0e04", so support staff can tell tokens apart without seeing
// them. Short values are masked completely. For secrets people enter
// (client secrets, passwords, API keys) use Fingerprint, which shows none
// of their characters.
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
	pre, suf := min(4, n/5), min(4, n/10)
	return string(r[:pre]) + "…" + string(r[n-suf:])
}

// Fingerprint stands for a secret a person entered (a client secret, a
// password, an API key) without showing any of it: "secret…#" and the
// first 6 hex digits of its SHA-256, such as "secret…#a1b2c3", enough to
// tell whether two records used the same value.
func Fingerprint(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return "secret…#" + hex.EncodeToString(sum[:3])
}

// sensitiveFields are body and answer fields whose values are secrets.
var sensitiveFields = map[string]bool{
	"client_secret": true, "clientsecret": true,
	"code": true, "code_verifier": true, "codeverifier": true,
	"refresh_token": true, "refreshtoken": true,
	"access_token": true, "accesstoken": true,
	"id_token": true, "idtoken": true,
	"password": true, "token": true,
	"api_key": true, "apikey": true, "x-api-key": true,
}

// typedFields are the sensitive fields that hold what people enter.
var typedFields = map[string]bool{
	"client_secret": true, "clientsecret": true, "password": true,
	"api_key": true, "apikey": true, "x-api-key": true,
}

func isSensitive(field string) bool { return sensitiveFields[strings.ToLower(field)] }

// maskByName masks the value of a field or header that is sensitive by its
// name alone.
func maskByName(field, value string) string {
	if typedFields[strings.ToLower(field)] {
		return Fingerprint(value)
	}
	return Redact(value)
}

// redactor knows the secret values one request carries, each with the mask
// it is recorded as, and replaces them wherever they appear, also in the
// shapes they take in a form, a URL, JSON or a quoted error text. The
// request builder also tells it which body fields hold what, so values too
// short to search for are masked where they are put.
type redactor struct {
	entries []redactEntry
	fields  map[string]string // body field name → mask of the value put there
	rep     *strings.Replacer // built on first use
}

type redactEntry struct{ value, mask string }

// minScrub is the shortest value searched for everywhere; shorter ones
// would match ordinary text.
const minScrub = 4

// add registers tokens (codes, verifiers, access and refresh tokens).
func (r *redactor) add(s ...string) {
	for _, v := range s {
		r.addMasked(v, Redact(v))
	}
}

// addSecret registers secrets people entered (client secrets, passwords,
// API keys from secret settings).
func (r *redactor) addSecret(s ...string) {
	for _, v := range s {
		r.addMasked(v, Fingerprint(v))
	}
}

func (r *redactor) addMasked(v, mask string) {
	if len(v) < minScrub {
		return
	}
	for _, e := range r.entries {
		if e.value == v {
			return
		}
	}
	r.entries = append(r.entries, redactEntry{v, mask})
	r.rep = nil
}

// field records that the body field name holds value, recorded as mask.
func (r *redactor) field(name, mask string) {
	if r.fields == nil {
		r.fields = map[string]string{}
	}
	r.fields[name] = mask
}

// withoutFields is r for text that is not the request body: the same
// secrets, no field positions.
func (r *redactor) withoutFields() *redactor {
	return &redactor{entries: r.entries, rep: r.rep}
}

// shapes are the forms a value takes in what is recorded.
func shapes(v string) []string {
	j, _ := json.Marshal(v)
	q := strconv.Quote(v)
	out := []string{v, url.QueryEscape(v), url.PathEscape(v), string(j[1 : len(j)-1]), q[1 : len(q)-1]}
	seen := map[string]bool{}
	uniq := out[:0]
	for _, s := range out {
		if !seen[s] && len(s) >= minScrub {
			seen[s] = true
			uniq = append(uniq, s)
		}
	}
	return uniq
}

func (r *redactor) scrub(s string) string {
	if r == nil || len(r.entries) == 0 || s == "" {
		return s
	}
	if r.rep == nil {
		type pair struct{ old, mask string }
		var pairs []pair
		for _, e := range r.entries {
			for _, v := range shapes(e.value) {
				pairs = append(pairs, pair{v, e.mask})
			}
		}
		// Longest first: at any position the longest secret wins, so one
		// containing another is replaced whole.
		sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].old) > len(pairs[j].old) })
		args := make([]string, 0, 2*len(pairs))
		for _, p := range pairs {
			args = append(args, p.old, p.mask)
		}
		r.rep = strings.NewReplacer(args...)
	}
	return r.rep.Replace(s)
}

// redactHeader redacts the credential part of an Authorization header and
// any header named like a secret; r's known secrets are replaced first.
func redactHeader(name, value string, r *redactor) string {
	if v := r.scrub(value); v != value {
		return v
	}
	switch {
	case strings.EqualFold(name, "Authorization"):
		scheme, cred, ok := strings.Cut(value, " ")
		if !ok {
			return Redact(value)
		}
		return scheme + " " + Redact(cred)
	case isSensitive(name):
		return maskByName(name, value)
	}
	return value
}

// maxLogBody bounds what a recorded body keeps.
const maxLogBody = 16 << 10

// redactBody redacts a form or JSON body (a request or an answer) for the
// exchange log: the fields r knows were filled with secrets, the fields
// named like secrets (and those in extra, a dialect's token fields), then
// every known secret wherever it is. Anything else is kept, scrubbed of
// known secrets and cut.
func redactBody(body []byte, extra map[string]bool, r *redactor) string {
	mask := func(k, v string) (string, bool) {
		if m, ok := r.fields[k]; ok {
			return m, true
		}
		if isSensitive(k) {
			return maskByName(k, v), true
		}
		if extra[k] {
			return Redact(v), true
		}
		return "", false
	}
	trimmed := strings.TrimSpace(string(body))
	var out string
	if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
		var v any
		if err := json.Unmarshal(body, &v); err == nil {
			redactJSON(v, mask)
			b, _ := json.Marshal(v)
			out = string(b)
		}
	}
	if out == "" && trimmed != "" && !strings.ContainsAny(trimmed, " <\n") {
		out = redactForm(trimmed, mask)
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

// redactForm masks a form body's fields in their order; masks are written
// as they are, unescaped, to stay readable. It returns "" when s is not a
// form.
func redactForm(s string, mask func(k, v string) (string, bool)) string {
	var b strings.Builder
	for i, pair := range strings.Split(s, "&") {
		k, v, _ := strings.Cut(pair, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || dk == "" {
			return ""
		}
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(dk))
		b.WriteByte('=')
		if m, ok := mask(dk, dv); ok {
			b.WriteString(m)
		} else {
			b.WriteString(url.QueryEscape(dv))
		}
	}
	return b.String()
}

func redactJSON(v any, mask func(k, v string) (string, bool)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok {
				if m, ok := mask(k, s); ok {
					t[k] = m
				}
				continue
			}
			redactJSON(x, mask)
		}
	case []any:
		for _, x := range t {
			redactJSON(x, mask)
		}
	}
}
