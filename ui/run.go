package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// AppID is the Fyne application id (matches FyneApp.toml).
const AppID = "io.sellerconnect.app"

// Run opens the desktop app on the service and returns the process exit
// code when the seller quits. Unless opts.NoScheduler is set it also runs
// the service's background refresh until then.
func Run(svc *accounts.Service, opts Options) int {
	return RunWith(ServiceBackend(svc), svc, opts)
}

// RunWith is Run on any Backend; starter, when not nil, is started for the
// app's lifetime (the service's scheduler).
func RunWith(be Backend, starter interface{ Start(context.Context) }, opts Options) int {
	fa := app.NewWithID(AppID)
	a := New(fa, be, opts)
	if starter != nil && !opts.NoScheduler {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go starter.Start(ctx)
	}
	a.Start()
	defer a.Close()
	if opts.Stop != nil {
		go func() {
			<-opts.Stop
			fyne.Do(fa.Quit)
		}()
	}
	if (opts.StartMinimised || a.prefs.StartMinimised()) && a.tray {
		a.hidden = true
		fa.Run()
	} else {
		a.win.ShowAndRun()
	}
	return 0
}

// ServiceBackend adapts the accounts service to Backend.
func ServiceBackend(svc *accounts.Service) Backend { return serviceBackend{svc} }

type serviceBackend struct{ *accounts.Service }

// ReportText is the service's redacted report as text.
func (s serviceBackend) ReportText(ids ...string) (string, error) {
	return s.Report(ids...), nil
}

// Providers lists the providers (the files that did not load are for
// ReloadProviders to tell).
func (s serviceBackend) Providers() []accounts.Provider {
	list, _ := s.Service.Providers()
	return list
}

// ReloadProviders reads the providers folder again (the service does when
// it changed) and says which files did not load.
func (s serviceBackend) ReloadProviders() []error {
	_, errs := s.Service.Providers()
	return errs
}

// RefreshAll refreshes every account that can be, and joins the failures.
func (s serviceBackend) RefreshAll(ctx context.Context) error {
	var errs []error
	for _, o := range s.RefreshEach(ctx) {
		if o.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.ID, o.Err))
		}
	}
	return errors.Join(errs...)
}
