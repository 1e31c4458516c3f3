package vfs_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkAppendSync measures what an acknowledgement that waits for the
// disk pays per write on the real filesystem: append 1 KiB to a file, then
// fsync it (File.Sync, what the log does, as Kafka's FileChannel.force(true))
// or fdatasync it. An append grows the file, so fdatasync too must commit
// the new size: the two differ only by the inode's timestamps.
func BenchmarkAppendSync(b *testing.B) {
	for _, c := range []struct {
		name string
		sync func(*os.File) error
	}{
		{"fsync", (*os.File).Sync},
		{"fdatasync", func(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "sync.dat"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 1024)
			b.SetBytes(int64(len(buf)))
			off := int64(0)
			for b.Loop() {
				if _, err := f.WriteAt(buf, off); err != nil {
					b.Fatal(err)
				}
				off += int64(len(buf))
				if err := c.sync(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
