// Package cli is SellerConnect's command-line face: valid access tokens for
// scripts, and answers (doctor, report) support staff can paste into a ticket.
// It runs on the same accounts service as the desktop app, so a token or
// refresh taken here honours the account lock the desktop app's refresher
// holds.
//
// Streams: stdout carries only a command's result (so `$(sellerconnect token
// ID)` is safe); prompts, progress and errors go to stderr.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// Version is the application version, set at build time with
// -ldflags "-X github.com/sellerconnect/sellerconnect/cli.Version=1.2.3".
var Version = "dev"

// Exit codes. They are part of the command line's contract: scripts branch
// on them, so they never change meaning.
const (
	ExitOK          = 0 // success
	ExitOther       = 1 // anything not covered below
	ExitUsage       = 2 // bad command, flag or argument (including an unknown account or provider)
	ExitReconnect   = 3 // the seller must connect the account again
	ExitCredentials = 4 // the app's credentials or provider settings are wrong or missing
	ExitTemporary   = 5 // temporary failure (network, provider busy, keychain locked): retry later
	ExitUnsaved     = 6 // a renewed token could not be saved, so the account will need connecting again
)

// GUI opens the desktop app on the service the command line opened (the same
// wiring for both faces) and returns the process exit code. main.go supplies
// it, so this package never imports the UI toolkit.
type GUI func(svc *accounts.Service, opts GUIOptions) int

// GUIOptions carries the global flags to the desktop app.
type GUIOptions struct {
	DataDir string // resolved data directory
	Version string
	// Stop closes on SIGTERM or SIGINT: the app quits, and the command
	// line then closes the service (refreshes in flight finish and save).
	Stop <-chan struct{}
	// Hidden: --hidden was given; the app starts in the tray.
	Hidden bool
	// LoginArgs are the arguments a login item passes to this program to
	// start the same app in the tray: --hidden, and --data-dir when the
	// data directory was chosen (a login session has no shell variables).
	LoginArgs []string
}

