package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	fstorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// settingsView holds the app's switches, each provider's app credentials
// and the custom providers folder.
type settingsView struct {
	a       *App
	content fyne.CanvasObject
}

func newSettingsView(a *App) *settingsView {
	v := &settingsView{a: a}
	back := widget.NewButtonWithIcon("Accounts", theme.NavigateBackIcon(), a.showList)
	title := widget.NewLabelWithStyle("Settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})

	notify := widget.NewCheck("Tell me when an account needs me (system notification)", nil)
	notify.SetChecked(a.prefs.Notifications())
	notify.OnChanged = func(on bool) {
		if err := a.prefs.SetNotifications(on); err != nil {
			a.showError("The setting was not saved", err)
		}
	}
	minimised := widget.NewCheck("Start in the tray, without opening this window", nil)
	minimised.SetChecked(a.prefs.StartMinimised())
	minimised.OnChanged = func(on bool) {
		if err := a.prefs.SetStartMinimised(on); err != nil {
			a.showError("The setting was not saved", err)
		}
	}
	general := []fyne.CanvasObject{heading("General"), notify, minimised, a.loginCheck()}
	if !a.notify {
		notify.Disable()
		note := widget.NewLabel("This desktop shows no system notifications (no notification service is running), " +
			"so SellerConnect marks accounts that need you in this window and on its tray icon instead.")
		note.Importance = widget.LowImportance
		note.Wrapping = fyne.TextWrapWord
		general = append(general, note)
	}
	if !a.tray {
		minimised.Disable()
		note := widget.NewLabel("No system tray was found: closing the window quits SellerConnect (it asks first), and it cannot start in the tray.")
		note.Importance = widget.LowImportance
		note.Wrapping = fyne.TextWrapWord
		general = append(general, note)
	}

	creds := container.NewVBox(heading("App credentials"))
	intro := widget.NewLabel("Each marketplace knows SellerConnect by the app credentials your company registered with it. " +
		"Client secrets are kept in your system keychain.")
	intro.Wrapping = fyne.TextWrapWord
	intro.Importance = widget.LowImportance
	creds.Add(intro)
	for _, p := range a.be.Providers() {
		if len(p.Settings) == 0 {
			continue
		}
		creds.Add(v.providerRow(p))
	}

	folder := a.opts.ProvidersDir
	if folder == "" {
		folder = "(not set)"
	}
	path := widget.NewLabelWithStyle(folder, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	path.Wrapping = fyne.TextWrapBreak
	path.Selectable = true
	custom := container.NewVBox(
		heading("Custom providers"),
		wrapLabel("Describe any other OAuth 2.0 marketplace in a .toml file in this folder, then reload."),
		path,
		container.NewHBox(
			widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), v.openFolder),
			widget.NewButtonWithIcon("Reload providers", theme.ViewRefreshIcon(), v.reload),
		),
	)
	body := container.NewVBox(append(general, widget.NewSeparator(), creds, widget.NewSeparator(), custom)...)
	top := container.NewHBox(back, title)
	v.content = container.NewBorder(container.NewVBox(top, widget.NewSeparator()), nil, nil, nil, scroll(body))
	return v
}

func (v *settingsView) providerRow(p accounts.Provider) fyne.CanvasObject {
	mark := canvas.NewImageFromResource(markFor(p.ID))
	mark.FillMode = canvas.ImageFillContain
	mark.SetMinSize(fyne.NewSquareSize(24))
	name := widget.NewLabel(p.Name)
	state := widget.NewLabel("ready")
	state.Importance = widget.SuccessImportance
	if len(p.MissingSettings) > 0 {
		state.SetText("needs " + settingLabels(p, p.MissingSettings))
		state.Importance = widget.WarningImportance
	}
	var right fyne.CanvasObject = widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() {
		v.a.showCredentialsForm(p, "Save", v.a.showSettings)
	})
	if p.EndpointsChanged != "" {
		// A provider file moved where this provider's secrets go: nothing
		// is sent there until the seller says the file is theirs.
		state.SetText("addresses changed: confirm")
		state.Importance = widget.DangerImportance
		confirm := widget.NewButtonWithIcon("Confirm addresses…", theme.WarningIcon(), func() {
			d := dialog.NewConfirm("Confirm the new addresses?", p.EndpointsChanged+".\n\nConfirm only if you made this change. Until then SellerConnect sends nothing there.",
				func(ok bool) {
					if !ok {
						return
					}
					if err := v.a.be.ConfirmEndpoints(p.ID); err != nil {
						v.a.showError("The addresses could not be confirmed", err)
						return
					}
					v.a.showSettings()
				}, v.a.win)
			d.SetConfirmText("Confirm")
			d.SetConfirmImportance(widget.DangerImportance)
			d.Show()
		})
		right = container.NewHBox(confirm, right)
	}
	return container.NewBorder(nil, nil, container.NewCenter(mark), right,
		container.NewHBox(name, layout.NewSpacer(), state))
}

func (v *settingsView) openFolder() {
	dir := v.a.opts.ProvidersDir
	if dir == "" {
		return
	}
	u := fstorage.NewFileURI(dir)
	if err := v.a.fa.OpenURL(mustURL(u.String())); err != nil {
		v.a.showError("The folder could not be opened", err)
	}
}

func (v *settingsView) reload() {
	go func() {
		errs := v.a.be.ReloadProviders()
		v.a.do(func() {
			if len(errs) == 0 {
				n := len(v.a.be.Providers())
				dialog.ShowInformation("Providers reloaded", plural(n, "provider is", "providers are")+" available.", v.a.win)
				v.a.showSettings()
				return
			}
			var b strings.Builder
			for _, e := range errs {
				b.WriteString(e.Error())
				b.WriteString("\n")
			}
			text := widget.NewLabel("Other providers loaded. Fix these files and reload:\n\n" + b.String())
			text.Wrapping = fyne.TextWrapWord
			d := dialog.NewCustom("Some provider files have mistakes", "Close", text, v.a.win)
			d.Resize(fyne.NewSize(600, d.MinSize().Height))
			d.Show()
			v.a.showSettings()
		})
	}()
}

func heading(s string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Importance = widget.HighImportance
	return l
}

func wrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}
