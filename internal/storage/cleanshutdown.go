package storage

import (
	"errors"
	"os"
	"path/filepath"

	"gregor/internal/vfs"
)

// cleanShutdownFile in a log dir says that a clean shutdown flushed and
// closed every log in it (Kafka's LogLoader.CleanShutdownFile): the next
// start trusts their segments below the recovery point as they are, without
// reading them. Start-up removes it, durably, before anything in the dir
// is written, so that a crash from then on is recovered as a crash.
const cleanShutdownFile = ".kafka_cleanshutdown"

// takeCleanShutdown reports whether dir holds the clean-shutdown marker and
// removes it (and fsyncs dir) if so.
func takeCleanShutdown(fsys vfs.FS, dir string) (bool, error) {
	path := filepath.Join(dir, cleanShutdownFile)
	if _, err := fsys.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := fsys.Remove(path); err != nil {
		return false, err
	}
	return true, fsys.SyncDir(dir)
}

// writeCleanShutdowns writes the marker in every dir that was opened whole
// and is online, once every log has been flushed and closed without error.
func (m *Manager) writeCleanShutdowns() error {
	var errs []error
	for _, d := range m.dirs {
		if m.loaded[d] && m.health[d].offline() == nil {
			errs = append(errs, m.health[d].fail(writeFileAtomic(m.fs, filepath.Join(d, cleanShutdownFile), nil)))
		}
	}
	return errors.Join(errs...)
}
