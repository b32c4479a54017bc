package oauth

import (
	"regexp"
	"testing"
)

func TestS256ChallengeVector(t *testing.T) {
	// Depop's documented pair.
	if got := S256Challenge("vvkdljkejllufrvbhgeiegrnvufrhvrffnkvcknjvfid"); got != "DSWlW2Abh-cf8CeLL8-g3hQ2WQyYdKyiu83u_s7nRhI" {
		t.Fatalf("challenge = %s", got)
	}
}

func TestNewVerifierAndState(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
	seen := map[string]bool{}
	for range 100 {
		v := NewVerifier()
		if !valid.MatchString(v) {
			t.Fatalf("verifier %q breaks RFC 7636", v)
		}
		s := NewState()
		if len(s) < 32 || seen[v] || seen[s] {
			t.Fatalf("weak or repeated value %q %q", v, s)
		}
		seen[v], seen[s] = true, true
	}
}
