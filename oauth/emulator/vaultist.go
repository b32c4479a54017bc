package emulator

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
)

// Vault.ist: seed 003. No browser flow: one endpoint takes the grant type in
// a header, the partner id in another, and camelCase JSON bodies.
func init() {
	specs[Vaultist] = &spec{
		display:   "Vault.ist",
		accessTTL: 3600, refreshTTL: 30 * 24 * 3600, codeTTL: 600,
		rotate: true, life: lifeFromIssue,
		defaults: func() Dialect {
			return Dialect{Users: []User{defaultUser()}, PartnerID: TestPartnerID}
		},
		routes: func(d *dialect, mux *http.ServeMux) {
			mux.HandleFunc("POST /vaultist/v1/auth/token", d.tokenEndpoint(d.vaultistToken))
			mux.HandleFunc("GET /vaultist/v1/users/me", d.vaultistMe)
		},
		newCode: func() string { return randB64URL(32) },
		newAccess: func(*grant) string {
			return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + randB64URL(96) + "." + randB64URL(32)
		},
		newRefresh: func(*grant) string { return randB64(48) },
	}
}

// vaultistStatus is Vault.ist's own error shape (bad sign-in and the like).
func vaultistStatus(status int, name, msg string, errs []map[string]string) reply {
	if errs == nil {
		errs = []map[string]string{}
	}
	return reply{status: status, body: map[string]any{"status": name, "message": msg, "traceId": randHex(16), "errors": errs}}
}

func (d *dialect) vaultistToken(rc *reqCtx) reply {
	r := rc.r
	pid := r.Header.Get("partnerId")
	if pid == "" {
		return vaultistStatus(http.StatusBadRequest, "BAD_REQUEST", "Required request header 'partnerId' is not present", nil)
	}
	n, err := strconv.ParseInt(pid, 10, 32)
	if err != nil {
		return vaultistStatus(http.StatusBadRequest, "BAD_REQUEST", "Header 'partnerId' must be an int32", nil)
	}
	if int(n) != d.partnerID {
		d.countClientFailure()
		return vaultistStatus(http.StatusUnauthorized, "UNAUTHORIZED", "Unknown partner", nil)
	}
	if mediaType(r) != "application/json" {
		return vaultistStatus(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json", nil)
	}
	clientID := "partner:" + pid
	switch r.Header.Get("grantType") {
	case "refresh_token":
		var body struct {
			RefreshToken string `json:"refreshToken"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.RefreshToken == "" {
			return oauthError(http.StatusBadRequest, "invalid_request", "Missing refresh token.")
		}
		t, fail := d.refreshFor(rc, body.RefreshToken, clientID, nil)
		if fail != failNone {
			return oauthError(http.StatusBadRequest, "invalid_grant", "Refresh token has expired or is invalid.")
		}
		return reply{status: http.StatusOK, body: tokenBody{AccessToken: t.access, TokenType: "Bearer",
			ExpiresIn: int64(t.accessTTL.Seconds()), RefreshToken: freshOnly(t)}}
	case "password_email":
		var body struct {
			Email    string `json:"email"`
			Password string `json:"password"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			return vaultistStatus(http.StatusBadRequest, "BAD_REQUEST", "Malformed JSON request", nil)
		}
		var missing []map[string]string
		if body.Email == "" {
			missing = append(missing, map[string]string{"field": "email", "message": "must not be blank"})
		}
		if body.Password == "" {
			missing = append(missing, map[string]string{"field": "password", "message": "must not be blank"})
		}
		if missing != nil {
			return vaultistStatus(http.StatusBadRequest, "BAD_REQUEST", "Validation failed", missing)
		}
		rc.delay()
		var found *User
		for i := range d.users {
			u := &d.users[i]
			// Both compared in constant time so a wrong email and a wrong
			// password take as long.
			em := subtle.ConstantTimeCompare([]byte(u.Email), []byte(body.Email))
			pw := subtle.ConstantTimeCompare([]byte(u.Password), []byte(body.Password))
			if em&pw == 1 {
				found = u
			}
		}
		d.mu.Lock()
		if found == nil {
			d.stats.SignInFailures++
		} else {
			d.stats.SignIns++
		}
		d.mu.Unlock()
		if found == nil {
			return vaultistStatus(http.StatusUnauthorized, "UNAUTHORIZED", "Invalid email or password.", nil)
		}
		t := d.newGrant(clientID, *found, nil)
		return reply{status: http.StatusOK, body: tokenBody{AccessToken: t.access, TokenType: "Bearer",
			ExpiresIn: int64(t.accessTTL.Seconds()), RefreshToken: t.refresh}}
	case "":
		return oauthError(http.StatusBadRequest, "invalid_request", "Missing grantType header.")
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type.")
	}
}

func (d *dialect) vaultistMe(w http.ResponseWriter, r *http.Request) {
	u, st := d.bearer(r)
	if st != 0 {
		rep := vaultistStatus(http.StatusUnauthorized, "UNAUTHORIZED", "Access token is invalid or expired.", nil)
		writeJSON(w, rep.status, rep.body)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "email": u.Email, "name": u.Name})
}
