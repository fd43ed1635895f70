//go:build !linux

package embedded

import "os"

// preallocate is a no-op where fallocate is not available: appends grow the file instead.
func preallocate(*os.File, int64) {}

// datasync flushes f to disk.
func datasync(f *os.File) error { return f.Sync() }
