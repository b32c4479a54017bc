package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// label finds a visible label whose text contains s.
func label(c fyne.Canvas, s string) *widget.Label {
	var found *widget.Label
	for _, r := range everything(c) {
		visibleWalk(r, nil, func(o fyne.CanvasObject, _ fyne.Tappable) bool {
			if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, s) {
				found = l
			}
			return found == nil
		})
	}
	return found
}

// Refresh now and Test connection answer under their own buttons, in
// colour, without a dialog and without the old grey corner text.
func TestActionsAnswerBesideTheirButton(t *testing.T) {
	a := newTestApp(t, newWalkBackend(fixture.WithStates()))
	c := a.win.Canvas()
	for _, tc := range []struct {
		account, button, says string
		imp                   widget.Importance
	}{
		{"depop-3f9a2c", "Refresh now", "Token renewed", widget.SuccessImportance},
		{"depop-3f9a2c", "Test connection", "Test passed", widget.SuccessImportance},
		{"ebay-sandbox-5d20e1", "Refresh now", "Refresh failed", widget.DangerImportance},
		{"ebay-sandbox-5d20e1", "Test connection", "Test failed", widget.DangerImportance},
		{"depop-3f9a2c", "Copy token", "Token copied", widget.SuccessImportance},
		{"ebay-sandbox-5d20e1", "Copy token", "No token to copy", widget.DangerImportance},
	} {
		a.showDetails(tc.account)
		btn := button(t, c, tc.button)
		test.Tap(btn)
		pump(t, a, func() bool { return label(c, tc.says) != nil })
		l := label(c, tc.says)
		if l.Importance != tc.imp {
			t.Errorf("%s on %s: %q in importance %v, want %v", tc.button, tc.account, l.Text, l.Importance, tc.imp)
		}
		if len(c.Overlays().List()) != 0 {
			t.Errorf("%s on %s opened a dialog", tc.button, tc.account)
		}
		if tc.button == "Copy token" && tc.imp == widget.SuccessImportance {
			if got := a.fa.Clipboard().Content(); got != "fixture-access-token-"+tc.account {
				t.Errorf("the clipboard holds %q", got)
			}
		}
		// Beside the button: in the same cell, right under it.
		cell := a.details.content.(*fyne.Container)
		found := false
		walk(cell, func(o fyne.CanvasObject) bool {
			if box, ok := o.(*fyne.Container); ok && len(box.Objects) == 2 && box.Objects[0] == btn && box.Objects[1] == l {
				found = true
			}
			return !found
		})
		if !found {
			t.Errorf("%s on %s: the answer is not under its button", tc.button, tc.account)
		}
	}
}

func TestDialogButtonsSayWhatTheyDo(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	c := a.win.Canvas()
	p, _ := a.provider("demo")
	a.showConnectResult(p, "", fixture.States()[0], nil)
	if done := button(t, c, "Done"); done.Icon == theme.CancelIcon() || done.Icon != theme.ConfirmIcon() {
		t.Error("Done does not carry ✓")
	}
	if show := button(t, c, "Show details"); show.Icon == theme.ConfirmIcon() {
		t.Error("Show details carries ✓")
	}
	a.closeDialogs()
	a.showConnectResult(p, "", accounts.Account{}, &oauth.Error{Kind: oauth.KindDenied, Op: "callback", Code: "access_denied"})
	if cl := button(t, c, "Close"); cl.Icon == theme.ConfirmIcon() {
		t.Error("Close carries ✓")
	}
	a.closeDialogs()

	a.showDetails("depop-3f9a2c")
	test.Tap(button(t, c, "Disconnect…"))
	if d := button(t, c, "Disconnect"); d.Importance != widget.DangerImportance {
		t.Errorf("the confirmation's Disconnect has importance %v, want danger", d.Importance)
	}
	if k := button(t, c, "Keep"); k.Importance == widget.HighImportance || k.Importance == widget.DangerImportance {
		t.Error("Keep looks like the main or the dangerous action")
	}
}

