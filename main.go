// Command sellerconnect keeps marketplace seller accounts connected: a
// desktop app by default, a command line when given a subcommand.
package main

import (
	"os"

	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], gui))
}

// gui opens the desktop app on the opened service.
func gui(svc *accounts.Service, opts cli.GUIOptions) int {
	a := app.NewWithID("io.sellerconnect.app")
	w := a.NewWindow("SellerConnect")
	w.SetContent(widget.NewLabel("SellerConnect"))
	w.ShowAndRun()
	return 0
}
