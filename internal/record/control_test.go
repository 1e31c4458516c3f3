package record

import "testing"

// TestControlType proves that ControlType reads the marker type of commit
// and abort markers, reports an emptied marker as having none, and refuses
// a data batch.
func TestControlType(t *testing.T) {
	commit := BuildMarker(3, 1, Marker{Commit: true, CoordinatorEpoch: 5}, 1000)
	abort := BuildMarker(3, 1, Marker{}, 1000)
	data, err := Build(BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: []Record{{Value: []byte("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		b       Batch
		typ     int16
		ok, err bool
	}{
		{"commit", commit, ControlCommit, true, false},
		{"abort", abort, ControlAbort, true, false},
		{"emptied", abort.EmptyCopy(), 0, false, false},
		{"data", data, 0, false, true},
	} {
		typ, ok, err := ControlType(c.b)
		if typ != c.typ || ok != c.ok || (err != nil) != c.err {
			t.Errorf("%s: type %d ok %v err %v", c.name, typ, ok, err)
		}
	}
}
