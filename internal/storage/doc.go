// Package storage is the log: segments, their offset and time indexes, the
// Log of one partition, and the Manager of all log dirs. It knows nothing of
// leaders, ISR or the protocol. The on-disk layout follows Kafka's:
//
//	<log.dir>/.lock                              empty; the Manager holds an exclusive flock on
//	                                              it while the dir is open (ErrLogDirLocked)
//	<log.dir>/meta.properties                    version=1, cluster.id, node.id, directory.id
//	<log.dir>/.kafka_cleanshutdown               empty; written by a clean Close after every log
//	                                              in the dir was flushed and closed, removed
//	                                              (durably) by the next start (cleanshutdown.go)
//	<log.dir>/recovery-point-offset-checkpoint    "0\n<n>\n<topic> <partition> <offset>\n"...
//	<log.dir>/cleaner-offset-checkpoint           same format: each compacted partition's first
//	                                              dirty offset, where its next cleaning starts
//	<log.dir>/<topic>-<partition>/
//	    00000000000000000000.log       record batches v2 back to back, byte-identical to
//	                                   what Append got except baseOffset and
//	                                   partitionLeaderEpoch (outside the CRC)
//	    00000000000000000000.index     entries: relOffset uint32 | position uint32 (big endian)
//	                                   relOffset = batch last offset - segment base offset;
//	                                   one entry when more than IndexIntervalBytes were
//	                                   written since the previous one
//	    00000000000000000000.timeindex entries: timestamp int64 | relOffset uint32; added at
//	                                   index points (and on roll) when the segment's max
//	                                   timestamp grew; every record up to relOffset has a
//	                                   timestamp <= timestamp
//	    00000000000000000000.txnindex  aborted transactions whose abort marker is in the
//	                                   segment, Kafka's 34-byte entries: version int16 (0) |
//	                                   producerId int64 | firstOffset int64 | lastOffset
//	                                   int64 | lastStableOffset int64 (txnindex.go)
//	    leader-epoch-checkpoint        "0\n<n>\n<epoch> <startOffset>\n"...
//	    partition.metadata             "version: 0\ntopic_id: <base64 uuid>\n"
//	    log-start-offset               the log start offset in decimal (DeleteRecords)
//	    <20-digit offset>.snapshot     opaque producer-state snapshots, newest two kept
//	    <name>.deleted                 files of a segment that left the log (log start
//	                                   offset, retention, compaction), removed after
//	                                   file.delete.delay.ms and at start-up
//	    <name>.cleaned, <name>.swap    a cleaned segment being written, and committed;
//	                                   start-up removes the first and completes the second
//
// Indexes are append-only (not preallocated as Kafka does): entries live in
// memory and the tail not yet on disk is appended on roll, flush and close.
// Without a clean shutdown they are not trusted blindly: on open each is
// checked against its log (whole entries, increasing, positions inside the
// file, the entry at the recovery point naming the batch found there) and
// rebuilt by a scan if anything is off. A file that holds a prefix of what
// recovery rebuilt is kept as it is (the rest appended later); any other is
// rewritten, so that a restart does not rewrite thousands of index files.
//
// Clean shutdown: as in Kafka, a clean Close leaves .kafka_cleanshutdown
// in the log dir, and the next start opens the segments that end at or
// below their log's recovery point without reading them: size and
// modification time from the file's metadata, indexes from their files
// (checked whole, increasing, inside the log and below the next segment),
// the largest timestamp from the last time entry (written at roll and by
// the cleaner); the .log opens on the first read through the file cache.
// A file that fails the checks sends that segment through recovery. The
// segment that holds the recovery point and those after it are recovered
// as after a crash (for a clean shutdown, the active segment from its last
// index entry: a few KiB). The start removes the marker and fsyncs the dir
// before anything is written, so that a crash afterwards is one.
//
// Recovery: every batch from the indexed position at or below the recovery
// point to the end of each segment is re-validated (framing, magic, CRC32C,
// increasing offsets). The first torn or corrupt batch and everything after
// it in that segment is truncated and later segments are removed, so a
// corrupt batch is never served. The Manager keeps recovery points in
// recovery-point-offset-checkpoint (written every 60s and on Close); a
// partition missing from it is fully validated. A segment that overlaps the
// recovered log, or leaves a hole at or after the recovery point (a rolled
// segment whose name became durable while its predecessor's tail was lost),
// is removed with everything after it.
//
// Damage below the recovery point (a disk that rots after a clean
// shutdown) is not re-read at start-up, as in Kafka. Reads catch it: every
// batch a read returns that was on disk when its segment was opened, or
// that the cleaner copied, is validated (its CRC, over bytes the read holds
// in memory anyway); batches appended since were validated before their
// append and are not checked again. A read stops before a damaged batch and a read that
// starts at one fails with record.ErrCorrupt (CORRUPT_MESSAGE), logged
// once per batch. To re-validate everything, stop the broker, remove the
// log dir's recovery-point-offset-checkpoint and start it: every partition
// is then recovered from offset 0 (the clean-shutdown marker trusts only
// segments below a recovery point) and cut at its first damaged batch.
//
// Regions (region.go): ReadRegion finds what a read would return (the same
// whole batches, bounds and KIP-74 rule) by walking batch headers only, and
// hands it out as a region of the segment file for a Fetch response to
// send with sendfile(2). It does so only for batches appended since the
// segment was opened, which need no CRC check; for those on disk at open
// it answers "read instead", so damage is still caught as above.
//
// Retention (Log.DeleteOldSegments, run by Manager.RunRetention every
// log.retention.check.interval.ms) follows Kafka's UnifiedLog: whole
// segments go from the oldest, by retention.bytes then retention.ms (the
// segment's largest timestamp), only with cleanup.policy delete; segments
// below the log start offset always go. The log start offset is persisted
// before the segments are renamed .deleted.
//
// The committed bound (Log.SetCommitted): the owner of a log (a partition,
// which sets its high watermark) tells it where committed records end.
// Retention deletes only segments that end at or below it and the cleaner
// treats the segment holding it as uncleanable, as Kafka bounds both by the
// high watermark. The stable bound (Log.SetStable, the last stable offset)
// stops the cleaner too, so that it reads only decided transactions. A log
// nobody bounds is unbounded.
//
// Appends: Append assigns offsets from the log end offset and stamps the
// leader epoch; AppendWithOffsets (a follower copying its leader) keeps the
// batches' offsets and epochs, requiring them to increase from the log end.
//
// Compaction (clean.go) follows Kafka's LogCleaner: the latest record per
// key survives in the log below the first uncleanable offset, with its
// offset; tombstones last delete.retention.ms past the cleaning that first
// kept them (KIP-534's delete horizon in the batch header). Aborted
// transactions' records go at once; a transaction marker goes
// delete.retention.ms after the first cleaning that finds no data of its
// transaction left, and the batch holding each active producer's state
// stays, emptied if need be (cleantxn.go). Cleaned segments
// replace the old ones by Kafka's .cleaned -> .swap -> .deleted protocol
// (swap.go), so that a crash at any instant leaves a log with every latest
// value. Unlike Kafka, the last batch of every cleaned segment keeps at
// least its header, so that segments stay contiguous: recovery takes a gap
// between segments for a crash hole. Manager.RunCleaner runs the cleaner
// threads: each picks the compacted log with the highest dirty ratio above
// min.cleanable.dirty.ratio (any dirty log past max.compaction.lag.ms).
//
// Durability: all file access goes through a vfs.FS. Flush fsyncs the log
// files, then their indexes, then the directory if files were created or
// removed in it since its last fsync, and only then advances the recovery
// point; a Flush with nothing past the recovery point and no file
// created, removed or renamed since the open does nothing. New
// directories are made durable in their parent when created; checkpoints
// and partition.metadata are written tmp + fsync + rename + directory
// fsync, snapshots tmp + fsync + rename, their directory fsynced by the
// log's next Flush. Manager.Close flushes and closes the logs 16 at a time
// per log dir. Crash tests run the Log on vfs.Mem.
//
// Off the append path, without holding the writer lock, a Manager's
// Flusher (flusher.go, sync.go) fsyncs a segment sealed by a roll, with
// its indexes and the directory, after which the recovery point moves to
// the new segment (as Kafka flushes a rolled segment); and WaitDurable
// fsyncs the log up to the end it finds, on the goroutine of the first
// waiter that finds no sync running, one sync at a time per log, shared
// by every append that waits meanwhile (group commit). The durable offset
// (batches and file names fsynced) is at least the recovery point
// (indexes fsynced too). A failed background fsync is sticky: every later
// WaitDurable fails.
//
// Log dir failure (offline.go): the first I/O error (EIO, ENOSPC, EROFS;
// not a missing file, not an exhausted descriptor table) that any Log of a
// Manager meets takes that whole log dir offline, as Kafka's
// LogDirFailureChannel does: the Manager logs one ERROR line and tells its
// listener (OnDirFailure); every Log in the dir answers ErrLogDirOffline
// from then on and is never written again, not even at Close; new logs go
// to the online dirs. A failed append leaves the published size where it
// was, so nothing after the last whole batch is ever read, and recovery at
// the next start truncates whatever tail the failed write left.
//
// Moving a log between log dirs (move.go, AlterReplicaLogDirs): the
// Manager copies it into <topic>-<partition>.<id>-future in the other dir
// while it takes appends, then, under its writer lock, copies the rest,
// fsyncs the copy and renames it -moved, the old dir -delete and the copy
// to <topic>-<partition>; the Log takes over the copy's segments. A start
// removes -future dirs, and promotes a -moved one whose partition no dir
// holds.
//
// Open files (fdcache.go): a Manager's segment files are opened through
// one FileCache, which closes the least recently used idle ones beyond its
// size and reopens them on the next read or write.
//
// Concurrency: a Log serializes writers; readers locate data under a shared
// lock and pread below the published segment size without it. A reader
// holds a reference on the segment it reads, so a segment that leaves the
// log (retention, compaction, DeleteRecords) keeps its file open until the
// last reader is done. A region holds both a reference on its segment and
// a use of the file in the FileCache until it is released, so neither the
// cache nor retention closes a file under a response being sent from it.
package storage
