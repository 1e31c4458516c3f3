package restproxy

// REST Proxy v3: the partition reassignments in progress, read-only, as
// Confluent's proxy serves them, from ListPartitionReassignments.
//
//	GET /v3/clusters/{cluster_id}/topics/-/partitions/-/reassignment                every one (KafkaReassignmentList)
//	GET /v3/clusters/{cluster_id}/topics/{topic}/partitions/-/reassignment          a topic's
//	GET /v3/clusters/{cluster_id}/topics/{topic}/partitions/{partition}/reassignment one (KafkaReassignment)
//
// A KafkaReassignment has cluster_id, topic_name, partition_id,
// adding_replicas, removing_replicas and a replicas link; lists are sorted
// by topic, then partition. As Confluent's: a topic with no reassignment,
// or unknown, is an empty list; a partition not being reassigned, unknown,
// or not a number is 404 with code 404 ("HTTP 404 Not Found"); a list's
// self link, and the self link and resource name of each of its items,
// end in "reassignments" (crn:///kafka=c/topic=t/partition=p/reassignments),
// where a single one's end in "reassignment".
//
// Kafka's ListPartitionReassignments lists the partitions named, so the
// lists first read the partitions from Metadata; a partition created in
// between is missed until the next request.

import (
	"net/http"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
)

func (p *Proxy) routesV3Reassignments(m *http.ServeMux) {
	const c = "/v3/clusters/{cluster}/topics"
	m.HandleFunc("GET "+c+"/-/partitions/-/reassignment", p.v3(p.listReassignments))
	m.HandleFunc("GET "+c+"/{topic}/partitions/-/reassignment", p.v3(p.listTopicReassignments))
	m.HandleFunc("GET "+c+"/{topic}/partitions/{partition}/reassignment", p.v3(p.getReassignment))
}

type reassignmentV3 struct {
	Kind             string       `json:"kind"`
	Metadata         resourceMeta `json:"metadata"`
	ClusterID        string       `json:"cluster_id"`
	TopicName        string       `json:"topic_name"`
	PartitionID      int32        `json:"partition_id"`
	AddingReplicas   []int32      `json:"adding_replicas"`
	RemovingReplicas []int32      `json:"removing_replicas"`
	Replicas         related      `json:"replicas"`
}

// reassignmentV3 is ra as a resource whose self link and resource name
// end in last.
func (p *Proxy) reassignmentV3(r v3req, ra kadm.ListPartitionReassignmentsResponse, last string) reassignmentV3 {
	partition := itoa(int64(ra.Partition))
	self := r.base + "/topics/" + ra.Topic + "/partitions/" + partition
	return reassignmentV3{Kind: "KafkaReassignment",
		Metadata:  meta(self+"/"+last, "crn:///kafka="+p.cfg.ClusterID+"/topic="+ra.Topic+"/partition="+partition+"/"+last),
		ClusterID: p.cfg.ClusterID, TopicName: ra.Topic, PartitionID: ra.Partition,
		AddingReplicas: orEmpty(ra.AddingReplicas), RemovingReplicas: orEmpty(ra.RemovingReplicas),
		Replicas: related{self + "/replicas"}}
}

func orEmpty(ids []int32) []int32 {
	if ids == nil {
		return []int32{}
	}
	return ids
}

// reassignments lists the partitions of set being reassigned, sorted by
// topic and partition.
func reassignments(r v3req, set kadm.TopicsSet) ([]kadm.ListPartitionReassignmentsResponse, error) {
	listed, err := r.adm.ListPartitionReassignments(r.ctx, set)
	if err != nil {
		return nil, timeoutOr(r.ctx, err)
	}
	return listed.Sorted(), nil
}

// partitionsOf returns every partition of topics (none: of every topic);
// unknown topics have none.
func partitionsOf(r v3req, topics ...string) (kadm.TopicsSet, error) {
	md, err := r.adm.Metadata(fresh(r.ctx), topics...)
	if err != nil {
		return nil, timeoutOr(r.ctx, err)
	}
	set := kadm.TopicsSet{}
	for _, td := range md.Topics {
		if td.Err == nil {
			for p := range td.Partitions {
				set.Add(td.Topic, p)
			}
		}
	}
	return set, nil
}

// writeReassignments answers the reassignments of the partitions of
// topics (none: every topic) as a list whose self link is path.
func (p *Proxy) writeReassignments(w http.ResponseWriter, r v3req, path string, topics ...string) {
	set, err := partitionsOf(r, topics...)
	var listed []kadm.ListPartitionReassignmentsResponse
	if err == nil {
		listed, err = reassignments(r, set)
	}
	if err != nil {
		writeV3Error(w, err)
		return
	}
	out := make([]reassignmentV3, 0, len(listed))
	for _, ra := range listed {
		out = append(out, p.reassignmentV3(r, ra, "reassignments"))
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaReassignmentList", r.base+path, out))
}

func (p *Proxy) listReassignments(w http.ResponseWriter, r v3req) {
	p.writeReassignments(w, r, "/topics/-/partitions/-/reassignments")
}

func (p *Proxy) listTopicReassignments(w http.ResponseWriter, r v3req) {
	topic := r.PathValue("topic")
	p.writeReassignments(w, r, "/topics/"+topic+"/partitions/-/reassignments", topic)
}

func (p *Proxy) getReassignment(w http.ResponseWriter, r v3req) {
	topic := r.PathValue("topic")
	partition, err := strconv.ParseInt(r.PathValue("partition"), 10, 32)
	if err != nil {
		writeV3Error(w, errNotFound)
		return
	}
	listed, err := reassignments(r, kadm.TopicsSet{topic: {int32(partition): {}}})
	if err != nil {
		writeV3Error(w, err)
		return
	}
	if len(listed) == 0 {
		writeV3Error(w, errNotFound)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, p.reassignmentV3(r, listed[0], "reassignment"))
}
