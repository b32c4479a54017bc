package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// pasteBackend answers a connect as the service does in paste mode: a paste
// that is not this attempt's address is reported through OnBadPaste and
// the attempt waits for the next one.
type pasteBackend struct {
	*fixture.Backend
	good string
}

func (b *pasteBackend) Connect(ctx context.Context, req accounts.ConnectRequest) (accounts.Account, error) {
	req.OnAuthURL(b.ConnectURL)
	paste := req.Paste()
	for {
		select {
		case <-ctx.Done():
			return accounts.Account{}, &oauth.Error{Kind: oauth.KindCancelled, Op: "authorize", Err: ctx.Err()}
		case v := <-paste:
			if v != b.good {
				_, err := oauth.ParsePasted(v, "this-attempt")
				req.OnBadPaste(err)
				continue
			}
			acc := accounts.Account{ID: "ebay-new", Provider: req.Provider, DisplayName: "pasted-seller", Status: accounts.StatusConnected}
			b.Put(acc)
			return acc, nil
		}
	}
}

// TestBadPasteIsForgiven: plain text pasted in eBay's flow is answered
// beside the field, the dialog stays open, and the right address pasted
// next connects the same attempt.
func TestBadPasteIsForgiven(t *testing.T) {
	be := &pasteBackend{Backend: fixture.New(), good: "https://signin.ebay.com/accepted?code=abc&state=this-attempt"}
	a := newTestApp(t, be)
	var ebay accounts.Provider
	for _, p := range be.Providers() {
		if p.ID == "ebay" {
			ebay = p
		}
	}
	a.startConnect(ebay, "")
	c := a.win.Canvas()
	var entry *widget.Entry
	for _, r := range everything(c) {
		walk(r, func(o fyne.CanvasObject) bool {
			if e, ok := o.(*widget.Entry); ok && e.Visible() && strings.Contains(e.PlaceHolder, "address from your browser") {
				entry = e
			}
			return entry == nil
		})
	}
	if entry == nil {
		t.Fatal("no paste field")
	}
	test.Type(entry, "I approved it")
	test.Tap(button(t, c, "Continue"))
	pump(t, a, func() bool { return hasText(c, "neither the address from the browser nor a code") })
	if !hasText(c, "Paste the whole address") {
		t.Error("the bad paste does not say what to do")
	}
	if hasText(c, "eBay said") || hasText(c, "did not finish in time") || hasText(c, "not set up for") {
		t.Error("a bad paste is put on eBay, on a timeout or on the settings")
	}
	test.Type(entry, be.good)
	test.Tap(button(t, c, "Continue"))
	pump(t, a, func() bool { _, err := be.Get("ebay-new"); return err == nil })
}

// TestSettingsAskToConfirmMovedEndpoints: a provider whose addresses a
// provider file moved is flagged in Settings and confirmed from there.
func TestSettingsAskToConfirmMovedEndpoints(t *testing.T) {
	be := fixture.New()
	be.MoveEndpoints("ebay", "endpoints changed by /home/seller/.config/SellerConnect/providers/x.toml — confirm: ebay now sends its credentials and tokens elsewhere (token https://api.ebay.com → https://elsewhere.example)")
	a := newTestApp(t, be)
	a.showSettings()
	c := a.win.Canvas()
	if !hasText(c, "addresses changed: confirm") {
		t.Fatal("Settings do not flag the moved addresses")
	}
	test.Tap(button(t, c, "Confirm addresses…"))
	if !hasText(c, "elsewhere.example") {
		t.Fatal("the confirmation does not say where the addresses now point")
	}
	test.Tap(button(t, c, "Confirm"))
	for _, p := range be.Providers() {
		if p.ID == "ebay" && p.EndpointsChanged != "" {
			t.Fatal("confirming did not reach the service")
		}
	}
}
