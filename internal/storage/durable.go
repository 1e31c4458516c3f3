package storage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"gregor/internal/vfs"
)

// writeFileAtomic writes data to path so that a crash leaves either the old
// or the new content: write path.tmp, fsync it, rename over path, fsync dir.
func writeFileAtomic(fsys vfs.FS, path string, data []byte) error {
	if err := replaceFile(fsys, path, data); err != nil {
		return err
	}
	return fsys.SyncDir(filepath.Dir(path))
}

// replaceFile is writeFileAtomic without the fsync of the directory: the
// content is durable, the rename becomes so with the next fsync of the
// directory (until then a power cut may leave the previous file).
func replaceFile(fsys vfs.FS, path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, 0)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, path)
	}
	if err != nil {
		fsys.Remove(tmp)
	}
	return err
}

// mkdirAllDurable creates dir and any missing parents, and fsyncs the parent
// of each directory it created, so that the new directories survive a crash.
func mkdirAllDurable(fsys vfs.FS, dir string) error {
	dir = filepath.Clean(dir)
	var created []string // deepest first
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := fsys.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(created) == 0 {
		return nil
	}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := len(created) - 1; i >= 0; i-- {
		if err := fsys.SyncDir(filepath.Dir(created[i])); err != nil {
			return err
		}
	}
	return nil
}
