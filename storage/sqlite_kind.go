package storage

// errKind is what the store makes of a SQLite error.
type errKind int

const (
	kindOther errKind = iota
	kindCorrupt
	kindReadonly
	kindFull
	kindBusy
	kindConstraint
)
