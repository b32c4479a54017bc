package oauth

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	rt := "prt_c89529c1f7c74d1ebc9e7a6e786a80d6_cc08fc9261021661e674dd18da195d2833e10e04"
	if got := Redact(rt); got != "prt_c895…0e04" {
		t.Errorf("Redact = %q", got)
	}
	for _, s := range []string{"short", "test-secret", "correct horse", "0123456789abcdefghi"} {
		if got := Redact(s); got != "****" {
			t.Errorf("Redact(%q) = %q", s, got)
		}
	}
	if Redact("") != "" {
		t.Error("empty")
	}
	long := strings.Repeat("x", 20) + "SECRETPART" + strings.Repeat("y", 20)
	if strings.Contains(Redact(long), "SECRET") {
		t.Error("middle leaked")
	}
}

func TestRedactBody(t *testing.T) {
	r := &redactor{}
	r.add("s3cr3t-value-here-long")
	form := "grant_type=refresh_token&refresh_token=prt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&client_id=abc&client_secret=s3cr3t-value-here-long"
	got := redactBody([]byte(form), nil, r)
	if strings.Contains(got, "aaaaaaaaaaaaaaaaaaaaaa") || strings.Contains(got, "s3cr3t-value-here-long") || !strings.Contains(got, "client_id=abc") {
		t.Errorf("form: %s", got)
	}
	js := `{"refreshToken":"dGhpcyBpcyBhIHJlZnJlc2hUb2tlbi4uLg==","nested":{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"},"expires_in":3600}`
	got = redactBody([]byte(js), map[string]bool{"refreshToken": true}, &redactor{})
	if strings.Contains(got, "dGhpcyBpcyBhIHJlZnJl") || strings.Contains(got, "IkpXVCJ9") || !strings.Contains(got, "3600") {
		t.Errorf("json: %s", got)
	}
	html := "<html>token s3cr3t-value-here-long</html>"
	if got := redactBody([]byte(html), nil, r); strings.Contains(got, "s3cr3t-value-here-long") {
		t.Errorf("html: %s", got)
	}
	if got := redactHeader("Authorization", "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ="); got != "Basic dGVzdC…XQ=" {
		t.Errorf("header: %s", got)
	}
}
