package demo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sellerconnect/sellerconnect/storage"
)

// scopes are the Demo marketplace's scopes, with their consent wording.
var scopes = []struct{ Name, Text string }{
	{"shop_read", "See your shop's name and listings"},
	{"listings_write", "Create and edit your listings"},
}

// defaultScopes are granted when a request names none.
var defaultScopes = []string{"shop_read"}

func knownScope(s string) bool {
	return slices.ContainsFunc(scopes, func(k struct{ Name, Text string }) bool { return k.Name == s })
}

// shop is a pretend seller.
type shop struct {
	ID       string
	Name     string
	Blurb    string
	Listings int
	Country  string
}

// shops are the sellers the consent page offers; the first is the default.
var shops = []shop{
	{"demo-1001", "Harbour Street Vintage", "vintage clothing", 42, "GB"},
	{"demo-1002", "Meadow & Loom", "hand-woven textiles", 17, "IE"},
	{"demo-1003", "Copper Kettle Books", "second-hand books", 128, "GB"},
	{"demo-1004", "Northlight Ceramics", "studio pottery", 9, "NL"},
}

// maxSellerName bounds a seller name of one's own (in characters).
const maxSellerName = 80

// shopNamed is the listed shop of that name or id, or else a shop of that
// name with an id derived from it. ok is false for an unusable name.
func shopNamed(name string) (shop, bool) {
	name = strings.TrimSpace(name)
	if name == "" {
		return shops[0], true
	}
	for _, sh := range shops {
		if sh.Name == name || sh.ID == name {
			return sh, true
		}
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxSellerName || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return shop{}, false
	}
	sum := sha256.Sum256([]byte("demo-seller\x00" + name))
	return shop{ID: "demo-" + hex.EncodeToString(sum[:6]), Name: name, Listings: 1 + int(sum[6])%60, Country: "GB"}, true
}

// shopOf is the shop a grant was given for.
func shopOf(g storage.DemoGrant) shop {
	for _, sh := range shops {
		if sh.ID == g.SellerID {
			return sh
		}
	}
	sh, _ := shopNamed(g.Seller)
	return sh
}

// authRequest is a validated authorization request.
type authRequest struct {
	redirectURI string
	state       string
	scopes      []string
	challenge   string
}

// singleParams may each appear once (RFC 6749 3.1).
var singleParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state",
	"code_challenge", "code_challenge_method", "decision", consentField}

// validRedirect accepts http://127.0.0.1:PORT/PATH and nothing else: no
// other host, no user, query or fragment.
func validRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery ||
		u.Fragment != "" || strings.Contains(raw, "#") || u.Hostname() != "127.0.0.1" || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	p, err := strconv.Atoi(u.Port())
	return err == nil && p > 0 && p < 65536 && strconv.Itoa(p) == u.Port()
}

// validChallenge: an S256 challenge is 43 characters of base64url.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil
}

// checkAuthorize validates an authorization request. A bad client or
// redirect gives pageErr, shown to the user and never redirected (RFC 6749
// 4.1.2.1); anything else gives an error code and text for the redirect.
func checkAuthorize(q url.Values) (req authRequest, pageErr, code, desc string) {
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(q[k]) > 1 {
			return req, "The request names " + k + " more than once.", "", ""
		}
	}
	switch cid := q.Get("client_id"); {
	case cid == "":
		return req, "The request has no client_id.", "", ""
	case cid != ClientID:
		return req, "The application (client_id) is not registered with the Demo marketplace.", "", ""
	}
	switch ru := q.Get("redirect_uri"); {
	case ru == "":
		return req, "The request has no redirect_uri.", "", ""
	case !validRedirect(ru):
		return req, "The redirect_uri is not registered for this application: it must be http://127.0.0.1:PORT/PATH.", "", ""
	}
	req.redirectURI = q.Get("redirect_uri")
	req.state = q.Get("state")
	for _, k := range singleParams {
		if len(q[k]) > 1 {
			return req, "", "invalid_request", k + " appears more than once"
		}
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		return req, "", "invalid_request", "response_type is required"
	case rt != "code":
		return req, "", "unsupported_response_type", "response_type must be code"
	}
	for _, s := range strings.Fields(q.Get("scope")) {
		if !knownScope(s) {
			return req, "", "invalid_scope", "unknown scope: " + s
		}
		if !slices.Contains(req.scopes, s) {
			req.scopes = append(req.scopes, s)
		}
	}
	if len(req.scopes) == 0 {
		req.scopes = slices.Clone(defaultScopes)
	}
	ch, m := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case ch == "":
		return req, "", "invalid_request", "code_challenge is required (PKCE)"
	case m != "S256":
		return req, "", "invalid_request", "code_challenge_method must be S256"
	case !validChallenge(ch):
		return req, "", "invalid_request", "code_challenge is malformed"
	}
	req.challenge = ch
	return req, "", "", ""
}

