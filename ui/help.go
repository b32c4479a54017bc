package ui

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fstorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/assets"
)

func (a *App) showAbout() {
	icon := canvas.NewImageFromResource(fyne.NewStaticResource("icon.png", assets.Icon))
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(64))
	version := a.opts.Version
	if version == "" {
		version = a.fa.Metadata().Version
	}
	if version == "" {
		version = "development build"
	}
	data := a.opts.DataDir
	if data == "" {
		data = "—"
	}
	text := wrapLabel("SellerConnect keeps your marketplace seller accounts connected: it stores their tokens in " +
		"your system keychain and renews them in the background. Other software gets a valid token with " +
		"\"sellerconnect token ACCOUNT\".")
	info := section("This copy", []row{
		{k: "Version", v: version},
		{k: "System", v: runtime.GOOS + "/" + runtime.GOARCH},
		{k: "Data folder", v: data},
	})
	help := wrapLabel("When something goes wrong, open the account, read \"What to do\", and if support asks, " +
		"use Save report: it holds no password or token, only their first and last characters.")
	help.Importance = widget.LowImportance
	content := container.NewVBox(container.NewCenter(icon), text, info, help)
	d := dialog.NewCustom("About SellerConnect", "Close", content, a.win)
	d.Resize(fyne.NewSize(560, d.MinSize().Height))
	d.Show()
}

// reportName is the suggested file name for a saved report.
func (a *App) reportName() string {
	return "sellerconnect-report-" + a.now().Format("20060102-1504") + ".txt"
}

// copyReport puts the redacted report of the accounts (all when none) on
// the clipboard.
func (a *App) copyReport(ids ...string) {
	text, err := a.be.ReportText(ids...)
	if err != nil {
		a.showError("The report could not be made", err)
		return
	}
	a.fa.Clipboard().SetContent(text)
	a.toast("Report copied", "The diagnostic report is on the clipboard. It holds no password or token in clear.")
}

// saveReport writes the redacted report to a file the seller picks.
func (a *App) saveReport(ids ...string) {
	text, err := a.be.ReportText(ids...)
	if err != nil {
		a.showError("The report could not be made", err)
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			a.showError("The report was not saved", err)
			return
		}
		if w == nil {
			return // cancelled
		}
		// The dialog creates the file with the usual 0644; the report is
		// the seller's alone before anything is written to it.
		var werr error
		if w.URI().Scheme() == "file" {
			werr = os.Chmod(w.URI().Path(), 0o600)
		}
		if werr == nil {
			_, werr = w.Write([]byte(text))
		}
		cerr := w.Close()
		if werr == nil {
			werr = cerr
		}
		if werr != nil {
			a.showError("The report was not saved", werr)
			return
		}
		a.reportSaved(w.URI().Path())
	}, a.win)
	d.SetFileName(a.reportName())
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := listable(home); err == nil {
			d.SetLocation(l)
		}
	}
	// Fyne 2.8.1's file dialog has no window until it is shown: resizing
	// it before Show dereferences nil.
	d.Show()
	d.Resize(fyne.NewSize(760, 520))
}

// reportSaved tells where the report went.
func (a *App) reportSaved(path string) {
	a.toast("Report saved", "The diagnostic report was saved to "+path+
		". Send this file to support; it holds no password or token in clear.")
}

// writeReportFile saves the report without a dialog (used by scripts and
// tests); it returns the path written.
func (a *App) writeReportFile(dir string, ids ...string) (string, error) {
	text, err := a.be.ReportText(ids...)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, a.reportName())
	return p, os.WriteFile(p, []byte(text), 0o600)
}

func (a *App) toast(title, msg string) {
	d := dialog.NewCustom(title, "Close", wrapLabel(msg), a.win)
	d.Resize(fyne.NewSize(480, d.MinSize().Height))
	d.Show()
}

func (a *App) refreshAll() {
	go func() {
		err := a.be.RefreshAll(a.ctx)
		if err != nil {
			a.do(func() { a.showError("Some accounts could not be refreshed", err) })
		}
	}()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		return &url.URL{}
	}
	return u
}

func listable(dir string) (fyne.ListableURI, error) {
	return fstorage.ListerForURI(fstorage.NewFileURI(dir))
}
