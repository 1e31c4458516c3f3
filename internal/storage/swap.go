package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gregor/internal/vfs"
)

// Suffixes of a cleaned segment on its way into the log (Kafka's names).
const (
	cleanedSuffix = ".cleaned" // being written; removed at start-up
	swapSuffix    = ".swap"    // committed; start-up completes the swap
)

// replaceSegments swaps the cleaned segment c in for the group g with
// Kafka's protocol (LocalLog.replaceSegments), so that a crash at any
// instant leaves either the old segments or the cleaned one:
//
//  1. c's files go from .cleaned to .swap, the log file last, and the
//     directory is fsynced: the commit point.
//  2. The old segments' files go to .deleted, and the directory is fsynced,
//     so that on disk the swapped-in segment never overlaps them.
//  3. c's files lose the .swap suffix (made durable by the next fsync of
//     the directory), and c replaces g in the list.
//
// recoverSwaps finishes or undoes what a crash interrupted. Readers that
// captured an old segment keep reading it: its file closes with their
// reference and is removed after file.delete.delay.ms. It fails with
// errCleaningAborted, having changed nothing, when g is no longer in the
// log as the cleaner captured it.
func (l *Log) replaceSegments(c *segment, g []cleanSource) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	at, ok := l.findGroup(g)
	if !ok {
		return errCleaningAborted
	}
	if err := c.rename(swapSuffix); err != nil {
		return err
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fmt.Errorf("%w: %v", errSwapIncomplete, err)
	}
	old := make([]*segment, len(g))
	for i, src := range g {
		old[i] = src.seg
	}
	err := l.renameRetired(old)
	if err == nil {
		err = l.fs.SyncDir(l.dir)
	}
	if err == nil {
		err = c.rename("")
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errSwapIncomplete, err)
	}
	l.markDirDirty()
	l.mu.Lock()
	l.segments = append(append(append([]*segment(nil), l.segments[:at]...), c), l.segments[at+len(g):]...)
	l.mu.Unlock()
	return l.scheduleRemoval(old)
}

// findGroup returns where g starts in the list, if its segments are still
// there, in order, closed, of the captured sizes and never truncated since.
func (l *Log) findGroup(g []cleanSource) (int, bool) {
	if l.isClosed() {
		return 0, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	at := sort.Search(len(l.segments), func(i int) bool { return l.segments[i].baseOffset >= g[0].seg.baseOffset })
	if at+len(g) >= len(l.segments) || l.truncations != g[0].gen {
		return 0, false
	}
	for i, src := range g {
		if s := l.segments[at+i]; s != src.seg || s.size != src.size {
			return 0, false
		}
	}
	return at, true
}

// rename moves the segment's files to the suffix to, the log file last.
func (c *segment) rename(to string) error {
	for _, ext := range []string{".index", ".timeindex", txnIndexExt, ".log"} {
		base := segmentName(c.dir, c.baseOffset, ext)
		err := c.fs.Rename(base+c.suffix, base+to)
		if err != nil && !(ext == txnIndexExt && errors.Is(err, os.ErrNotExist)) {
			return err
		}
	}
	c.suffix = to
	if c.f != nil {
		c.f.renamed(c.path(".log"))
	}
	return nil
}

// recoverSwaps finishes or undoes segment swaps that a crash interrupted,
// as Kafka's LogLoader does: .cleaned files are removed, and so is every
// .swap file at or above the lowest .cleaned base (its swap had not
// committed); a committed .swap log file replaces the segments its offsets
// cover, whose files are removed first, durably. Index files of a swapped
// segment are removed rather than trusted: recovery rebuilds them.
func recoverSwaps(fsys vfs.FS, dir string, logger *slog.Logger) error {
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return err
	}
	minCleaned, swaps := int64(math.MaxInt64), map[int64][]string{}
	for _, e := range ents {
		base, ok := segmentFileBase(e.Name())
		switch {
		case !ok:
		case strings.HasSuffix(e.Name(), cleanedSuffix):
			minCleaned = min(minCleaned, base)
			fsys.Remove(filepath.Join(dir, e.Name()))
		case strings.HasSuffix(e.Name(), swapSuffix):
			swaps[base] = append(swaps[base], e.Name())
		}
	}
	var errs []error
	for _, base := range sortedKeys(swaps) {
		names := swaps[base]
		complete := base < minCleaned && hasName(names, segmentFileName(base, ".log")+swapSuffix)
		for _, n := range names {
			if !complete || !strings.HasSuffix(n, ".log"+swapSuffix) {
				errs = append(errs, removeIfExists(fsys, filepath.Join(dir, n)))
			}
		}
		if complete {
			logger.Warn("completing an interrupted segment swap", "dir", dir, "segment", base)
			errs = append(errs, completeSwap(fsys, dir, base))
		}
	}
	return errors.Join(errs...)
}

// completeSwap removes the segments that the committed swap at base
// replaces, then renames it into place.
func completeSwap(fsys vfs.FS, dir string, base int64) error {
	swapPath := segmentName(dir, base, ".log") + swapSuffix
	next, err := nextOffsetOfFile(fsys, swapPath, base)
	if err != nil {
		return err
	}
	bases, err := segmentBases(fsys, dir)
	if err != nil {
		return err
	}
	var doomed []int64
	for _, b := range bases {
		if b >= base && b < next {
			doomed = append(doomed, b)
		}
	}
	errs := []error{removeSegmentFiles(fsys, dir, doomed), removeSegmentFiles(fsys, dir, []int64{base})}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := fsys.SyncDir(dir); err != nil {
		return err
	}
	if err := fsys.Rename(swapPath, segmentName(dir, base, ".log")); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}

// nextOffsetOfFile walks the batch headers of a segment file and returns
// the offset after its last whole batch.
func nextOffsetOfFile(fsys vfs.FS, path string, base int64) (int64, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	s := &segment{f: newCachedFile(nil, fsys, path, f)}
	next := base
	for pos := int64(0); ; {
		h, err := s.headerAt(pos, st.Size())
		if err != nil {
			return next, nil // the end, or a bad header: recovery validates the rest
		}
		next, pos = h.lastOffset+1, pos+h.size
	}
}

// segmentFileBase parses the 20-digit base offset that opens a segment
// file's name.
func segmentFileBase(name string) (int64, bool) {
	if len(name) < 21 || name[20] != '.' {
		return 0, false
	}
	n, err := strconv.ParseInt(name[:20], 10, 64)
	return n, err == nil
}

func segmentFileName(base int64, ext string) string { return fmt.Sprintf("%020d%s", base, ext) }

func hasName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func sortedKeys(m map[int64][]string) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

func removeIfExists(fsys vfs.FS, path string) error {
	if err := fsys.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
