package accounts

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// TestMain runs the package's tests, then the redaction check: it has to
// come after every other test, because it searches what they all produced.
func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv(helperEnv) != "" {
		os.Exit(code)
	}
	if code == 0 {
		msg, summary := redactionLeaks()
		if summary != "" {
			fmt.Fprintln(os.Stderr, summary)
		}
		if msg != "" {
			fmt.Fprintln(os.Stderr, "--- FAIL: redaction check (after all tests)")
			fmt.Fprintln(os.Stderr, msg)
			code = 1
		}
	}
	os.Exit(code)
}

// redactionLeaks searches every text the tests collected (log lines, error
// strings, reports as text and JSON, statuses, timeline entries, records
// files, the other processes' output) for every code and token the
// emulators issued. It returns a description of what it found ("" for
// nothing) and a one-line summary of the search.
func redactionLeaks() (leaks, summary string) {
	corpusMu.Lock()
	texts := append([]string(nil), corpus...)
	secrets := append([]string(nil), issuedAll...)
	corpusMu.Unlock()
	if len(secrets) == 0 || len(texts) == 0 {
		// Only run as part of a test selection that produced something
		// (go test -run for one test, or the helper process).
		return "", ""
	}
	var all strings.Builder
	size := 0
	for _, s := range texts {
		size += len(s) + 1
	}
	all.Grow(size)
	for _, s := range texts {
		all.WriteString(s)
		all.WriteByte(0)
	}
	hay := all.String()
	var found []string
	seen := map[string]bool{}
	for _, sec := range secrets {
		if seen[sec] || len(sec) < 8 {
			continue
		}
		seen[sec] = true
		if i := strings.Index(hay, sec); i >= 0 {
			lo, hi := max(0, i-60), min(len(hay), i+len(sec)+20)
			ctx := strings.ReplaceAll(hay[lo:i], "\x00", " | ") + "<" + oauth.Redact(sec) + ">" + strings.ReplaceAll(hay[i+len(sec):hi], "\x00", " | ")
			found = append(found, ctx)
		}
	}
	summary = fmt.Sprintf("redaction check: %d issued secrets searched in %d texts (%d bytes): %d found",
		len(seen), len(texts), len(hay), len(found))
	if len(found) == 0 {
		return "", summary
	}
	if len(found) > 10 {
		found = append(found[:10], fmt.Sprintf("... and %d more", len(found)-10))
	}
	return "issued secrets found in produced text:\n  " + strings.Join(found, "\n  "), summary
}

// The check is meaningful only if the corpus really holds what a leak
// would look like: a planted secret is found.
func TestRedactionCheckFindsAPlantedSecret(t *testing.T) {
	corpusMu.Lock()
	savedC, savedI := corpus, issuedAll
	corpus = []string{"a log line", "the token is demo_at_plantedSECRET1234567890 here"}
	issuedAll = []string{"demo_at_plantedSECRET1234567890", "demo_rt_notpresent0987654321"}
	corpusMu.Unlock()
	msg, _ := redactionLeaks()
	corpusMu.Lock()
	corpus, issuedAll = savedC, savedI
	corpusMu.Unlock()
	if !strings.Contains(msg, "the token is <") || strings.Contains(msg, "notpresent") {
		t.Fatalf("planted secret not found: %q", msg)
	}
	if strings.Contains(msg, "plantedSECRET") {
		t.Fatal("the leak report shows the secret itself")
	}
}
