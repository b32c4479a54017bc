//go:build !cgo

package storage

// sqliteKind: without cgo the driver only reports that it needs cgo.
func sqliteKind(error) errKind { return kindOther }