// Main runs the command line with args (without the program name) and
// returns the exit code. With no subcommand it calls gui.
func Main(args []string, gui GUI) int {
	if len(args) > 0 {
		attachConsole() // a command's output reaches the terminal on Windows too
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &runner{
		ctx:    ctx,
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		gui:    gui,
	}
	return r.main(args)
}

// runner holds one invocation's streams and global options.
type runner struct {
	ctx    context.Context
	stdin  *os.File
	stdout io.Writer
	stderr io.Writer
	gui    GUI

	dataDirFlag string // --data-dir as given, "" when absent
	hidden      bool   // --hidden
	input       *lineReader
	sessions    []*session
}

// command is one subcommand.
type command struct {
	name    string
	usage   string // arguments, for help
	summary string
	run     func(r *runner, args []string) int
}

var commands []command

func init() {
	// Assigned in init because the run functions refer back to the table (help).
	commands = []command{
		{"providers", "[--json]", "built-in and custom providers, and which lack app credentials", (*runner).cmdProviders},
		{"accounts", "[--json]", "id, provider, name, status, access expiry, reconnect-by", (*runner).cmdAccounts},
		{"credentials", "PROVIDER [--confirm-endpoints]", "enter the provider's app credentials (prompts on stderr, reads stdin; secrets go to the keychain), or trust the addresses a provider file set", (*runner).cmdCredentials},
		{"connect", "PROVIDER [--no-browser]", "connect an account; --no-browser prints the address to open on stderr and waits; the new account's id goes to stdout", (*runner).cmdConnect},
		{"token", "ACCOUNT", "a valid access token on stdout, refreshed first if due", (*runner).cmdToken},
		{"refresh", "ACCOUNT | --all", "refresh now (one account, or every account)", (*runner).cmdRefresh},
		{"test", "ACCOUNT", "run the provider's test call", (*runner).cmdTest},
		{"disconnect", "ACCOUNT", "revoke where the provider can, then forget the account", (*runner).cmdDisconnect},
		{"doctor", "[--json]", "check the keychain, data directory, clock, providers in use and every account", (*runner).cmdDoctor},
		{"report", "[ACCOUNT] [-o FILE]", "the redacted diagnostic report (FILE is written with mode 0600)", (*runner).cmdReport},
	}
}

func (r *runner) main(args []string) int {
	args, code, done := r.globalFlags(args)
	if done {
		return code
	}
	if len(args) == 0 {
		if r.gui == nil {
			return r.usageError("no command given")
		}
		return r.runGUI()
	}
	for _, c := range commands {
		if c.name == args[0] {
			return r.closeAll(c.run(r, args[1:]))
		}
	}
	return r.usageError(fmt.Sprintf("unknown command %q", args[0]))
}

// globalFlags takes the flags before the command; done says the run ends
// here with code (--version, --help, a bad flag).
func (r *runner) globalFlags(args []string) (rest []string, code int, done bool) {
	for len(args) > 0 {
		a := args[0]
		name, value, hasValue := strings.Cut(a, "=")
		switch {
		case a == "--":
			return args[1:], 0, false
		case a == "--version" || a == "-version":
			fmt.Fprintf(r.stdout, "sellerconnect %s\n", Version)
			return nil, ExitOK, true
		case a == "--help" || a == "-help" || a == "-h":
			r.printHelp(r.stdout)
			return nil, ExitOK, true
		case name == "--data-dir" || name == "-data-dir":
			if hasValue {
				args = args[1:]
			} else if len(args) >= 2 {
				value, args = args[1], args[2:]
			}
			if value == "" {
				return nil, r.usageError("--data-dir needs a directory"), true
			}
			r.dataDirFlag = value
		case a == "--hidden" || a == "-hidden":
			// What a login item passes: open in the tray, not the window.
			r.hidden = true
			args = args[1:]
		case strings.HasPrefix(a, "-psn_"):
			// macOS Finder passes a process serial number to apps it starts.
			args = args[1:]
		case strings.HasPrefix(a, "-") && a != "-":
			return nil, r.usageError(fmt.Sprintf("unknown flag %s", a)), true
		default:
			return args, 0, false
		}
	}
	return args, 0, false
}

const helpTail = `
Global flags (before the command):
  --data-dir DIR   where accounts and settings live (default: $SELLERCONNECT_DATA_DIR,
                   else the user config directory's SellerConnect folder)
  --hidden         open the desktop app in the system tray without its window
                   (what "Start SellerConnect when I log in" runs; the window
                   opens as usual where the desktop has no tray)
  --version        print the version
  --help           print this help

ACCOUNT is an account id or an unambiguous display name (see "sellerconnect accounts").
Each command takes --help.

Exit codes:
  0  success
  1  any other failure
  2  usage: bad command, flag or argument, unknown account or provider
  3  reconnect needed: the seller must connect the account again
  4  app credentials or provider settings wrong or missing
  5  temporary failure (network, provider busy, keychain locked): retry later

stdout carries only the result; errors and prompts go to stderr.
`

func (r *runner) printHelp(w io.Writer) {
	fmt.Fprintf(w, "SellerConnect %s keeps marketplace seller accounts connected.\n\n", Version)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  sellerconnect [global flags]                  open the desktop app")
	fmt.Fprintln(w, "  sellerconnect [global flags] COMMAND [ARGS]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		left := c.name + " " + c.usage
		fmt.Fprintf(w, "  %-34s %s\n", left, c.summary)
	}
	fmt.Fprint(w, helpTail)
}

// usageError reports a usage mistake and returns ExitUsage.
func (r *runner) usageError(msg string) int {
	fmt.Fprintf(r.stderr, "sellerconnect: %s.\nRun \"sellerconnect --help\" for usage.\n", msg)
	return ExitUsage
}
