package emulator

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// authReq is a validated authorization request.
type authReq struct {
	client      *Client
	redirectURI string // as sent (eBay: the RuName)
	target      string // where the browser goes back to
	state       string
	scopes      []string
	challenge   string
}

// checkAuthorize validates an authorization request. A bad client or
// redirect gives pageErr (shown to the user, never redirected, as RFC 6749
// 4.1.2.1 asks); anything else gives a redirect error code and text.
func (d *dialect) checkAuthorize(q url.Values) (req authReq, pageErr string, code, desc string) {
	if req, pageErr = d.checkClientRedirect(q); pageErr != "" {
		return req, pageErr, "", ""
	}
	req.state = q.Get("state")
	if code, desc = d.checkResponse(q.Get("response_type"), req.state); code != "" {
		return req, "", code, desc
	}
	if req.scopes, code, desc = d.requestedScopes(q.Get("scope")); code != "" {
		return req, "", code, desc
	}
	req.challenge = q.Get("code_challenge")
	code, desc = d.checkChallenge(req.challenge, q.Get("code_challenge_method"), req.client)
	return req, "", code, desc
}

// checkClientRedirect finds the registered client and where the browser
// goes back to: the redirect_uri when it matches one registered, or the
// page an eBay RuName stands for. A problem is a page error.
func (d *dialect) checkClientRedirect(q url.Values) (req authReq, pageErr string) {
	cid := q.Get("client_id")
	if cid == "" {
		return req, "The request has no client_id."
	}
	c := d.clients[cid]
	if c == nil {
		return req, "The application (client_id) is not registered."
	}
	req.client = c
	ru := q.Get("redirect_uri")
	if ru == "" {
		return req, "The request has no redirect_uri."
	}
	req.redirectURI = ru
	if d.spec.ruName {
		t, ok := c.RuNames[ru]
		if !ok {
			return req, "The redirect_uri is not a RuName of this application."
		}
		req.target = t
		return req, ""
	}
	if !slices.ContainsFunc(c.RedirectURIs, func(p string) bool { return matchRedirect(p, ru) }) {
		return req, "The redirect_uri does not match any redirect URI registered for this application."
	}
	req.target = ru
	return req, ""
}

// checkResponse checks response_type (code only) and, where the dialect
// requires it, the state.
func (d *dialect) checkResponse(rt, state string) (code, desc string) {
	switch {
	case rt == "":
		return "invalid_request", "response_type is required"
	case rt != "code":
		return "unsupported_response_type", "response_type must be code"
	case d.spec.stateRequired && state == "":
		return "invalid_request", "state is required"
	}
	return "", ""
}

// requestedScopes reads the scope parameter joined with the dialect's
// separator: the dialect's default scopes when it names none, each one
// known to the dialect.
func (d *dialect) requestedScopes(raw string) (scopes []string, code, desc string) {
	if raw == "" && d.spec.scopeRequired {
		return nil, "invalid_request", "scope is required"
	}
	if d.spec.scopeSep != " " && strings.ContainsAny(raw, " \t") {
		return nil, "invalid_scope", "scopes must be joined with " + d.spec.scopeSep
	}
	scopes = splitScopes(raw, d.spec.scopeSep)
	if d.spec.scopeSep == " " {
		scopes = strings.Fields(raw)
	}
	if len(scopes) == 0 {
		scopes = d.spec.defaultScopes
	}
	for _, s := range scopes {
		if d.spec.knownScopes != nil && !slices.Contains(d.spec.knownScopes, s) {
			return nil, "invalid_scope", "unknown scope: " + s
		}
	}
	return scopes, "", ""
}

// checkChallenge checks PKCE: an S256 challenge, required where the
// dialect says and for public clients (no secret).
func (d *dialect) checkChallenge(ch, method string, c *Client) (code, desc string) {
	switch {
	case ch == "" && (d.spec.pkceRequired || c.Secret == ""):
		return "invalid_request", "code_challenge is required"
	case ch == "" && method != "":
		return "invalid_request", "code_challenge_method without code_challenge"
	case ch != "" && method != "S256":
		return "invalid_request", "code_challenge_method must be S256"
	case ch != "" && !validChallenge(ch):
		return "invalid_request", "code_challenge is malformed"
	}
	return "", ""
}

