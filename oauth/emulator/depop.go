package emulator

import (
	"crypto/subtle"
	"net/http"
)

// Depop: seeds 000 and 001.
func init() {
	specs[Depop] = &spec{
		display:   "Depop",
		accessTTL: 3600, refreshTTL: 365 * 24 * 3600, codeTTL: 600,
		rotate: true, life: lifeAbsolute,
		pkceRequired: true, stateRequired: true, scopeRequired: true, scopeSep: "+",
		knownScopes: []string{"products_read", "products_write", "orders_read", "orders_write", "offers_read", "offers_write", "shop_read"},
		testScope:   "shop_read",
		scopeText: map[string]string{
			"products_read": "see your listings", "products_write": "create and edit your listings",
			"orders_read": "see your orders", "orders_write": "update your orders",
			"offers_read": "see offers", "offers_write": "answer offers", "shop_read": "read your shop profile",
		},
		defaults: func() Dialect {
			return Dialect{
				Clients: []Client{{ID: TestClientID, Secret: TestClientSecret, RedirectURIs: []string{TestRedirectURI}}},
				Users:   []User{defaultUser()},
			}
		},
		routes: func(d *dialect, mux *http.ServeMux) {
			mux.HandleFunc("/depop/settings/oauth/apps/{$}", d.serveAuthorize)
			mux.HandleFunc("POST /depop/api/v1/oauth2/access-token/{$}", d.tokenEndpoint(d.depopToken))
			mux.HandleFunc("GET /depop/api/v1/shop/{$}", d.depopShop)
		},
		newCode: func() string { return randB64URL(32) },
		// Depop's two tokens share a grant id: pat_<grant>_<random>.
		newAccess:  func(g *grant) string { return "pat_" + g.key + "_" + randHex(20) },
		newRefresh: func(g *grant) string { return "prt_" + g.key + "_" + randHex(20) },
	}
}

// depopError is Depop's error body: the message repeated under every name
// clients look for, and a request id support asks for.
func depopError(status int, errText, msg string) reply {
	return reply{status: status, body: map[string]any{
		"code": status, "error": errText, "message": msg, "id": newUUID(),
		"detail": msg, "error_message": msg, "error_description": msg,
	}}
}

func (d *dialect) depopToken(rc *reqCtx) reply {
	f, ok := readForm(rc.r)
	if !ok {
		return depopError(http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
	}
	cid, secret := f.Get("client_id"), f.Get("client_secret")
	if cid == "" || secret == "" {
		d.countClientFailure()
		return depopError(http.StatusBadRequest, "invalid_request", "client_id and client_secret are required in the request body")
	}
	c := d.clients[cid]
	if c == nil {
		d.countClientFailure()
		return depopError(http.StatusUnauthorized, "invalid_client", "Client authentication failed")
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		d.countClientFailure()
		return depopError(http.StatusUnauthorized, "client secret does not match", "Client secret does not match")
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		code := f.Get("code")
		if code == "" {
			return depopError(http.StatusBadRequest, "invalid_request", "code is required")
		}
		rc.delay()
		t, fail := d.redeemCode(code, cid, f.Get("redirect_uri"), f.Has("redirect_uri"), f.Get("code_verifier"))
		switch fail {
		case failNone:
			return bearerReply(t)
		case failRedirect:
			return depopError(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		case failVerifierMissing, failVerifierInvalid:
			return depopError(http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		default:
			return depopError(http.StatusBadRequest, "invalid_grant", "Authorization code is invalid, expired, or has already been used")
		}
	case "refresh_token":
		tok := f.Get("refresh_token")
		if tok == "" {
			return depopError(http.StatusBadRequest, "invalid_request", "refresh_token is required")
		}
		t, fail := d.refreshFor(rc, tok, cid, nil)
		if fail != failNone {
			return depopError(http.StatusUnauthorized, "invalid_refresh_token", "Invalid refresh token")
		}
		return bearerReply(t)
	case "":
		return depopError(http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		return depopError(http.StatusBadRequest, "unsupported_grant_type", "grant_type is not supported")
	}
}

func (d *dialect) countClientFailure() {
	d.mu.Lock()
	d.stats.ClientAuthFailures++
	d.mu.Unlock()
}

// tokenBody is the RFC 6749 answer most dialects send.
type tokenBody struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token,omitempty"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in,omitempty"`
	Scope                 string `json:"scope,omitempty"`
}

func bearerReply(t tokens) reply {
	b := tokenBody{AccessToken: t.access, TokenType: "Bearer", ExpiresIn: int64(t.accessTTL.Seconds())}
	if t.refreshFresh {
		b.RefreshToken = t.refresh
	}
	return reply{status: http.StatusOK, body: b}
}

func (d *dialect) depopShop(w http.ResponseWriter, r *http.Request) {
	u, st := d.bearer(r)
	switch st {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		rep := depopError(st, "invalid_token", "Invalid or expired access token")
		writeJSON(w, rep.status, rep.body)
	case http.StatusForbidden:
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="shop_read"`)
		rep := depopError(st, "insufficient_scope", "The access token does not have the shop_read scope")
		writeJSON(w, rep.status, rep.body)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "username": u.Name, "country_code": "GB"})
	}
}
