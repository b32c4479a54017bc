//go:build !unix

package storage

import "os"

// checkOwner: on Windows the profile folder's ACL keeps other users out.
func checkOwner(string, os.FileInfo) error { return nil }
