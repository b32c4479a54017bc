package storage

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// childEnv selects a helper mode when the test binary is re-executed as a
// child process (crash test, cross-process locks, no Secret Service).
const childEnv = "SELLERCONNECT_STORAGE_CHILD"

// skipKeychainEnv opts out of the keychain tests on machines without a
// Secret Service. Without it they fail: CI always has one.
const skipKeychainEnv = "SELLERCONNECT_SKIP_KEYCHAIN_TESTS"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

func runChild(mode string) int {
	switch mode {
	case "crash":
		return crashChild()
	case "lock":
		return lockChild()
	case "instance":
		return instanceChild()
	case "records":
		return recordsChild()
	case "keychain":
		return keychainChild()
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 2
}

// child returns a command that re-runs the test binary in a helper mode.
func child(t testing.TB, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// testKeychain returns a keychain with its own service name (a fresh data
// directory) whose entries are removed at the end of the test. It fails the
// test when no Secret Service answers, unless the opt-out is set.
func testKeychain(t testing.TB) (*Keychain, string) {
	t.Helper()
	dir := t.TempDir()
	k := NewKeychain(dir)
	if err := k.Probe(); err != nil {
		if os.Getenv(skipKeychainEnv) == "1" {
			t.Skipf("no usable keychain and %s=1: %v", skipKeychainEnv, err)
		}
		t.Fatalf("no usable keychain: %v\n\nThe keychain tests need a real Secret Service: run them with "+
			"`scripts/testenv.sh go test ./storage/` (or `make test`), or set %s=1 to skip them.", err, skipKeychainEnv)
	}
	t.Cleanup(func() { _ = keyring.DeleteAll(k.Service()) })
	return k, dir
}

// rawGet reads an entry directly through go-keyring, bypassing chunking.
func rawGet(k *Keychain, user string) (string, error) { return keyring.Get(k.Service(), user) }

func wantKind(t testing.TB, err error, kind KeychainErrorKind) *KeychainError {
	t.Helper()
	var ke *KeychainError
	if !errors.As(err, &ke) {
		t.Fatalf("want a *KeychainError of kind %s, got %v", kind, err)
	}
	if ke.Kind != kind {
		t.Fatalf("want kind %s, got %s: %v", kind, ke.Kind, err)
	}
	return ke
}

func mustContain(t testing.TB, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q does not contain %q", s, sub)
		}
	}
}
