package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTapConnectFixture(t *testing.T) {
	be := fixture.New()
	acc := fixture.States()[0]
	be.ConnectResult = &acc
	a := newTestApp(t, be)
	done := make(chan error, 1)
	a.connectDone = func(_ accounts.Account, err error) { done <- err }

	c := a.win.Canvas()
	test.Tap(button(t, c, "Try the Demo marketplace"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !hasText(c, "Connected as demo-seller") {
		t.Fatal("no result saying the account is connected")
	}
	test.Tap(button(t, c, "Done"))
	if len(a.accounts) != 1 || a.accounts[0].Status != accounts.StatusConnected {
		t.Fatalf("list holds %+v", a.accounts)
	}
	if !hasText(c, "token renews in 1 min") {
		t.Error("the new row does not show its countdown")
	}
}