// After a reconnect the old error leaves the top of the details for the
// history below the tokens; while it stands it is right under Status.
func TestLastErrorMovesDownOnceMended(t *testing.T) {
	be := fixture.WithStates()
	a := newTestApp(t, be)
	headings := func() []string {
		var out []string
		walk(a.details.body, func(o fyne.CanvasObject) bool {
			if l, ok := o.(*widget.Label); ok && l.TextStyle.Bold && l.Importance == widget.HighImportance {
				out = append(out, l.Text)
			}
			return true
		})
		return out
	}
	a.showDetails("ebay-sandbox-5d20e1")
	if h := headings(); len(h) < 2 || h[1] != "Last error" {
		t.Errorf("a standing error is not right under Status: %v", h)
	}
	acc, _ := be.Get("ebay-sandbox-5d20e1")
	acc.Status = accounts.StatusConnected
	acc.LastRefresh = fixture.Now
	be.Put(acc)
	a.showDetails("ebay-sandbox-5d20e1")
	h := headings()
	if h[1] == "Last error" {
		t.Errorf("the mended error still heads the details: %v", h)
	}
	idx := func(s string) int {
		for i, x := range h {
			if strings.HasPrefix(x, s) {
				return i
			}
		}
		return -1
	}
	if e, tok := idx("Earlier error"), idx("Tokens"); e < 0 || e < tok {
		t.Errorf("the earlier error is not in the history below Tokens: %v", h)
	}
	if !hasText(a.win.Canvas(), "Error code") || hasText(a.win.Canvas(), "Status\nerror") {
		t.Error("labels are not capitalised")
	}
}

func TestPickerOrder(t *testing.T) {
	a := newTestApp(t, fixture.New())
	names := func() []string {
		var out []string
		for _, p := range pickerOrder(a.be.Providers(), len(a.accounts) == 0) {
			out = append(out, p.ID)
		}
		return out
	}
	got := names()
	if got[0] != "demo" {
		t.Errorf("with nothing connected the Demo is not first: %v", got)
	}
	seenMissing := false
	for _, p := range pickerOrder(a.be.Providers(), true) {
		if len(p.MissingSettings) > 0 {
			seenMissing = true
		} else if seenMissing {
			t.Errorf("%s is ready but listed after providers needing credentials: %v", p.ID, got)
		}
	}
	b := newTestApp(t, fixture.WithStates())
	list := pickerOrder(b.be.Providers(), len(b.accounts) == 0)
	if list[0].ID == "demo" {
		t.Error("the Demo still leads once accounts are connected")
	}
}

func TestCredentialsExplained(t *testing.T) {
	a := newTestApp(t, fixture.New())
	for id, where := range map[string]string{
		"depop": "onboarding", "depop-staging": "Staging has its own pair", "ebay": "developer.ebay.com",
		"vaultist-sandbox": "Partner ID", "smartthings": "smartthings apps:create",
	} {
		p, ok := a.provider(id)
		if !ok {
			t.Fatalf("no provider %s", id)
		}
		a.closeDialogs()
		a.showCredentialsForm(p, "Save and connect", nil)
		c := a.win.Canvas()
		if !hasText(c, "not a seller's password") || !hasText(c, where) {
			t.Errorf("%s: the credentials dialog does not say what they are and where to find them (%q)", id, where)
		}
		button(t, c, "Save and connect")
	}
	// From Settings the button only saves.
	a.closeDialogs()
	a.showSettings()
	test.Tap(buttonNear(t, a.win.Canvas(), "SmartThings", "Edit…"))
	button(t, a.win.Canvas(), "Save")
}

