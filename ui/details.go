package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/sellerconnect/sellerconnect/accounts"
)

// detailsView is what support staff read about one account.
type detailsView struct {
	a       *App
	id      string
	acc     accounts.Account
	content fyne.CanvasObject
	body    *fyne.Container
	// Each action answers beside its button.
	refreshNote, testNote, tokenNote, disconnectNote *widget.Label
	// live holds the labels that say how long ago or how soon.
	live *live
}

// note is the line under an action's button where it answers.
func note() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// say shows msg under an action's button, coloured by how it went.
func say(l *widget.Label, msg string, imp widget.Importance) {
	l.Importance = imp
	l.SetText(msg)
	if msg == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

func newDetailsView(a *App, acc accounts.Account) *detailsView {
	v := &detailsView{a: a, id: acc.ID, acc: acc, refreshNote: note(), testNote: note(), tokenNote: note(), disconnectNote: note()}
	back := widget.NewButtonWithIcon("Accounts", theme.NavigateBackIcon(), a.showList)
	refresh := widget.NewButtonWithIcon("Refresh now", theme.ViewRefreshIcon(), v.refreshNow)
	test := widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), v.test)
	reconnect := widget.NewButtonWithIcon("Reconnect", theme.LoginIcon(), func() { a.startConnectID(acc.Provider, acc.ID) })
	disconnect := widget.NewButtonWithIcon("Disconnect…", theme.DeleteIcon(), v.disconnect)
	disconnect.Importance = widget.DangerImportance
	copyToken := widget.NewButtonWithIcon("Copy token", theme.ContentCopyIcon(), v.copyToken)
	copyReport := widget.NewButtonWithIcon("Copy report", theme.ContentCopyIcon(), func() { a.copyReport(v.id) })
	saveReport := widget.NewButtonWithIcon("Save report…", theme.DocumentSaveIcon(), func() { a.saveReport(v.id) })
	top := container.NewHBox(back)
	cell := func(b *widget.Button, n *widget.Label) fyne.CanvasObject {
		if n == nil {
			return container.NewVBox(b)
		}
		return container.NewVBox(b, n)
	}
	actions := container.NewGridWithColumns(4,
		cell(refresh, v.refreshNote), cell(test, v.testNote), cell(copyToken, v.tokenNote), cell(reconnect, nil),
		cell(copyReport, nil), cell(saveReport, nil), layout.NewSpacer(), cell(disconnect, v.disconnectNote))
	v.body = container.NewVBox()
	v.build()
	v.content = container.NewBorder(container.NewVBox(top, widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), actions), nil, nil, scroll(v.body))
	return v
}

// update shows a newer snapshot of the account. Event snapshots carry no
// timeline: the one shown stays until the full account is read again.
func (v *detailsView) update(acc accounts.Account) {
	if acc.Timeline == nil {
		acc.Timeline = v.acc.Timeline
	}
	v.acc = acc
	v.build()
}

// refetch reads the whole account (its timeline, which any process may
// have added to) off the UI goroutine and shows it.
func (v *detailsView) refetch() {
	go func() {
		full, err := v.a.be.Get(v.id)
		if err != nil {
			return
		}
		v.a.do(func() {
			if v.a.details == v && v.a.page == "details" {
				v.update(full)
			}
		})
	}()
}

// tick rewrites the words that depend on the time ("12 s ago").
func (v *detailsView) tick() { v.live.tick(v.a.now()) }

