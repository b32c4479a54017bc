// Command sellerconnect keeps marketplace seller accounts connected: a
// desktop app by default, a command line when given a subcommand.
package main

import (
	"os"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/cli"
	"github.com/sellerconnect/sellerconnect/ui"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], func(svc *accounts.Service, o cli.GUIOptions) int {
		return ui.RunSingle(svc, ui.Options{DataDir: o.DataDir, Version: o.Version, Stop: o.Stop,
			StartMinimised: o.Hidden, LoginArgs: o.LoginArgs})
	}))
}
