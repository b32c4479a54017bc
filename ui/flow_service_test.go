package ui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage"
)

// The connect flow on the real accounts service: the Demo marketplace runs
// in-process on 127.0.0.1 (the emulator), the token goes to the real
// keychain (scripts/testenv.sh provides an unlocked one), the records to a
// temporary data directory, and the "browser" approves the consent page and
// follows the redirect to the app's loopback receiver.

// openService opens the accounts service on a temporary data directory
// with op as the browser.
func openService(t *testing.T, op *emulator.AutoApprover) *accounts.Service {
	t.Helper()
	dir := t.TempDir()
	if err := storage.NewKeychain(dir).Probe(); err != nil {
		if os.Getenv("SELLERCONNECT_TESTENV_INNER") == "" {
			t.Skipf("run under scripts/testenv.sh for an unlocked keychain: %v", err)
		}
		t.Fatalf("the keychain does not work: %v", err)
	}
	svc, err := accounts.Open(accounts.Options{DataDir: dir, Opener: op, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Remove what the test put into the keychain.
		for _, acc := range svc.List() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, _, _ = svc.Disconnect(ctx, acc.ID)
			cancel()
		}
		if err := svc.Close(); err != nil {
			t.Error(err)
		}
	})
	return svc
}

func newServiceApp(t *testing.T, svc *accounts.Service) *App {
	t.Helper()
	a := newTestAppWith(t, ServiceBackend(svc), func(o *Options) {
		o.Now = time.Now
		o.DataDir = t.TempDir()
	})
	a.Start()
	return a
}

// connectAndCheck waits for the connect started by a tap to end and checks
// that the window shows the Demo account as connected, in the result
// dialog and then in the list.
func connectAndCheck(t *testing.T, a *App, svc *accounts.Service, op *emulator.AutoApprover) {
	t.Helper()
	done := false
	var got accounts.Account
	var result error
	a.connectDone = func(acc accounts.Account, err error) { done, got, result = true, acc, err }
	pump(t, a, func() bool { return done })
	if result != nil {
		t.Fatalf("connect failed: %v", result)
	}
	select {
	case err := <-op.Followed():
		if err != nil {
			t.Fatalf("the browser's redirect to the app: %v", err)
		}
	default:
		t.Fatal("the consent page was not approved through the browser")
	}
	c := a.win.Canvas()
	if !hasText(c, "Connected as "+got.DisplayName) || got.DisplayName == "" {
		t.Fatalf("the result does not say connected as %q", got.DisplayName)
	}
	test.Tap(button(t, c, "Done"))

	// The service's own event arrives too; the row must not be doubled.
	pump(t, a, func() bool { return len(svc.List()) == 1 })
	settle(a)
	if len(a.accounts) != 1 {
		t.Fatalf("the list holds %d accounts, want 1", len(a.accounts))
	}
	row := a.accounts[0]
	if row.Provider != "demo" || row.Status != accounts.StatusConnected || row.ID != got.ID {
		t.Fatalf("the list shows %s %s %s, want the new demo account connected", row.ID, row.Provider, row.Status)
	}
	if a.page != "list" {
		t.Fatalf("the window shows %q, want the list", a.page)
	}
	if !hasText(c, got.DisplayName) || !hasText(c, "token renews in") {
		t.Error("the list row does not show the account and its countdown")
	}
	if !hasBadge(c, accounts.StatusConnected) {
		t.Error("the row's badge does not say connected")
	}
	if hasText(c, "Try the Demo marketplace") {
		t.Error("the empty state is still shown")
	}
	// The token is in the keychain: the service hands it out without a
	// new consent.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := svc.Token(ctx, got.ID)
	if err != nil || tok == "" {
		t.Fatalf("no token for the new account: %v", err)
	}
	// The report the seller hands to support names the account and holds
	// no token in clear.
	path, err := a.writeReportFile(t.TempDir(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(report), got.ID) {
		t.Error("the report does not name the account")
	}
	if strings.Contains(string(report), tok) {
		t.Error("the report holds the access token in clear")
	}
}

// settle runs UI work already queued, without waiting for more.
func settle(a *App) {
	for {
		select {
		case f := <-pumps[a]:
			f()
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

func hasBadge(c fyne.Canvas, s accounts.Status) bool {
	found := false
	for _, r := range everything(c) {
		walk(r, func(o fyne.CanvasObject) bool {
			if b, ok := o.(*Badge); ok && b.Status() == s && b.Visible() {
				found = true
			}
			return !found
		})
	}
	return found
}

func TestTapTryDemoConnectsOnService(t *testing.T) {
	op := &emulator.AutoApprover{}
	svc := openService(t, op)
	a := newServiceApp(t, svc)
	test.Tap(button(t, a.win.Canvas(), "Try the Demo marketplace"))
	if !hasText(a.win.Canvas(), "This window continues by itself") {
		t.Error("no dialog asking to approve in the browser")
	}
	connectAndCheck(t, a, svc, op)
}

func TestTapConnectAccountDemoOnService(t *testing.T) {
	op := &emulator.AutoApprover{}
	svc := openService(t, op)
	a := newServiceApp(t, svc)
	c := a.win.Canvas()
	test.Tap(button(t, c, "Connect account"))
	if !hasText(c, "Pick the marketplace") {
		t.Fatal("no provider picker")
	}
	test.Tap(buttonNear(t, c, "Demo marketplace", "Connect"))
	connectAndCheck(t, a, svc, op)
}

// buttonNear finds the button with text in the smallest container that
// also holds a label reading exactly label (a picker row).
func buttonNear(t *testing.T, c fyne.Canvas, label, text string) *widget.Button {
	t.Helper()
	var best *widget.Button
	bestSize := 0
	for _, r := range everything(c) {
		walk(r, func(o fyne.CanvasObject) bool {
			box, ok := o.(*fyne.Container)
			if !ok {
				return true
			}
			var b *widget.Button
			hasLabel, n := false, 0
			walk(box, func(x fyne.CanvasObject) bool {
				n++
				switch w := x.(type) {
				case *widget.Label:
					hasLabel = hasLabel || strings.TrimSpace(w.Text) == label
				case *widget.Button:
					if w.Text == text && b == nil {
						b = w
					}
				}
				return true
			})
			if hasLabel && b != nil && (best == nil || n < bestSize) {
				best, bestSize = b, n
			}
			return true
		})
	}
	if best == nil {
		t.Fatalf("no %q button next to %q", text, label)
	}
	return best
}
