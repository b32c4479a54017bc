package accounts

import (
	"regexp"
	"sort"
	"strings"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// scrub replaces every known secret in text by its redacted form. The oauth
// package already redacts what it logs; this is the second line of defence
// for anything the service writes (timeline, errors, reports, log).
func scrub(text string, secrets []string) string {
	if len(secrets) == 0 || text == "" {
		return text
	}
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, v := range sorted {
		if len(v) >= 6 && strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, oauth.Redact(v))
		}
	}
	return text
}

// scrubAny scrubs strings inside a JSON-like value.
func scrubAny(v any, secrets []string) any {
	switch t := v.(type) {
	case string:
		return scrub(t, secrets)
	case map[string]any:
		for k, x := range t {
			t[k] = scrubAny(x, secrets)
		}
		return t
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = scrub(x, secrets)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = scrubAny(x, secrets)
		}
		return t
	}
	return v
}

// scrubPatterns redacts what looks like a credential in text whose secrets
// the service does not know (log lines from errors of other layers).
func scrubPatterns(text string) string {
	text = bearerish.ReplaceAllStringFunc(text, func(m string) string {
		sub := bearerish.FindStringSubmatch(m)
		return sub[1] + " " + oauth.Redact(sub[2])
	})
	text = keyed.ReplaceAllStringFunc(text, func(m string) string {
		sub := keyed.FindStringSubmatch(m)
		if strings.Contains(sub[2], "…") {
			return m // already redacted
		}
		return sub[1] + oauth.Redact(sub[2])
	})
	return opaque.ReplaceAllStringFunc(text, func(m string) string {
		if !strings.ContainsAny(m, "0123456789") || strings.Count(m, "/") > 3 {
			return m // words or a path, not a token
		}
		return oauth.Redact(m)
	})
}

// tokenish finds long opaque strings after a bearer-like keyword, for
// scrubbing text whose secrets the service does not know (log lines from
// errors of other layers).
var (
	bearerish = regexp.MustCompile(`(?i)(bearer|basic)\s+([A-Za-z0-9._~+/=-]{12,})`)
	// keyed finds a credential after its name, as a form field, a query
	// parameter or a JSON member.
	keyed = regexp.MustCompile(`(?i)((?:access_token|refresh_token|id_token|client_secret|code_verifier|password|api_key|apikey|secret)"?\s*[:=]\s*"?)([^"&\s,}]{6,})`)
	// opaque finds long unbroken strings of token characters mixing
	// letters and digits, which is what tokens look like.
	opaque = regexp.MustCompile(`[A-Za-z0-9_~+/^#-]{40,}={0,2}`)
)
