package emulator

import (
	"net/url"
	"strings"
	"testing"
)

func vaultistToken(em *Emulator) string { return em.URL() + "/vaultist/v1/auth/token" }

func vaultistHeaders(grant string) map[string]string {
	return map[string]string{"partnerId": "1234", "grantType": grant}
}

func vaultistSignIn(t testing.TB, em *Emulator) answer {
	t.Helper()
	a := postJSON(t, vaultistToken(em), map[string]string{"email": TestEmail, "password": TestPassword}, vaultistHeaders("password_email"))
	if a.status != 200 {
		t.Fatalf("sign-in: %d %s", a.status, a.raw)
	}
	return a
}

// checkVaultistStatus checks Vault.ist's {status, message, traceId, errors} shape.
func checkVaultistStatus(t *testing.T, a answer, status int, name string) {
	t.Helper()
	if a.status != status || a.str("status") != name || a.str("message") == "" || len(a.str("traceId")) != 32 {
		t.Fatalf("want %d %s, got %d %s", status, name, a.status, a.raw)
	}
	if _, ok := a.json["errors"].([]any); !ok {
		t.Fatalf("errors is not a list: %s", a.raw)
	}
}

func TestVaultistSignInRefresh(t *testing.T) {
	em := start(t, Options{})
	a := vaultistSignIn(t, em)
	if a.str("token_type") != "Bearer" || a.json["expires_in"] != 3600.0 || a.str("refresh_token") == "" || !strings.HasPrefix(a.str("access_token"), "eyJ") {
		t.Fatalf("sign-in answer %s", a.raw)
	}
	me := get(t, em.URL()+"/vaultist/v1/users/me", a.str("access_token"))
	if me.status != 200 || me.str("email") != TestEmail || me.str("name") != "test-seller" {
		t.Fatalf("me: %d %s", me.status, me.raw)
	}
	// Rotation by default: a new refresh token, and the old ones end.
	b := postJSON(t, vaultistToken(em), map[string]string{"refreshToken": a.str("refresh_token")}, vaultistHeaders("refresh_token"))
	if b.status != 200 || b.str("refresh_token") == "" || b.str("refresh_token") == a.str("refresh_token") {
		t.Fatalf("refresh: %d %s", b.status, b.raw)
	}
	c := postJSON(t, vaultistToken(em), map[string]string{"refreshToken": a.str("refresh_token")}, vaultistHeaders("refresh_token"))
	if c.status != 400 || c.str("error") != "invalid_grant" || c.str("error_description") != "Refresh token has expired or is invalid." {
		t.Fatalf("reuse: %d %s", c.status, c.raw)
	}
	checkVaultistStatus(t, get(t, em.URL()+"/vaultist/v1/users/me", a.str("access_token")), 401, "UNAUTHORIZED")
	if st := em.Stats(Vaultist); st.SignIns != 1 || st.Refreshes != 1 || st.ReusedRefresh != 1 || st.InvalidGrant != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestVaultistRotationOff(t *testing.T) {
	em := start(t, Options{Dialects: map[string]Dialect{Vaultist: {Rotation: RotationOff}}})
	a := vaultistSignIn(t, em)
	for range 2 {
		b := postJSON(t, vaultistToken(em), map[string]string{"refreshToken": a.str("refresh_token")}, vaultistHeaders("refresh_token"))
		if b.status != 200 || b.str("refresh_token") != "" {
			t.Fatalf("refresh: %d %s", b.status, b.raw)
		}
	}
	if !em.AccessValid(Vaultist, a.str("access_token")) {
		t.Error("old access token ended without rotation")
	}
}

func TestVaultistErrors(t *testing.T) {
	em := start(t, Options{Dialects: map[string]Dialect{Vaultist: {PartnerID: 777, Users: []User{{Email: "a@b.c", Password: "pw", ID: "9", Name: "Ann"}}}}})
	body := map[string]string{"email": "a@b.c", "password": "pw"}
	hdr := func(pid, grant string) map[string]string {
		h := map[string]string{}
		if pid != "" {
			h["partnerId"] = pid
		}
		if grant != "" {
			h["grantType"] = grant
		}
		return h
	}
	if a := postJSON(t, vaultistToken(em), body, hdr("777", "password_email")); a.status != 200 {
		t.Fatalf("configured partner and user: %d %s", a.status, a.raw)
	}
	checkVaultistStatus(t, postJSON(t, vaultistToken(em), body, hdr("", "password_email")), 400, "BAD_REQUEST")
	checkVaultistStatus(t, postJSON(t, vaultistToken(em), body, hdr("abc", "password_email")), 400, "BAD_REQUEST")
	checkVaultistStatus(t, postJSON(t, vaultistToken(em), body, hdr("99999999999", "password_email")), 400, "BAD_REQUEST")
	checkVaultistStatus(t, postJSON(t, vaultistToken(em), body, hdr("1234", "password_email")), 401, "UNAUTHORIZED")
	// Bad sign-in.
	checkVaultistStatus(t, postJSON(t, vaultistToken(em), map[string]string{"email": "a@b.c", "password": "no"}, hdr("777", "password_email")), 401, "UNAUTHORIZED")
	checkVaultistStatus(t, postJSON(t, vaultistToken(em), map[string]string{"email": "x@b.c", "password": "pw"}, hdr("777", "password_email")), 401, "UNAUTHORIZED")
	blank := postJSON(t, vaultistToken(em), map[string]string{"email": ""}, hdr("777", "password_email"))
	checkVaultistStatus(t, blank, 400, "BAD_REQUEST")
	if n := len(blank.json["errors"].([]any)); n != 2 {
		t.Errorf("%d field errors", n)
	}
	// The seed's two refresh errors, word for word.
	for _, b := range []any{map[string]string{}, map[string]string{"refreshToken": ""}, map[string]string{"refresh_token": "x"}} {
		a := postJSON(t, vaultistToken(em), b, hdr("777", "refresh_token"))
		if a.status != 400 || a.str("error") != "invalid_request" || a.str("error_description") != "Missing refresh token." {
			t.Errorf("missing refresh token: %d %s", a.status, a.raw)
		}
	}
	a := postJSON(t, vaultistToken(em), map[string]string{"refreshToken": "nonsense"}, hdr("777", "refresh_token"))
	if a.status != 400 || a.str("error") != "invalid_grant" || a.str("error_description") != "Refresh token has expired or is invalid." {
		t.Errorf("invalid refresh token: %d %s", a.status, a.raw)
	}
	// Grant type in the header only.
	if a := postJSON(t, vaultistToken(em), map[string]string{"grant_type": "refresh_token", "refreshToken": "x"}, hdr("777", "")); a.status != 400 || a.str("error") != "invalid_request" {
		t.Errorf("no grantType header: %d %s", a.status, a.raw)
	}
	if a := postJSON(t, vaultistToken(em), body, hdr("777", "password")); a.status != 400 || a.str("error") != "unsupported_grant_type" {
		t.Errorf("other grantType: %d %s", a.status, a.raw)
	}
	// JSON only.
	req := postFormHeaders(t, vaultistToken(em), url.Values{"refreshToken": {"x"}}, hdr("777", "refresh_token"))
	checkVaultistStatus(t, req, 415, "UNSUPPORTED_MEDIA_TYPE")
	if st := em.Stats(Vaultist); st.SignIns != 1 || st.SignInFailures != 2 || st.ClientAuthFailures != 1 {
		t.Errorf("stats %+v", st)
	}
}