// serveAuthorize is the authorization endpoint: GET shows the consent page,
// POST (the page's form) approves or denies.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	var q url.Values
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q = r.URL.Query()
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			errorPage(w, http.StatusBadRequest, "The form could not be read.")
			return
		}
		q = r.PostForm
	default:
		w.Header().Set("Allow", "GET, POST")
		errorPage(w, http.StatusMethodNotAllowed, "Method not allowed.")
		return
	}
	req, pageErr, code, desc := checkAuthorize(q)
	if pageErr != "" {
		errorPage(w, http.StatusBadRequest, pageErr)
		return
	}
	if code != "" {
		redirect(w, r, req.redirectURI, "error", code, "error_description", desc, "state", req.state)
		return
	}
	if r.Method != http.MethodPost {
		s.consentPage(w, req, q)
		return
	}
	if !s.validConsent(q) {
		errorPage(w, http.StatusBadRequest, "This consent page has expired or was not shown by the Demo marketplace. Start connecting again from SellerConnect.")
		return
	}
	switch q.Get("decision") {
	case "approve":
		// The form sends the hidden default first and the chosen shop after it.
		seller := ""
		if v := q["seller"]; len(v) > 0 {
			seller = v[len(v)-1]
		}
		sh, ok := shopNamed(seller)
		if !ok {
			errorPage(w, http.StatusBadRequest, "That shop name cannot be used: use up to 80 ordinary characters.")
			return
		}
		code := newSecret("dc_", 32)
		now := s.now()
		_, err := s.db.PutDemoCode(code, storage.DemoCode{
			Grant:       storage.DemoGrant{ClientID: ClientID, SellerID: sh.ID, Seller: sh.Name, Scopes: req.scopes},
			RedirectURI: req.redirectURI, Challenge: req.challenge, Expires: now.Add(CodeTTL),
		})
		if err != nil {
			redirect(w, r, req.redirectURI, "error", "server_error", "error_description", "the Demo marketplace could not save the authorization", "state", req.state)
			return
		}
		redirect(w, r, req.redirectURI, "code", code, "state", req.state)
	case "deny":
		redirect(w, r, req.redirectURI, "error", "access_denied", "error_description", "The seller denied the request", "state", req.state)
	default:
		errorPage(w, http.StatusBadRequest, "Choose Approve or Deny.")
	}
}

// redirect sends the browser to target with kv (name, value, ...) added
// to its query; empty values are left out.
func redirect(w http.ResponseWriter, r *http.Request, target string, kv ...string) {
	u, err := url.Parse(target)
	if err != nil {
		errorPage(w, http.StatusBadRequest, "The redirect_uri cannot be read.")
		return
	}
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// consentField carries the consent token in the consent form.
const consentField = "consent"

// consentTTL is how long a consent page can be answered.
const consentTTL = 30 * time.Minute

// consentToken binds a consent page to its request and to this server:
// the time it was shown and an HMAC of both with the server's key. A form
// posted straight to the endpoint, without the page, has none. The browser
// posts to the server that showed the page, so a per-server key suffices.
func (s *Server) consentToken(q url.Values, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return ts + "." + s.consentMAC(q, ts)
}

func (s *Server) consentMAC(q url.Values, ts string) string {
	m := hmac.New(sha256.New, s.consent)
	m.Write([]byte(ts + "\n" + requestParams(q).Encode()))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) validConsent(q url.Values) bool {
	ts, mac, ok := strings.Cut(q.Get(consentField), ".")
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if age := s.now().Sub(time.Unix(sec, 0)); age < -time.Minute || age > consentTTL {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(s.consentMAC(q, ts)))
}

// requestParams is the authorization request in q: everything but the
// form's own fields.
func requestParams(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if k != "decision" && k != "seller" && k != consentField {
			out[k] = v
		}
	}
	return out
}
