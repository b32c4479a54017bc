package emulator

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Demo: the built-in pretend marketplace. A public client with PKCE,
// any-port loopback redirects, rotation and two-minute access tokens, so a
// seller trying SellerConnect sees background refresh within minutes.
func init() {
	specs[Demo] = &spec{
		display:   "Demo marketplace",
		accessTTL: 120, refreshTTL: 30 * 24 * 3600, codeTTL: 600,
		rotate: true, life: lifeFromIssue,
		pkceRequired: true, scopeSep: " ",
		testScope: "shop_read", defaultScopes: []string{"shop_read"},
		scopeText: map[string]string{
			"shop_read": "read your shop…", "listings_write": "create and edit your listings…",
			"orders_read": "see your orders…",
		},
		defaults: func() Dialect {
			return Dialect{
				Clients: []Client{{ID: DemoClientID, RedirectURIs: []string{"http://127.0.0.1:*/*"}}},
				Users:   []User{{Email: TestEmail, Password: TestPassword, ID: "demo-1001", Name: "Harbour Street Vintage"}},
			}
		},
		routes: func(d *dialect, mux *http.ServeMux) {
			mux.HandleFunc("/demo/oauth/authorize", d.serveAuthorize)
			mux.HandleFunc("POST /demo/oauth/token", d.tokenEndpoint(d.demoToken))
			mux.HandleFunc("POST /demo/oauth/revoke", d.demoRevoke)
			mux.HandleFunc("GET /demo/api/v1/me", d.demoMe)
			mux.HandleFunc("GET /demo/api/v1/shop", d.demoMe)
		},
		newCode:    func() string { return "dc_" + randB64URL(24) },
		newAccess:  func(*grant) string { return "demo_at_" + randB64URL(24) },
		newRefresh: func(*grant) string { return "demo_rt_" + randB64URL(32) },
	}
}

// oauthError is RFC 6749's error body.
func oauthError(status int, code, desc string) reply {
	return reply{status: status, body: map[string]string{"error": code, "error_description": desc}}
}

// demoClient authenticates a public client (client_id in the body or Basic
// with an empty password) or a confidential one.
func (d *dialect) demoClient(r *http.Request, f map[string][]string) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		if v := f["client_id"]; len(v) > 0 {
			id = v[0]
		}
		if v := f["client_secret"]; len(v) > 0 {
			secret = v[0]
		}
	}
	c := d.clients[id]
	if c == nil {
		return id, false
	}
	if c.Secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return id, false
	}
	return id, true
}

func (d *dialect) demoToken(rc *reqCtx) reply {
	f, ok := readForm(rc.r)
	if !ok {
		return oauthError(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	cid, ok := d.demoClient(rc.r, f)
	if !ok {
		d.countClientFailure()
		return oauthError(http.StatusUnauthorized, "invalid_client", "unknown client or wrong client secret")
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		rc.delay()
		t, fail := d.redeemCode(f.Get("code"), cid, f.Get("redirect_uri"), f.Has("redirect_uri"), f.Get("code_verifier"))
		switch fail {
		case failNone:
			return scopedReply(t)
		case failRedirect:
			return oauthError(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		case failVerifierMissing, failVerifierInvalid:
			return oauthError(http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code challenge")
		default:
			return oauthError(http.StatusBadRequest, "invalid_grant", "the authorization code is invalid, expired or already used")
		}
	case "refresh_token":
		tok := f.Get("refresh_token")
		if tok == "" {
			return oauthError(http.StatusBadRequest, "invalid_request", "refresh_token is required")
		}
		var scopes []string
		if f.Has("scope") {
			scopes = strings.Fields(f.Get("scope"))
		}
		t, fail := d.refreshFor(rc, tok, cid, scopes)
		switch fail {
		case failNone:
			return scopedReply(t)
		case failScope:
			return oauthError(http.StatusBadRequest, "invalid_scope", "the requested scope exceeds the granted scope")
		default:
			return oauthError(http.StatusBadRequest, "invalid_grant", "the refresh token is invalid, expired, revoked or already used")
		}
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

func scopedReply(t tokens) reply {
	rep := bearerReply(t)
	b := rep.body.(tokenBody)
	b.Scope = strings.Join(t.scopes, " ")
	rep.body = b
	return rep
}

// demoRevoke is RFC 7009 revocation: revoking either token ends the grant;
// an unknown token is not an error.
func (d *dialect) demoRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	f, ok := readForm(r)
	if !ok {
		rep := oauthError(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		writeJSON(w, rep.status, rep.body)
		return
	}
	cid, ok := d.demoClient(r, f)
	if !ok {
		d.countClientFailure()
		rep := oauthError(http.StatusUnauthorized, "invalid_client", "unknown client or wrong client secret")
		writeJSON(w, rep.status, rep.body)
		return
	}
	tok := f.Get("token")
	if tok == "" {
		rep := oauthError(http.StatusBadRequest, "invalid_request", "token is required")
		writeJSON(w, rep.status, rep.body)
		return
	}
	d.mu.Lock()
	if g := d.grantOf(tok); g != nil && !g.revoked && g.clientID == cid {
		d.revoke(g)
	}
	d.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (d *dialect) demoMe(w http.ResponseWriter, r *http.Request) {
	u, st := d.bearer(r)
	switch st {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		rep := oauthError(st, "invalid_token", "the access token is invalid or expired")
		writeJSON(w, rep.status, rep.body)
	case http.StatusForbidden:
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="shop_read"`)
		rep := oauthError(st, "insufficient_scope", "the access token lacks the shop_read scope")
		writeJSON(w, rep.status, rep.body)
	default:
		writeJSON(w, http.StatusOK, map[string]any{
			"id": u.ID, "username": u.Name, "shop_name": u.Name, "name": u.Name,
			"email": u.Email, "listings": 42, "country_code": "GB",
		})
	}
}
