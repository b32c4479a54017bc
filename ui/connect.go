package ui

import (
	"context"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// showPicker lists every provider; those missing app credentials offer to
// take them right there.
func (a *App) showPicker() {
	var d dialog.Dialog
	rows := container.NewVBox()
	for _, p := range pickerOrder(a.be.Providers(), len(a.accounts) == 0) {
		p := p
		rows.Add(a.pickerRow(p, func() { d.Hide() }))
		rows.Add(widget.NewSeparator())
	}
	if len(rows.Objects) == 0 {
		rows.Add(widget.NewLabel("No providers are available. Check the custom providers folder in Settings."))
	}
	intro := widget.NewLabel("Pick the marketplace of the account you want to connect.")
	content := container.NewBorder(intro, nil, nil, nil, container.NewVScroll(rows))
	d = dialog.NewCustom("Connect an account", "Close", content, a.win)
	d.Resize(fyne.NewSize(620, 520))
	d.Show()
}

// pickerOrder puts the providers that can connect at once before those
// that need app credentials first; the Demo leads while nothing is
// connected (it needs no account anywhere) and follows the real ones after.
func pickerOrder(list []accounts.Provider, firstTime bool) []accounts.Provider {
	out := append([]accounts.Provider(nil), list...)
	rank := func(p accounts.Provider) int {
		switch {
		case p.ID == "demo" && firstTime:
			return 0
		case len(p.MissingSettings) == 0 && p.ID != "demo":
			return 1
		case len(p.MissingSettings) == 0:
			return 2
		}
		return 3
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

func (a *App) pickerRow(p accounts.Provider, closePicker func()) fyne.CanvasObject {
	mark := canvas.NewImageFromResource(markFor(p.ID))
	mark.FillMode = canvas.ImageFillContain
	mark.SetMinSize(fyne.NewSquareSize(32))
	name := widget.NewLabelWithStyle(p.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	info := []string{}
	if p.Environment != "" && p.Environment != "production" {
		info = append(info, p.Environment)
	}
	if p.Source != "" {
		info = append(info, "custom provider")
	}
	if p.Password {
		info = append(info, "sign in with email and password")
	} else {
		info = append(info, "approve in your browser")
	}
	sub := widget.NewLabel(strings.Join(info, " · "))
	sub.Importance = widget.LowImportance
	var action fyne.CanvasObject
	if len(p.MissingSettings) > 0 {
		need := widget.NewLabelWithStyle("Needs app credentials: "+settingLabels(p, p.MissingSettings),
			fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
		need.Importance = widget.WarningImportance
		need.Wrapping = fyne.TextWrapWord
		sub = widget.NewLabel(sub.Text)
		sub.Importance = widget.LowImportance
		btn := widget.NewButtonWithIcon("Enter app credentials…", theme.SettingsIcon(), func() {
			closePicker()
			a.showCredentialsForm(p, "Save and connect", func() { a.startConnectID(p.ID, "") })
		})
		action = btn
		text := container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()*2), name, sub, need)
		return container.NewBorder(nil, nil, container.NewCenter(mark), container.NewCenter(action), text)
	}
	btn := widget.NewButtonWithIcon("Connect", theme.NavigateNextIcon(), func() {
		closePicker()
		a.startConnect(p, "")
	})
	btn.Importance = widget.HighImportance
	action = btn
	text := container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()*2), name, sub)
	return container.NewBorder(nil, nil, container.NewCenter(mark), container.NewCenter(action), text)
}

// settingLabels names settings the way Settings shows them.
func settingLabels(p accounts.Provider, keys []string) string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		label := k
		for _, s := range p.Settings {
			if s.Key == k && s.Label != "" {
				label = s.Label
			}
		}
		out = append(out, label)
	}
	return strings.Join(out, ", ")
}

