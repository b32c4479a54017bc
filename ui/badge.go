package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// badgeStyle is how one status looks: a word, an icon and a theme colour, so
// it reads without colour too and follows light and dark themes.
type badgeStyle struct {
	word string
	icon fyne.Resource
	fill fyne.ThemeColorName
	ink  fyne.ThemeColorName
}

func styleFor(s accounts.Status) badgeStyle {
	switch s {
	case accounts.StatusConnected:
		return badgeStyle{"Connected", theme.ConfirmIcon(), theme.ColorNameSuccess, theme.ColorNameForegroundOnSuccess}
	case accounts.StatusRefreshing:
		return badgeStyle{"Renewing", theme.ViewRefreshIcon(), theme.ColorNamePrimary, theme.ColorNameForegroundOnPrimary}
	case accounts.StatusExpiring:
		return badgeStyle{"Reconnect soon", theme.HistoryIcon(), theme.ColorNameWarning, theme.ColorNameForegroundOnWarning}
	case accounts.StatusReconnect:
		return badgeStyle{"Reconnect needed", theme.ErrorIcon(), theme.ColorNameError, theme.ColorNameForegroundOnError}
	case accounts.StatusCredentials:
		return badgeStyle{"App credentials wrong", theme.SettingsIcon(), theme.ColorNameError, theme.ColorNameForegroundOnError}
	case accounts.StatusOffline:
		return badgeStyle{"Offline", theme.WarningIcon(), theme.ColorNameWarning, theme.ColorNameForegroundOnWarning}
	case accounts.StatusNotSaved:
		return badgeStyle{"Not saved", theme.DocumentSaveIcon(), theme.ColorNameWarning, theme.ColorNameForegroundOnWarning}
	}
	return badgeStyle{string(s), theme.QuestionIcon(), theme.ColorNameDisabledButton, theme.ColorNameForeground}
}

// Badge shows an account's status as a coloured pill with icon and word.
type Badge struct {
	widget.BaseWidget
	status accounts.Status
}

// NewBadge returns a badge for status.
func NewBadge(status accounts.Status) *Badge {
	b := &Badge{status: status}
	b.ExtendBaseWidget(b)
	return b
}

// Status is the status the badge shows.
func (b *Badge) Status() accounts.Status { return b.status }

// SetStatus changes the badge.
func (b *Badge) SetStatus(s accounts.Status) {
	if b.status == s {
		return
	}
	b.status = s
	b.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (b *Badge) CreateRenderer() fyne.WidgetRenderer {
	r := &badgeRenderer{
		b:    b,
		bg:   canvas.NewRectangle(nil),
		icon: canvas.NewImageFromResource(nil),
		text: canvas.NewText("", nil),
	}
	r.text.TextStyle.Bold = true
	r.icon.FillMode = canvas.ImageFillContain
	r.Refresh()
	return r
}

type badgeRenderer struct {
	b    *Badge
	bg   *canvas.Rectangle
	icon *canvas.Image
	text *canvas.Text
}

func (r *badgeRenderer) pad() float32 { return r.b.Theme().Size(theme.SizeNameInnerPadding) / 2 }

func (r *badgeRenderer) iconSize() float32 { return r.text.MinSize().Height }

func (r *badgeRenderer) Layout(size fyne.Size) {
	p := r.pad()
	r.bg.Resize(size)
	is := r.iconSize()
	y := (size.Height - is) / 2
	r.icon.Move(fyne.NewPos(p*2, y))
	r.icon.Resize(fyne.NewSquareSize(is))
	ts := r.text.MinSize()
	r.text.Move(fyne.NewPos(p*3+is, (size.Height-ts.Height)/2))
	r.text.Resize(ts)
}

func (r *badgeRenderer) MinSize() fyne.Size {
	p := r.pad()
	ts := r.text.MinSize()
	return fyne.NewSize(p*5+r.iconSize()+ts.Width, ts.Height+p*2)
}

func (r *badgeRenderer) Refresh() {
	st := styleFor(r.b.status)
	th := r.b.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.bg.FillColor = th.Color(st.fill, v)
	r.bg.CornerRadius = th.Size(theme.SizeNameInputRadius) * 2
	r.icon.Resource = theme.NewColoredResource(st.icon, st.ink)
	r.text.Text = st.word
	r.text.Color = th.Color(st.ink, v)
	r.text.TextSize = th.Size(theme.SizeNameCaptionText) + 1
	r.Layout(r.b.Size())
	r.bg.Refresh()
	r.icon.Refresh()
	r.text.Refresh()
}

func (r *badgeRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.icon, r.text}
}

func (r *badgeRenderer) Destroy() {}
