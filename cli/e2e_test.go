//go:build linux

package cli

// End-to-end tests: the real sellerconnect binary, built once, run against
// the provider emulator on 127.0.0.1 and the real Secret Service that
// scripts/testenv.sh provides. Profiles reach the emulator through a user
// provider file in the data directory's providers/ folder, the same
// mechanism integrators use.

import (
	"database/sql"
	"github.com/sellerconnect/sellerconnect/storage"

	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	_ "github.com/mattn/go-sqlite3"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds the real sellerconnect binary once per test run.
func binary(tb testing.TB) string {
	tb.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		tb.Skip("no session bus: run under scripts/testenv.sh for a real Secret Service")
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "sellerconnect-e2e-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "sellerconnect")
		cmd := exec.Command("go", "build", "-tags", "migrated_fynedo",
			"-ldflags", "-X github.com/sellerconnect/sellerconnect/cli.Version=e2e",
			"-o", binPath, "github.com/sellerconnect/sellerconnect")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// fixture is one emulator and one data directory whose provider file points
// the built-in profiles at it.
type fixture struct {
	tb  testing.TB
	em  *emulator.Emulator
	dir string
	env []string // extra environment for the binary
}

// anyPortClient accepts the loopback redirect on any port, so tests never
// compete for the catalog's fixed port with other packages' tests.
var anyPortClient = emulator.Client{
	ID:           emulator.TestClientID,
	Secret:       emulator.TestClientSecret,
	RedirectURIs: []string{"http://127.0.0.1:*/callback"},
}

func newFixture(tb testing.TB, dialects map[string]emulator.Dialect) *fixture {
	tb.Helper()
	binary(tb)
	if dialects == nil {
		dialects = map[string]emulator.Dialect{}
	}
	for _, d := range []string{emulator.Depop, emulator.SmartThings} {
		cfg := dialects[d]
		if cfg.Clients == nil {
			cfg.Clients = []emulator.Client{anyPortClient}
		}
		dialects[d] = cfg
	}
	em := emulator.Started(tb, emulator.Options{Dialects: dialects})
	f := &fixture{tb: tb, em: em, dir: tb.TempDir()}
	f.writeProviderFile()
	f.setCredentials()
	return f
}

// writeProviderFile rebases the built-in profiles onto the emulator.
func (f *fixture) writeProviderFile() {
	f.tb.Helper()
	cat, errs := oauth.LoadCatalog("")
	if len(errs) > 0 {
		f.tb.Fatalf("built-in catalog: %v", errs)
	}
	var b strings.Builder
	b.WriteString("# Points the built-in profiles at the test's emulator.\n")
	for _, id := range []string{"depop", "ebay", "smartthings", "vaultist"} {
		p, ok := cat.Get(id)
		if !ok {
			f.tb.Fatalf("no built-in profile %s", id)
		}
		r := p.Rebase(f.em.URL() + "/" + p.Marketplace)
		fmt.Fprintf(&b, "\n[providers.%s]\n", id)
		for k, v := range map[string]string{"auth_url": r.AuthURL, "token_url": r.TokenURL, "revoke_url": r.RevokeURL} {
			if v != "" {
				fmt.Fprintf(&b, "%s = %q\n", k, v)
			}
		}
		if p.Redirect.Mode == oauth.RedirectLoopbackFixed {
			fmt.Fprintf(&b, "  [providers.%s.redirect]\n  mode = \"loopback\"\n", id)
		}
		if r.Test.URL != "" {
			fmt.Fprintf(&b, "  [providers.%s.test]\n  url = %q\n", id, r.Test.URL)
		}
	}
	pd := filepath.Join(f.dir, "providers")
	if err := os.MkdirAll(pd, 0o700); err != nil {
		f.tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pd, "emulator.toml"), []byte(b.String()), 0o600); err != nil {
		f.tb.Fatal(err)
	}
}

// setCredentials supplies the emulator's test app credentials through the
// service (client secrets go to the keychain), as the desktop app's Settings do.
func (f *fixture) setCredentials() {
	f.tb.Helper()
	svc, err := openService(f.dir, true)
	var catErrs []error
	if err == nil {
		_, catErrs = svc.Providers()
	}
	if err != nil || len(catErrs) > 0 {
		f.tb.Fatalf("open service: %v %v", err, catErrs)
	}
	creds := map[string]map[string]string{
		"depop":       {"client_id": emulator.TestClientID, "client_secret": emulator.TestClientSecret},
		"smartthings": {"client_id": emulator.TestClientID, "client_secret": emulator.TestClientSecret},
		"ebay":        {"client_id": emulator.TestClientID, "client_secret": emulator.TestClientSecret, "ruName": emulator.TestRuName},
		"vaultist":    {"partnerId": fmt.Sprint(emulator.TestPartnerID)},
	}
	for id, values := range creds {
		// The emulator file moved these built-in providers: the test is the
		// seller confirming the new addresses.
		if err := svc.ConfirmEndpoints(id); err != nil {
			f.tb.Fatalf("confirming the emulator's addresses for %s: %v", id, err)
		}
		if err := svc.SetProviderSettings(id, values); err != nil {
			f.tb.Fatalf("credentials for %s: %v", id, err)
		}
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
}

// command prepares the binary with the fixture's data directory.
func (f *fixture) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binPath, append([]string{"--data-dir", f.dir}, args...)...)
	cmd.Env = append(os.Environ(), f.env...)
	return cmd
}