// showCredentialsForm asks for a provider's app credentials, saying what
// they are and where they come from; secrets go to the keychain through
// the service. then runs after a successful save; confirm names the button.
func (a *App) showCredentialsForm(p accounts.Provider, confirm string, then func()) {
	entries := map[string]*widget.Entry{}
	var items []*widget.FormItem
	missing := map[string]bool{}
	for _, k := range p.MissingSettings {
		missing[k] = true
	}
	for _, s := range p.Settings {
		var e *widget.Entry
		if s.Secret {
			e = widget.NewPasswordEntry()
		} else {
			e = widget.NewEntry()
		}
		switch {
		case missing[s.Key]:
			e.SetPlaceHolder("required")
		case s.Secret:
			e.SetPlaceHolder("saved in the keychain — leave empty to keep")
		default:
			e.SetPlaceHolder("leave empty to keep the current value")
		}
		label := s.Label
		if label == "" {
			label = s.Key
		}
		entries[s.Key] = e
		item := widget.NewFormItem(label, e)
		if s.Secret {
			item.HintText = "Kept in your system keychain, never in a file."
		}
		items = append(items, item)
	}
	if len(items) == 0 {
		dialog.ShowInformation(p.Name, p.Name+" needs no app credentials.", a.win)
		return
	}
	explain := wrapLabel(credentialsHelp(p))
	explain.Importance = widget.LowImportance
	items = append([]*widget.FormItem{widget.NewFormItem("", explain)}, items...)
	d := dialog.NewForm("App credentials for "+p.Name, confirm, "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		values := map[string]string{}
		for k, e := range entries {
			if v := strings.TrimSpace(e.Text); v != "" {
				values[k] = v
			}
		}
		go func() {
			err := a.be.SetProviderSettings(p.ID, values)
			a.do(func() {
				if err != nil {
					a.showError("The app credentials were not saved", err)
					return
				}
				if then != nil {
					then()
				}
			})
		}()
	}, a.win)
	d.Resize(fyne.NewSize(620, d.MinSize().Height))
	d.Show()
}

// credentialsHelp says what app credentials are, who issues them and where
// to find them for the built-in providers (see PROVIDERS.md).
func credentialsHelp(p accounts.Provider) string {
	name := p.Name
	what := "App credentials are how " + name + " recognises SellerConnect as the app your company registered with it: " +
		"they are not a seller's password, and one set serves every " + name + " account you connect. "
	id := p.ID
	switch {
	case strings.HasPrefix(id, "depop"):
		return what + "Depop issues a client ID and a client secret to partners it onboards to its Partner API; " +
			"they come from Depop during onboarding (ask whoever looks after your company's Depop partnership). " +
			"Staging has its own pair, separate from production."
	case strings.HasPrefix(id, "ebay"):
		return what + "eBay issues them in the eBay Developers Program: sign in at developer.ebay.com, open Application Keys " +
			"and copy the App ID (Client ID) and Cert ID (Client secret) of the " + envWord(p) + " keyset. " +
			"The RuName is on the User Tokens page of the same keyset (\"Get a Token from eBay via Your Application\")."
	case strings.HasPrefix(id, "vaultist"):
		return what + "Vault.ist gives each partner a numeric Partner ID with its partner agreement: ask your Vault.ist partner contact. " +
			"Sellers then sign in with their own email and password, which SellerConnect does not keep."
	case strings.HasPrefix(id, "smartthings"):
		return what + "SmartThings issues a client ID and a client secret when your company registers an OAuth app, " +
			"with the SmartThings CLI (smartthings apps:create) or in the Developer Workspace. The secret is shown only once, when the app is created."
	}
	return what + "They come from " + name + "'s developer or partner pages, where your company registered SellerConnect."
}

func envWord(p accounts.Provider) string {
	if p.Environment == "sandbox" {
		return "Sandbox"
	}
	return "Production"
}

// connectDemo connects to the built-in Demo marketplace.
func (a *App) connectDemo() { a.startConnectID("demo", "") }

func (a *App) startConnectID(provider, reconnect string) {
	p, ok := a.provider(provider)
	if !ok {
		a.showError("This marketplace is not available", nil)
		return
	}
	if len(p.MissingSettings) > 0 {
		a.showCredentialsForm(p, "Save and connect", func() { a.startConnectID(provider, reconnect) })
		return
	}
	a.startConnect(p, reconnect)
}

// startConnect runs the provider's flow: the sign-in form or the browser.
func (a *App) startConnect(p accounts.Provider, reconnect string) {
	if p.Password {
		a.showSignIn(p, reconnect)
		return
	}
	a.showBrowserFlow(p, reconnect)
}

// browserFlow is the dialog shown while the seller approves in the browser.
type browserFlow struct {
	d       *dialog.CustomDialog
	copy    *widget.Button
	link    string
	paste   *widget.Entry
	pasteCh chan string
	// pasteErr says, beside the field, what is wrong with a paste; the
	// attempt goes on and the seller pastes again.
	pasteErr *widget.Label
	submit   *widget.Button
	cancel   context.CancelFunc
}

