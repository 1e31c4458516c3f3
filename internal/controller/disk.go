package controller

// The quorum's durable state, all in the metadata log dir: the raft
// entries in the __cluster_metadata log, the HardState in quorum-state,
// and snapshots of the image in <offset>-<epoch>.checkpoint files.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/record"
)

// quorumStateFile holds the HardState, as KRaft's quorum-state does.
const quorumStateFile = "quorum-state"

// commitHintFile holds the last commit index known, unsynced.
const commitHintFile = "quorum-state.commit"

// disk persists raft's state and mirrors it in a raft.MemoryStorage, which
// raft reads. Only the controller's loop uses it.
type disk struct {
	log    MetadataLog
	dir    string
	mem    *raft.MemoryStorage
	voters []uint64
	now    func() int64 // record timestamps, in ms
	// allCommitted: every stored entry is known committed (a sole voter,
	// or an observer, which stores only committed entries).
	allCommitted bool
}

// quorumState is the stored form of the HardState.
type quorumState struct {
	LeaderEpoch uint64 `json:"leaderEpoch"` // the raft term
	VotedID     int64  `json:"votedId"`     // node id voted for in that term, -1 for none
	CommitIndex uint64 `json:"commitIndex"`
	DataVersion int    `json:"data_version"`
}

// entryBatch stores one raft entry as a batch of one record: the batch's
// offset is the entry's index - 1, its leader epoch the entry's term, the
// record's key the entry type and its value the entry's data.
func entryBatch(e *pb.Entry, ts int64) (record.Batch, error) {
	return record.Build(record.BatchSpec{
		BaseOffset: int64(e.GetIndex()) - 1, PartitionLeaderEpoch: int32(e.GetTerm()),
		ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.Record{{Timestamp: ts, Key: []byte{byte(e.GetType())}, Value: e.GetData()}},
	})
}

// batchEntry reads back the entry entryBatch stored.
func batchEntry(b record.Batch) (*pb.Entry, error) {
	rs, err := b.Records()
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 || len(rs[0].Key) != 1 {
		return nil, fmt.Errorf("metadata log batch at offset %d is not a raft entry", b.BaseOffset())
	}
	typ := pb.EntryType(rs[0].Key[0])
	return &pb.Entry{
		Index: proto.Uint64(uint64(b.BaseOffset()) + 1), Term: proto.Uint64(uint64(b.PartitionLeaderEpoch())),
		Type: &typ, Data: append([]byte(nil), rs[0].Value...),
	}, nil
}

// load reads the newest checkpoint, the entries after it and the
// HardState into d.mem, and returns the image of the snapshot. A log
// written before the quorum existed (records but no quorum state) is
// replayed and becomes the first snapshot.
func (d *disk) load() (*metadata.Image, error) {
	d.mem = raft.NewMemoryStorage()
	snap, img, err := d.latestCheckpoint()
	if err != nil {
		return nil, err
	}
	if snap == nil && d.legacy() {
		return d.migrate()
	}
	if snap != nil {
		if err := d.mem.ApplySnapshot(snap); err != nil {
			return nil, err
		}
	}
	if err := d.loadEntries(snap.GetMetadata().GetIndex()); err != nil {
		return nil, err
	}
	return img, d.loadHardState(snap.GetMetadata().GetIndex())
}

// legacy reports whether the log holds records but the quorum has never
// written its state and its first batch is no raft entry: a metadata log
// of a single node before Raft.
func (d *disk) legacy() bool {
	_, err := os.Stat(filepath.Join(d.dir, quorumStateFile))
	if !errors.Is(err, fs.ErrNotExist) || d.log.LogEndOffset() == 0 {
		return false
	}
	entries := false
	d.log.Batches(0, func(b record.Batch) error {
		_, err := batchEntry(b)
		entries = err == nil
		return errStopScan
	})
	return !entries
}

var errStopScan = errors.New("stop")

// migrate replays a pre-Raft log and keeps its image as the snapshot at
// its end, so that raft entries continue at the next offset.
func (d *disk) migrate() (*metadata.Image, error) {
	img, err := replayLegacy(d.log)
	if err != nil {
		return nil, err
	}
	end := uint64(d.log.LogEndOffset())
	if err := d.snapshot(img, end, 1); err != nil {
		return nil, err
	}
	return img, nil
}

func replayLegacy(l MetadataLog) (*metadata.Image, error) {
	img := metadata.Empty()
	err := l.Batches(0, func(b record.Batch) error {
		recs, err := decodeBatch(b)
		if err != nil {
			return fmt.Errorf("metadata log at offset %d: %w", b.BaseOffset(), err)
		}
		img, err = img.Apply(recs)
		return err
	})
	return img, err
}

