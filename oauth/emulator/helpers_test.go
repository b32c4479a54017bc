package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a controlled clock for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t testing.TB, opts Options) *Emulator {
	t.Helper()
	return Started(t, opts)
}

// The seed's PKCE test vector.
const (
	seedVerifier  = "vvkdljkejllufrvbhgeiegrnvufrhvrffnkvcknjvfid"
	seedChallenge = "DSWlW2Abh-cf8CeLL8-g3hQ2WQyYdKyiu83u_s7nRhI"
)

func challengeOf(v string) string {
	s := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// answer is a decoded HTTP answer.
type answer struct {
	status int
	header http.Header
	raw    string
	json   map[string]any
}

func (a answer) str(k string) string {
	v, _ := a.json[k].(string)
	return v
}

// testClient keeps connections alive across the parallel tests' goroutines.
var testClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}}

func do(t testing.TB, req *http.Request) answer {
	t.Helper()
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.json)
	return a
}

// postForm posts a form; basic is "id:secret" for Basic authentication or "".
func postForm(t testing.TB, u string, form url.Values, basic string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != "" {
		id, sec, _ := strings.Cut(basic, ":")
		req.SetBasicAuth(id, sec)
	}
	return do(t, req)
}

func postJSON(t testing.TB, u string, body any, headers map[string]string) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func get(t testing.TB, u, bearer string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return do(t, req)
}

// getNoFollow fetches without following redirects.
func getNoFollow(t testing.TB, u string) answer {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
}

func query(t testing.TB, loc string) url.Values {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func approve(t testing.TB, authURL string) url.Values {
	t.Helper()
	loc, err := Approve(context.Background(), nil, authURL)
	if err != nil {
		t.Fatal(err)
	}
	return query(t, loc)
}

// depopAuthURL builds a valid Depop authorization URL; set overrides or
// (with an empty value) removes parameters.
func depopAuthURL(em *Emulator, set map[string]string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {TestClientID},
		"redirect_uri":          {TestRedirectURI},
		"state":                 {"abc123xyz"},
		"scope":                 {"products_read+shop_read"},
		"code_challenge":        {seedChallenge},
		"code_challenge_method": {"S256"},
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return em.URL() + "/depop/settings/oauth/apps/?" + q.Encode()
}

func depopToken(em *Emulator) string { return em.URL() + "/depop/api/v1/oauth2/access-token/" }

// depopConnect runs the whole Depop connect and returns the answer.
func depopConnect(t testing.TB, em *Emulator) answer {
	t.Helper()
	q := approve(t, depopAuthURL(em, nil))
	a := postForm(t, depopToken(em), url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "client_id": {TestClientID},
		"client_secret": {TestClientSecret}, "redirect_uri": {TestRedirectURI}, "code_verifier": {seedVerifier},
	}, "")
	if a.status != 200 {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	return a
}

func depopRefresh(t testing.TB, em *Emulator, rt string) answer {
	t.Helper()
	return postForm(t, depopToken(em), url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {TestClientID}, "client_secret": {TestClientSecret},
	}, "")
}

// checkDepopError checks Depop's error shape.
func checkDepopError(t *testing.T, a answer, status int, errText string) {
	t.Helper()
	if a.status != status || a.str("error") != errText {
		t.Fatalf("want %d %q, got %d %s", status, errText, a.status, a.raw)
	}
	if c, _ := a.json["code"].(float64); int(c) != status {
		t.Errorf("code field %v, want %d", a.json["code"], status)
	}
	for _, k := range []string{"message", "id", "detail", "error_message", "error_description"} {
		if a.str(k) == "" {
			t.Errorf("error field %q missing in %s", k, a.raw)
		}
	}
	if len(a.str("id")) != 36 || strings.Count(a.str("id"), "-") != 4 {
		t.Errorf("id %q is not a UUID", a.str("id"))
	}
}
