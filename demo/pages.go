package demo

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
)

// marketplace is the name the pages show.
const marketplace = "Demo marketplace"

type scopeLine struct{ Scope, Text string }

type hiddenField struct{ Name, Value string }

type shopChoice struct {
	ID, Name, Blurb string
	Checked         bool
}

type consentData struct {
	Provider string
	Scopes   []scopeLine
	Shops    []shopChoice
	Default  string
	Action   string
	Hidden   []hiddenField
	Target   string
}

// securityHeaders keep the pages out of frames and away from scripts; the
// form may post here and the redirect go to a loopback address.
func securityHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'none'")
}

func (s *Server) consentPage(w http.ResponseWriter, req authRequest, q url.Values) {
	data := consentData{Provider: marketplace, Default: shops[0].Name, Action: "/demo/oauth/authorize"}
	if u, err := url.Parse(req.redirectURI); err == nil {
		data.Target = u.Host
	}
	for _, sc := range req.scopes {
		for _, k := range scopes {
			if k.Name == sc {
				data.Scopes = append(data.Scopes, scopeLine{Scope: sc, Text: k.Text})
			}
		}
	}
	for i, sh := range shops {
		data.Shops = append(data.Shops, shopChoice{ID: sh.ID, Name: sh.Name, Blurb: sh.Blurb, Checked: i == 0})
	}
	p := requestParams(q)
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		data.Hidden = append(data.Hidden, hiddenField{k, p.Get(k)})
	}
	// The token covers the values the form posts back: the first of each.
	first := url.Values{}
	for _, h := range data.Hidden {
		first.Set(h.Name, h.Value)
	}
	data.Hidden = append(data.Hidden, hiddenField{consentField, s.consentToken(first, s.now())})
	securityHeaders(w.Header())
	_ = consentTmpl.Execute(w, data)
}

func errorPage(w http.ResponseWriter, status int, msg string) {
	securityHeaders(w.Header())
	w.WriteHeader(status)
	_ = errorTmpl.Execute(w, struct{ Provider, Message string }{marketplace, msg})
}

const pageStyle = `<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef3f1;color:#222}
.card{max-width:460px;margin:6vh auto;background:#fff;border-radius:14px;box-shadow:0 6px 30px rgba(0,0,0,.08);padding:32px}
.brand{font-weight:700;letter-spacing:.02em;color:#1f7a5c;font-size:14px;text-transform:uppercase}
.pretend{background:#fff7d6;border:1px solid #f0e0a0;border-radius:8px;padding:10px 12px;font-size:13px;margin:14px 0}
h1{font-size:22px;margin:8px 0 18px}
h2{font-size:15px;margin:18px 0 8px}
ul{padding-left:0;list-style:none;margin:0 0 18px}
li{padding:10px 12px;border:1px solid #eee;border-radius:8px;margin-bottom:8px}
li small{display:block;color:#888;font-size:12px}
fieldset{border:0;padding:0;margin:0 0 22px}
label{display:block;padding:10px 12px;border:1px solid #e4e4e4;border-radius:8px;margin-bottom:8px;cursor:pointer}
label small{color:#888;font-size:12px;margin-left:4px}
.buttons{display:flex;gap:12px}
button{flex:1;padding:12px;border-radius:8px;font-size:16px;cursor:pointer;border:1px solid #ccc;background:#fff}
button.approve{background:#1f7a5c;color:#fff;border-color:#1f7a5c}
.note{color:#888;font-size:12px;margin-top:18px}
</style>`

// The form's shape (a post form, hidden inputs, decision buttons and a
// seller field) is what a browser and the tests' approver both post.
var consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Provider}} — connect SellerConnect</title>` + pageStyle + `</head>
<body><div class="card">
<div class="brand">{{.Provider}}</div>
<h1>SellerConnect wants to:</h1>
<ul>{{range .Scopes}}<li>{{.Text}}<small>{{.Scope}}</small></li>{{end}}</ul>
<p class="pretend">This is a pretend marketplace inside SellerConnect, for trying it out. The shops are made up and nothing real is shared.</p>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<input type="hidden" name="seller" value="{{.Default}}">
<h2>Connect as</h2>
<fieldset>
{{range .Shops}}<label><input type="radio" name="seller" value="{{.Name}}"{{if .Checked}} checked{{end}}> {{.Name}}<small>{{.Blurb}}</small></label>
{{end}}</fieldset>
<div class="buttons"><button class="deny" type="submit" name="decision" value="deny">Deny</button>
<button class="approve" type="submit" name="decision" value="approve">Approve</button></div>
</form>
<p class="note">You will be sent back to SellerConnect at {{.Target}}. Connect again and pick another shop to add another Demo account.</p>
</div></body></html>
`))

var errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Provider}} — authorization error</title>` + pageStyle + `</head>
<body><div class="card"><div class="brand">{{.Provider}}</div><h1>This authorization request cannot be completed</h1>
<p>{{.Message}}</p></div></body></html>
`))
