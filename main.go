// Command sellerconnect keeps marketplace seller accounts connected: a
// desktop app by default, a command line when given a subcommand.
package main

import (
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("io.sellerconnect.app")
	w := a.NewWindow("SellerConnect")
	w.SetContent(widget.NewLabel("SellerConnect"))
	w.ShowAndRun()
}