func (f *fixture) run(args ...string) result {
	f.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return runCmd(f.tb, f.command(ctx, args...), "")
}

func runCmd(tb testing.TB, cmd *exec.Cmd, stdin string) result {
	tb.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			tb.Fatalf("%v: %v", cmd.Args, err)
		}
		code = ee.ExitCode()
	}
	return result{out.String(), errb.String(), code}
}

func (f *fixture) ok(args ...string) string {
	f.tb.Helper()
	r := f.run(args...)
	if r.code != 0 {
		f.tb.Fatalf("sellerconnect %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// connect runs "connect PROVIDER --no-browser", reads the address from
// stderr and approves it at the emulator as a seller in a browser would:
// loopback providers are redirected to the waiting receiver, paste-mode ones
// get the final address typed on stdin. It returns the new account's id.
func (f *fixture) connect(provider string, paste bool) string {
	f.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := f.command(ctx, "connect", provider, "--no-browser")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		f.tb.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		f.tb.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		f.tb.Fatal(err)
	}
	var errText strings.Builder
	sc := bufio.NewScanner(stderr)
	authURL := ""
	for sc.Scan() {
		line := sc.Text()
		errText.WriteString(line + "\n")
		if strings.HasPrefix(line, "http://") || strings.HasPrefix(line, "https://") {
			authURL = line
			break
		}
	}
	if authURL == "" {
		cmd.Wait()
		f.tb.Fatalf("connect %s printed no address:\n%s", provider, errText.String())
	}
	done := make(chan struct{})
	go func() { // keep draining stderr so the process never blocks on it
		defer close(done)
		b, _ := io.ReadAll(stderr)
		errText.Write(b)
	}()
	if paste {
		loc, err := emulator.Approve(ctx, http.DefaultClient, authURL)
		if err != nil {
			f.tb.Fatalf("approve: %v", err)
		}
		fmt.Fprintln(stdin, loc)
	} else {
		if err := (&emulator.AutoApprover{Client: http.DefaultClient}).Open(authURL); err != nil {
			f.tb.Fatalf("approve: %v", err)
		}
	}
	<-done
	err = cmd.Wait()
	stdin.Close()
	if err != nil {
		f.tb.Fatalf("connect %s: %v\nstdout: %q\nstderr: %s", provider, err, out.String(), errText.String())
	}
	id := strings.TrimSpace(out.String())
	if id == "" || strings.Contains(id, "\n") {
		f.tb.Fatalf("connect %s: stdout %q is not one account id", provider, out.String())
	}
	return id
}

func (f *fixture) accounts() accountsJSON {
	f.tb.Helper()
	var out accountsJSON
	if err := json.Unmarshal([]byte(f.ok("accounts", "--json")), &out); err != nil {
		f.tb.Fatal(err)
	}
	return out
}

func (f *fixture) account(id string) accountJSON {
	f.tb.Helper()
	for _, a := range f.accounts().Accounts {
		if a.ID == id {
			return a
		}
	}
	f.tb.Fatalf("account %s is not listed", id)
	return accountJSON{}
}

// snapshot hashes every file in the data directory except lock files, which
// only exist to be locked.
func (f *fixture) snapshot() map[string]string {
	f.tb.Helper()
	snap := map[string]string{}
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".lock") || strings.Contains(p, "/locks/") || strings.Contains(p, "/logs/") {
			return nil // locks, and the log every command appends to
		}
		// The database is compared by what it holds: its log and index
		// files change as it is opened and closed.
		switch filepath.Base(p) {
		case storage.DBFile + "-wal", storage.DBFile + "-shm":
			return nil
		case storage.DBFile:
			snap[storage.DBFile] = dbDigest(f.tb, p)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(f.dir, p)
		snap[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	return snap
}

// dbDigest hashes every row of every table of the database, read-only.
func dbDigest(tb testing.TB, path string) string {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	h := sha256.New()
	for _, table := range []string{"accounts", "timeline", "settings", "demo_grants", "meta"} {
		rows, err := db.Query("SELECT * FROM " + table + " ORDER BY 1")
		if err != nil {
			tb.Fatalf("reading %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			fmt.Fprintf(h, "%s %v\n", table, vals)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sameSnapshot(tb testing.TB, what string, before, after map[string]string) {
	tb.Helper()
	for k, v := range before {
		if after[k] != v {
			tb.Errorf("%s changed %s", what, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			tb.Errorf("%s created %s", what, k)
		}
	}
}

// lifecycle runs connect, token, refresh, test, report and disconnect for one
// provider.
func lifecycle(t *testing.T, provider, dialect string, paste, rotates bool) {
	f := newFixture(t, nil)
	id := f.connect(provider, paste)

	a := f.account(id)
	if a.Provider != provider || a.Status != "connected" || a.AccessExpiry == nil {
		t.Fatalf("new account: %+v", a)
	}

	tok := strings.TrimSpace(f.ok("token", id))
	if !f.em.AccessValid(dialect, tok) {
		t.Fatalf("token %s is not accepted by the provider", oauth.Redact(tok))
	}
	// A fresh token is served as is: no refresh.
	before := f.em.Stats(dialect).Refreshes
	if again := strings.TrimSpace(f.ok("token", id)); again != tok {
		t.Errorf("a fresh token was replaced")
	}
	if n := f.em.Stats(dialect).Refreshes; n != before {
		t.Errorf("token refreshed a fresh token (%d refreshes)", n-before)
	}
	// Named by display name too, when it has one.
	if a.Name != "" {
		if got := strings.TrimSpace(f.ok("token", a.Name)); got != tok {
			t.Errorf("token by display name %q gave another token", a.Name)
		}
	}

	out := f.ok("refresh", id)
	if !strings.HasPrefix(out, id+"\t") {
		t.Errorf("refresh output %q", out)
	}
	if n := f.em.Stats(dialect).Refreshes; n != before+1 {
		t.Errorf("refresh: %d refreshes at the provider, want 1", n-before)
	}
	tok2 := strings.TrimSpace(f.ok("token", id))
	if tok2 == tok || !f.em.AccessValid(dialect, tok2) {
		t.Errorf("after refresh: new token valid %v, same as old %v", f.em.AccessValid(dialect, tok2), tok2 == tok)
	}
	if rotates && f.em.AccessValid(dialect, tok) {
		t.Errorf("the rotating provider still accepts the old access token")
	}

	if out := f.ok("test", id); !strings.HasPrefix(out, id+"\tok\t") {
		t.Errorf("test output %q", out)
	}

	// The report names the account and never holds a secret in clear.
	report := f.ok("report", id)
	if !strings.Contains(report, id) {
		t.Errorf("report does not name %s", id)
	}
	file := filepath.Join(t.TempDir(), "report.txt")
	if r := f.run("report", id, "-o", file); r.code != 0 || r.stdout != "" {
		t.Fatalf("report -o: %v", r)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("report file: %v, mode %v", err, st.Mode().Perm())
	}
	fileText, _ := os.ReadFile(file)
	for _, s := range f.em.Issued() {
		if len(s) >= 8 && (strings.Contains(report, s) || strings.Contains(string(fileText), s)) {
			t.Errorf("report holds the secret %s in clear", oauth.Redact(s))
		}
	}

	out = f.ok("disconnect", id)
	if !strings.HasPrefix(out, id+"\tdisconnected\t") {
		t.Errorf("disconnect output %q", out)
	}
	if n := len(f.accounts().Accounts); n != 0 {
		t.Errorf("%d accounts left after disconnect", n)
	}
	if r := f.run("token", id); r.code != ExitUsage {
		t.Errorf("token after disconnect: %v", r)
	}
}

func TestLifecycleRotating(t *testing.T) {
	lifecycle(t, "depop", emulator.Depop, false, true)
}

func TestLifecycleNonRotatingPaste(t *testing.T) {
	lifecycle(t, "ebay", emulator.EBay, true, false)
}

func TestProvidersAndDoctor(t *testing.T) {
	f := newFixture(t, nil)
	var provs providersJSON
	if err := json.Unmarshal([]byte(f.ok("providers", "--json")), &provs); err != nil {
		t.Fatal(err)
	}
	byID := map[string]providerJSON{}
	for _, p := range provs.Providers {
		byID[p.ID] = p
	}
	if p := byID["depop"]; !p.Ready || p.Connect != "browser" || p.Redirect != "loopback" || p.Rotation != "rotate" {
		t.Errorf("depop: %+v", p)
	}
	if p := byID["ebay-sandbox"]; p.Ready || len(p.MissingSettings) == 0 {
		t.Errorf("ebay-sandbox should lack credentials: %+v", p)
	}
	if p := byID["vaultist"]; p.Connect != "password" || p.Redirect != "" {
		t.Errorf("vaultist: %+v", p)
	}

	id := f.connect("smartthings", false)
	var doc doctorJSON
	r := f.run("doctor", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("doctor --json: %v\n%v", err, r)
	}
	if r.code != 0 || !doc.OK {
		t.Fatalf("doctor found problems: %v", r)
	}
	seen := map[string]bool{}
	for _, c := range doc.Checks {
		seen[c.Check+":"+c.Subject] = true
		if c.Check == "clock" && (c.SkewSeconds == nil || *c.SkewSeconds > 2 || *c.SkewSeconds < -2) {
			t.Errorf("clock check against the emulator: %+v", c)
		}
	}
	for _, want := range []string{"data_dir:", "keychain:", "provider_files:", "clock:smartthings", "reachability:smartthings", "account:" + id} {
		if !seen[want] {
			t.Errorf("doctor lacks the %s check", want)
		}
	}
	if text := f.ok("doctor"); !strings.Contains(text, "No problems found.") {
		t.Errorf("doctor text:\n%s", text)
	}
}

// TestBadInput: each mistake gets one clear sentence, its documented exit
// code and an empty stdout, and changes nothing.
func TestBadInput(t *testing.T) {
	f := newFixture(t, nil)
	id := f.connect("depop", false)
	other := f.connect("smartthings", false)
	tok := strings.TrimSpace(f.ok("token", id))

	check := func(name string, r result, code int, want string) {
		t.Helper()
		if r.code != code || r.stdout != "" || !strings.HasPrefix(r.stderr, "sellerconnect: ") || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: want exit %d and %q on stderr; got %v", name, code, want, r)
		}
	}
	before := f.snapshot()

	check("unknown account", f.run("token", "nosuch"), ExitUsage, `no account "nosuch"`)
	check("unknown account refresh", f.run("refresh", "nosuch"), ExitUsage, `no account "nosuch"`)
	check("unknown account report", f.run("report", "nosuch"), ExitUsage, `no account "nosuch"`)
	check("unknown provider", f.run("connect", "nosuch", "--no-browser"), ExitUsage, `no provider "nosuch"`)
	sameSnapshot(t, "unknown names", before, f.snapshot())

	// A keychain that is unavailable: the session bus is a dead socket.
	dead := filepath.Join(t.TempDir(), "no-bus")
	f.env = []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + dead}
	check("no keychain: token", f.run("token", id), ExitOther, "Secret Service")
	check("no keychain: connect", f.run("connect", "depop", "--no-browser"), ExitOther, "Secret Service")
	f.env = nil
	sameSnapshot(t, "unavailable keychain", before, f.snapshot())
	if got := strings.TrimSpace(f.ok("token", id)); got != tok {
		t.Errorf("the token changed after the keychain failures")
	}

	// A malformed provider file.
	broken := filepath.Join(f.dir, "providers", "broken.toml")
	if err := os.WriteFile(broken, []byte("[providers.depop]\ntoken_url = 42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before = f.snapshot()
	check("broken provider file: token", f.run("token", id), ExitCredentials, "broken.toml")
	check("broken provider file: connect", f.run("connect", "depop", "--no-browser"), ExitCredentials, "broken.toml")
	// Only the provider the file concerns is off: another account works.
	if got := strings.TrimSpace(f.ok("token", other)); got == "" {
		t.Errorf("another provider's account stopped working over a file that does not concern it")
	}
	r := f.run("providers", "--json")
	var provs providersJSON
	if r.code != ExitCredentials || json.Unmarshal([]byte(r.stdout), &provs) != nil || len(provs.FileErrors) == 0 ||
		!strings.Contains(r.stderr, "broken.toml") {
		t.Errorf("providers with a broken file: %v", r)
	}
	sameSnapshot(t, "broken provider file", before, f.snapshot())
	os.Remove(broken)
	before = f.snapshot()

	// A data directory that is not writable.
	ro := readOnlyDir(t, f.dir)
	check("read-only data dir: token", f.run("token", id), ExitOther, "not writable")
	check("read-only data dir: connect", f.run("connect", "depop", "--no-browser"), ExitOther, "not writable")
	check("read-only data dir: refresh", f.run("refresh", "--all"), ExitOther, "not writable")
	ro()
	sameSnapshot(t, "read-only data directory", before, f.snapshot())
	if n := f.em.Stats(emulator.Depop).Refreshes; n != 0 {
		t.Errorf("bad input caused %d refreshes", n)
	}
	if got := strings.TrimSpace(f.ok("token", id)); got != tok || !f.em.AccessValid(emulator.Depop, got) {
		t.Errorf("the account no longer serves its token")
	}
}

// readOnlyDir makes dir unwritable (root ignores modes, so the immutable
// attribute is used there) and returns the function that undoes it.
func readOnlyDir(t *testing.T, dir string) func() {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		undo := func() { os.Chmod(dir, 0o700) }
		t.Cleanup(undo)
		return undo
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make %s read-only as root (chattr: %v %s)", dir, err, out)
	}
	undo := func() { exec.Command("chattr", "-i", dir).Run() }
	t.Cleanup(undo)
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o600); err == nil {
		os.Remove(filepath.Join(dir, "probe"))
		undo()
		t.Skip("the immutable attribute does not stop writes here")
	}
	return undo
}

// TestCredentialsCommand: app credentials entered on stdin make a provider
// ready; the secret reaches the keychain and no file; empty lines keep
// what is there.
func TestCredentialsCommand(t *testing.T) {
	f := newFixture(t, nil)
	const secret = "cert-id-s3cret-value"
	ready := func() (bool, []string) {
		var provs struct {
			Providers []providerJSON `json:"providers"`
		}
		if err := json.Unmarshal([]byte(f.ok("providers", "--json")), &provs); err != nil {
			t.Fatal(err)
		}
		for _, p := range provs.Providers {
			if p.ID == "ebay-sandbox" {
				return p.Ready, p.MissingSettings
			}
		}
		t.Fatal("no ebay-sandbox provider")
		return false, nil
	}
	if ok, _ := ready(); ok {
		t.Fatal("ebay-sandbox ready before its credentials were entered")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := runCmd(t, f.command(ctx, "credentials", "ebay-sandbox"), "app-id\n\n")
	if r.code != ExitCredentials || r.stdout != "" || !strings.Contains(r.stderr, "Still missing: client_secret, ruName") {
		t.Fatalf("partial entry: %v", r)
	}
	r = runCmd(t, f.command(ctx, "credentials", "ebay-sandbox"), "\n"+secret+"\nSellerConnect-RuName\n")
	if r.code != ExitOK || !strings.Contains(r.stderr, "ready to connect") {
		t.Fatalf("full entry: %v", r)
	}
	if ok, missing := ready(); !ok {
		t.Fatalf("still missing %v", missing)
	}
	r = runCmd(t, f.command(ctx, "credentials", "ebay-sandbox"), "\n\n\n")
	if r.code != ExitOK || !strings.Contains(r.stderr, "Nothing changed") {
		t.Fatalf("empty entry: %v", r)
	}
	if ok, _ := ready(); !ok {
		t.Fatal("empty lines removed a value")
	}
	if strings.Contains(r.stderr, secret) {
		t.Fatal("the secret was echoed")
	}
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the client secret in clear", p)
			}
		}
		return nil
	})
	if r := f.run("credentials", "nosuch"); r.code != ExitUsage {
		t.Errorf("unknown provider: %v", r)
	}
}

// TestProviderFileCannotQuietlyRedirectCredentials: a provider file that
// moves a connected provider's token address is flagged by providers and
// doctor, and nothing carrying a secret is sent until the seller confirms.
func TestProviderFileCannotQuietlyRedirectCredentials(t *testing.T) {
	f := newFixture(t, nil)
	id := f.connect("depop", false)
	// Another process would receive the client secret and refresh token.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached the new address: %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer evil.Close()
	file := filepath.Join(f.dir, "providers", "zz-moved.toml")
	if err := os.WriteFile(file, []byte("[providers.depop]\ntoken_url = \""+evil.URL+"/oauth/token\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := f.em.Stats(emulator.Depop).TokenRequests

	r := f.run("providers")
	if !strings.Contains(r.stdout, "endpoints changed by "+file) {
		t.Errorf("providers does not flag the change:\n%s", r.stdout)
	}
	var doc doctorJSON
	r = f.run("doctor", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("doctor --json: %v\n%v", err, r)
	}
	warned := false
	for _, c := range doc.Checks {
		warned = warned || (c.Status == "warn" && strings.Contains(c.Message, "endpoints changed"))
	}
	if !warned {
		t.Errorf("doctor does not warn of the change: %v", r)
	}
	if text := f.run("doctor").stdout; strings.Contains(text, "No problems found") {
		t.Errorf("doctor says no problems:\n%s", text)
	}
	r = f.run("refresh", id)
	if r.code != ExitCredentials || !strings.Contains(r.stderr, "endpoints changed") || !strings.Contains(r.stderr, "--confirm-endpoints") {
		t.Errorf("refresh with moved endpoints: %v", r)
	}
	if got := f.em.Stats(emulator.Depop).TokenRequests; got != before {
		t.Errorf("%d token requests were sent meanwhile", got-before)
	}
	// Confirmed, the new address is used (and here refuses).
	f.ok("credentials", "depop", "--confirm-endpoints")
	if r := f.run("providers"); strings.Contains(r.stdout, "endpoints changed") {
		t.Errorf("still flagged after confirming:\n%s", r.stdout)
	}
}

// TestNoSecretAnywhere: a provider that sends a secret header, ones that
// send their client secret in the form body or in Basic auth, a password
// sign-in and eBay's long tokens — connected, refreshed, tested, failed and
// reported through the command line. Every file of the data directory, the
// log, every report and every error text is searched for every secret used:
// app secrets, the password, the API key, and every code and token the
// provider issued.
func TestNoSecretAnywhere(t *testing.T) {
	f := newFixture(t, nil)
	// A provider of a file's own: Vault.ist's dialect with an API key, a
	// secret setting, in a header.
	apiKey := "ak_" + strings.Repeat("9f3e7", 8)
	vs := fmt.Sprintf(`[providers.vaultkey]
name = "Vault.ist with a key"
marketplace = "vaultist"
connect = "password"
token_url = "%s/vaultist/v1/auth/token"
pkce = "unsupported"
code_auth = "headers"
refresh_auth = "headers"
encoding = "json"
grant_in = "header"
grant_header = "grantType"
password_grant = "password_email"
rotation = "none"
headers = { partnerId = "${partnerId}", X-Api-Key = "${api_key}" }
  [providers.vaultkey.fields]
  refresh_token = "refreshToken"
  username = "email"
  password = "password"
  [[providers.vaultkey.settings]]
  key = "partnerId"
  label = "Partner ID"
  [[providers.vaultkey.settings]]
  key = "api_key"
  label = "API key"
  secret = true
`, f.em.URL())
	if err := os.WriteFile(filepath.Join(f.dir, "providers", "vaultkey.toml"), []byte(vs), 0o600); err != nil {
		t.Fatal(err)
	}
	var texts []string
	run := func(stdin string, args ...string) result {
		r := runCmd(t, f.command(context.Background(), args...), stdin)
		texts = append(texts, r.stderr)
		if args[0] != "token" { // printing the token is what token is for
			texts = append(texts, r.stdout)
		}
		return r
	}
	if r := run(fmt.Sprintf("%d\n%s\n", emulator.TestPartnerID, apiKey), "credentials", "vaultkey"); r.code != 0 {
		t.Fatalf("credentials: %v", r)
	}
	// A wrong password first (an error text), then the right one.
	if r := run(emulator.TestEmail+"\nnot-the-password-123\n", "connect", "vaultkey"); r.code == 0 {
		t.Fatal("a wrong password connected")
	}
	r := run(emulator.TestEmail+"\n"+emulator.TestPassword+"\n", "connect", "vaultkey")
	if r.code != 0 {
		t.Fatalf("connect vaultkey: %v", r)
	}
	ids := []string{strings.TrimSpace(r.stdout), f.connect("depop", false), f.connect("ebay", true), f.connect("smartthings", false)}
	f.em.Inject(emulator.Depop, emulator.Fault{Kind: emulator.FaultStatus, Status: 503, Count: 1})
	for _, id := range ids {
		run("", "token", id)
		run("", "refresh", id)
		run("", "test", id)
		run("", "report", id)
	}
	run("", "report")
	run("", "report", "--json")
	run("", "doctor")
	run("", "accounts", "--json")
	run("", "refresh", "--all")

	secrets := append(f.em.Issued(), apiKey, emulator.TestPassword, "not-the-password-123", emulator.TestClientSecret)
	_ = filepath.WalkDir(f.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(path); err == nil {
				texts = append(texts, string(b))
			}
		}
		return nil
	})
	bytes, found := 0, 0
	for _, x := range texts {
		bytes += len(x)
	}
	for _, s := range secrets {
		if len(s) < 6 {
			continue
		}
		for _, x := range texts {
			if strings.Contains(x, s) {
				found++
				t.Errorf("a secret (%d chars, %s) is in clear in what the command line produced or left", len(s), oauth.Redact(s))
				break
			}
		}
	}
	t.Logf("searched for %d secrets in %d texts and files (%d bytes): %d found", len(secrets), len(texts), bytes, found)
}

// TestPasteForgives: in eBay's paste flow, plain text and an address from
// another attempt are each answered with what is wrong, and the same
// attempt then connects with the right address: the seller does not have
// to approve again.
func TestPasteForgives(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := f.command(ctx, "connect", "ebay", "--no-browser")
	stdin, _ := cmd.StdinPipe()
	stderr, _ := cmd.StderrPipe()
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var errText strings.Builder
	authURL := ""
	for authURL == "" && sc.Scan() {
		errText.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "http") {
			authURL = sc.Text()
		}
	}
	loc, err := emulator.Approve(ctx, http.DefaultClient, authURL)
	if err != nil {
		t.Fatal(err)
	}
	approvals := f.em.Stats(emulator.EBay).Approvals
	fmt.Fprintln(stdin, "I approved it")
	fmt.Fprintln(stdin, strings.Replace(loc, "state=", "state=other", 1))
	fmt.Fprintln(stdin, loc)
	rest, _ := io.ReadAll(stderr)
	errText.Write(rest)
	err = cmd.Wait()
	stdin.Close()
	text := errText.String()
	if err != nil || strings.TrimSpace(out.String()) == "" {
		t.Fatalf("connect after bad pastes: %v\n%s", err, text)
	}
	for _, want := range []string{"neither the address from the browser nor a code", "another connection attempt", "Paste the address again"} {
		if !strings.Contains(text, want) {
			t.Errorf("stderr lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "eBay said") || strings.Contains(text, "did not finish in time") {
		t.Errorf("a bad paste is put on the provider or on a timeout:\n%s", text)
	}
	if got := f.em.Stats(emulator.EBay).Approvals; got != approvals {
		t.Errorf("the seller had to approve again (%d approvals)", got-approvals)
	}
}
