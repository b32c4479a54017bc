package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags makes a subcommand's flag set. Errors are reported by parse, not
// by the flag package, so they follow this package's format.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses flags anywhere among the arguments ("report ACME -o f" and
// "report -o f ACME" alike; "--" ends the flags) and returns the positional
// arguments. When done is true the command must return code: help was
// printed, or a usage error was.
func (r *runner) parse(c string, fs *flag.FlagSet, args []string, minPos, maxPos int) (pos []string, code int, done bool) {
	for {
		before := args
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				r.printCommandHelp(c, fs)
				return nil, ExitOK, true
			}
			msg := err.Error()
			if rest, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
				msg = "unknown flag " + rest
			}
			return nil, r.usageError(fmt.Sprintf("%s: %s", c, msg)), true
		}
		args = fs.Args()
		consumed := len(before) - len(args)
		if consumed > 0 && before[consumed-1] == "--" {
			pos = append(pos, args...)
			break
		}
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minPos {
		return nil, r.usageError(fmt.Sprintf("%s: missing argument (usage: sellerconnect %s %s)", c, c, commandUsage(c))), true
	}
	if maxPos >= 0 && len(pos) > maxPos {
		return nil, r.usageError(fmt.Sprintf("%s: unexpected argument %q", c, pos[maxPos])), true
	}
	return pos, 0, false
}

func commandUsage(name string) string {
	for _, c := range commands {
		if c.name == name {
			return c.usage
		}
	}
	return ""
}

func (r *runner) printCommandHelp(name string, fs *flag.FlagSet) {
	for _, c := range commands {
		if c.name != name {
			continue
		}
		fmt.Fprintf(r.stdout, "Usage: sellerconnect [global flags] %s %s\n\n%s.\n", c.name, c.usage, sentenceCase(c.summary))
	}
	var flags strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		n := "--" + f.Name
		if len(f.Name) == 1 {
			n = "-" + f.Name
		}
		arg, usage := flag.UnquoteUsage(f)
		if arg != "" {
			n += " " + arg
		}
		fmt.Fprintf(&flags, "  %-16s %s\n", n, usage)
	})
	if flags.Len() > 0 {
		fmt.Fprintf(r.stdout, "\nFlags:\n%s", flags.String())
	}
	fmt.Fprint(r.stdout, "\nRun \"sellerconnect --help\" for the global flags and exit codes.\n")
}

func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
