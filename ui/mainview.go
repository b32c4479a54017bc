package ui

import (
	"fmt"
	"strings"
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
// there is no account yet. The list shows the accounts that match the
// search and the status filter, those needing the seller first.
type mainView struct {
	a       *App
	content *fyne.Container
	list    *widget.List
	body    *fyne.Container
	empty   fyne.CanvasObject
	none    fyne.CanvasObject // nothing matches the search
	count   *widget.Label
	search  *widget.Entry
	filter  *widget.Select
	finder  fyne.CanvasObject
	// visible lists indexes into a.accounts in the order shown; pos is
	// each shown account's place in it, by id.
	visible []int
	pos     map[string]int
	// shown is the status line each rendered row shows, by account id, so
	// the countdown ticker redraws only when words change.
	shown map[string]string
}

// The status filter's choices.
const (
	filterAll      = "All accounts"
	filterNeedsYou = "Need you"
	filterWorking  = "Working"
	filterRetrying = "Retrying"
)

// group is the filter choice an account's status falls under.
func group(s accounts.Status) string {
	switch {
	case needsSeller(s):
		return filterNeedsYou
	case s == accounts.StatusOffline || s == accounts.StatusNotSaved:
		return filterRetrying
	case s == accounts.StatusConnected || s == accounts.StatusRefreshing:
		return filterWorking
	}
	return ""
}

// listWidth is the widest the list grows in a maximised window: rows wider
// than this are hard to read across.
const listWidth = 1100

func newMainView(a *App) *mainView {
	m := &mainView{a: a, shown: map[string]string{}, pos: map[string]int{}}
	m.list = widget.NewList(
		func() int { return len(m.visible) },
		newRow,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(m.visible) {
				acc := a.accounts[m.visible[i]]
				m.shown[acc.ID] = updateRow(o, acc, a.now())
			}
		},
	)
	m.list.OnSelected = func(i widget.ListItemID) {
		m.list.UnselectAll()
		if i < len(m.visible) {
			a.showDetails(a.accounts[m.visible[i]].ID)
		}
	}
	m.empty = m.emptyState()
	nothing := widget.NewLabel("No account matches the search.")
	nothing.Alignment = fyne.TextAlignCenter
	nothing.Importance = widget.LowImportance
	m.none = container.NewVBox(nothing)
	m.count = widget.NewLabel("")
	m.count.Importance = widget.LowImportance
	m.count.Truncation = fyne.TextTruncateEllipsis

	m.search = widget.NewEntry()
	m.search.SetPlaceHolder("Search by name, marketplace or id")
	m.search.OnChanged = func(string) { m.refresh() }
	m.filter = widget.NewSelect([]string{filterAll, filterNeedsYou, filterWorking, filterRetrying}, func(string) { m.refresh() })
	m.filter.Selected = filterAll
	m.finder = container.NewBorder(nil, nil, widget.NewIcon(theme.SearchIcon()), m.filter, m.search)

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
	bar := container.NewBorder(nil, nil, container.NewHBox(connect, refresh), container.NewHBox(settings, help), m.count)
	m.body = container.NewStack()
	m.content = container.New(maxWidth{listWidth},
		container.NewBorder(container.NewVBox(bar, m.finder, widget.NewSeparator()), nil, nil, nil, m.body))
	return m
}

// matches reports whether acc fits the search words and the filter.
func (m *mainView) matches(acc accounts.Account, words []string, filter string) bool {
	if filter != filterAll && filter != "" && group(acc.Status) != filter {
		return false
	}
	if len(words) == 0 {
		return true
	}
	hay := strings.ToLower(strings.Join([]string{displayName(acc), acc.DisplayName, providerName(acc), acc.Provider, acc.ID, acc.RemoteID}, " "))
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// refilter works out which accounts are shown and in what order: those
// needing the seller first, then the rest, each in the service's order.
func (m *mainView) refilter() {
	words := strings.Fields(strings.ToLower(m.search.Text))
	filter := m.filter.Selected
	m.visible = m.visible[:0]
	for pass := 0; pass < 2; pass++ {
		for i, acc := range m.a.accounts {
			if needsSeller(acc.Status) == (pass == 0) && m.matches(acc, words, filter) {
				m.visible = append(m.visible, i)
			}
		}
	}
	m.pos = make(map[string]int, len(m.visible))
	for p, i := range m.visible {
		m.pos[m.a.accounts[i].ID] = p
	}
}

// counts is the header's summary: how many accounts, and how many of
// them need the seller, work, or are being retried.
func counts(list []accounts.Account) string {
	if len(list) == 0 {
		return ""
	}
	by := map[string]int{}
	for _, acc := range list {
		by[group(acc.Status)]++
	}
	parts := []string{plural(len(list), "account", "accounts")}
	if n := by[filterNeedsYou]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d need you", n))
	}
	if n := by[filterWorking]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d working", n))
	}
	if n := by[filterRetrying]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d retrying", n))
	}
	return strings.Join(parts, " · ")
}

// refresh shows the list, the empty state or "no match", and redraws
// visible rows.
func (m *mainView) refresh() {
	m.refilter()
	n := len(m.a.accounts)
	want := fyne.CanvasObject(m.list)
	switch {
	case n == 0:
		want = m.empty
		m.finder.Hide()
	case len(m.visible) == 0:
		want = m.none
		m.finder.Show()
	default:
		m.finder.Show()
	}
	setText(m.count, counts(m.a.accounts))
	if len(m.body.Objects) != 1 || m.body.Objects[0] != want {
		m.body.Objects = []fyne.CanvasObject{want}
		m.body.Refresh()
	}
	m.list.Refresh()
}

// updated redraws one account's row after an event; a change that moves it
// (its status group, or whether it still matches) redraws the list.
func (m *mainView) updated(prev, acc accounts.Account) {
	if needsSeller(prev.Status) != needsSeller(acc.Status) || group(prev.Status) != group(acc.Status) ||
		m.matches(prev, strings.Fields(strings.ToLower(m.search.Text)), m.filter.Selected) !=
			m.matches(acc, strings.Fields(strings.ToLower(m.search.Text)), m.filter.Selected) {
		m.refresh()
		return
	}
	// Rows never drawn need no redraw (RefreshItem refreshes the list).
	if p, ok := m.pos[acc.ID]; ok {
		if _, drawn := m.shown[acc.ID]; drawn {
			m.list.RefreshItem(p)
		}
	}
}

// maxWidth centres its one object, no wider than w.
type maxWidth struct{ w float32 }

func (l maxWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := size.Width
	if w > l.w {
		w = l.w
	}
	for _, o := range objs {
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

func (l maxWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
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