func (d *disk) loadEntries(snapIndex uint64) error {
	var ents []*pb.Entry
	err := d.log.Batches(int64(snapIndex), func(b record.Batch) error {
		if uint64(b.BaseOffset())+1 <= snapIndex {
			return nil
		}
		e, err := batchEntry(b)
		ents = append(ents, e)
		return err
	})
	if err != nil {
		return err
	}
	return d.mem.Append(ents)
}

func (d *disk) loadHardState(snapIndex uint64) error {
	data, err := os.ReadFile(filepath.Join(d.dir, quorumStateFile))
	if errors.Is(err, fs.ErrNotExist) && d.allCommitted {
		last, _ := d.mem.LastIndex()
		return d.mem.SetHardState(&pb.HardState{Commit: proto.Uint64(last)})
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var qs quorumState
	if err := json.Unmarshal(data, &qs); err != nil {
		return fmt.Errorf("%s: %w", quorumStateFile, err)
	}
	last, _ := d.mem.LastIndex()
	if hint, err := os.ReadFile(filepath.Join(d.dir, commitHintFile)); err == nil {
		if n, err := strconv.ParseUint(string(hint), 10, 64); err == nil {
			qs.CommitIndex = max(qs.CommitIndex, n)
		}
	}
	commit := min(max(qs.CommitIndex, snapIndex), last)
	if d.allCommitted {
		commit = last
	}
	vote := uint64(0)
	if qs.VotedID >= 0 {
		vote = raftID(kafka.NodeID(qs.VotedID))
	}
	return d.mem.SetHardState(&pb.HardState{Term: proto.Uint64(qs.LeaderEpoch), Vote: proto.Uint64(vote), Commit: proto.Uint64(commit)})
}

// save makes a Ready's snapshot, HardState and entries durable, in that
// order, before its messages are sent. The HardState goes before the
// entries so that a log with entries always has a quorum-state (without
// one, a log is taken for a pre-Raft log).
func (d *disk) save(hs *pb.HardState, ents []*pb.Entry, snap *pb.Snapshot) error {
	if !raft.IsEmptySnap(snap) {
		if err := d.installSnapshot(snap); err != nil {
			return err
		}
	}
	if !raft.IsEmptyHardState(hs) {
		if err := d.saveHardState(hs); err != nil {
			return err
		}
	}
	return d.append(ents)
}

// saveHardState writes hs when its term or vote changed (raft's MustSync);
// a commit index alone is not worth an fsync: raft learns it again, and
// load never trusts it beyond the log.
func (d *disk) saveHardState(hs *pb.HardState) error {
	prev, _, _ := d.mem.InitialState()
	switch {
	case hs.GetTerm() != prev.GetTerm() || hs.GetVote() != prev.GetVote():
		if err := d.writeHardState(hs); err != nil {
			return err
		}
	case hs.GetCommit() > prev.GetCommit() && len(d.voters) > 1:
		// A hint, not fsynced: lets a restarted node publish what it knew
		// was committed before it hears from the leader. Committed
		// entries are never removed, so a stale hint is still true, and
		// a torn one is ignored.
		os.WriteFile(filepath.Join(d.dir, commitHintFile), []byte(strconv.FormatUint(hs.GetCommit(), 10)), 0o644)
	}
	return d.mem.SetHardState(hs)
}

// append writes ents, first dropping any stored entry at or after the
// first of them (raft overwrites a divergent tail), and fsyncs.
func (d *disk) append(ents []*pb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	first := int64(ents[0].GetIndex()) - 1
	if first < d.log.LogEndOffset() {
		if err := d.log.TruncateTo(first); err != nil {
			return err
		}
	}
	bs := make([]record.Batch, 0, len(ents))
	for _, e := range ents {
		b, err := entryBatch(e, d.now())
		if err != nil {
			return err
		}
		bs = append(bs, b)
	}
	if err := d.log.AppendWithOffsets(bs); err != nil {
		return err
	}
	if err := d.log.Flush(); err != nil {
		return err
	}
	return d.mem.Append(ents)
}

func (d *disk) writeHardState(hs *pb.HardState) error {
	voted := int64(-1)
	if hs.GetVote() != raft.None {
		voted = int64(nodeID(hs.GetVote()))
	}
	data, _ := json.Marshal(quorumState{LeaderEpoch: hs.GetTerm(), VotedID: voted, CommitIndex: hs.GetCommit()})
	return writeFileSync(filepath.Join(d.dir, quorumStateFile), data)
}

// installSnapshot keeps a snapshot received from the leader and drops the
// whole log: the entries after it come from the leader.
func (d *disk) installSnapshot(snap *pb.Snapshot) error {
	idx := int64(snap.GetMetadata().GetIndex())
	if err := writeFileSync(d.checkpointPath(snap.GetMetadata()), snap.GetData()); err != nil {
		return err
	}
	if err := d.log.TruncateTo(max(d.log.LogStartOffset(), min(idx, d.log.LogEndOffset()))); err != nil {
		return err
	}
	if err := d.log.DeleteRecordsBefore(d.log.LogEndOffset()); err != nil {
		return err
	}
	if err := d.mem.ApplySnapshot(snap); err != nil {
		return err
	}
	return d.removeCheckpointsBefore(uint64(idx))
}

// snapshot writes img as the checkpoint at index (with that entry's
// term), then drops the entries it covers from the log and from memory.
func (d *disk) snapshot(img *metadata.Image, index, term uint64) error {
	data, err := encodeImage(img, d.now())
	if err != nil {
		return err
	}
	cs := &pb.ConfState{Voters: d.voters}
	meta := &pb.SnapshotMetadata{Index: proto.Uint64(index), Term: proto.Uint64(term), ConfState: cs}
	if err := writeFileSync(d.checkpointPath(meta), data); err != nil {
		return err
	}
	if last, _ := d.mem.LastIndex(); last >= index {
		if _, err := d.mem.CreateSnapshot(index, cs, data); err != nil {
			return err
		}
		if err := d.mem.Compact(index); err != nil {
			return err
		}
	} else if err := d.mem.ApplySnapshot(&pb.Snapshot{Metadata: meta, Data: data}); err != nil {
		return err
	}
	if err := d.log.DeleteRecordsBefore(min(int64(index), d.log.LogEndOffset())); err != nil {
		return err
	}
	return d.removeCheckpointsBefore(index)
}

// checkpointPath names a snapshot as KRaft does: the offset it ends at
// (the index of its last entry, which is the next entry's offset) and
// the epoch (term) of that entry.
func (d *disk) checkpointPath(m *pb.SnapshotMetadata) string {
	return filepath.Join(d.dir, fmt.Sprintf("%020d-%010d.checkpoint", m.GetIndex(), m.GetTerm()))
}

// checkpoints lists the checkpoint files, oldest first, with their index
// and term.
func (d *disk) checkpoints() ([]*pb.SnapshotMetadata, error) {
	names, err := filepath.Glob(filepath.Join(d.dir, "*.checkpoint"))
	if err != nil {
		return nil, err
	}
	var out []*pb.SnapshotMetadata
	for _, name := range names {
		var index, term uint64
		if _, err := fmt.Sscanf(strings.TrimSuffix(filepath.Base(name), ".checkpoint"), "%d-%d", &index, &term); err != nil {
			continue
		}
		out = append(out, &pb.SnapshotMetadata{Index: proto.Uint64(index), Term: proto.Uint64(term), ConfState: &pb.ConfState{Voters: d.voters}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetIndex() < out[j].GetIndex() })
	return out, nil
}

func (d *disk) latestCheckpoint() (*pb.Snapshot, *metadata.Image, error) {
	cps, err := d.checkpoints()
	if err != nil || len(cps) == 0 {
		return nil, metadata.Empty(), err
	}
	meta := cps[len(cps)-1]
	data, err := os.ReadFile(d.checkpointPath(meta))
	if err != nil {
		return nil, nil, err
	}
	img, err := decodeImage(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", d.checkpointPath(meta), err)
	}
	return &pb.Snapshot{Metadata: meta, Data: data}, img, nil
}

func (d *disk) removeCheckpointsBefore(index uint64) error {
	cps, err := d.checkpoints()
	if err != nil {
		return err
	}
	for _, m := range cps {
		if m.GetIndex() < index {
			os.Remove(d.checkpointPath(m))
		}
	}
	return nil
}

// encodeImage is a checkpoint's content: record batches whose record
// values are the image's records, as the log stores them.
func encodeImage(img *metadata.Image, ts int64) ([]byte, error) {
	var out []byte
	recs := img.Records()
	for start := 0; start < len(recs) || start == 0; start += 1000 {
		spec := record.BatchSpec{BaseOffset: int64(start), ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
		for _, r := range recs[start:min(start+1000, len(recs))] {
			spec.Records = append(spec.Records, record.Record{Timestamp: ts, Value: r.Encode()})
		}
		if len(spec.Records) == 0 {
			break
		}
		b, err := record.Build(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func decodeImage(data []byte) (*metadata.Image, error) {
	img := metadata.Empty()
	if len(data) == 0 {
		return img, nil
	}
	bs, err := record.Split(data)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		recs, err := decodeBatch(b)
		if err != nil {
			return nil, err
		}
		if img, err = img.Apply(recs); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// writeFileSync replaces path with data durably: a temp file, fsynced,
// renamed over it, and the directory fsynced.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
