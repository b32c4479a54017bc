package emulator

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// SmartThings: seed 004. Basic client authentication and a form body only
// (JSON gets 401), rotation, and a refresh lifetime that rolls with each refresh.
func init() {
	specs[SmartThings] = &spec{
		display:   "SmartThings",
		accessTTL: 24 * 3600, refreshTTL: 30 * 24 * 3600, codeTTL: 300,
		rotate: true, life: lifeFromIssue,
		scopeSep: " ", testScope: "r:locations:*", defaultScopes: []string{"r:locations:*"},
		scopeText: map[string]string{
			"r:locations:*": "see your locations", "r:devices:*": "see your devices",
			"x:devices:*": "control your devices",
		},
		defaults: func() Dialect {
			return Dialect{
				Clients: []Client{{ID: TestClientID, Secret: TestClientSecret, RedirectURIs: []string{TestRedirectURI}}},
				Users:   []User{defaultUser()},
			}
		},
		routes: func(d *dialect, mux *http.ServeMux) {
			for _, p := range []string{"/smartthings/oauth", "/smartthings/v1/oauth"} {
				mux.HandleFunc(p+"/authorize", d.serveAuthorize)
				mux.HandleFunc("POST "+p+"/token", d.tokenEndpoint(d.smartthingsToken))
			}
			mux.HandleFunc("GET /smartthings/v1/locations", d.smartthingsLocations)
			mux.HandleFunc("GET /smartthings/v1/users/me", d.smartthingsMe)
		},
		newCode:    func() string { return randB64URL(12) },
		newAccess:  func(*grant) string { return newUUID() },
		newRefresh: func(*grant) string { return newUUID() },
	}
}

func (d *dialect) smartthingsToken(rc *reqCtx) reply {
	unauthorized := oauthError(http.StatusUnauthorized, "unauthorized", "Full authentication is required to access this resource")
	f, ok := readForm(rc.r)
	if !ok {
		// A JSON body is not read at all: the request counts as unauthenticated.
		d.countClientFailure()
		return unauthorized
	}
	id, secret, ok := rc.r.BasicAuth()
	if !ok {
		d.countClientFailure()
		return unauthorized
	}
	c := d.clients[id]
	if c == nil || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		d.countClientFailure()
		return oauthError(http.StatusUnauthorized, "invalid_client", "Bad client credentials")
	}
	if f.Has("client_id") && f.Get("client_id") != id {
		d.countClientFailure()
		return oauthError(http.StatusUnauthorized, "invalid_client", "Given client ID does not match authenticated client")
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		code := f.Get("code")
		if code == "" {
			return oauthError(http.StatusBadRequest, "invalid_request", "Missing code")
		}
		rc.delay()
		t, fail := d.redeemCode(code, id, f.Get("redirect_uri"), f.Has("redirect_uri"), f.Get("code_verifier"))
		switch fail {
		case failNone:
			return smartthingsReply(t)
		case failRedirect:
			return oauthError(http.StatusBadRequest, "invalid_grant", "Redirect URI mismatch.")
		case failVerifierMissing, failVerifierInvalid:
			return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid code verifier")
		default:
			return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid authorization code")
		}
	case "refresh_token":
		tok := f.Get("refresh_token")
		if tok == "" {
			return oauthError(http.StatusBadRequest, "invalid_request", "Missing refresh_token")
		}
		if !f.Has("client_id") {
			return oauthError(http.StatusBadRequest, "invalid_request", "Missing client_id")
		}
		t, fail := d.refreshFor(rc, tok, id, nil)
		if fail != failNone {
			return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid refresh token")
		}
		return smartthingsReply(t)
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type")
	}
}

func smartthingsReply(t tokens) reply {
	b := tokenBody{AccessToken: t.access, TokenType: "bearer", ExpiresIn: int64(t.accessTTL.Seconds()),
		RefreshToken: freshOnly(t), Scope: strings.Join(t.scopes, " ")}
	return reply{status: http.StatusOK, body: b}
}

func smartthingsError(w http.ResponseWriter, st int) {
	code, msg := "UnauthorizedError", "Unauthorized"
	if st == http.StatusForbidden {
		code, msg = "ForbiddenError", "Forbidden"
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, st, map[string]any{"requestId": newUUID(), "error": map[string]any{"code": code, "message": msg, "details": []any{}}})
}

func (d *dialect) smartthingsLocations(w http.ResponseWriter, r *http.Request) {
	u, st := d.bearer(r)
	if st != 0 {
		smartthingsError(w, st)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"items":  []map[string]any{{"locationId": u.ID, "name": u.Name}},
		"_links": map[string]any{},
	})
}

func (d *dialect) smartthingsMe(w http.ResponseWriter, r *http.Request) {
	u, st := d.bearer(r)
	if st != 0 {
		smartthingsError(w, st)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "username": u.Name, "email": u.Email})
}
