package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// Each screen renders to the committed markup in testdata/. A change to a
// screen shows up as a diff there; testdata/failed/ holds the new markup.

func TestScreenEmpty(t *testing.T) {
	a := newTestApp(t, fixture.New())
	test.AssertRendersToMarkup(t, "empty.xml", a.win.Canvas())
}

func TestScreenList(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	test.AssertRendersToMarkup(t, "list.xml", a.win.Canvas())
	if !hasText(a.win.Canvas(), "8 accounts") {
		t.Error("the toolbar does not count the accounts")
	}
}

func TestScreenBadges(t *testing.T) {
	test.NewTempApp(t)
	box := container.NewVBox()
	for _, s := range []accounts.Status{accounts.StatusConnected, accounts.StatusRefreshing, accounts.StatusExpiring,
		accounts.StatusReconnect, accounts.StatusCredentials, accounts.StatusOffline, accounts.StatusNotSaved} {
		box.Add(container.NewHBox(NewBadge(s)))
	}
	w := test.NewWindow(box)
	defer w.Close()
	test.AssertRendersToMarkup(t, "badges.xml", w.Canvas())
}

func TestScreenPicker(t *testing.T) {
	a := newTestApp(t, fixture.New())
	a.showPicker()
	test.AssertRendersToMarkup(t, "picker.xml", a.win.Canvas())
	if !hasText(a.win.Canvas(), "Needs app credentials") {
		t.Error("providers without app credentials are not marked")
	}
}

func TestScreenCredentialsForm(t *testing.T) {
	be := fixture.New()
	a := newTestApp(t, be)
	p, _ := a.provider("smartthings")
	a.showCredentialsForm(p, "Save and connect", nil)
	test.AssertRendersToMarkup(t, "credentials.xml", a.win.Canvas())
}

func TestScreenBrowserFlow(t *testing.T) {
	a := newTestApp(t, fixture.New())
	done, shown := false, false
	a.connectDone = func(accounts.Account, error) { done = true }
	a.authURLShown = func(string) { shown = true }
	p, _ := a.provider("demo")
	a.startConnect(p, "")
	// The fixture calls OnAuthURL at once, then waits for Cancel.
	pump(t, a, func() bool { return shown })
	test.AssertRendersToMarkup(t, "connect_browser.xml", a.win.Canvas())
	test.Tap(button(t, a.win.Canvas(), "Paste the address from your browser"))
	test.AssertRendersToMarkup(t, "connect_browser_paste.xml", a.win.Canvas())
	test.Tap(button(t, a.win.Canvas(), "Cancel"))
	pump(t, a, func() bool { return done })
}

func TestScreenPasteMode(t *testing.T) {
	a := newTestApp(t, fixture.New())
	done, shown := false, false
	a.connectDone = func(accounts.Account, error) { done = true }
	a.authURLShown = func(string) { shown = true }
	p, _ := a.provider("ebay-sandbox")
	a.startConnect(p, "")
	pump(t, a, func() bool { return shown })
	test.AssertRendersToMarkup(t, "connect_paste.xml", a.win.Canvas())
	test.Tap(button(t, a.win.Canvas(), "Cancel"))
	pump(t, a, func() bool { return done })
}

func TestScreenSignIn(t *testing.T) {
	a := newTestApp(t, fixture.New())
	p, _ := a.provider("vaultist")
	a.startConnect(p, "")
	test.AssertRendersToMarkup(t, "signin.xml", a.win.Canvas())
}

func TestScreenConnectResults(t *testing.T) {
	a := newTestApp(t, fixture.New())
	p, _ := a.provider("demo")
	acc := fixture.States()[0]
	a.showConnectResult(p, "", acc, nil)
	test.AssertRendersToMarkup(t, "result_connected.xml", a.win.Canvas())

	b := newTestApp(t, fixture.New())
	b.showConnectResult(p, "", accounts.Account{}, &oauth.Error{Kind: oauth.KindDenied, Op: "callback", Code: "access_denied"})
	test.AssertRendersToMarkup(t, "result_denied.xml", b.win.Canvas())
}

func TestScreenDetails(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	a.showDetails("ebay-sandbox-5d20e1")
	test.AssertRendersToMarkup(t, "details_reconnect.xml", a.win.Canvas())
	a.showDetails("demo-7c1e2a")
	test.AssertRendersToMarkup(t, "details_connected.xml", a.win.Canvas())
}

func TestScreenDisconnect(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	a.showDetails("depop-3f9a2c")
	test.Tap(button(t, a.win.Canvas(), "Disconnect…"))
	test.AssertRendersToMarkup(t, "disconnect_depop.xml", a.win.Canvas())
	if !hasText(a.win.Canvas(), "no way to revoke") {
		t.Error("the disconnect dialog does not say Depop cannot revoke")
	}
}

func TestScreenSettings(t *testing.T) {
	a := newTestApp(t, fixture.New())
	a.showSettings()
	test.AssertRendersToMarkup(t, "settings.xml", a.win.Canvas())
}

func TestScreenAbout(t *testing.T) {
	a := newTestApp(t, fixture.New())
	a.showAbout()
	test.AssertRendersToMarkup(t, "about.xml", a.win.Canvas())
}

func TestScreenHelpMenu(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	test.Tap(button(t, a.win.Canvas(), "Help"))
	test.AssertRendersToMarkup(t, "help_menu.xml", a.win.Canvas())
}

func TestScreenReportSaved(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	a.reportSaved("/home/seller/sellerconnect-report-20261123-1000.txt")
	test.AssertRendersToMarkup(t, "report_saved.xml", a.win.Canvas())
}

func init() { _ = fyne.NewSize }

// Show reaches every screen the screenshot program visits, closing the
// previous dialog each time.
func TestShowScreens(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	c := a.win.Canvas()
	for _, s := range []struct {
		screen   Screen
		arg      string
		page     string
		overlays int
		text     string
	}{
		{ScreenList, "", "list", 0, "8 accounts"},
		{ScreenPicker, "", "list", 1, "Pick the marketplace"},
		{ScreenConnect, "vaultist", "list", 1, "never stores it"},
		{ScreenConnected, "demo-7c1e2a", "list", 1, "Connected as demo-seller"},
		{ScreenDetails, "ebay-sandbox-5d20e1", "details", 0, "invalid_grant"},
		{ScreenSettings, "", "settings", 0, "App credentials"},
		{ScreenAbout, "", "list", 1, ""},
		{ScreenList, "", "list", 0, "8 accounts"},
	} {
		if err := a.Show(s.screen, s.arg); err != nil {
			t.Fatalf("%s: %v", s.screen, err)
		}
		if a.page != s.page || len(c.Overlays().List()) != s.overlays {
			t.Errorf("%s: page %q with %d dialogs, want %q with %d", s.screen, a.page, len(c.Overlays().List()), s.page, s.overlays)
		}
		if s.text != "" && !hasText(c, s.text) {
			t.Errorf("%s: %q not on screen", s.screen, s.text)
		}
	}
	if err := a.Show(ScreenDetails, "no-such-account"); err == nil {
		t.Error("details of a missing account: no error")
	}
	if err := a.Show("nowhere", ""); err == nil {
		t.Error("an unknown screen: no error")
	}
}
