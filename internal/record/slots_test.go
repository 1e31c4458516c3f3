package record

import (
	"testing"
	"time"
)

// TestDecompressionSlotsBound proves that no more batches than there are
// decompression slots are inflated at once: with every slot held by a scan
// in progress, another waits until one ends.
func TestDecompressionSlotsBound(t *testing.T) {
	b := mustBuild(t, BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: CodecZstd, Records: sampleRecords(3)})
	release := make(chan struct{})
	started := make(chan struct{}, cap(decompressionSlots))
	for range cap(decompressionSlots) {
		go b.ScanHeads(func(RecordHead) (bool, error) {
			started <- struct{}{}
			<-release
			return false, nil
		})
	}
	for range cap(decompressionSlots) {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("scans did not start")
		}
	}
	done := make(chan error, 1)
	go func() { _, err := b.Records(); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("a decompression ran with every slot taken (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("decompression still waiting after the slots were freed")
	}
}