func (a *App) showBrowserFlow(p accounts.Provider, reconnect string) {
	name := p.Name
	f := &browserFlow{pasteCh: make(chan string, 1)}
	pasteMode := p.Paste

	msg := "Your browser is showing " + name + "'s page asking to let SellerConnect look after your account. " +
		"Sign in there if asked and press Approve. This window continues by itself."
	if pasteMode {
		msg = "Your browser is showing " + name + "'s page asking to let SellerConnect look after your account. " +
			"After you approve, " + name + " shows a page whose address holds a code: copy the whole address " +
			"from the browser's address bar and paste it below."
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	bar := widget.NewProgressBarInfinite()

	f.paste = widget.NewEntry()
	f.paste.SetPlaceHolder("https://… (the address from your browser after approving)")
	submit := widget.NewButtonWithIcon("Continue", theme.ConfirmIcon(), nil)
	submit.Importance = widget.HighImportance
	submit.OnTapped = func() {
		v := strings.TrimSpace(f.paste.Text)
		if v == "" {
			return
		}
		select {
		case f.pasteCh <- v:
		default:
		}
		f.paste.SetText("")
		f.pasteErr.Hide()
		submit.Disable()
	}
	f.submit = submit
	f.paste.OnSubmitted = func(string) { submit.OnTapped() }
	pasteBox := container.NewBorder(nil, nil, nil, submit, f.paste)
	pasteHelp := widget.NewLabel("Paste the address from your browser")
	pasteHelp.TextStyle.Bold = true
	f.pasteErr = widget.NewLabel("")
	f.pasteErr.Importance = widget.DangerImportance
	f.pasteErr.Wrapping = fyne.TextWrapWord
	f.pasteErr.Hide()
	pasteArea := container.NewVBox(pasteHelp, pasteBox, f.pasteErr)
	if !pasteMode {
		pasteArea.Hide()
	}

	f.copy = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), func() {
		if f.link != "" {
			a.fa.Clipboard().SetContent(f.link)
			f.copy.SetText("Link copied")
		}
	})
	f.copy.Disable()
	showPaste := widget.NewButtonWithIcon("Paste the address from your browser", theme.ContentPasteIcon(), func() {
		pasteArea.Show()
		a.win.Canvas().Focus(f.paste)
	})
	if pasteMode {
		showPaste.Hide()
	}
	cancelBtn := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), nil)
	buttons := container.NewHBox(cancelBtn, layout.NewSpacer(), f.copy, showPaste)
	noBrowser := widget.NewLabel("No browser window? Use Copy link and open the address in your browser.")
	noBrowser.Importance = widget.LowImportance
	noBrowser.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(text, bar, pasteArea, noBrowser, buttons)

	f.d = dialog.NewCustomWithoutButtons("Approve SellerConnect in your browser", content, a.win)
	f.d.Resize(fyne.NewSize(640, f.d.MinSize().Height))

	ctx, cancel := context.WithCancel(a.ctx)
	f.cancel = cancel
	cancelled := false
	cancelBtn.OnTapped = func() {
		cancelled = true
		cancel()
		f.d.Hide()
	}
	req := accounts.ConnectRequest{
		Provider:  p.ID,
		Reconnect: reconnect,
		OnAuthURL: func(u string) {
			a.do(func() {
				f.link = u
				f.copy.Enable()
				if a.authURLShown != nil {
					a.authURLShown(u)
				}
			})
		},
		Paste: func() <-chan string { return f.pasteCh },
		OnBadPaste: func(err error) {
			o := describe(err, p.Name)
			a.do(func() {
				f.pasteErr.SetText(o.What + " " + o.Do)
				f.pasteErr.Show()
				f.submit.Enable()
				a.win.Canvas().Focus(f.paste)
			})
		},
	}
	f.d.Show()
	go func() {
		acc, err := a.be.Connect(ctx, req)
		cancel()
		a.do(func() {
			f.d.Hide()
			if !cancelled {
				// The seller was in the browser: come back to the front.
				a.bringForward()
				a.showConnectResult(p, reconnect, acc, err)
			}
			a.connectEnded(acc, err)
		})
	}()
}

