package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

func TestTapConnectFixture(t *testing.T) {
	be := fixture.New()
	acc := fixture.States()[0]
	be.ConnectResult = &acc
	a := newTestApp(t, be)
	done := false
	var result error
	a.connectDone = func(_ accounts.Account, err error) { done, result = true, err }

	c := a.win.Canvas()
	test.Tap(button(t, c, "Try the Demo marketplace"))
	pump(t, a, func() bool { return done })
	if result != nil {
		t.Fatal(result)
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
