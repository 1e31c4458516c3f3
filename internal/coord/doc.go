// Package coord is the coordinator runtime that the group coordinator and
// the transaction coordinator run on. It knows nothing of groups:
// it runs the partitions of an internal topic that this node leads, each
// with a state machine the user supplies (State), and gives operations one
// write path.
//
// # Threading model
//
// Each loaded partition has one loop goroutine that owns its State: the
// load, every operation (Call, Submit, Each) and every timer callback
// (Partition.AfterFunc) run on it, one at a time, so the state needs no
// lock. The one exception keeps that guarantee: a Call whose partition has
// nothing queued or running runs its operation on the caller's goroutine,
// holding the lock the loop holds around each operation, which spares a
// request the two goroutine switches of a round trip through the loop;
// an operation queued earlier always runs first. Beside the loop, each partition has a committer goroutine that
// waits for the high watermark; it never touches the state. Load starts
// both; Unload (the partition stops being ours) cancels them: the loop
// stops its timers, calls State.Unloaded and exits, and every answer still
// waiting fails with ErrNotCoordinator. Until the load has replayed the
// partition, operations fail with ErrLoadInProgress.
//
// # Write path
//
// An operation that changes the state calls Partition.Append with its
// records: the runtime appends them to the log (a local write that returns
// the last offset without waiting for followers), then replays them into
// the state through State.Replay, the same code that loads the partition.
// State changes only by replaying records. The operation's answer (and,
// through Partition.OnCommit, any answer it hands to a waiting request) is
// held until the high watermark passes the last record the loop has
// appended; the committer waits for that, in offset order, off the loop.
// A Log that is also a HighWatermarker lets the loop answer at once a
// write the high watermark has already passed, when no earlier answer
// waits (on one node, every write).
//
// An operation that writes by another path than Append (the group
// coordinator's transactional offsets, which the state must not replay
// as committed) reports the last offset it wrote with Partition.Written,
// so that answers wait for it as for Append's records.
//
// This is the design Kafka's CoordinatorRuntime uses, without its timeline
// snapshots: writes are serialised on the loop and applied as soon as they
// are in the local log, so a later operation sees every earlier one, in
// order, and the loop never blocks while a write replicates. What an
// operation reads may include records not yet committed, but its answer is
// held until they are, so no client is told of a change that a failover
// could still lose. If the wait fails (the partition is lost before its
// records commit), the answer is ErrNotCoordinator; the state, which may
// hold the uncommitted records, is dropped by the Unload that follows, and
// the next leader rebuilds it from the log. No lock is held across the
// wait: the loop goes on serving the partition's other requests.
//
// # Operations
//
// Call runs an operation and returns its answer once committed; every
// answer, a read's too, is held until the records the loop had appended
// when the operation ended are committed, so answers leave in the order
// the loop ran them. Submit queues an operation that answers nobody (a
// request that waits on the state, say, is answered later through
// OnCommit by the operation that completes it). Each runs an operation on
// every loaded partition. Operations must not block: they run one at a
// time on the loop.
//
// # Time
//
// Timers and the time go through a Clock: RealClock in production, a
// ManualClock in tests, which fires due timers when the test advances it.
package coord