// showSignIn is the form for providers without a browser flow. The password
// goes into one request and is dropped afterwards.
func (a *App) showSignIn(p accounts.Provider, reconnect string) {
	name := p.Name
	email := widget.NewEntry()
	email.SetPlaceHolder("you@example.com")
	password := widget.NewPasswordEntry()
	intro := widget.NewLabel("Sign in with your " + name + " email and password. SellerConnect sends the password to " +
		name + " once to get a token and never stores it.")
	intro.Wrapping = fyne.TextWrapWord
	items := []*widget.FormItem{
		widget.NewFormItem("Email", email),
		widget.NewFormItem("Password", password),
	}
	form := widget.NewForm(items...)
	status := widget.NewLabel("")
	status.Hide()
	var d *dialog.CustomDialog
	ctx, cancel := context.WithCancel(a.ctx)
	signIn := widget.NewButtonWithIcon("Sign in", theme.LoginIcon(), nil)
	signIn.Importance = widget.HighImportance
	cancelBtn := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		cancel()
		d.Hide()
	})
	cancelled := func() bool { return ctx.Err() != nil }
	signIn.OnTapped = func() {
		if strings.TrimSpace(email.Text) == "" || password.Text == "" {
			status.SetText("Enter your email and password.")
			status.Importance = widget.WarningImportance
			status.Show()
			return
		}
		req := accounts.ConnectRequest{Provider: p.ID, Reconnect: reconnect,
			Email: strings.TrimSpace(email.Text), Password: password.Text}
		password.SetText("")
		signIn.Disable()
		status.SetText("Signing in to " + name + "…")
		status.Importance = widget.MediumImportance
		status.Show()
		go func() {
			acc, err := a.be.Connect(ctx, req)
			req.Password = ""
			a.do(func() {
				if !cancelled() {
					d.Hide()
					a.bringForward()
					a.showConnectResult(p, reconnect, acc, err)
				}
				a.connectEnded(acc, err)
			})
		}()
	}
	password.OnSubmitted = func(string) { signIn.OnTapped() }
	content := container.NewVBox(intro, form, status, container.NewHBox(cancelBtn, layout.NewSpacer(), signIn))
	d = dialog.NewCustomWithoutButtons("Sign in to "+name, content, a.win)
	d.Resize(fyne.NewSize(560, d.MinSize().Height))
	d.Show()
	a.win.Canvas().Focus(email)
}

// showConnectResult says, in words, how the connect ended.
func (a *App) showConnectResult(p accounts.Provider, reconnect string, acc accounts.Account, err error) {
	name := p.Name
	if err == nil {
		// Show it at once; the service's event only confirms it.
		a.insert(acc)
		title := name + " account connected"
		if reconnect != "" {
			title = name + " account reconnected"
		}
		text := widget.NewLabel("SellerConnect keeps it connected in the background. " +
			"Other software on this computer gets a valid token with:")
		text.Wrapping = fyne.TextWrapWord
		cmd := widget.NewLabelWithStyle("sellerconnect token "+acc.ID, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		cmd.Selectable = true
		head := widget.NewLabelWithStyle("Connected as "+displayName(acc), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		head.Importance = widget.SuccessImportance
		d := dialog.NewCustomWithoutButtons(title, container.NewVBox(head, text, cmd), a.win)
		details := widget.NewButtonWithIcon("Show details", theme.InfoIcon(), func() {
			d.Hide()
			a.showDetails(acc.ID)
		})
		done := widget.NewButtonWithIcon("Done", theme.ConfirmIcon(), d.Hide)
		done.Importance = widget.HighImportance
		d.SetButtons([]fyne.CanvasObject{details, done})
		// Once this dialog is away, ask (once ever) about starting at login.
		d.SetOnClosed(a.offerLogin)
		d.Resize(fyne.NewSize(560, d.MinSize().Height))
		d.Show()
		return
	}
	o := describe(err, name)
	what := widget.NewLabel(o.What)
	what.Wrapping = fyne.TextWrapWord
	todo := widget.NewLabel("What to do: " + o.Do)
	todo.Wrapping = fyne.TextWrapWord
	todo.TextStyle.Bold = true
	d := dialog.NewCustomWithoutButtons(o.Title, container.NewVBox(what, todo), a.win)
	closeBtn := widget.NewButton("Close", d.Hide)
	again := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), func() {
		d.Hide()
		a.startConnectID(p.ID, reconnect)
	})
	again.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{closeBtn, again})
	d.Resize(fyne.NewSize(560, d.MinSize().Height))
	d.Show()
}

// showError reports a failure of an action in words.
func (a *App) showError(title string, err error) {
	msg := title + "."
	todo := ""
	if err != nil {
		o := describe(err, "the provider")
		msg = o.What
		todo = o.Do
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(text)
	if todo != "" {
		t := widget.NewLabel("What to do: " + todo)
		t.Wrapping = fyne.TextWrapWord
		t.TextStyle.Bold = true
		box.Add(t)
	}
	d := dialog.NewCustom(title, "Close", box, a.win)
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	d.Show()
}

// connectEnded runs the test hook once a connect attempt is over.
func (a *App) connectEnded(acc accounts.Account, err error) {
	if a.connectDone != nil {
		a.connectDone(acc, err)
	}
}
