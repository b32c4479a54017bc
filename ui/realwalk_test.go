package ui

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// The walkthrough presses every button of every screen and dialog on the
// real window: the list and its Help menu, the connect picker and each
// flow (browser, pasted address, sign-in, app credentials first; approved,
// declined, cancelled), an account's details (every action, failing and
// succeeding; Disconnect kept and confirmed), Settings and every control
// there, About, and finally the window's close button without a tray.
// The markup goldens (screens_test.go) keep the layout; this keeps the
// real driver from falling over.

func init() {
	realScenarios["walk"] = realScenario{backend: func() Backend { return newWalkBackend(fixture.WithStates()) }, run: walkScenario}
	realScenarios["front"] = realScenario{backend: func() Backend { return newWalkBackend(fixture.WithStates()) }, run: frontScenario}
	realScenarios["walk-empty"] = realScenario{backend: func() Backend { return newWalkBackend(fixture.New()) }, run: walkEmptyScenario}
}

// walkBackend is the fixture with a connect that answers what the seller
// does in the window: an address pasted (approved, or declined when it
// holds error=access_denied), a sign-in, or Cancel; and a refresh and test
// that fail for accounts needing a reconnect.
type walkBackend struct {
	*fixture.Backend
	// approve ends a browser connect as approved, as the browser's
	// redirect to the loopback receiver would.
	approve chan struct{}
}

func newWalkBackend(b *fixture.Backend) *walkBackend {
	return &walkBackend{Backend: b, approve: make(chan struct{}, 1)}
}

func (b *walkBackend) Connect(ctx context.Context, req accounts.ConnectRequest) (accounts.Account, error) {
	if req.Email != "" {
		return b.connected(req), nil
	}
	if req.OnAuthURL != nil {
		req.OnAuthURL(b.ConnectURL)
	}
	var paste <-chan string
	if req.Paste != nil {
		paste = req.Paste()
	}
	select {
	case <-ctx.Done():
		return accounts.Account{}, &oauth.Error{Kind: oauth.KindCancelled, Op: "authorize", Err: ctx.Err()}
	case <-b.approve:
		return b.connected(req), nil
	case v := <-paste:
		if strings.Contains(v, "error=access_denied") {
			return accounts.Account{}, &oauth.Error{Kind: oauth.KindDenied, Op: "callback", Code: "access_denied"}
		}
		return b.connected(req), nil
	}
}

func (b *walkBackend) connected(req accounts.ConnectRequest) accounts.Account {
	id := req.Reconnect
	acc, err := b.Get(id)
	if id == "" || err != nil {
		id = req.Provider + "-new"
		acc = accounts.Account{ID: id, Provider: req.Provider, DisplayName: "new-" + req.Provider}
		for _, p := range b.Providers() {
			if p.ID == req.Provider {
				acc.ProviderName = p.Name
			}
		}
	}
	acc.Status = accounts.StatusConnected
	acc.LastError = nil
	acc.Reason = "The token is valid and renews by itself."
	acc.LastRefresh = fixture.Now
	acc.AccessExpiry = fixture.Now.Add(time.Hour)
	acc.NextRefresh = fixture.Now.Add(50 * time.Minute)
	b.Put(acc)
	return acc
}

var errGrantGone = &oauth.Error{Kind: oauth.KindReconnect, Op: "refresh", Status: 400, Code: "invalid_grant",
	Description: "the refresh token is invalid", Advice: "Reconnect the account."}

func (b *walkBackend) Refresh(ctx context.Context, id string) error {
	acc, err := b.Get(id)
	if err != nil {
		return err
	}
	if acc.Status == accounts.StatusReconnect {
		return errGrantGone
	}
	return nil
}

func (b *walkBackend) Test(ctx context.Context, id string) (accounts.Account, error) {
	acc, err := b.Get(id)
	if err == nil && acc.Status == accounts.StatusReconnect {
		return acc, errGrantGone
	}
	return acc, err
}