func TestListOrderSearchAndFilter(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	m := a.main
	ids := func() []string {
		var out []string
		for _, i := range m.visible {
			out = append(out, a.accounts[i].ID)
		}
		return out
	}
	got := ids()
	for i, id := range got {
		acc := a.accounts[a.index[id]]
		if i < 3 && !needsSeller(acc.Status) {
			t.Errorf("row %d is %s (%s): the accounts needing the seller do not come first: %v", i, id, acc.Status, got)
		}
	}
	if !hasText(a.win.Canvas(), "8 accounts · 3 need you · 3 working · 2 retrying") {
		t.Errorf("the header does not count by status: %q", m.count.Text)
	}
	// An account that comes to need the seller moves up.
	acc := a.accounts[a.index["demo-7c1e2a"]]
	acc.Status = accounts.StatusReconnect
	a.apply(accounts.Event{Account: acc})
	if got := ids(); got[0] != "demo-7c1e2a" && got[1] != "demo-7c1e2a" && got[2] != "demo-7c1e2a" && got[3] != "demo-7c1e2a" {
		t.Errorf("the account needing a reconnect did not move up: %v", got)
	}
	if !strings.Contains(m.count.Text, "4 need you") {
		t.Errorf("the header did not follow the event: %q", m.count.Text)
	}
	for _, tc := range []struct {
		search, filter string
		want           int
	}{
		{"depop", filterAll, 4}, {"DEPOP vintage", filterAll, 1}, {"48213377", filterAll, 1}, {"ebay-sandbox-5d20e1", filterAll, 1},
		{"", filterRetrying, 2}, {"", filterNeedsYou, 4}, {"vault", filterWorking, 0}, {"nothing-like-this", filterAll, 0},
	} {
		m.filter.SetSelected(tc.filter)
		m.search.SetText(tc.search)
		if len(m.visible) != tc.want {
			t.Errorf("search %q in %q: %d shown %v, want %d", tc.search, tc.filter, len(m.visible), ids(), tc.want)
		}
		if tc.want == 0 && !hasText(a.win.Canvas(), "No account matches") {
			t.Errorf("search %q in %q: no word that nothing matches", tc.search, tc.filter)
		}
	}
}

// The tray icon carries a red dot while any account needs the seller.
func TestTrayIconAttention(t *testing.T) {
	be := fixture.New()
	a := newTestApp(t, be)
	var icons []fyne.Resource
	a.setTrayIcon = func(r fyne.Resource) { icons = append(icons, r) }
	a.updateTrayIcon()
	if len(icons) != 1 || icons[0] != trayIcon {
		t.Fatalf("with no account the tray shows %v", icons)
	}
	acc := fixture.States()[0]
	be.Put(acc)
	a.apply(accounts.Event{Account: acc})
	if len(icons) != 1 {
		t.Errorf("a connected account changed the tray icon: %v", icons)
	}
	acc.Status = accounts.StatusReconnect
	a.apply(accounts.Event{Account: acc})
	if len(icons) != 2 || icons[1] != trayAttentionIcon {
		t.Fatalf("an account needing a reconnect did not change the icon: %v", icons)
	}
	if string(trayAttentionIcon.Content()) == string(trayIcon.Content()) || len(trayAttentionIcon.Content()) == 0 {
		t.Error("the attention icon looks like the plain one")
	}
	acc.Status = accounts.StatusConnected
	a.apply(accounts.Event{Account: acc})
	if len(icons) != 3 || icons[2] != trayIcon {
		t.Errorf("the icon did not return once the account was mended: %v", icons)
	}
}

// The first close with a tray says SellerConnect goes on there; later
// closes just hide.
func TestTrayNoteOnce(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	c := a.win.Canvas()
	a.closeToTray()
	if !hasText(c, "keeps your accounts connected from the system tray") || a.hidden {
		t.Fatal("the first close does not say the app keeps working in the tray")
	}
	test.Tap(button(t, c, "Got it"))
	if !a.hidden {
		t.Error("Got it did not put the window away")
	}
	a.bringForward()
	a.closeToTray()
	if len(c.Overlays().List()) != 0 || !a.hidden {
		t.Error("the note came again")
	}
}

// Without a tray the close button asks whether to quit.
func TestNoTrayCloseAsks(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	a.askQuit()
	c := a.win.Canvas()
	if !hasText(c, "closing the window quits SellerConnect") {
		t.Fatal("no question before quitting")
	}
	test.Tap(button(t, c, "Keep open"))
	if len(c.Overlays().List()) != 0 {
		t.Error("Keep open did not close the question")
	}
}

// Notifications are offered only where the desktop shows them.
func TestNotificationsOnlyWhereShown(t *testing.T) {
	no := false
	a := newTestAppWith(t, fixture.WithStates(), func(o *Options) { o.Notifications = &no })
	a.showSettings()
	var check *widget.Check
	walk(a.win.Canvas().Content(), func(o fyne.CanvasObject) bool {
		if ch, ok := o.(*widget.Check); ok && strings.Contains(ch.Text, "notification") {
			check = ch
		}
		return check == nil
	})
	if check == nil || !check.Disabled() || !hasText(a.win.Canvas(), "shows no system notifications") {
		t.Error("notifications are offered on a desktop that cannot show them")
	}
}
