package node

import (
	"errors"
	"path/filepath"
	"slices"
	"syscall"

	"gregor/internal/handler"
	"gregor/internal/kafka"
	"gregor/internal/storage"
)

// logDirs implements handler.LogDirs over the storage manager.
type logDirs struct {
	logs *storage.Manager
	dirs []string // log.dirs, as configured
}

func (d logDirs) Describe() []handler.LogDirInfo {
	var out []handler.LogDirInfo
	for _, dir := range d.logs.LogDirs() {
		if err := d.logs.DirError(dir.Dir); err != nil {
			// As Kafka: an offline dir is its error alone, without sizes.
			out = append(out, handler.LogDirInfo{Path: absPath(dir.Dir), TotalBytes: -1, UsableBytes: -1, Err: err})
			continue
		}
		out = append(out, describeDir(dir))
	}
	return out
}

func describeDir(dir storage.DirLogs) handler.LogDirInfo {
	info := handler.LogDirInfo{Path: absPath(dir.Dir), TotalBytes: -1, UsableBytes: -1}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(info.Path, &fs); err != nil {
		info.Err = err
		return info
	}
	info.TotalBytes = int64(fs.Blocks) * int64(fs.Bsize)
	info.UsableBytes = int64(fs.Bavail) * int64(fs.Bsize)
	for tp, l := range dir.Logs {
		info.Partitions = append(info.Partitions, handler.LogDirPartition{TopicPartition: tp, Size: l.Size()})
	}
	for tp, f := range dir.Futures {
		info.Partitions = append(info.Partitions, handler.LogDirPartition{TopicPartition: tp, Size: f.Size,
			OffsetLag: kafka.Offset(f.Lag), IsFuture: true})
	}
	slices.SortFunc(info.Partitions, func(a, b handler.LogDirPartition) int {
		return a.TopicPartition.Compare(b.TopicPartition)
	})
	return info
}

func absPath(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// Move starts moving tp's log to the log dir whose absolute path is dir.
func (d logDirs) Move(tp kafka.TopicPartition, dir string) error {
	i := slices.IndexFunc(d.dirs, func(configured string) bool { return absPath(configured) == dir })
	if i < 0 {
		return handler.ErrLogDirNotFound
	}
	err := d.logs.MoveLog(tp, d.dirs[i])
	if errors.Is(err, storage.ErrUnknownLog) {
		d.logs.PreferDir(tp, d.dirs[i])
		return handler.ErrReplicaNotHere
	}
	return err
}