// pressNear presses the button labelled text in the same row as the text
// anchor (the innermost container holding both): one provider's Connect
// in the picker, one provider's Edit… in Settings.
func (r *realRun) pressNear(anchor, text string) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		var t realTarget
		r.ui(func() {
			roots := everything(r.a.win.Canvas())
			t = findNear(roots[len(roots)-1], anchor, text)
		})
		if t.obj != nil {
			if d, ok := t.tap.(fyne.Disableable); !ok || !d.Disabled() {
				r.ui(func() { tapTarget(t) })
				r.logf("tap %s (%s)", text, anchor)
				r.mu.Lock()
				r.presses++
				r.mu.Unlock()
				r.settle()
				return
			}
		}
		if time.Now().After(deadline) {
			r.fail("no %q beside %q to press", text, anchor)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// findNear returns the button labelled text in the innermost object under
// o that holds both it and a text reading exactly anchor.
func findNear(o fyne.CanvasObject, anchor, text string) realTarget {
	var best realTarget
	var search func(o fyne.CanvasObject) (hasAnchor bool, btn *widget.Button)
	search = func(o fyne.CanvasObject) (bool, *widget.Button) {
		if o == nil || !o.Visible() || best.obj != nil {
			return false, nil
		}
		switch x := o.(type) {
		case *widget.Button:
			if x.Text == text {
				return false, x
			}
			return false, nil
		case *widget.Label:
			return x.Text == anchor, nil
		case *canvas.Text:
			return x.Text == anchor, nil
		}
		var kids []fyne.CanvasObject
		switch x := o.(type) {
		case *fyne.Container:
			kids = x.Objects
		case fyne.Widget:
			kids = rendererObjects(x)
		}
		has := false
		var btn *widget.Button
		for _, k := range kids {
			h, b := search(k)
			if best.obj != nil {
				return false, nil
			}
			has = has || h
			if btn == nil {
				btn = b
			}
		}
		if has && btn != nil {
			best = realTarget{obj: btn, tap: btn}
		}
		return has, btn
	}
	search(o)
	return best
}

// fill types values into the empty visible entries of the topmost layer,
// in order (a dialog's fields).
func (r *realRun) fill(values ...string) {
	n := 0
	r.ui(func() {
		roots := everything(r.a.win.Canvas())
		visibleWalk(roots[len(roots)-1], nil, func(o fyne.CanvasObject, _ fyne.Tappable) bool {
			if e, ok := o.(*widget.Entry); ok && e.Text == "" && n < len(values) {
				e.SetText(values[n])
				n++
			}
			return n < len(values)
		})
	})
	if n < len(values) {
		r.fail("only %d of %d fields to fill", n, len(values))
	}
	r.settle()
}

// closeWindow presses the window's close button the way a window manager
// does: it sends the window a WM_DELETE_WINDOW client message.
func (r *realRun) closeWindow() {
	if err := sendDeleteWindow(uint32(r.winID)); err != nil {
		r.fail("closing the window: %v", err)
	}
	r.logf("close the window")
}

// sendDeleteWindow speaks just enough of the X11 protocol on the display's
// socket to send a ClientMessage(WM_PROTOCOLS, WM_DELETE_WINDOW) to window.
func sendDeleteWindow(window uint32) error {
	display := os.Getenv("DISPLAY")
	i := strings.LastIndexByte(display, ':')
	if i < 0 {
		return fmt.Errorf("DISPLAY %q", display)
	}
	num := strings.SplitN(display[i+1:], ".", 2)[0]
	c, err := net.DialTimeout("unix", "/tmp/.X11-unix/X"+num, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	le := binary.LittleEndian
	// Connection setup: little-endian, protocol 11.0, no authorisation.
	setup := make([]byte, 12)
	setup[0] = 'l'
	le.PutUint16(setup[2:], 11)
	if _, err := c.Write(setup); err != nil {
		return err
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(c, head); err != nil {
		return err
	}
	rest := make([]byte, int(le.Uint16(head[6:]))*4)
	if _, err := io.ReadFull(c, rest); err != nil {
		return err
	}
	if head[0] != 1 {
		return errors.New("the X server refused the connection")
	}
	intern := func(name string) (uint32, error) {
		pad := (4 - len(name)%4) % 4
		req := make([]byte, 8+len(name)+pad)
		req[0] = 16 // InternAtom
		le.PutUint16(req[2:], uint16(len(req)/4))
		le.PutUint16(req[4:], uint16(len(name)))
		copy(req[8:], name)
		if _, err := c.Write(req); err != nil {
			return 0, err
		}
		reply := make([]byte, 32)
		if _, err := io.ReadFull(c, reply); err != nil {
			return 0, err
		}
		if reply[0] != 1 {
			return 0, fmt.Errorf("InternAtom %s: X error %d", name, reply[1])
		}
		return le.Uint32(reply[8:]), nil
	}
	protocols, err := intern("WM_PROTOCOLS")
	if err != nil {
		return err
	}
	del, err := intern("WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	req := make([]byte, 44)
	req[0] = 25 // SendEvent, to the client that made the window
	le.PutUint16(req[2:], 11)
	le.PutUint32(req[4:], window)
	ev := req[12:]
	ev[0] = 33 // ClientMessage
	ev[1] = 32 // format
	le.PutUint32(ev[4:], window)
	le.PutUint32(ev[8:], protocols)
	le.PutUint32(ev[12:], del)
	if _, err := c.Write(req); err != nil {
		return err
	}
	// A round trip (GetInputFocus) makes sure the server took the event.
	sync := []byte{43, 0, 1, 0}
	if _, err := c.Write(sync); err != nil {
		return err
	}
	reply := make([]byte, 32)
	_, err = io.ReadFull(c, reply)
	return err
}

// browserFlow goes through a connect that waits for the browser: Copy
// link, the paste field, then the address (approved or declined).
func (r *realRun) browserFlow(address string) {
	r.dialog("Approve SellerConnect in your browser")
	r.press("Copy link")
	r.expect("Link copied")
	// Providers whose address is always pasted show the field at once.
	if r.showsButton("Paste the address from your browser") {
		r.press("Paste the address from your browser")
	}
	r.fill(address)
	r.press("Continue")
}

// showsButton reports whether a button labelled text can be pressed.
func (r *realRun) showsButton(text string) bool {
	ok := false
	r.ui(func() { _, ok = r.find(text) })
	return ok
}

// The credentials form's confirm button, from the picker and from Settings.
const (
	credentialsSave     = "Save and connect"
	credentialsSaveOnly = "Save"
)

const (
	approved = "http://127.0.0.1:41234/callback?code=walk-code&state=walk"
	declined = "http://127.0.0.1:41234/callback?error=access_denied&state=walk"
)

func walkScenario(r *realRun) {
	r.expect("8 accounts")

	// The list's toolbar and Help.
	r.press("Refresh all")
	r.press("Help")
	r.press("About SellerConnect")
	r.dialog("About SellerConnect")
	r.press("Close")
	r.expectGone("About SellerConnect")
	r.press("Help")
	r.press("Copy diagnostic report")
	r.dialog("Report copied")
	r.press("Close")
	r.press("Help")
	r.press("Save diagnostic report…")
	r.dialog("Save File")
	r.press("Cancel")
	r.expectGone("Save File")

	// The picker and every provider's way in.
	picker := func() {
		r.press("Connect account")
		r.dialog("Connect an account")
	}
	picker()
	r.pressNear("Depop", "Connect")
	r.browserFlow(approved)
	r.dialog("Depop account connected")
	r.press("Done")

	picker()
	r.pressNear("Depop (staging)", "Enter app credentials…")
	r.dialog("App credentials for Depop (staging)")
	r.press("Cancel")
	picker()
	r.pressNear("Depop (staging)", "Enter app credentials…")
	r.dialog("App credentials for Depop (staging)")
	r.fill("staging-client", "staging-secret")
	r.press(credentialsSave)
	r.dialog("Approve SellerConnect in your browser")
	r.press("Cancel")
	r.expectGone("Approve SellerConnect in your browser")

	picker()
	r.pressNear("eBay", "Enter app credentials…")
	r.dialog("App credentials for eBay")
	r.fill("ebay-app", "ebay-cert", "ebay-runame")
	r.press(credentialsSave)
	r.browserFlow(approved)
	r.dialog("eBay account connected")
	r.press("Show details")
	r.expect("SellerConnect id")
	r.press("Accounts")

	picker()
	r.pressNear("eBay (sandbox)", "Connect")
	r.browserFlow(declined)
	r.press("Try again")
	r.dialog("Approve SellerConnect in your browser")
	r.press("Cancel")

	picker()
	r.pressNear("Vault.ist", "Connect")
	r.dialog("Sign in to Vault.ist")
	r.press("Sign in")
	r.expect("Enter your email and password.")
	r.fill("seller@example.com", "correct horse")
	r.press("Sign in")
	r.dialog("Vault.ist account connected")
	r.press("Done")

	picker()
	r.pressNear("Vault.ist (sandbox)", "Enter app credentials…")
	r.dialog("App credentials for Vault.ist (sandbox)")
	r.fill("partner-7")
	r.press(credentialsSave)
	r.dialog("Sign in to Vault.ist (sandbox)")
	r.press("Cancel")

	picker()
	r.pressNear("SmartThings", "Enter app credentials…")
	r.dialog("App credentials for SmartThings")
	r.fill("st-client", "st-secret")
	r.press(credentialsSave)
	r.dialog("Approve SellerConnect in your browser")
	r.press("Cancel")

	picker()
	r.pressNear("Demo marketplace", "Connect")
	r.browserFlow(approved)
	r.dialog("Demo marketplace account connected")
	r.press("Done")
	picker()
	r.press("Close")
	r.expectGone("Connect an account")

	// An account that works: every action.
	r.press("vintage-finds")
	r.expect("SellerConnect id")
	r.press("Refresh now")
	r.expect("Token renewed")
	r.press("Test connection")
	r.expect("Test passed")
	r.press("Copy token")
	r.expect("Token copied")
	r.press("Copy report")
	r.dialog("Report copied")
	r.press("Close")
	r.press("Save report…")
	r.dialog("Save File")
	r.press("Cancel")
	r.expectGone("Save File")
	r.press("Reconnect")
	r.dialog("Approve SellerConnect in your browser")
	r.press("Cancel")
	r.expectGone("Approve SellerConnect in your browser")
	r.press("Disconnect…")
	r.dialog("Disconnect vintage-finds?")
	r.press("Keep")
	r.expectGone("Disconnect vintage-finds?")
	r.press("Disconnect…")
	r.dialog("Disconnect vintage-finds?")
	r.press("Disconnect")
	r.dialog("Account disconnected")
	r.press("Close")
	r.expect("Connect account") // back on the list

	// An account that needs the seller: the actions fail, Reconnect mends it.
	r.press("testuser_shopkeeper")
	r.expect("invalid_grant")
	r.press("Refresh now")
	r.expect("Refresh failed")
	r.press("Test connection")
	r.expect("Test failed")
	r.press("Copy token")
	r.expect("No token to copy")
	r.press("Reconnect")
	r.browserFlow(approved)
	r.dialog("eBay (sandbox) account reconnected")
	r.press("Done")
	r.press("Accounts")

	// Settings: every switch both ways, every provider's credentials,
	// the custom providers folder.
	r.press("Settings")
	r.expect("App credentials")
	c := "Tell me when an account needs me (system notification)"
	r.press(c)
	r.press(c)
	// Without a tray the app cannot start there: the switch is off limits.
	r.ui(func() {
		t, ok := r.find("Start in the tray, without opening this window")
		if d, can := t.tap.(fyne.Disableable); !ok || !can || !d.Disabled() {
			r.fail("without a tray, Start in the tray can be switched on")
		}
	})
	var names []string
	r.ui(func() {
		for _, p := range r.be.Providers() {
			if len(p.Settings) > 0 {
				names = append(names, p.Name)
			}
		}
	})
	sort.Strings(names)
	for i, name := range names {
		r.pressNear(name, "Edit…")
		r.dialog("App credentials for " + name)
		if i == 0 {
			r.press(credentialsSaveOnly)
		} else {
			r.press("Cancel")
		}
		r.expectGone("App credentials for " + name)
	}
	r.press("Open folder")
	r.press("Reload providers")
	r.dialog("Providers reloaded")
	r.press("OK")
	r.press("Accounts")
	r.expect("Connect account")

	// The window's close button without a tray asks first.
	r.closeWindow()
	r.dialog("Quit SellerConnect?")
	r.press("Keep open")
	r.expectGone("Quit SellerConnect?")
	r.closeWindow()
	r.dialog("Quit SellerConnect?")
	r.pressLast("Quit")
	r.waitQuit()
}

func walkEmptyScenario(r *realRun) {
	r.expect("Keep your marketplace accounts connected")
	r.press("Try the Demo marketplace")
	r.browserFlow(approved)
	r.dialog("Demo marketplace account connected")
	r.press("Done")
	r.expect("1 account")
	r.press("new-demo")
	r.expect("SellerConnect id")
	r.press("Accounts")
	r.expect("1 account")
	r.closeWindow()
	r.dialog("Quit SellerConnect?")
	r.pressLast("Quit")
	r.waitQuit()
}

// pressLast presses the button that ends the app: the counts are printed
// first, and the window is expected to go.
func (r *realRun) pressLast(text string) {
	var t realTarget
	var ok bool
	r.ui(func() { t, ok = r.find(text) })
	if !ok {
		r.fail("no %q to press", text)
	}
	r.mu.Lock()
	r.presses++
	r.mu.Unlock()
	r.logf("tap %s", text)
	r.finish()
	r.ui(func() { tapTarget(t) })
}

// finish prints the counts: the scenario has pressed everything.
func (r *realRun) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Printf("done presses=%d dialogs=%d\n", r.presses, r.dialogs)
	r.finished = true
}

// waitQuit fails unless the app quits within a few seconds.
func (r *realRun) waitQuit() {
	time.Sleep(10 * time.Second)
	r.fail("the app did not quit when its window was closed without a tray")
}

func TestRealWindowWalkthrough(t *testing.T) {
	bin := t.TempDir()
	opened := filepath.Join(bin, "opened")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >>" + opened + "\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := runReal(t, "walk-empty", "tap")
	t.Logf("first start (no account): pressed %d, %d dialogs opened", empty.presses, empty.dialogs)
	res := runReal(t, "walk", "tap", "PATH="+bin+":"+os.Getenv("PATH"))
	t.Logf("walkthrough: pressed %d buttons, menu items and switches; %d dialogs opened", res.presses, res.dialogs)
	pressed := map[string]bool{}
	for _, l := range res.lines {
		if f := strings.SplitN(strings.TrimSpace(l), " ", 3); len(f) == 3 && (f[1] == "tap" || f[1] == "click") {
			pressed[f[2]] = true
		}
	}
	t.Logf("  %d different ones", len(pressed))
	data, err := os.ReadFile(opened)
	if err != nil || !strings.Contains(string(data), filepath.Join(res.dir, "providers")) {
		t.Errorf("Open folder did not open the providers folder (xdg-open got %q, %v)", data, err)
	}
}

// frontScenario: while the seller approves in the browser the window is
// out of sight (here unmapped, as when minimised); when the connect ends
// it comes back by itself, with the result, and takes the input focus.
func frontScenario(r *realRun) {
	r.expect("8 accounts")
	r.press("Connect account")
	r.dialog("Connect an account")
	r.pressNear("Demo marketplace", "Connect")
	r.dialog("Approve SellerConnect in your browser")
	r.ui(r.a.win.Hide)
	r.waitShown(false)
	r.logf("window hidden; the browser approves")
	r.be.(*walkBackend).approve <- struct{}{}
	r.waitShown(true)
	r.expect("Demo marketplace account connected")
	out, err := exec.Command("xdotool", "getwindowfocus").Output()
	if err != nil {
		r.fail("xdotool getwindowfocus: %v", err)
	}
	if id, _ := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64); uintptr(id) != r.winID {
		r.fail("the window came back without the focus (focus on %s)", strings.TrimSpace(string(out)))
	}
	r.logf("window back in front with the focus")
	r.press("Done")
}

// waitShown waits until the window is mapped (or unmapped).
func (r *realRun) waitShown(shown bool) {
	deadline := time.Now().Add(10 * time.Second)
	for r.windowShown() != shown {
		if time.Now().After(deadline) {
			r.fail("the window's shown state did not become %v", shown)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRealWindowFrontAfterConnect(t *testing.T) {
	res := runReal(t, "front", "tap")
	t.Logf("connect ended with the window hidden: it came back with the focus (%d presses)", res.presses)
}
