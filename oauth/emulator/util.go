package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

func randBytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b)
	return b
}

func randHex(n int) string    { return hex.EncodeToString(randBytes(n)) }
func randB64URL(n int) string { return base64.RawURLEncoding.EncodeToString(randBytes(n)) }
func randB64(n int) string    { return base64.StdEncoding.EncodeToString(randBytes(n)) }

func newUUID() string {
	b := randBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validVerifier: RFC 7636, 43–128 characters of [A-Za-z0-9._~-].
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return false
		}
	}
	return true
}

// validChallenge: an S256 challenge is 43 characters of base64url.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

// mediaType is the request's Content-Type without parameters, lower case.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// readForm parses a form-encoded body (and only the body). It reports false
// when the body is not form-encoded or cannot be parsed.
func readForm(r *http.Request) (url.Values, bool) {
	if mediaType(r) != "application/x-www-form-urlencoded" {
		return nil, false
	}
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	return r.PostForm, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// addQuery returns target with params appended to its query.
func addQuery(target string, params [][2]string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	for _, p := range params {
		if p[1] != "" {
			q.Set(p[0], p[1])
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// matchRedirect compares a redirect_uri with a registered entry: exactly,
// or with a "*" port (any port) and a "/*" path (any path).
func matchRedirect(pattern, uri string) bool {
	if pattern == uri {
		return true
	}
	if !strings.Contains(pattern, "*") {
		return false
	}
	p, err1 := url.Parse(strings.Replace(pattern, ":*", ":0", 1))
	u, err2 := url.Parse(uri)
	if err1 != nil || err2 != nil || u.Fragment != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	if p.Scheme != u.Scheme || p.Hostname() != u.Hostname() {
		return false
	}
	if strings.Contains(pattern, ":*") {
		if u.Port() == "" || strings.Trim(u.Port(), "0123456789") != "" {
			return false
		}
	} else if p.Port() != u.Port() {
		return false
	}
	if p.Path == "/*" {
		return true
	}
	return p.Path == u.Path && p.RawQuery == u.RawQuery
}

func splitScopes(raw, sep string) []string {
	var out []string
	for _, s := range strings.Split(raw, sep) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
