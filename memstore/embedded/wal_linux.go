package embedded

import (
	"os"
	"syscall"
)

// preallocate reserves size bytes for f (zero-filled), so appends inside them need no size change.
func preallocate(f *os.File, size int64) {
	_ = syscall.Fallocate(int(f.Fd()), 0, 0, size)
}

// datasync flushes f's data (and only the metadata needed to read it back) to disk.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
