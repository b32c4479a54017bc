package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// runArgs runs the command line in-process with captured streams.
func runArgs(t *testing.T, gui GUI, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	r := &runner{ctx: context.Background(), stdin: os.Stdin, stdout: &out, stderr: &errb, gui: gui}
	code = r.main(args)
	return out.String(), errb.String(), code
}

func TestGlobalFlags(t *testing.T) {
	Version = "1.2.3-test"
	defer func() { Version = "dev" }()

	out, errs, code := runArgs(t, nil, "--version")
	if code != ExitOK || out != "sellerconnect 1.2.3-test\n" || errs != "" {
		t.Fatalf("--version: code %d, stdout %q, stderr %q", code, out, errs)
	}
	out, _, code = runArgs(t, nil, "--help")
	if code != ExitOK {
		t.Fatalf("--help: code %d", code)
	}
	for _, want := range []string{"providers [--json]", "connect PROVIDER [--no-browser]", "report [ACCOUNT] [-o FILE]",
		"--data-dir DIR", "3  reconnect needed", "4  app credentials", "5  temporary failure"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}

	cases := [][]string{
		{"--bogus"},
		{"--data-dir"},
		{"--data-dir="},
		{"nosuchcommand"},
		{"token"},
		{"token", "a", "b"},
		{"refresh"},
		{"refresh", "a", "--all"},
		{"accounts", "--nope"},
		{"doctor", "extra"},
	}
	for _, args := range cases {
		out, errs, code := runArgs(t, nil, args...)
		if code != ExitUsage || out != "" || !strings.HasPrefix(errs, "sellerconnect: ") {
			t.Errorf("%q: code %d, stdout %q, stderr %q; want usage error", args, code, out, errs)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") != 1 {
			t.Errorf("%q: stderr should be one sentence plus advice: %q", args, errs)
		}
	}
}

func TestCommandHelp(t *testing.T) {
	for _, c := range commands {
		out, errs, code := runArgs(t, nil, c.name, "--help")
		if code != ExitOK || errs != "" || !strings.Contains(out, "sellerconnect [global flags] "+c.name) {
			t.Errorf("%s --help: code %d, stdout %q, stderr %q", c.name, code, out, errs)
		}
	}
}

func TestNoCommandOpensGUI(t *testing.T) {
	dir := t.TempDir()
	var got GUIOptions
	called := false
	gui := func(svc *accounts.Service, o GUIOptions) int {
		called, got = true, o
		if svc == nil {
			t.Error("gui got no service")
		}
		return 7
	}
	_, errs, code := runArgs(t, gui, "--data-dir", dir)
	if !called || code != 7 {
		t.Fatalf("gui not called (code %d, stderr %q)", code, errs)
	}
	if got.DataDir != dir {
		t.Errorf("gui data dir %q, want %q", got.DataDir, dir)
	}
	// The macOS process serial number argument is ignored.
	called = false
	if _, _, code := runArgs(t, gui, "-psn_0_12345", "--data-dir="+dir); code != 7 || !called {
		t.Errorf("-psn_ argument: code %d", code)
	}
}

func TestExitCodes(t *testing.T) {
	wrap := func(k oauth.Kind) error {
		return fmt.Errorf("refresh depop-1: %w", &oauth.Error{Kind: k, Op: "refresh", Advice: "Do the thing."})
	}
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitOther},
		{wrap(oauth.KindReconnect), ExitReconnect},
		{wrap(oauth.KindCredentials), ExitCredentials},
		{wrap(oauth.KindConfig), ExitCredentials},
		{wrap(oauth.KindTemporary), ExitTemporary},
		{wrap(oauth.KindProvider), ExitOther},
		{wrap(oauth.KindDenied), ExitOther},
		{wrap(oauth.KindCancelled), ExitOther},
		{usageErr("", "x"), ExitUsage},
		{fmt.Errorf("get: %w", &storage.KeychainError{Kind: storage.KindLocked}), ExitTemporary},
		{fmt.Errorf("get: %w", &storage.KeychainError{Kind: storage.KindTimeout}), ExitTemporary},
		{fmt.Errorf("get: %w", &storage.KeychainError{Kind: storage.KindNoService}), ExitOther},
	}
	for _, c := range cases {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestFailMessage(t *testing.T) {
	var errb bytes.Buffer
	r := &runner{stderr: &errb}
	err := fmt.Errorf("refresh: %w", &oauth.Error{Kind: oauth.KindReconnect, Op: "refresh", Status: 400,
		Code: "invalid_grant", RequestID: "req-42", Advice: "Connect the account again."})
	if code := r.fail(err, "account depop-1 (Depop)"); code != ExitReconnect {
		t.Fatalf("code %d", code)
	}
	want := "sellerconnect: Account depop-1 (Depop) needs to be connected again (refresh, HTTP 400, invalid_grant, id req-42).\nConnect the account again.\n"
	if errb.String() != want {
		t.Errorf("stderr:\n%q\nwant\n%q", errb.String(), want)
	}
}

func TestWritePrivate(t *testing.T) {
	name := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writePrivate(name, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(name); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(name), ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestProviderWordsAreNotRepeated: Depop sends its error as both error and
// error_description; the sentence says it once, and a wrong secret is exit 4.
func TestProviderWordsAreNotRepeated(t *testing.T) {
	err := &oauth.Error{Kind: oauth.KindCredentials, Op: "refresh", Status: 401,
		Code: "client secret does not match", Description: "client secret does not match", RequestID: "req-1"}
	msg, _ := describe(err, "account depop-1")
	if n := strings.Count(msg, "client secret does not match"); n != 1 {
		t.Errorf("%q says it %d times", msg, n)
	}
	if n := strings.Count(err.Error(), "client secret does not match"); n != 1 {
		t.Errorf("%q says it %d times", err.Error(), n)
	}
	if c := exitCode(err); c != ExitCredentials {
		t.Errorf("exit %d, want %d", c, ExitCredentials)
	}
	// A moved endpoint is a settings problem: exit 4.
	if c := exitCode(&oauth.Error{Kind: oauth.KindConfig, Op: "refresh", Status: 301}); c != ExitCredentials {
		t.Errorf("a moved endpoint: exit %d, want %d", c, ExitCredentials)
	}
}

// TestWriteErrorAdviceOnce: a write error that carries its advice is told
// with it once.
func TestWriteErrorAdviceOnce(t *testing.T) {
	err := &storage.WriteError{Path: "/data/sellerconnect.db", Err: errors.New("database or disk is full"), Advice: "Free some disk space."}
	msg, advice := describe(err, "")
	if strings.Count(msg+" "+advice, "Free some disk space") != 1 {
		t.Errorf("message %q, advice %q", msg, advice)
	}
	if c := exitCode(err); c != ExitOther {
		t.Errorf("exit %d, want %d", c, ExitOther)
	}
}