// serveAuthorize is the authorization endpoint: GET shows the consent page,
// POST (the page's form) approves or denies.
func (d *dialect) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	var q url.Values
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q = r.URL.Query()
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			d.errorPage(w, http.StatusBadRequest, "The form could not be read.")
			return
		}
		q = r.PostForm
	default:
		w.Header().Set("Allow", "GET, POST")
		d.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed.")
		return
	}
	req, pageErr, code, desc := d.checkAuthorize(q)
	if pageErr != "" {
		d.errorPage(w, http.StatusBadRequest, pageErr)
		return
	}
	if code != "" {
		http.Redirect(w, r, addQuery(req.target, [][2]string{{"error", code}, {"error_description", desc}, {"state", req.state}}), http.StatusFound)
		return
	}
	if r.Method != http.MethodPost {
		d.consentPage(w, r, req, q)
		return
	}
	switch q.Get("decision") {
	case "approve":
		c := &codeEntry{clientID: req.client.ID, redirectURI: req.redirectURI, challenge: req.challenge, scopes: req.scopes, user: d.user(q.Get("seller"))}
		params := [][2]string{{"code", d.storeCode(c)}, {"state", req.state}}
		if d.spec.codeParams != nil {
			params = append(params, d.spec.codeParams(d)...)
		}
		http.Redirect(w, r, addQuery(req.target, params), http.StatusFound)
	case "deny":
		d.mu.Lock()
		d.stats.Denials++
		d.mu.Unlock()
		http.Redirect(w, r, addQuery(req.target, [][2]string{
			{"error", "access_denied"}, {"error_description", "The resource owner denied the request"}, {"state", req.state}}), http.StatusFound)
	default:
		d.errorPage(w, http.StatusBadRequest, "Choose Approve or Deny.")
	}
}

type scopeLine struct{ Scope, Text string }

type hiddenField struct{ Name, Value string }

type consentData struct {
	Provider   string
	ClientName string
	Seller     string
	Scopes     []scopeLine
	Action     string
	Hidden     []hiddenField
	Demo       bool
	Target     string
}

func (d *dialect) consentPage(w http.ResponseWriter, r *http.Request, req authReq, q url.Values) {
	d.mu.Lock()
	d.stats.ConsentPages++
	d.mu.Unlock()
	data := consentData{Provider: d.spec.display, ClientName: req.client.Name, Seller: d.user("").Name, Action: r.URL.Path, Demo: d.name == Demo}
	if data.ClientName == "" {
		data.ClientName = "SellerConnect"
	}
	if u, err := url.Parse(req.target); err == nil {
		data.Target = u.Host
	}
	for _, s := range req.scopes {
		t := d.spec.scopeText[s]
		if t == "" {
			t = "use " + s
		}
		data.Scopes = append(data.Scopes, scopeLine{Scope: s, Text: t})
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "decision" && k != "seller" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		data.Hidden = append(data.Hidden, hiddenField{k, q.Get(k)})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:")
	_ = consentTmpl.Execute(w, data)
}

func (d *dialect) errorPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = errorTmpl.Execute(w, struct{ Provider, Message string }{d.spec.display, msg})
}

const pageStyle = `<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f1ec;color:#222}
.card{max-width:440px;margin:8vh auto;background:#fff;border-radius:14px;box-shadow:0 6px 30px rgba(0,0,0,.08);padding:32px}
.brand{font-weight:700;letter-spacing:.02em;color:#b4462b;font-size:14px;text-transform:uppercase}
h1{font-size:22px;margin:8px 0 18px}
ul{padding-left:0;list-style:none;margin:0 0 22px}
li{padding:10px 12px;border:1px solid #eee;border-radius:8px;margin-bottom:8px}
li small{display:block;color:#888;font-size:12px}
.who{color:#555;font-size:14px;margin-bottom:22px}
.buttons{display:flex;gap:12px}
button{flex:1;padding:12px;border-radius:8px;font-size:16px;cursor:pointer;border:1px solid #ccc;background:#fff}
button.approve{background:#b4462b;color:#fff;border-color:#b4462b}
.note{color:#888;font-size:12px;margin-top:18px}
</style>`

var consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Provider}} — authorize {{.ClientName}}</title>` + pageStyle + `</head>
<body><div class="card">
<div class="brand">{{.Provider}}</div>
<h1>{{.ClientName}} wants to:</h1>
<ul>{{range .Scopes}}<li>{{.Text}}<small>{{.Scope}}</small></li>{{else}}<li>sign you in</li>{{end}}</ul>
<p class="who">Signed in as <strong>{{.Seller}}</strong>.{{if .Demo}} This is a pretend marketplace inside SellerConnect: nothing real is shared.{{end}}</p>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<input type="hidden" name="seller" value="{{.Seller}}">
<div class="buttons"><button class="deny" type="submit" name="decision" value="deny">Deny</button>
<button class="approve" type="submit" name="decision" value="approve">Approve</button></div>
</form>
<p class="note">You will be sent back to {{.Target}}.</p>
</div></body></html>
`))

var errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Provider}} — authorization error</title>` + pageStyle + `</head>
<body><div class="card"><div class="brand">{{.Provider}}</div><h1>This authorization request cannot be completed</h1>
<p>{{.Message}}</p></div></body></html>
`))
