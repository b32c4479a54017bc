package accounts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth/emulator"
)

// TestScriptedDayIsInTheLogAndTheReport: a day of an account's life —
// connect, refreshes, a provider outage, a denied connect, a revoked grant —
// leaves in the log and in the report what support needs, and no secret
// issued or entered appears in the log, the report or any file of the data
// directory.
func TestScriptedDayIsInTheLogAndTheReport(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming()})
	e.svc.Close()
	e.cfg.known = &secretSet{}
	logger, closer := openLog(e.dir, "debug", e.cfg.known)
	e.cfg.logger, e.cfg.closeLog = logger, closer.Close
	e.open()
	ctx := bg(t)

	// The first connect: a bad paste first (the attempt goes on), then
	// the approval arrives in the browser.
	pasted := make(chan string, 1)
	pasted <- "I approved it, here you go"
	var bad []error
	e.svc.cfg.Opener = &emulator.AutoApprover{Seller: "day-seller"}
	acc, err := e.svc.Connect(ctx, ConnectRequest{Provider: "demo", Timeout: 20 * time.Second,
		Paste: func() <-chan string { return pasted }, OnBadPaste: func(err error) { bad = append(bad, err) }})
	if err != nil || len(bad) != 1 {
		t.Fatalf("connect after a bad paste: %v (bad pastes %v)", err, bad)
	}
	id := acc.ID
	for range 2 {
		if err := e.svc.Refresh(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.em.Inject(emulator.Demo, emulator.Fault{Kind: emulator.FaultStatus, Status: 503, Count: 1})
	collectErr(e.svc.Refresh(ctx, id))
	if a := e.status(id); a.Status != StatusOffline {
		t.Fatalf("during the outage: %s", a.Status)
	}
	if err := e.svc.Refresh(ctx, id); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	e.svc.cfg.Opener = &emulator.AutoDenier{}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	_, err = e.svc.Connect(cctx, ConnectRequest{Provider: "demo", Timeout: 10 * time.Second})
	cancel()
	collectErr(err)
	if err == nil {
		t.Fatal("a denied connect succeeded")
	}
	if !e.em.RevokeGrant(emulator.Demo, e.storedToken(id).RefreshToken) {
		t.Fatal("the emulator did not know the grant")
	}
	collectErr(e.svc.Refresh(ctx, id))
	if a := e.status(id); a.Status != StatusReconnect {
		t.Fatalf("after the revocation: %s", a.Status)
	}
	report := e.svc.report()
	text := report.text()
	js, _ := report.json()
	collect(text, string(js))
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	logBytes, err := os.ReadFile(filepath.Join(e.dir, filepath.FromSlash(logFile)))
	if err != nil {
		t.Fatal(err)
	}
	log := string(logBytes)
	for what, want := range map[string][]string{
		"log": {"connect started", "connected", "bad paste", "refreshed", "trigger=\"Refresh now\"", "refresh failed", "kind=temporary",
			"connect failed", "kind=denied", "kind=reconnect", "decision", "provider catalog"},
		"report": {"providers:", "keychain:", "failed connect attempts", "access_denied", "reconnect_needed",
			"the last", "lines of the log", "server error 503"},
	} {
		in := log
		if what == "report" {
			in = text
		}
		for _, w := range want {
			if !strings.Contains(in, w) {
				t.Errorf("the %s lacks %q", what, w)
			}
		}
	}

	// No secret the provider issued, and no app secret, in any of it.
	secrets := e.em.Issued()
	var haystack []string
	_ = filepath.WalkDir(e.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(path); err == nil {
				haystack = append(haystack, string(b))
			}
		}
		return nil
	})
	haystack = append(haystack, text, string(js), log)
	bytes := 0
	for _, h := range haystack {
		bytes += len(h)
	}
	found := 0
	for _, s := range secrets {
		for _, h := range haystack {
			if strings.Contains(h, s) {
				found++
				t.Errorf("a secret issued by the provider (%d chars) is in the log, the report or the data directory", len(s))
				break
			}
		}
	}
	t.Logf("searched for %d secrets in %d bytes (%d files, the report, the log): %d found", len(secrets), bytes, len(haystack)-3, found)
}
