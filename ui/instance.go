package ui

import (
	"errors"
	"fmt"
	"os"

	"github.com/sellerconnect/sellerconnect/accounts"
	// The one import below the service in a face: which process owns the
	// window is a question about processes and the desktop, not about
	// accounts, and it must be settled before the window exists.
	"github.com/sellerconnect/sellerconnect/storage"
)

// RunSingle is Run for a data directory that only one window may serve: a
// second launch (a seller double-clicking the icon again) brings the
// running window forward and exits, instead of starting a second refresher
// on the same accounts.
func RunSingle(svc *accounts.Service, opts Options) int {
	inst, err := storage.AcquireInstance(opts.DataDir)
	if errors.Is(err, storage.ErrAlreadyRunning) {
		if opts.StartMinimised {
			// Started in the tray (at login) while already running: the
			// running app goes on; nothing comes forward.
			return 0
		}
		if aerr := storage.ActivateRunning(opts.DataDir); aerr == nil {
			return 0
		}
		fmt.Fprintf(os.Stderr, "sellerconnect: %v; it did not answer. Quit it (or end it in the task manager) and start again.\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sellerconnect: the data directory %s cannot be claimed: %v\n", opts.DataDir, err)
		return 1
	}
	defer inst.Close()
	activate := make(chan struct{}, 1)
	if err := inst.Listen(func() {
		select {
		case activate <- struct{}{}:
		default: // one pending request is enough
		}
	}); err == nil {
		opts.Activate = activate
	}
	return Run(svc, opts)
}
