package storage

import "fmt"

// CorruptError reports a data file that cannot be decoded. A copy of its
// bytes was kept at Backup; the file itself is left in place and is not
// overwritten until the user restores it or chooses to start over
// (DiscardCorrupt).
type CorruptError struct {
	Path   string // the damaged file
	Backup string // the copy kept aside; "" when even copying failed
	Err    error  // what is wrong with it
}

func (e *CorruptError) Error() string {
	kept := "a copy was kept at " + e.Backup
	if e.Backup == "" {
		kept = "making a copy failed too"
	}
	return fmt.Sprintf("%s is damaged (%v); %s. SellerConnect will not overwrite it: restore a good copy, "+
		"or move it away to start over", e.Path, e.Err, kept)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// SchemaError reports a file written by a newer SellerConnect. It is read
// by nobody and overwritten by nobody: an older build would drop what it
// does not understand.
type SchemaError struct {
	Path  string
	Found int
	Known int
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%s was written by a newer SellerConnect (format %d; this version knows up to %d): update SellerConnect",
		e.Path, e.Found, e.Known)
}
