package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/assets"
)

// mainView is the account list with its toolbar, or the empty state when
// there is no account yet.
type mainView struct {
	a       *App
	content *fyne.Container
	list    *widget.List
	body    *fyne.Container
	empty   fyne.CanvasObject
	count   *widget.Label
	// shown is the status line each rendered row shows, by account id, so
	// the countdown ticker redraws only when words change.
	shown map[string]string
}

func newMainView(a *App) *mainView {
	m := &mainView{a: a, shown: map[string]string{}}
	m.list = widget.NewList(
		func() int { return len(a.accounts) },
		newRow,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(a.accounts) {
				acc := a.accounts[i]
				m.shown[acc.ID] = updateRow(o, acc, a.now())
			}
		},
	)
	m.list.OnSelected = func(i widget.ListItemID) {
		m.list.UnselectAll()
		if i < len(a.accounts) {
			a.showDetails(a.accounts[i].ID)
		}
	}
	m.empty = m.emptyState()
	m.count = widget.NewLabel("")
	m.count.Importance = widget.LowImportance

	connect := widget.NewButtonWithIcon("Connect account", theme.ContentAddIcon(), a.showPicker)
	connect.Importance = widget.HighImportance
	refresh := widget.NewButtonWithIcon("Refresh all", theme.ViewRefreshIcon(), a.refreshAll)
	settings := widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), a.showSettings)
	var help *widget.Button
	help = widget.NewButtonWithIcon("Help", theme.HelpIcon(), func() {
		menu := fyne.NewMenu("",
			fyne.NewMenuItem("About SellerConnect", a.showAbout),
			fyne.NewMenuItem("Save diagnostic report…", func() { a.saveReport() }),
			fyne.NewMenuItem("Copy diagnostic report", func() { a.copyReport() }),
		)
		widget.ShowPopUpMenuAtRelativePosition(menu, a.win.Canvas(), fyne.NewPos(0, help.Size().Height), help)
	})
	bar := container.NewHBox(connect, refresh, layout.NewSpacer(), m.count, settings, help)
	m.body = container.NewStack()
	m.content = container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, m.body)
	return m
}

// refresh shows the list or the empty state and redraws visible rows.
func (m *mainView) refresh() {
	n := len(m.a.accounts)
	want := fyne.CanvasObject(m.list)
	if n == 0 {
		want = m.empty
		m.count.SetText("")
	} else if n == 1 {
		m.count.SetText("1 account")
	} else {
		m.count.SetText(fmt.Sprintf("%d accounts", n))
	}
	if len(m.body.Objects) != 1 || m.body.Objects[0] != want {
		m.body.Objects = []fyne.CanvasObject{want}
		m.body.Refresh()
	}
	m.list.Refresh()
}

func (m *mainView) emptyState() fyne.CanvasObject {
	icon := canvas.NewImageFromResource(fyne.NewStaticResource("icon.png", assets.Icon))
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(96))
	title := widget.NewLabelWithStyle("Keep your marketplace accounts connected", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	text := widget.NewLabel("SellerConnect signs in to your seller accounts once, keeps them connected " +
		"in the background, and tells you when one needs you. Your other software gets a valid " +
		"access token whenever it asks.")
	text.Wrapping = fyne.TextWrapWord
	text.Alignment = fyne.TextAlignCenter
	connect := widget.NewButtonWithIcon("Connect account", theme.ContentAddIcon(), m.a.showPicker)
	connect.Importance = widget.HighImportance
	demo := widget.NewButtonWithIcon("Try the Demo marketplace", theme.MediaPlayIcon(), m.a.connectDemo)
	hint := widget.NewLabel("The Demo runs on this computer and needs no account: connect, then watch its token renew every 30 to 60 seconds (each one lives two minutes).")
	hint.Wrapping = fyne.TextWrapWord
	hint.Alignment = fyne.TextAlignCenter
	hint.Importance = widget.LowImportance
	box := container.NewVBox(
		container.NewCenter(icon), title, text,
		container.NewCenter(container.NewHBox(connect, demo)), hint,
	)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(520, box.MinSize().Height+40), box))
}

// A row: mark | name over provider, status line | badge.
func newRow() fyne.CanvasObject {
	mark := canvas.NewImageFromResource(markFor("generic"))
	mark.FillMode = canvas.ImageFillContain
	mark.SetMinSize(fyne.NewSquareSize(36))
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	provider := widget.NewLabel("")
	provider.Importance = widget.LowImportance
	line := widget.NewLabel("")
	line.Truncation = fyne.TextTruncateEllipsis
	top := container.NewBorder(nil, nil, nil, provider, name)
	text := container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()*2), top, line)
	badge := NewBadge("")
	return container.NewBorder(nil, nil, container.NewCenter(mark), container.NewCenter(badge), text)
}

// updateRow binds a row to an account and returns the status line shown.
// Labels whose text stays the same are left alone (no redraw).
func updateRow(o fyne.CanvasObject, acc accounts.Account, now time.Time) string {
	c := o.(*fyne.Container)
	text := c.Objects[0].(*fyne.Container)
	mark := c.Objects[1].(*fyne.Container).Objects[0].(*canvas.Image)
	badge := c.Objects[2].(*fyne.Container).Objects[0].(*Badge)
	top := text.Objects[0].(*fyne.Container)
	name := top.Objects[0].(*widget.Label)
	provider := top.Objects[1].(*widget.Label)
	line := text.Objects[1].(*widget.Label)

	if r := markFor(acc.Provider); mark.Resource != r {
		mark.Resource = r
		mark.Refresh()
	}
	status := statusLine(acc, now)
	setText(name, displayName(acc))
	setText(provider, providerName(acc))
	setText(line, status)
	badge.SetStatus(acc.Status)
	return status
}

func setText(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
	}
}
