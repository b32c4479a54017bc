package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// tokenAnswer is a successful token endpoint answer, read tolerantly.
type tokenAnswer struct {
	AccessToken      string
	TokenType        string
	RefreshToken     string
	Scope            string
	ExpiresIn        int64 // seconds; 0 when absent or unusable
	RefreshExpiresIn int64 // refresh_token_expires_in; 0 when absent
}

// errAnswerIsError marks a success status whose body is an error object.
var errAnswerIsError = errors.New("the answer is an error, not a token")

// maxLifetime bounds lifetimes taken from an answer (a hundred years): a
// larger value is nonsense and would overflow time arithmetic.
const maxLifetime = 100 * 365 * 24 * 3600

// parseTokenResponse reads a token answer: JSON (the norm) or a form-encoded
// body, with snake_case or camelCase names, expires_in as a number or a
// string. It fails, with a reason free of secrets, when there is no access
// token or the body is not an answer at all (an HTML error page).
func parseTokenResponse(body []byte) (*tokenAnswer, error) {
	fields, err := answerFields(body)
	if err != nil {
		return nil, err
	}
	a := &tokenAnswer{
		AccessToken:  stringField(fields, "access_token", "accessToken"),
		TokenType:    stringField(fields, "token_type", "tokenType"),
		RefreshToken: stringField(fields, "refresh_token", "refreshToken"),
	}
	if a.AccessToken == "" {
		if stringField(fields, "error") != "" || fields["status"] != nil {
			return nil, errAnswerIsError
		}
		return nil, errors.New("the answer has no access_token")
	}
	if strings.ContainsAny(a.AccessToken, "\r\n\x00") || strings.ContainsAny(a.RefreshToken, "\r\n\x00") {
		return nil, errors.New("the answer's token holds control characters")
	}
	a.Scope = scopeField(fields["scope"])
	a.ExpiresIn = seconds(fields, "expires_in", "expiresIn")
	a.RefreshExpiresIn = seconds(fields, "refresh_token_expires_in", "refreshTokenExpiresIn", "refresh_expires_in")
	return a, nil
}

// answerFields decodes a token answer's body: one JSON object, or a form
// that carries an access token.
func answerFields(body []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("the answer is empty")
	}
	fields := map[string]any{}
	switch trimmed[0] {
	case '{':
		d := json.NewDecoder(bytes.NewReader(trimmed))
		d.UseNumber()
		if err := d.Decode(&fields); err != nil {
			return nil, errors.New("the answer is not valid JSON")
		}
		if d.More() {
			return nil, errors.New("the answer has data after its JSON object")
		}
	case '<':
		return nil, errors.New("the answer is an HTML page, not a token")
	default:
		q, err := url.ParseQuery(string(trimmed))
		if err != nil || q.Get("access_token") == "" {
			return nil, errors.New("the answer is neither JSON nor a form")
		}
		for k := range q {
			fields[k] = q.Get(k)
		}
	}
	return fields, nil
}

// stringField is the first non-empty string among the named fields.
func stringField(fields map[string]any, names ...string) string {
	for _, n := range names {
		if s, ok := fields[n].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// scopeField reads scope as a string or a list of strings.
func scopeField(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []any:
		var parts []string
		for _, x := range s {
			if v, ok := x.(string); ok {
				parts = append(parts, v)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// seconds reads a lifetime given as a JSON number or a numeric string;
// negative, fractional-overflowing or absurd values count as absent.
func seconds(fields map[string]any, names ...string) int64 {
	for _, n := range names {
		var f float64
		var err error
		switch v := fields[n].(type) {
		case json.Number:
			f, err = v.Float64()
		case string:
			f, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
		case float64:
			f = v
		default:
			continue
		}
		if err != nil || math.IsNaN(f) || f <= 0 || f > maxLifetime {
			continue
		}
		return int64(f)
	}
	return 0
}
