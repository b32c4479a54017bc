package emulator

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
)

// eBay: seed 002. The redirect_uri is a RuName standing for an https page;
// refreshes do not rotate; tokens are long.
func init() {
	specs[EBay] = &spec{
		display:   "eBay",
		accessTTL: 7200, refreshTTL: 47304000, codeTTL: 299, // 2 h, 18 months, 5 minutes
		rotate: false, life: lifeFromIssue,
		scopeRequired: true, scopeSep: " ", ruName: true,
		testScope: "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly",
		scopeText: map[string]string{
			"https://api.ebay.com/oauth/api_scope":                            "view public data from eBay",
			"https://api.ebay.com/oauth/api_scope/commerce.identity.readonly": "view a basic summary of your account",
			"https://api.ebay.com/oauth/api_scope/sell.inventory":             "view and manage your inventory and offers",
			"https://api.ebay.com/oauth/api_scope/sell.account":               "view and manage your account settings",
			"https://api.ebay.com/oauth/api_scope/sell.fulfillment":           "view and manage your order fulfillments",
		},
		// eBay adds the code's lifetime to the redirect.
		codeParams: func(d *dialect) [][2]string {
			return [][2]string{{"expires_in", strconv.Itoa(int(d.codeTTL.Seconds()))}}
		},
		defaults: func() Dialect {
			return Dialect{
				Clients: []Client{{ID: TestClientID, Secret: TestClientSecret, RuNames: map[string]string{TestRuName: TestAcceptedURL}}},
				Users:   []User{defaultUser()},
			}
		},
		routes: func(d *dialect, mux *http.ServeMux) {
			mux.HandleFunc("/ebay/oauth2/authorize", d.serveAuthorize)
			mux.HandleFunc("POST /ebay/identity/v1/oauth2/token", d.tokenEndpoint(d.ebayToken))
			mux.HandleFunc("GET /ebay/commerce/identity/v1/user/{$}", d.ebayUser)
		},
		newCode:   func() string { return "v^1.1#i^1#f^0#I^3#r^1#p^3#t^Ul41XzI6" + randB64(60) },
		newAccess: func(*grant) string { return "v^1.1#i^1#p^3#I^3#r^0#f^0#t^H4sI" + randB64(1900) },
		newRefresh: func(*grant) string {
			return "v^1.1#i^1#f^0#p^3#I^3#r^1#t^Ul4xMF8" + randB64(72)
		},
	}
}

func (d *dialect) ebayToken(rc *reqCtx) reply {
	id, secret, ok := rc.r.BasicAuth()
	c := d.clients[id]
	if !ok || c == nil || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		d.countClientFailure()
		return oauthError(http.StatusUnauthorized, "invalid_client", "client authentication failed")
	}
	f, ok := readForm(rc.r)
	if !ok {
		return oauthError(http.StatusBadRequest, "invalid_request", "request is missing a required parameter or malformed")
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		code := f.Get("code")
		if code == "" || !f.Has("redirect_uri") {
			return oauthError(http.StatusBadRequest, "invalid_request", "request is missing a required parameter or malformed")
		}
		rc.delay()
		t, fail := d.redeemCode(code, id, f.Get("redirect_uri"), true, f.Get("code_verifier"))
		switch fail {
		case failNone:
			return reply{status: http.StatusOK, body: tokenBody{
				AccessToken: t.access, TokenType: "User Access Token", ExpiresIn: int64(t.accessTTL.Seconds()),
				RefreshToken: t.refresh, RefreshTokenExpiresIn: int64(t.refreshLeft.Seconds()),
			}}
		case failRedirect:
			return oauthError(http.StatusBadRequest, "invalid_grant", "the provided authorization grant code is invalid or was issued to another client")
		default:
			return oauthError(http.StatusBadRequest, "invalid_grant", "the provided authorization grant code is invalid or was issued to another client")
		}
	case "refresh_token":
		tok := f.Get("refresh_token")
		if tok == "" {
			return oauthError(http.StatusBadRequest, "invalid_request", "request is missing a required parameter or malformed")
		}
		var scopes []string
		if f.Has("scope") {
			scopes = strings.Fields(f.Get("scope"))
			if len(scopes) == 0 {
				return oauthError(http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client")
			}
		}
		t, fail := d.refreshFor(rc, tok, id, scopes)
		switch fail {
		case failNone:
			// No rotation: no refresh_token in the answer.
			return reply{status: http.StatusOK, body: tokenBody{
				AccessToken: t.access, TokenType: "User Access Token", ExpiresIn: int64(t.accessTTL.Seconds()),
				RefreshToken: freshOnly(t),
			}}
		case failScope:
			return oauthError(http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client")
		default:
			return oauthError(http.StatusBadRequest, "invalid_grant", "the provided authorization refresh token is invalid or was issued to another client")
		}
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant type in request is not supported by the authorization server")
	}
}

// freshOnly is the refresh token to send: only one this request issued
// (when rotation was switched on for the dialect).
func freshOnly(t tokens) string {
	if t.refreshFresh {
		return t.refresh
	}
	return ""
}

func ebayErrors(id int, msg, long string) map[string]any {
	return map[string]any{"errors": []map[string]any{{
		"errorId": id, "domain": "OAuth", "category": "REQUEST", "message": msg, "longMessage": long,
	}}}
}

func (d *dialect) ebayUser(w http.ResponseWriter, r *http.Request) {
	u, st := d.bearer(r)
	switch st {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, st, ebayErrors(1001, "Invalid access token", "Invalid access token. Check the value of the Authorization HTTP request header."))
	case http.StatusForbidden:
		writeJSON(w, st, ebayErrors(1100, "Access denied", "Insufficient permissions to fulfill the request."))
	default:
		writeJSON(w, http.StatusOK, map[string]any{
			"userId": u.ID, "username": u.Name, "accountType": "INDIVIDUAL",
			"registrationMarketplaceId": "EBAY_GB", "status": "CONFIRMED",
		})
	}
}