func (v *detailsView) build() {
	acc := v.acc
	now := v.a.now()
	v.live = &live{}
	when := func(t time.Time) func(time.Time) string {
		return func(now time.Time) string { return formatWhen(t, now) }
	}
	mark := canvas.NewImageFromResource(markFor(acc.Provider))
	mark.FillMode = canvas.ImageFillContain
	mark.SetMinSize(fyne.NewSquareSize(48))
	title := widget.NewLabelWithStyle(displayName(acc), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	sub := widget.NewLabel("")
	v.live.add(sub, now, func(now time.Time) string { return providerName(acc) + " · " + statusLine(acc, now) })
	sub.Importance = widget.LowImportance
	head := container.NewBorder(nil, nil, container.NewCenter(mark), container.NewCenter(NewBadge(acc.Status)),
		container.NewVBox(title, sub))

	objs := []fyne.CanvasObject{head}

	// Status, reason, action.
	reason := acc.Reason
	if reason == "" {
		reason = styleFor(acc.Status).word + "."
	}
	status := []row{{k: "Status", v: styleFor(acc.Status).word}, {k: "Why", v: reason}}
	if acc.Action != "" {
		status = append(status, row{k: "What to do", v: acc.Action})
	}
	objs = append(objs, v.section("Status", status))

	// What went wrong comes next while it still stands: it is what
	// support staff look for. Once the account has worked since (after a
	// reconnect, say), it moves down among the history.
	var lastErr fyne.CanvasObject
	if e := acc.LastError; e != nil {
		rows := []row{{k: "When", at: when(e.Time)}, {k: "Kind", v: e.Meaning}}
		if e.Op != "" {
			rows = append(rows, row{k: "During", v: e.Op})
		}
		if e.Status != 0 {
			rows = append(rows, row{k: "HTTP status", v: fmt.Sprint(e.Status)})
		}
		if e.Code != "" {
			rows = append(rows, row{k: "Error code", v: e.Code})
		}
		if e.Description != "" {
			rows = append(rows, row{k: "Description", v: e.Description})
		}
		if e.RequestID != "" {
			rows = append(rows, row{k: "Request id", v: e.RequestID})
		}
		if e.TraceID != "" {
			rows = append(rows, row{k: "Trace id", v: e.TraceID})
		}
		if e.Message != "" {
			rows = append(rows, row{k: "Message", v: e.Message})
		}
		if e.Do != "" {
			rows = append(rows, row{k: "Advice", v: e.Do})
		}
		if errorStands(acc) {
			objs = append(objs, v.section("Last error", rows))
		} else {
			lastErr = v.section("Earlier error (the account has worked since)", rows)
		}
	}

	env := acc.Environment
	if env == "" {
		env = "production"
	}
	scopes := strings.Join(acc.Scopes, " ")
	if scopes == "" {
		scopes = "—"
	}
	objs = append(objs, v.section("Account", []row{
		{k: "Provider", v: providerName(acc) + " (" + acc.Provider + ")"},
		{k: "Environment", v: env},
		{k: "Name at provider", v: orDash(acc.DisplayName)},
		{k: "Provider's account id", v: orDash(acc.RemoteID)},
		{k: "SellerConnect id", v: acc.ID},
		{k: "Scopes granted", v: scopes},
	}))

	tokens := []row{
		{k: "Access token expires", at: when(acc.AccessExpiry)},
		{k: "Reconnect by", at: func(now time.Time) string { return reconnectBy(acc, now) }},
		{k: "Last refresh", at: when(acc.LastRefresh)},
		{k: "Next refresh", at: when(acc.NextRefresh)},
	}
	if !acc.NextRetry.IsZero() {
		tokens = append(tokens, row{k: "Next retry", at: when(acc.NextRetry)})
	}
	objs = append(objs, v.section("Tokens", tokens))

	switch {
	case lastErr != nil:
		objs = append(objs, lastErr)
	case acc.LastError == nil:
		objs = append(objs, v.section("Last error", []row{{k: "", v: "None recorded."}}))
	}
	objs = append(objs, timelineSection(acc.Timeline, now, v.live))
	v.body.Objects = objs
	v.body.Refresh()
}

// errorStands reports whether the account's last error still describes
// it: not once it is connected again or a refresh succeeded after it.
func errorStands(acc accounts.Account) bool {
	e := acc.LastError
	if e == nil {
		return false
	}
	switch acc.Status {
	case accounts.StatusConnected, accounts.StatusRefreshing, accounts.StatusExpiring:
		return false
	}
	return !acc.LastRefresh.After(e.Time)
}

func reconnectBy(acc accounts.Account, now time.Time) string {
	if acc.ReconnectBy.IsZero() {
		return "not known (the provider does not say)"
	}
	d := acc.ReconnectBy.Sub(now)
	if d < 0 {
		return acc.ReconnectBy.Local().Format(dateLayout) + " (passed)"
	}
	return acc.ReconnectBy.Local().Format(dateLayout) + " (in " + humanDuration(d) + ")"
}

// row is a label and its value; at, when set, gives the value for a
// moment, and the value stays current while shown.
type row struct {
	k, v string
	at   func(now time.Time) string
}

// section is a titled block of label/value rows, selectable for copying.
func section(title string, rows []row) fyne.CanvasObject {
	return liveSection(title, rows, nil, time.Now())
}

// section is a titled block whose time-dependent rows stay current.
func (v *detailsView) section(title string, rows []row) fyne.CanvasObject {
	return liveSection(title, rows, v.live, v.a.now())
}

func liveSection(title string, rows []row, set *live, now time.Time) fyne.CanvasObject {
	h := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.Importance = widget.HighImportance
	form := container.New(layout.NewFormLayout())
	for _, r := range rows {
		k := widget.NewLabel(r.k)
		k.Importance = widget.LowImportance
		val := widget.NewLabel(r.v)
		if r.at != nil {
			set.add(val, now, r.at)
		}
		val.Wrapping = fyne.TextWrapWord
		val.Selectable = true
		form.Add(k)
		form.Add(val)
	}
	return container.NewVBox(h, form)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (v *detailsView) refreshNow() {
	id := v.id
	say(v.refreshNote, "Renewing the token…", widget.MediumImportance)
	go func() {
		err := v.a.be.Refresh(v.a.ctx, id)
		v.a.do(func() {
			if err != nil {
				o := describe(err, providerName(v.acc))
				say(v.refreshNote, "Refresh failed: "+o.What+" "+o.Do, widget.DangerImportance)
				return
			}
			if acc, err := v.a.be.Get(v.id); err == nil {
				v.update(acc)
			}
			say(v.refreshNote, "✓ Token renewed "+clockTime(v.a.now())+".", widget.SuccessImportance)
		})
	}()
}

func (v *detailsView) test() {
	id := v.id
	say(v.testNote, "Testing…", widget.MediumImportance)
	go func() {
		acc, err := v.a.be.Test(v.a.ctx, id)
		v.a.do(func() {
			if err != nil {
				o := describe(err, providerName(v.acc))
				say(v.testNote, "Test failed: "+o.What+" "+o.Do, widget.DangerImportance)
				return
			}
			v.update(acc)
			say(v.testNote, "✓ Test passed "+clockTime(v.a.now())+": signed in as "+displayName(acc)+".", widget.SuccessImportance)
		})
	}()
}

// copyToken puts a valid access token on the clipboard, as "sellerconnect
// token" prints it, for pasting into another program.
func (v *detailsView) copyToken() {
	id := v.id
	say(v.tokenNote, "Getting a valid token…", widget.MediumImportance)
	go func() {
		tok, err := v.a.be.Token(v.a.ctx, id)
		acc, gerr := v.a.be.Get(id) // its expiry after any refresh
		v.a.do(func() {
			if err != nil {
				o := describe(err, providerName(v.acc))
				say(v.tokenNote, "No token to copy: "+o.What+" "+o.Do, widget.DangerImportance)
				return
			}
			v.a.fa.Clipboard().SetContent(tok)
			msg := "✓ Token copied " + clockTime(v.a.now())
			if gerr == nil && acc.AccessExpiry.After(v.a.now()) {
				msg += "; valid until " + acc.AccessExpiry.Local().Format("15:04:05")
			}
			say(v.tokenNote, msg+".", widget.SuccessImportance)
		})
	}()
}

// clockTime is "at 10:04:05", for an action's answer.
func clockTime(t time.Time) string { return "at " + t.Local().Format("15:04:05") }

// disconnect says before acting whether the provider revokes the tokens or
// the seller must revoke access on the provider's site.
func (v *detailsView) disconnect() {
	acc := v.acc
	name := providerName(acc)
	msg := ""
	p, ok := v.a.provider(acc.Provider)
	switch {
	case ok && p.RevokeURL != "":
		msg = "SellerConnect asks " + name + " to revoke its access to " + displayName(acc) +
			", then forgets the account. Other software using its token stops working."
	default:
		msg = name + " offers apps no way to revoke access, so SellerConnect only forgets the account on this computer. "
		if ok && p.RevokeHelp != "" {
			msg += "To remove SellerConnect's access completely: " + p.RevokeHelp
		} else {
			msg += "To remove SellerConnect's access completely, remove it from the connected apps in your " + name + " account settings."
		}
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	// The dangerous choice looks dangerous; keeping the account is the
	// plain way out.
	d := dialog.NewCustomWithoutButtons("Disconnect "+displayName(acc)+"?", text, v.a.win)
	keep := widget.NewButton("Keep", d.Hide)
	yes := widget.NewButtonWithIcon("Disconnect", theme.DeleteIcon(), func() {
		d.Hide()
		say(v.disconnectNote, "Disconnecting…", widget.MediumImportance)
		go func() {
			revoked, help, err := v.a.be.Disconnect(v.a.ctx, acc.ID)
			v.a.do(func() {
				if err != nil {
					o := describe(err, providerName(acc))
					say(v.disconnectNote, "Disconnect failed: "+o.What+" "+o.Do, widget.DangerImportance)
					return
				}
				v.a.remove(acc.ID)
				v.a.showList()
				v.a.showDisconnected(acc, revoked, help)
			})
		}()
	})
	yes.Importance = widget.DangerImportance
	d.SetButtons([]fyne.CanvasObject{keep, yes})
	d.Resize(fyne.NewSize(540, d.MinSize().Height))
	d.Show()
}

func (a *App) showDisconnected(acc accounts.Account, revoked bool, help string) {
	name := providerName(acc)
	msg := displayName(acc) + " is disconnected. "
	if revoked {
		msg += name + " has revoked SellerConnect's access."
	} else if help != "" {
		msg += "SellerConnect forgot the account on this computer. To remove its access at " + name + ": " + help
	} else {
		msg += "SellerConnect forgot the account on this computer; remove SellerConnect from the connected apps in your " + name + " account settings."
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Account disconnected", "Close", text, a.win)
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	d.Show()
}
