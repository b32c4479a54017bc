//go:build cgo

package storage

import (
	"errors"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteKind sorts SQLite's error codes into what the store reports.
func sqliteKind(err error) errKind {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return kindOther
	}
	switch se.Code {
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return kindCorrupt
	case sqlite3.ErrReadonly, sqlite3.ErrCantOpen, sqlite3.ErrPerm:
		return kindReadonly
	case sqlite3.ErrFull:
		return kindFull
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return kindBusy
	case sqlite3.ErrConstraint:
		return kindConstraint
	}
	return kindOther
}
