package oauth

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseCallback(t *testing.T) {
	cases := []struct {
		query string
		code  string
		kind  Kind
		ecode string
	}{
		{"code=0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM&state=abc123xyz", "0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM", "", ""},
		{"code=x&state=other", "", KindCancelled, CodeStateMismatch},
		{"code=x", "", KindCancelled, CodeStateMismatch},
		{"code=x&state=abc123xyz&state=abc123xyz", "", KindProvider, ""},
		{"error=access_denied&error_description=The+resource+owner+denied+the+request&state=abc123xyz", "", KindDenied, "access_denied"},
		{"error=access_denied", "", KindDenied, "access_denied"},
		{"error=access_denied&state=evil", "", KindCancelled, CodeStateMismatch},
		{"error=invalid_scope&state=abc123xyz", "", KindConfig, "invalid_scope"},
		{"error=temporarily_unavailable&state=abc123xyz", "", KindTemporary, "temporarily_unavailable"},
		{"error=weird&state=abc123xyz", "", KindProvider, "weird"},
		{"state=abc123xyz", "", KindProvider, ""},
		{"code=" + strings.Repeat("a", maxCodeLen+1) + "&state=abc123xyz", "", KindProvider, ""},
	}
	for _, tc := range cases {
		q, _ := url.ParseQuery(tc.query)
		code, err := parseCallback(q, "abc123xyz")
		if code != tc.code || KindOf(err) != tc.kind {
			t.Errorf("%.60s: code %q err %v", tc.query, code, err)
			continue
		}
		if e, ok := AsError(err); ok && e.Code != tc.ecode {
			t.Errorf("%.60s: error code %q, want %q", tc.query, e.Code, tc.ecode)
		}
	}
	// An empty expected state never matches.
	q, _ := url.ParseQuery("code=x&state=")
	if _, err := parseCallback(q, ""); KindOf(err) != KindCancelled {
		t.Errorf("empty state accepted: %v", err)
	}
}

func TestParsePasted(t *testing.T) {
	const st = "st4te"
	cases := []struct {
		in   string
		code string
		kind Kind
	}{
		{"https://sellerconnect.example/ebay/accepted?state=st4te&code=v%5E1.1%23i%5E1%23f%5E0&expires_in=299", "v^1.1#i^1#f^0", ""},
		{"  <https://x.example/cb?code=abc&state=st4te>  ", "abc", ""},
		{"?code=abc&state=st4te", "abc", ""},
		{"code=abc&state=st4te", "abc", ""},
		{"https://x.example/cb#code=frag&state=st4te", "frag", ""},
		{"https://x.example/cb?code=abc&state=wrong", "", KindPaste},
		{"https://x.example/cb?code=abc", "", KindPaste},
		{"https://x.example/cb?error=access_denied&state=st4te", "", KindDenied},
		{"https://x.example/cb?foo=bar", "", KindPaste},
		{"v%5E1.1%23i%5E1%23f%5E0", "v^1.1#i^1#f^0", ""},
		{"0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM", "0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM", ""},
		{"", "", KindPaste},
		{"two words", "", KindPaste},
		{"https://x.example/cb?code=%zz&state=st4te", "", KindPaste},
	}
	for _, tc := range cases {
		code, err := ParsePasted(tc.in, st)
		if code != tc.code || KindOf(err) != tc.kind {
			t.Errorf("%q: code %q err %v", tc.in, code, err)
		}
		if e, ok := AsError(err); ok && e.Op != "paste" && e.Op != "callback" {
			t.Errorf("%q: op %q", tc.in, e.Op)
		}
	}
}

// TestParsePastedForMode: a bare code carries no state, so it is taken only
// where the seller cannot paste anything else (paste-mode providers); for
// a loopback provider the whole address, with its state, is needed.
func TestParsePastedForMode(t *testing.T) {
	const st = "st4te"
	loop := &Profile{ID: "l", Name: "Loop", Redirect: Redirect{Mode: RedirectLoopback, Path: "/callback"}}
	fixed := &Profile{ID: "f", Name: "Fixed", Redirect: Redirect{Mode: RedirectLoopbackFixed, Port: 53682, Path: "/callback"}}
	paste := &Profile{ID: "p", Name: "Paste", Redirect: Redirect{Mode: RedirectPaste, URI: "${ruName}"}}
	for _, p := range []*Profile{loop, fixed} {
		for _, in := range []string{"0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM", "v%5E1.1%23i%5E1%23f%5E0"} {
			code, err := ParsePastedFor(p, in, st)
			e, ok := AsError(err)
			if code != "" || !ok || e.Kind != KindPaste || !strings.Contains(e.Advice, "whole address") {
				t.Errorf("%s: bare code %q: code %q err %v", p.ID, in, code, err)
			}
		}
		if code, err := ParsePastedFor(p, "http://127.0.0.1:53682/callback?code=abc&state=st4te", st); code != "abc" || err != nil {
			t.Errorf("%s: address: %q %v", p.ID, code, err)
		}
		if _, err := ParsePastedFor(p, "http://127.0.0.1:53682/callback?code=abc&state=other", st); KindOf(err) != KindPaste {
			t.Errorf("%s: wrong state: %v", p.ID, err)
		}
	}
	if code, err := ParsePastedFor(paste, "0hRoHU5BHzdaP_kFAFfclqIToj6Aw8pjrNMT1ptpZwM", st); err != nil || code == "" {
		t.Errorf("paste mode bare code: %q %v", code, err)
	}
	if _, err := ParsePastedFor(paste, "https://x.example/cb?code=abc&state=other", st); KindOf(err) != KindPaste {
		t.Errorf("paste mode wrong state: %v", err)
	}
	if _, err := ParsePastedFor(nil, "abc", st); KindOf(err) != KindConfig {
		t.Errorf("no profile: %v", err)
	}
}
