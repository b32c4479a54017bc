package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// NewVerifier returns a PKCE code verifier: 32 random bytes as 43 characters
// of base64url, inside RFC 7636's 43–128 characters of [A-Za-z0-9._~-].
func NewVerifier() string { return randomString(32) }

// S256Challenge is the S256 code challenge of a verifier: base64url (no
// padding) of its SHA-256.
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewState returns an unguessable state value for one authorization request.
func NewState() string { return randomString(24) }

func randomString(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
