package kafka

import (
	"io"
	"syscall"
)

// FileRegion is a stretch of a log segment file holding whole record
// batches, for a Fetch response that sends them as they are (sendfile(2))
// rather than reading them: storage finds it, the handler places it in a
// response, the server sends it. It holds the file open (against the
// segment file cache, retention and the cleaner) until Release. The file
// may shrink meanwhile (a follower truncating its log), so a sender must
// check that it sent Length bytes. A zero FileRegion holds nothing.
type FileRegion struct {
	File     RegionFile
	Position int64
	Length   int64

	release func()
}

// RegionFile is an open file of the operating system that a FileRegion
// lies in: read by a sender that copies, its descriptor handed to
// sendfile(2) through SyscallConn's Control. *os.File is one; so are the
// storage layer's bare descriptors (vfs.OS on Linux).
type RegionFile interface {
	io.ReaderAt
	SyscallConn() (syscall.RawConn, error)
}

// NewFileRegion returns the region of f of length n at pos; release is
// called once, by the first Release.
func NewFileRegion(f RegionFile, pos, n int64, release func()) FileRegion {
	return FileRegion{File: f, Position: pos, Length: n, release: release}
}

// Release lets the file be closed; the region must not be sent after.
// Releasing a zero FileRegion does nothing.
func (r *FileRegion) Release() {
	if r.release != nil {
		r.release()
		r.release = nil
	}
}
