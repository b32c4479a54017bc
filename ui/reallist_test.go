package ui

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// The account list on the real window with 1,000 accounts: those needing
// the seller come first, typing in the search field (real key presses)
// narrows the list to the matching accounts, the status filter narrows it
// further, and after Settings the window can be made small again.

func init() {
	realScenarios["list"] = realScenario{backend: func() Backend { return fixture.WithMany(1000) }, run: listScenario}
}

// shownAccounts is what the list shows, in order. UI goroutine only.
func (r *realRun) shownAccounts() []accounts.Account {
	m := r.a.main
	out := make([]accounts.Account, len(m.visible))
	for p, i := range m.visible {
		out[p] = r.a.accounts[i]
	}
	return out
}

// topRow returns the account name drawn highest in the list. UI goroutine
// only.
func (r *realRun) topRow() string {
	names := map[string]bool{}
	for _, acc := range r.a.accounts {
		names[displayName(acc)] = true
	}
	best, bestY := "", float32(1e9)
	d := fyne.CurrentApp().Driver()
	visibleWalk(r.a.main.list, nil, func(o fyne.CanvasObject, _ fyne.Tappable) bool {
		if l, ok := o.(*widget.Label); ok && names[l.Text] {
			if y := d.AbsolutePositionForObject(o).Y; y < bestY {
				best, bestY = l.Text, y
			}
		}
		return true
	})
	return best
}

// clickObject clicks the middle of o with the pointer.
func (r *realRun) clickObject(what string, o func() fyne.CanvasObject) {
	var x, y float32
	r.ui(func() {
		obj := o()
		c := r.a.win.Canvas()
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(obj)
		x = (pos.X + obj.Size().Width/2) * c.Scale()
		y = (pos.Y + obj.Size().Height/2) * c.Scale()
	})
	if out, err := exec.Command("xdotool", "mousemove", "--window", fmt.Sprint(r.winID),
		fmt.Sprint(int(x)), fmt.Sprint(int(y)), "click", "1").CombinedOutput(); err != nil {
		r.fail("xdotool: %v: %s", err, out)
	}
	r.logf("click %s", what)
	r.mu.Lock()
	r.presses++
	r.mu.Unlock()
	r.settle()
}

// typeText types s with real key presses into whatever has the focus.
func (r *realRun) typeText(s string) {
	if out, err := exec.Command("xdotool", "type", "--delay", "40", "--", s).CombinedOutput(); err != nil {
		r.fail("xdotool type: %v: %s", err, out)
	}
	r.logf("type %q", s)
	r.settle()
}

// expectShown waits until the list shows n accounts, each passing ok.
func (r *realRun) expectShown(n int, ok func(accounts.Account) bool) []accounts.Account {
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got []accounts.Account
		r.ui(func() { got = r.shownAccounts() })
		if len(got) == n {
			for _, acc := range got {
				if !ok(acc) {
					r.fail("%s is listed: it does not match", acc.ID)
				}
			}
			return got
		}
		if time.Now().After(deadline) {
			r.fail("the list shows %d accounts, want %d", len(got), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func listScenario(r *realRun) {
	r.expect("1000 accounts · 375 need you · 375 working · 250 retrying")
	var top string
	var first accounts.Account
	r.ui(func() {
		first = r.shownAccounts()[0]
		top = r.topRow()
	})
	if !needsSeller(first.Status) || top != displayName(first) {
		r.fail("the list starts with %s (%s), drawn first %q: not an account needing the seller", displayName(first), first.Status, top)
	}
	r.logf("first row: %s (%s)", top, first.Status)

	// Search, typed.
	r.clickObject("the search field", func() fyne.CanvasObject { return r.a.main.search })
	r.typeText("retro")
	got := r.expectShown(125, func(acc accounts.Account) bool { return strings.Contains(acc.DisplayName, "retro") })
	r.logf("search %q: %d of 1000 accounts shown", "retro", len(got))
	r.typeText("-0001")
	got = r.expectShown(2, func(acc accounts.Account) bool { return strings.HasPrefix(acc.DisplayName, "retro-0001") })
	r.expect(displayName(got[0]))
	r.logf("search %q: %s and %s shown", "retro-0001", got[0].DisplayName, got[1].DisplayName)
	r.ui(func() { r.a.main.search.SetText("") })
	r.expectShown(1000, func(accounts.Account) bool { return true })

	// The status filter, chosen from its menu.
	r.clickObject("the status filter", func() fyne.CanvasObject { return r.a.main.filter })
	r.press(filterNeedsYou)
	got = r.expectShown(375, func(acc accounts.Account) bool { return needsSeller(acc.Status) })
	r.logf("filter %q: %d shown", filterNeedsYou, len(got))
	r.ui(func() { r.a.main.filter.SetSelected(filterAll) })

	// Settings, then the window made small again.
	r.press("Settings")
	r.expect("App credentials")
	r.press("Accounts")
	r.expect("1000 accounts")
	want := fyne.NewSize(620, 420)
	if out, err := exec.Command("xdotool", "windowsize", fmt.Sprint(r.winID), "620", "420").CombinedOutput(); err != nil {
		r.fail("xdotool windowsize: %v: %s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var size fyne.Size
		r.ui(func() { size = r.a.win.Canvas().Size() })
		if size.Width <= want.Width+1 && size.Height <= want.Height+1 {
			r.logf("window shrunk to %.0fx%.0f after Settings", size.Width, size.Height)
			break
		}
		if time.Now().After(deadline) {
			r.fail("after Settings the window stays %.0fx%.0f, asked for %.0fx%.0f", size.Width, size.Height, want.Width, want.Height)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRealWindowListSearch(t *testing.T) {
	res := runReal(t, "list", "click")
	for _, l := range res.lines {
		if strings.Contains(l, "first row") || strings.Contains(l, "search ") || strings.Contains(l, "filter ") || strings.Contains(l, "shrunk") {
			t.Log(strings.TrimSpace(l))
		}
	}
}
