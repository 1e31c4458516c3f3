package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"gregor/internal/buildinfo"
	"gregor/internal/cli"
	"gregor/internal/record"
	"gregor/internal/storage"
)

// dumpOptions are kafka-dump-log.sh's options that Gregor takes.
type dumpOptions struct {
	files          string
	printData      bool
	deep           bool
	verifyOnly     bool
	sanityOnly     bool
	skipMetadata   bool
	maxMessageSize int
	maxBytes       int
	keyDecoder     string
	valueDecoder   string
}

// stringDecoders are the names of Kafka's StringDecoder, the one decoder
// Gregor has: keys and values print as UTF-8 text.
var stringDecoders = map[string]bool{
	"org.apache.kafka.tools.api.StringDecoder": true,
	"kafka.serializer.StringDecoder":           true,
}

func newDumpLogCommand() *cobra.Command {
	var o dumpOptions
	cmd := &cobra.Command{
		Use:   "dump-log --files FILE[,FILE...] [--print-data-log] [--deep-iteration] [--verify-index-only]",
		Short: "Print the batches of log segments and the entries of their indexes, as kafka-dump-log.sh",
		Long: `Parse log segment files and print their contents, as Kafka's kafka-dump-log.sh
(DumpLogSegments) does, in the same format: useful to look at a log that seems
corrupt. It reads the files directly and needs no running broker.

  .log        one line per batch (offsets, count, sequences, producer, leader
              epoch, flags, position, timestamp, size, codec, CRC, and whether
              the CRC matches: isvalid); with --deep-iteration one line per
              record, with --print-data-log its key and payload as text.
              Bytes after the last whole batch are reported.
  .index      its entries (offset: position:), each checked against the
              batch it points at in the .log beside it; mismatches go to
              stderr. --verify-index-only checks without printing entries.
  .timeindex  its entries, checked against the batches they name.
  .txnindex   its aborted transactions.

--index-sanity-check runs only the checks a broker runs on an index at start
(which decide whether it is rebuilt).`,
		Example: `  gregor dump-log --files /var/lib/gregor/orders-0/00000000000000000000.log --print-data-log
  gregor dump-log --files 00000000000000000000.index,00000000000000000000.timeindex --verify-index-only`,
		Args:    cobra.NoArgs,
		Version: buildinfo.Read().String(), // Kafka's tools take --version
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.CheckRefused(cmd); err != nil {
				return err
			}
			for _, d := range []string{o.keyDecoder, o.valueDecoder} {
				if d != "" && !stringDecoders[d] {
					return fmt.Errorf("decoder %s is not supported: gregor dump-log prints keys and values as text (org.apache.kafka.tools.api.StringDecoder)", d)
				}
			}
			fl := cmd.Flags()
			o.printData = o.printData || fl.Changed("key-decoder-class") || fl.Changed("value-decoder-class")
			o.deep = o.deep || o.printData
			return dumpFiles(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.files, "files", "", "REQUIRED: the comma separated list of data and index log files to be dumped")
	fl.BoolVar(&o.printData, "print-data-log", false, "print the records' keys and payloads (implies --deep-iteration)")
	fl.BoolVar(&o.deep, "deep-iteration", false, "print every record, not only the batches")
	fl.BoolVar(&o.verifyOnly, "verify-index-only", false, "check index files without printing their entries")
	fl.BoolVar(&o.sanityOnly, "index-sanity-check", false, "only run the checks a broker runs on an index at start")
	fl.BoolVar(&o.skipMetadata, "skip-record-metadata", false, "leave out the metadata of each record")
	fl.IntVar(&o.maxMessageSize, "max-message-size", 5*1024*1024, "size of the largest batch, for reading index targets")
	fl.IntVar(&o.maxBytes, "max-bytes", math.MaxInt32, "read at most this many bytes of each .log file")
	fl.StringVar(&o.keyDecoder, "key-decoder-class", "", "only org.apache.kafka.tools.api.StringDecoder (the default): keys print as text")
	fl.StringVar(&o.valueDecoder, "value-decoder-class", "", "only org.apache.kafka.tools.api.StringDecoder (the default): payloads print as text")
	cli.Refuse(cmd, false, "Gregor's internal topics are printed as raw keys and values only",
		"offsets-decoder", "transaction-log-decoder", "cluster-metadata-decoder", "share-group-state-decoder")
	cli.Refuse(cmd, false, "Gregor has no tiered storage", "remote-log-metadata-decoder")
	cmd.MarkFlagRequired("files")
	return cmd
}

// dumpReport collects the problems kafka-dump-log.sh prints to stderr
// after every file.
type dumpReport struct {
	indexMismatches map[string][][2]int64 // index offset, log offset
	timeMismatches  map[string][][2]int64 // index timestamp, log timestamp
	outOfOrder      map[string][][2]int64 // index timestamp, previous one
	notFound        map[string][][2]int64 // indexed offset, log offset found
	nonConsecutive  map[string][][2]int64
	order           []string // files in the order problems were found
}

func (r *dumpReport) add(m *map[string][][2]int64, file string, a, b int64) {
	if *m == nil {
		*m = map[string][][2]int64{}
	}
	if len(r.indexMismatches[file]) == 0 && len(r.timeMismatches[file]) == 0 && len(r.outOfOrder[file]) == 0 &&
		len(r.notFound[file]) == 0 && len(r.nonConsecutive[file]) == 0 {
		r.order = append(r.order, file)
	}
	(*m)[file] = append((*m)[file], [2]int64{a, b})
}

func dumpFiles(out, errOut io.Writer, o dumpOptions) error {
	var r dumpReport
	w := bufio.NewWriter(out)
	defer w.Flush()
	var failed error
	for _, file := range strings.Split(o.files, ",") {
		fmt.Fprintf(w, "Dumping %s\n", file)
		var err error
		switch filepath.Ext(file) {
		case ".log":
			err = dumpLog(w, errOut, file, o, &r)
		case ".index":
			err = dumpIndex(w, file, o, &r)
		case ".timeindex":
			err = dumpTimeIndex(w, file, o, &r)
		case ".txnindex":
			err = dumpTxnIndex(w, file)
		default:
			w.Flush()
			fmt.Fprintf(errOut, "Ignoring unknown file %s\n", file)
		}
		if err != nil {
			w.Flush()
			fmt.Fprintln(errOut, err)
			failed = errors.Join(failed, err)
		}
	}
	w.Flush()
	r.print(errOut)
	if failed != nil {
		return cli.Printed(errors.New("some files could not be dumped"))
	}
	return nil
}

func (r *dumpReport) print(w io.Writer) {
	for _, f := range r.order {
		if ms := r.indexMismatches[f]; len(ms) > 0 {
			fmt.Fprintf(w, "Mismatches in :%s\n", f)
			for _, m := range ms {
				fmt.Fprintf(w, "  Index offset: %d, log offset: %d\n", m[0], m[1])
			}
		}
		if ms := r.timeMismatches[f]; len(ms) > 0 {
			fmt.Fprintf(w, "Found timestamp mismatch in :%s\n", f)
			for _, m := range ms {
				fmt.Fprintf(w, "  Index timestamp: %d, log timestamp: %d\n", m[0], m[1])
			}
		}
		if ms := r.outOfOrder[f]; len(ms) > 0 {
			fmt.Fprintf(w, "Found out of order timestamp in :%s\n", f)
			for _, m := range ms {
				fmt.Fprintf(w, "  Index timestamp: %d, Previously indexed timestamp: %d\n", m[0], m[1])
			}
		}
		if ms := r.notFound[f]; len(ms) > 0 {
			fmt.Fprintln(w, "The following indexed offsets are not found in the log.")
			for _, m := range ms {
				fmt.Fprintf(w, "Indexed offset: %d, found log offset: %d\n", m[0], m[1])
			}
		}
		if ms := r.nonConsecutive[f]; len(ms) > 0 {
			fmt.Fprintf(w, "Non-consecutive offsets in %s\n", f)
			for _, m := range ms {
				fmt.Fprintf(w, "  %d is followed by %d\n", m[0], m[1])
			}
		}
	}
}

// batchReader reads whole batches from a .log file, stopping, as Kafka's
// FileRecords does, where fewer bytes are left than the next batch claims.
type batchReader struct {
	r    *bufio.Reader
	left int64 // bytes not yet read, within --max-bytes
	pos  int64
	buf  []byte
}

func (br *batchReader) next() (record.Batch, error) {
	if br.left < record.HeaderSize {
		return nil, io.EOF
	}
	head, err := br.r.Peek(12)
	if err != nil {
		return nil, err
	}
	n, err := record.FrameLength(head)
	if err != nil {
		return nil, fmt.Errorf("batch at position %d: %w", br.pos, err)
	}
	if int64(n) > br.left {
		return nil, io.EOF
	}
	if cap(br.buf) < n {
		br.buf = make([]byte, n)
	}
	b := br.buf[:n]
	if _, err := io.ReadFull(br.r, b); err != nil {
		return nil, err
	}
	br.left -= int64(n)
	br.pos += int64(n)
	return record.Batch(b), nil
}

func openBatches(path string, maxBytes int64) (*batchReader, int64, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	left := min(st.Size(), maxBytes)
	return &batchReader{r: bufio.NewReaderSize(f, 1<<20), left: left}, st.Size(), f.Close, nil
}

func dumpLog(w *bufio.Writer, errOut io.Writer, path string, o dumpOptions, r *dumpReport) (err error) {
	base, err := storage.SegmentBaseOffset(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Log starting offset: %d\n", base)
	br, size, closeFile, err := openBatches(path, int64(o.maxBytes))
	if err != nil {
		return err
	}
	defer closeFile()
	abs, _ := filepath.Abs(path)
	last, undecodable := int64(-1), 0
	for {
		b, err := br.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		printBatch(w, b, br.pos-int64(len(b)))
		if o.deep {
			if err := printRecords(w, b, o, &last, func(a, c int64) { r.add(&r.nonConsecutive, abs, a, c) }); err != nil {
				// Kafka's tool stops with an exception here; this one says
				// which batch and goes on, and exits 1 at the end.
				w.Flush()
				fmt.Fprintf(errOut, "%s: records of the batch at position %d: %v\n", path, br.pos-int64(len(b)), err)
				undecodable++
			}
		}
	}
	defer func() {
		if undecodable > 0 && err == nil {
			err = fmt.Errorf("%s: %d batches whose records could not be read", path, undecodable)
		}
	}()
	if trailing := size - br.pos; trailing > 0 && o.maxBytes == math.MaxInt32 {
		fmt.Fprintf(w, "Found %d invalid bytes at the end of %s\n", trailing, filepath.Base(path))
	}
	return nil
}

// printBatch prints DumpLogSegments' batch line.
func printBatch(w io.Writer, b record.Batch, position int64) {
	horizon := "OptionalLong.empty"
	if ms, ok := b.DeleteHorizonMs(); ok {
		horizon = fmt.Sprintf("OptionalLong[%d]", ms)
	}
	fmt.Fprintf(w, "baseOffset: %d lastOffset: %d count: %d baseSequence: %d lastSequence: %d producerId: %d producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %t isControl: %t deleteHorizonMs: %s",
		b.BaseOffset(), b.LastOffset(), b.NumRecords(), b.BaseSequence(), b.LastSequence(), b.ProducerID(),
		b.ProducerEpoch(), b.PartitionLeaderEpoch(), b.IsTransactional(), b.IsControl(), horizon)
	fmt.Fprintf(w, " position: %d %s: %d size: %d magic: %d compresscodec: %s crc: %d isvalid: %t\n",
		position, timestampType(b), b.MaxTimestamp(), len(b), b.Magic(), b.Codec(), b.CRC(), b.ComputeCRC() == b.CRC())
}

func timestampType(b record.Batch) string {
	if b.LogAppendTime() {
		return "LogAppendTime"
	}
	return "CreateTime"
}

// printRecords prints a line per record of b; last is the offset of the
// record printed before, across batches, for the non-consecutive report.
func printRecords(w io.Writer, b record.Batch, o dumpOptions, last *int64, gap func(a, c int64)) error {
	rs, err := b.Records()
	if err != nil {
		return err
	}
	for _, rec := range rs {
		if *last != -1 && rec.Offset != *last+1 {
			gap(*last, rec.Offset)
		}
		*last = rec.Offset
		prefix := "| "
		if !o.skipMetadata {
			fmt.Fprintf(w, "%soffset: %d %s: %d keySize: %d valueSize: %d sequence: %d headerKeys: [%s]",
				prefix, rec.Offset, timestampType(b), rec.Timestamp, sizeOf(rec.Key), sizeOf(rec.Value),
				sequenceOf(b, rec.Offset), headerKeys(rec.Headers))
			prefix = " "
			if b.IsControl() {
				fmt.Fprint(w, controlText(rec))
			}
		}
		if o.printData && !b.IsControl() {
			if rec.Key != nil {
				fmt.Fprintf(w, "%skey: %s", prefix, javaString(rec.Key))
			}
			if rec.Value != nil {
				fmt.Fprintf(w, " payload: %s", javaString(rec.Value))
			}
		}
		fmt.Fprintln(w)
	}
	return nil
}

func sizeOf(b []byte) int {
	if b == nil {
		return -1
	}
	return len(b)
}

// sequenceOf is a record's sequence: the batch's base sequence plus the
// record's offset delta, or -1 for a batch without one.
func sequenceOf(b record.Batch, offset int64) int32 {
	if b.BaseSequence() < 0 {
		return -1
	}
	return record.IncrementSequence(b.BaseSequence(), int32(offset-b.BaseOffset()))
}

func headerKeys(hs []record.Header) string {
	keys := make([]string, len(hs))
	for i, h := range hs {
		keys[i] = h.Key
	}
	return strings.Join(keys, ",")
}

// controlText describes a control record as Kafka's tool does.
func controlText(rec record.Record) string {
	if len(rec.Key) < 4 {
		return " controlType: UNKNOWN(-1)"
	}
	typ := int16(binary.BigEndian.Uint16(rec.Key[2:]))
	epoch := int32(-1)
	if len(rec.Value) >= 6 {
		epoch = int32(binary.BigEndian.Uint32(rec.Value[2:]))
	}
	switch typ {
	case 0:
		return fmt.Sprintf(" endTxnMarker: ABORT coordinatorEpoch: %d", epoch)
	case 1:
		return fmt.Sprintf(" endTxnMarker: COMMIT coordinatorEpoch: %d", epoch)
	}
	return fmt.Sprintf(" controlType: UNKNOWN(%d)", typ)
}

// segmentLog is the .log file beside an index file.
func segmentLog(indexPath string) string {
	return strings.TrimSuffix(indexPath, filepath.Ext(indexPath)) + ".log"
}

// batchAt reads the first batch at or after position pos of the log whose
// last offset reaches offset, reading at most maxSize bytes per batch.
func batchAt(logPath string, pos, offset int64, maxSize int) (record.Batch, error) {
	f, err := os.Open(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if pos > st.Size() {
		return nil, io.EOF
	}
	br := &batchReader{r: bufio.NewReader(io.NewSectionReader(f, pos, st.Size()-pos)), left: st.Size() - pos, pos: pos}
	for {
		b, err := br.next()
		if err != nil {
			return nil, err
		}
		if len(b) > maxSize {
			return nil, fmt.Errorf("batch at position %d is larger than --max-message-size %d", br.pos-int64(len(b)), maxSize)
		}
		if b.LastOffset() >= offset {
			return b, nil
		}
	}
}

func dumpIndex(w io.Writer, path string, o dumpOptions, r *dumpReport) error {
	logPath := segmentLog(path)
	if o.sanityOnly {
		st, err := os.Stat(logPath)
		if err != nil {
			return err
		}
		if _, err := storage.ReadOffsetIndexFile(path, st.Size()); err != nil {
			return fmt.Errorf("corrupt index found: %w", err)
		}
		fmt.Fprintf(w, "%s passed sanity check.\n", path)
		return nil
	}
	entries, err := storage.ReadOffsetIndexFile(path, -1)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintf(w, "%s is empty.\n", path)
		return nil
	}
	base, _ := storage.SegmentBaseOffset(path)
	abs, _ := filepath.Abs(path)
	for i, e := range entries {
		if i > 0 && e.Offset == base {
			return nil // zeros past the entries written: Kafka's indexes are preallocated
		}
		b, err := batchAt(logPath, e.Position, math.MinInt64, o.maxMessageSize)
		if err != nil {
			return fmt.Errorf("%s: entry offset %d position %d: %w", path, e.Offset, e.Position, err)
		}
		if b.LastOffset() != e.Offset {
			r.add(&r.indexMismatches, abs, e.Offset, b.LastOffset())
		}
		if !o.verifyOnly {
			fmt.Fprintf(w, "offset: %d position: %d\n", e.Offset, e.Position)
		}
	}
	return nil
}

func dumpTimeIndex(w io.Writer, path string, o dumpOptions, r *dumpReport) error {
	if o.sanityOnly {
		if _, err := storage.ReadTimeIndexFile(path, true); err != nil {
			return fmt.Errorf("corrupt time index found: %w", err)
		}
		fmt.Fprintf(w, "%s passed sanity check.\n", path)
		return nil
	}
	entries, err := storage.ReadTimeIndexFile(path, false)
	if err != nil {
		return err
	}
	index, _ := storage.ReadOffsetIndexFile(strings.TrimSuffix(path, ".timeindex")+".index", -1)
	abs, _ := filepath.Abs(path)
	prev := int64(-1)
	for _, e := range entries {
		b, err := batchAt(segmentLog(path), positionBelow(index, e.Offset), e.Offset, math.MaxInt32)
		switch {
		case err != nil:
			r.add(&r.notFound, abs, e.Offset, -1)
		case b.LastOffset() != e.Offset:
			r.add(&r.notFound, abs, e.Offset, b.LastOffset())
		default:
			if b.MaxTimestamp() != e.Timestamp {
				r.add(&r.timeMismatches, abs, e.Timestamp, b.MaxTimestamp())
			}
			if prev >= e.Timestamp {
				r.add(&r.outOfOrder, abs, e.Timestamp, prev)
			}
		}
		if !o.verifyOnly {
			fmt.Fprintf(w, "timestamp: %d offset: %d\n", e.Timestamp, e.Offset)
		}
		prev = e.Timestamp
	}
	return nil
}

// positionBelow is the position of the last index entry at or below offset.
func positionBelow(index []storage.IndexEntry, offset int64) int64 {
	pos := int64(0)
	for _, e := range index {
		if e.Offset > offset {
			break
		}
		pos = e.Position
	}
	return pos
}

func dumpTxnIndex(w io.Writer, path string) error {
	txns, err := storage.ReadTxnIndexFile(path)
	if err != nil {
		return err
	}
	for _, t := range txns {
		fmt.Fprintf(w, "version: 0 producerId: %d firstOffset: %d lastOffset: %d lastStableOffset: %d\n",
			t.ProducerID, t.FirstOffset, t.LastOffset, t.LastStableOffset)
	}
	return nil
}

// javaString is b as Java's new String(b, UTF_8) reads it, which is how
// Kafka's StringDecoder prints keys and payloads: each maximal subpart of
// an ill-formed sequence (Unicode's "best practice", which the JDK follows)
// becomes one U+FFFD.
func javaString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			sb.WriteRune(utf8.RuneError)
			b = b[maximalSubpart(b):]
			continue
		}
		sb.Write(b[:n])
		b = b[n:]
	}
	return sb.String()
}

// maximalSubpart is the length of the ill-formed sequence that starts b,
// as the JDK's decoder counts it: its lead byte and the continuation bytes
// that could still have made a well-formed sequence (Unicode Table 3-7),
// at least 1; an encoded surrogate (ED A0..BF xx) counts as one sequence.
func maximalSubpart(b []byte) int {
	lo, hi, size := byte(0x80), byte(0xBF), 0
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		size = 2
	case c == 0xE0:
		lo, size = 0xA0, 3
	case c >= 0xE1 && c <= 0xEF:
		size = 3
	case c == 0xF0:
		lo, size = 0x90, 4
	case c == 0xF4:
		hi, size = 0x8F, 4
	case c >= 0xF1 && c <= 0xF3:
		size = 4
	default:
		return 1
	}
	n := 1
	for n < size && n < len(b) && b[n] >= lo && b[n] <= hi {
		n++
		lo, hi = 0x80, 0xBF
	}
	return n
}
