package storage

import (
	"errors"
	"runtime"
	"strings"

	dbus "github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// KeychainErrorKind says what went wrong with the keychain.
type KeychainErrorKind string

const (
	// KindNoService: there is no keychain to talk to (on Linux, no Secret
	// Service on the session bus, or no session bus at all).
	KindNoService KeychainErrorKind = "no_service"
	// KindLocked: the keychain is locked and was not unlocked.
	KindLocked KeychainErrorKind = "locked"
	// KindDenied: the keychain refused SellerConnect access.
	KindDenied KeychainErrorKind = "denied"
	// KindTimeout: the keychain did not answer in time (often: it is
	// waiting for the user to answer an unlock prompt).
	KindTimeout KeychainErrorKind = "timeout"
	// KindTooBig: the keychain refused the value even in small chunks.
	KindTooBig KeychainErrorKind = "too_big"
	// KindDamaged: a chunked value could not be reassembled (a chunk is
	// missing or the checksum does not match).
	KindDamaged KeychainErrorKind = "damaged"
	// KindOther: anything else; Err has the keychain's own words.
	KindOther KeychainErrorKind = "other"
)

// KeychainError is a keychain failure with what to do about it. It never
// holds a secret: Key is an entry name such as "account:depop-3f9a2c".
type KeychainError struct {
	Kind   KeychainErrorKind
	Op     string // "get", "set", "delete", "probe"
	Key    string
	Advice string // one or two sentences for the user
	Err    error  // the keychain's own error
}

func (e *KeychainError) Error() string {
	var b strings.Builder
	b.WriteString("keychain ")
	b.WriteString(e.Op)
	if e.Key != "" {
		b.WriteString(" " + e.Key)
	}
	b.WriteString(": ")
	b.WriteString(summaryFor(e.Kind))
	if e.Err != nil {
		b.WriteString(" (" + e.Err.Error() + ")")
	}
	if e.Advice != "" {
		b.WriteString(". " + e.Advice)
	}
	return b.String()
}

func (e *KeychainError) Unwrap() error { return e.Err }

func summaryFor(k KeychainErrorKind) string {
	switch k {
	case KindNoService:
		switch runtime.GOOS {
		case "windows":
			return "Windows Credential Manager is not available, so accounts cannot be saved"
		case "darwin":
			return "the macOS keychain is not available, so accounts cannot be saved"
		}
		return "no Secret Service (keychain) is running on this desktop, so accounts cannot be saved"
	case KindLocked:
		return "the keychain is locked"
	case KindDenied:
		return "the keychain denied SellerConnect access"
	case KindTimeout:
		return "the keychain did not answer in time"
	case KindTooBig:
		return "the keychain refused the value as too large"
	case KindDamaged:
		return "the stored value is incomplete or damaged"
	}
	return "the keychain failed"
}

func adviceFor(k KeychainErrorKind) string {
	switch k {
	case KindNoService:
		switch runtime.GOOS {
		case "windows":
			return "Sign in to Windows with a user account that has a credential store, then start SellerConnect again"
		case "darwin":
			return "Open Keychain Access and check that your login keychain exists, then start SellerConnect again"
		}
		return "Install and start a Secret Service provider: gnome-keyring (Debian/Ubuntu package gnome-keyring, usually with libsecret-1-0) " +
			"or KeePassXC with \"Secret Service Integration\" enabled in its settings; then log out and back in, or start SellerConnect again"
	case KindLocked:
		return "Unlock your keychain (the \"Login\" keyring in Passwords and Keys, your KeePassXC database, or Keychain Access on macOS) and try again"
	case KindDenied:
		return "Allow SellerConnect when the keychain asks, or check the keychain's access settings for SellerConnect, and try again"
	case KindTimeout:
		return "It may be waiting for you to unlock it: look for a keychain prompt, answer it, and try again"
	case KindTooBig:
		return "This keychain cannot hold the value; please report this to SellerConnect support"
	case KindDamaged:
		return "Reconnect the account to store a fresh copy"
	}
	return "Try again; if it keeps failing, restart the keychain service or your session"
}

// classify maps go-keyring's errors (D-Bus errors on Linux, the security
// tool's exit codes on macOS, Win32 errors on Windows) to a kind. The texts
// come from godbus, the Secret Service spec, gnome-keyring and go-keyring.
func classify(err error) KeychainErrorKind {
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return KindTooBig
	}
	var de dbus.Error
	if errors.As(err, &de) {
		switch de.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown",
			"org.freedesktop.DBus.Error.NameHasNoOwner",
			"org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
			"org.freedesktop.DBus.Error.Spawn.ExecFailed",
			"org.freedesktop.DBus.Error.Spawn.ChildExited":
			return KindNoService
		case "org.freedesktop.Secret.Error.IsLocked":
			return KindLocked
		case "org.freedesktop.Secret.Error.NoSuchObject":
			// No default collection: the keyring or KeePassXC database
			// is not open.
			return KindLocked
		case "org.freedesktop.DBus.Error.AccessDenied",
			"org.freedesktop.DBus.Error.AuthFailed",
			"org.freedesktop.DBus.Error.InteractiveAuthorizationRequired":
			return KindDenied
		case "org.freedesktop.DBus.Error.NoReply",
			"org.freedesktop.DBus.Error.Timeout",
			"org.freedesktop.DBus.Error.TimedOut":
			return KindTimeout
		}
	}
	msg := strings.ToLower(err.Error())
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("was not provided by any .service files",
		"serviceunknown",
		"couldn't determine address of session bus",
		"dbus-launch", // godbus autolaunch without X or dbus-x11
		"dbus: authentication failed",
		"connect: no such file or directory",
		"connect: connection refused",
		"unable to autolaunch",
		"logon session does not exist", // Windows ERROR_NO_SUCH_LOGON_SESSION
		"security: command not found", "executable file not found"):
		return KindNoService
	case has("failed to unlock correct collection", // go-keyring: unlock prompt dismissed
		"islocked", "is locked", "no such secret collection",
		"user interaction is not allowed", // macOS: locked keychain, no UI
		"exit status 36"):
		return KindLocked
	case has("access denied", "access is denied", "accessdenied", "not authorized",
		"user canceled", "exit status 128"): // macOS: user pressed Deny
		return KindDenied
	case has("timeout", "timed out", "noreply", "did not receive a reply"):
		return KindTimeout
	}
	return KindOther
}
