package cli

import (
	"fmt"
	"os"
	"path/filepath"
)

func (r *runner) cmdReport(args []string) int {
	fs := newFlags("report")
	file := fs.String("o", "", "write the report to `FILE` (mode 0600) instead of stdout")
	pos, code, done := r.parse("report", fs, args, 0, 1)
	if done {
		return code
	}
	s, err := r.open(false)
	if err != nil {
		return r.fail(err, "")
	}
	var ids []string
	if len(pos) == 1 {
		a, err := resolve(s.svc, pos[0])
		if err != nil {
			return r.fail(err, "")
		}
		ids = append(ids, a.ID)
	}
	text := s.svc.Report(ids...)
	if *file == "" {
		fmt.Fprint(r.stdout, text)
		return ExitOK
	}
	if err := writePrivate(*file, []byte(text)); err != nil {
		return r.fail(&cliError{code: ExitOther, msg: fmt.Sprintf("the report could not be written to %s (%v)", *file, unwrapPath(err)),
			advice: "Choose another file with -o.", err: err}, "")
	}
	fmt.Fprintf(r.stderr, "Report written to %s.\n", *file)
	return ExitOK
}

// writePrivate writes data to name with mode 0600, replacing any old file
// whole: the report goes to a temporary file beside it that is renamed over.
func writePrivate(name string, data []byte) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
